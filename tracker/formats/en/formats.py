# The editors' one way of writing dates and times: "1 Dec 2026" and "1 Dec 2026, 05:52 UTC",
# with the time zone named, since editors work in several. Input formats stay Django's.
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
