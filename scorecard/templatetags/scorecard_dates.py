"""Dates for the machine-readable `datetime` attribute of <time>, and as readers read them
in the page's language."""

import datetime

from django import template
from django.conf import settings
from django.utils import dateformat, formats, timezone, translation

register = template.Library()


@register.filter
def iso_datetime(value: datetime.datetime | None) -> str:
    """`2008-01-15T12:00:00+00:00`: to the second, as HTML's <time datetime> accepts.

    Django's `date:"c"` adds microseconds, which HTML does not allow (three digits at most).
    """
    if value is None:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


# The public pages' three ways of writing a day, named in scorecard/formats/<language>/.
PAGE_FORMATS = {
    "long": "PAGE_DATE_FORMAT",
    "short": "SHORT_DATE_FORMAT",
    "month": "YEAR_MONTH_FORMAT",
}


@register.filter
def page_date(value: datetime.date | datetime.datetime | None, kind: str = "long") -> str:
    """A day as the pages write it in the active language: `long` ("April 26, 2004",
    "2004年4月26日"), `short` ("Apr 26, 2004"), `month` ("April 2004", "2004年4月")."""
    if value in (None, ""):
        return ""
    return dateformat.format(_localtime(value), _page_format(PAGE_FORMATS[kind]))


def _localtime(value: datetime.date | datetime.datetime) -> datetime.date | datetime.datetime:
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _page_format(name: str) -> str:
    """The named format from the active language's format modules (Django's `get_format`
    knows only its own names; PAGE_DATE_FORMAT is ours)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    for module in formats.get_format_modules(language):
        found = getattr(module, name, None)
        if found is not None:
            return found
    return formats.get_format(name.removeprefix("PAGE_"), language)
