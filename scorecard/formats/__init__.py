"""How the public pages write dates and numbers, per language (Django format modules).

`en/` keeps the English pages exactly as they were written before there were two languages
("April 26, 2004", "Apr 26, 2004", "April 2004"); `ja/` writes them as Japanese readers
expect ("2004年4月26日"). Listed before `tracker.formats` in FORMAT_MODULE_PATH.

DATE_FORMAT and DATETIME_FORMAT in English stay the editors' ("26 Apr 2004", tracker/formats/):
Django's admin writes every date with them. So the pages' long date has a name of its own,
PAGE_DATE_FORMAT, which the `page_date` filter reads (scorecard/templatetags/scorecard_dates.py):
`{{ day|page_date }}` (long), `{{ day|page_date:"short" }}`, `{{ day|page_date:"month" }}`.
SHORT_DATE_FORMAT and YEAR_MONTH_FORMAT are the pages' own in both languages (the admin uses
neither), so `|date:"SHORT_DATE_FORMAT"` and `|date:"YEAR_MONTH_FORMAT"` work too.
"""
