"""Typed readers for settings from the environment.

Each one fails at start-up with a message naming the variable, so a typo in a deployment
is an error on the first request, not a silently different configuration.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of 1, 0, true, false, yes, no, on, off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} is set but empty: give a comma-separated list.")
    return items


_RATE_PERIODS = ("second", "minute", "hour", "day")


def env_rate(name: str, default: str) -> str:
    """A request rate such as `60/minute` (periods: second, minute, hour, day)."""
    value = (os.environ.get(name) or default).strip()
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in _RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate: write it as NUMBER/PERIOD, e.g. 60/minute "
            f"(periods: {', '.join(_RATE_PERIODS)})."
        )
    return f"{int(count)}/{period}"


def env_site_url(name: str) -> str:
    """A site's base URL, `https://host` or `https://host:port`; "" when unset or empty."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        valid = parts.port is None or parts.port > 0  # a port that is no number raises
    except ValueError:
        valid = False
    else:
        valid = (
            valid
            and parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and parts.path in ("", "/")
            and not parts.query
            and not parts.fragment
            and not parts.username
        )
    if not valid:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a site address: write it as https://host (or "
            "https://host:port), without a path."
        )
    return f"{parts.scheme}://{parts.netloc}"
