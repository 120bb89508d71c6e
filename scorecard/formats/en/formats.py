# The public pages' English dates (DATE_FORMAT and DATETIME_FORMAT are the editors':
# tracker/formats/en/formats.py).
PAGE_DATE_FORMAT = "F j, Y"  # April 26, 2004
SHORT_DATE_FORMAT = "M j, Y"  # Apr 26, 2004
YEAR_MONTH_FORMAT = "F Y"  # April 2004
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
