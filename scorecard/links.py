"""Absolute links the site writes (feeds, the badge's embed code, exports): one base URL.

With `settings.SITE_URL` (DJANGO_SITE_URL) set, every absolute link starts with it, whatever
host name a request came in under, so a link saved from a feed or pasted from the embed
code stays the canonical one. Without it (development), links use the request's own host.
"""

from django.conf import settings
from django.http import HttpRequest


def absolute_url(request: HttpRequest, path: str) -> str:
    """`path` (starting with "/") as an absolute URL on the canonical site."""
    if settings.SITE_URL:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


def canonical(path: str) -> str:
    """`path` on the canonical site when one is configured; else as it is, for the caller
    to complete with the request's host (as Django's syndication framework does)."""
    return settings.SITE_URL + path if settings.SITE_URL else path


def tag_uri(specific: str) -> str:
    """A permanent Atom id (RFC 4151 `tag:` URI): it never depends on the request's host.

    The authority is the canonical site's host name (`localhost` when none is configured)
    and the date the year this scheme of ids was adopted; neither may change afterwards.
    """
    return f"tag:{settings.SITE_TAG_AUTHORITY},{TAG_DATE}:{specific}"


TAG_DATE = "2026"
