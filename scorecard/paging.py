"""The pager of the paged public pages (the home page's reports, a report's recommendations):
which page was asked for, how many there are, and the links between them.

`?page=N` from 1; absent is page 1, and page 1's own links leave it out, so the first page
keeps its plain address. A `page` that is not a whole number from 1 to MAX_PAGE is a 400
naming it (BadParameter); one past the last page is a 404 (`Pager.check_found`). The links
keep every filter as asked.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from django.utils.translation import gettext

from scorecard.public import BadParameter, NotFound
from tracker.filters import InvalidFilters

MAX_PAGE = 10_000
Checked = TypeVar("Checked")


def page_number(params: Mapping[str, str]) -> int:
    """The `page` asked for (1 when absent); BadParameter when it is not a page number."""
    raw = params.get("page")
    if raw is None:
        return 1
    raw = raw.strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadParameter(
            "page",
            gettext("The page is a whole number from 1 to %(max)s.") % {"max": f"{MAX_PAGE:,}"},
        )
    return int(raw)


def page_and_filters(
    params: Mapping[str, str], read_filters: Callable[[], Checked]
) -> tuple[int, Checked]:
    """The page asked for and what `read_filters` reads (the filters, which may raise
    InvalidFilters); BadParameter naming every bad parameter of both at once."""
    try:
        number, bad_page = page_number(params), None
    except BadParameter as error:
        number, bad_page = 1, error
    try:
        filters = read_filters()
    except InvalidFilters as invalid:
        error = BadParameter.of(invalid)
        if bad_page is not None:
            error.problems.extend(bad_page.problems)
        raise error from None
    if bad_page is not None:
        raise bad_page
    return number, filters


@dataclass(frozen=True)
class Pager:
    """Page `number` of `count` items, `size` a page, at `path` with the filters `kept`."""

    number: int
    count: int
    size: int
    path: str
    kept: Mapping[str, str]

    @property
    def last(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def paged(self) -> bool:
        """Whether there is more than one page (one page shows no pager)."""
        return self.last > 1

    @property
    def first_shown(self) -> int:
        return self.offset + 1

    @property
    def last_shown(self) -> int:
        return min(self.count, self.offset + self.size)

    def url(self, number: int) -> str:
        params = {**self.kept, "page": number} if number > 1 else dict(self.kept)
        return f"{self.path}?{urlencode(params)}" if params else self.path

    @property
    def previous_url(self) -> str:
        return self.url(self.number - 1) if self.number > 1 else ""

    @property
    def next_url(self) -> str:
        return self.url(self.number + 1) if self.number < self.last else ""

    def check_found(self, message: str) -> None:
        """A 404 with `message` when the page is past the last one."""
        if self.number > self.last:
            raise NotFound(message)
