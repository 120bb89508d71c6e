"""Every route of the URLconf, as an address a client can ask for (tests that must hold on
every route, tests/test_request_limits.py)."""

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver

# A value for each parameter name the routes use; anything else gets "1".
SAMPLES = {
    "report": "armitage-nye-2000",
    "code": "sec-1",
    "edition": "2004-report-card",
    "other": "2008-evidence-review",
    "slug": "armitage-nye-2000",
    "key": "hwang-2004-new-security-agenda",
    "url": "nowhere",
    "actor": "united-states",
}
_PARAMETER = re.compile(r"<(?:[^>:]+:)?([^>]+)>|\(\?P<(\w+)>([^)]*)\)|\(([^)]*)\)")


def patterns() -> Iterator[str]:
    """The full pattern of every route (routes and regexes joined as Django joins them)."""

    def walk(entries: list, prefix: str) -> Iterator[str]:
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    yield from walk(get_resolver().url_patterns, "/")


def address(pattern: str, *, suffix: str = "") -> str:
    """A path the pattern matches, `suffix` added to its last parameter's value (or, for a
    route without parameters, to its first segment)."""
    last = len(_PARAMETER.findall(pattern))
    seen = 0

    def value(match: re.Match) -> str:
        nonlocal seen
        seen += 1
        name = match.group(1) or match.group(2)
        choices = match.group(3)
        if name is None:  # an unnamed group, as simple_history's ([^/]+)
            sample = "1"
        elif choices and "|" in choices:  # an alternation, as the admin's app labels
            sample = choices.split("|")[0]
        else:
            sample = SAMPLES.get(name, "1")
        return sample + (suffix if seen == last else "")

    path = _PARAMETER.sub(value, pattern).replace("^", "").replace("$", "")
    if path in {"/admin/", "/api/"}:
        path += "nowhere/"  # the catch-all patterns ending in "^" or ".*"
    if suffix and not _PARAMETER.search(pattern):
        head, slash, tail = path.partition("/")[2].partition("/")
        path = f"/{head}{suffix}{slash}{tail}" if head else f"/{suffix}"
    return path


def every_address(*, suffix: str = "") -> list[str]:
    return sorted({address(pattern, suffix=suffix) for pattern in patterns()})
