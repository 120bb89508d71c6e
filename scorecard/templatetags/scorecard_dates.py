"""Dates for the machine-readable `datetime` attribute of <time>."""

import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def iso_datetime(value: datetime.datetime | None) -> str:
    """`2008-01-15T12:00:00+00:00`: to the second, as HTML's <time datetime> accepts.

    Django's `date:"c"` adds microseconds, which HTML does not allow (three digits at most).
    """
    if value is None:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()
