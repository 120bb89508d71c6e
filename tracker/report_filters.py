"""The reports' filters (the home page, the API's report list): one definition, with the
recommendations' filters' meaning of a word and their messages (tracker/filters.py)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext

from tracker.filters import Q_MAX_LENGTH, InvalidFilters, _parse_q, _words, empty_message

# What the list of reports reads, in the order messages name them.
REPORT_PARAMETERS = ("q", "year")
REPORT_DESCRIPTIONS = {
    "q": (
        "Words, separated by spaces: a report matches when every word appears, in any order "
        "and in any case, in its short name, its title, its authors or its institution (each "
        "word may be in a different one; a word matches inside longer words, `armit` matches "
        "`Armitage`). `%`, `_` and `\\` are plain characters. Recommendations are not searched "
        f"(the report pages and /search/ do that). At most {Q_MAX_LENGTH} characters."
    ),
    "year": "A year, e.g. `2004`: only the reports published in it.",
}
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class ReportFilters:
    """Checked values of the reports' filters (None or empty: not asked for)."""

    q: str = ""  # as typed, trimmed; searched for `words`
    year: int | None = None
    words: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", _words(self.q))

    @property
    def narrowing(self) -> bool:
        return bool(self.words or self.year)

    def params(self) -> dict[str, str]:
        """The query parameters that ask for these filters."""
        params = {"q": self.q, "year": str(self.year) if self.year else ""}
        return {name: value for name, value in params.items() if value}

    def condition(self) -> Q:
        """What the matching reports satisfy (Q() when nothing narrows)."""
        condition = Q()
        if self.year:
            condition &= Q(published_on__year=self.year)
        for word in self.words:
            # As the recommendations' `q`: icontains escapes `%`, `_` and `\`.
            condition &= (
                Q(short_name__icontains=word)
                | Q(title__icontains=word)
                | Q(authors__icontains=word)
                | Q(institution__icontains=word)
            )
        return condition


def _parse_year(value: str) -> int:
    if not _YEAR.match(value) or int(value) < 1:
        raise ValueError(
            gettext("“%(value)s” is not a year. Write it with four digits, e.g. 2004.")
            % {"value": value[:20]}
        )
    return int(value)


def parse_report_filters(params: Mapping[str, str]) -> ReportFilters:
    """The reports' filters of a request, checked (no query); InvalidFilters naming every
    bad parameter, in the words of the recommendations' filters."""
    values: dict[str, str | int] = {}
    errors: dict[str, list[str]] = {}
    for name in REPORT_PARAMETERS:
        if name not in params:
            continue
        value = params[name]
        try:
            if "\x00" in value:
                raise ValueError(f"{name} contains a NUL character, which no value can hold.")
            value = value.strip()
            if not value:
                raise ValueError(empty_message(name))
            values[name] = _parse_q(value) if name == "q" else _parse_year(value)
        except ValueError as error:
            errors[name] = [str(error)]
    if errors:
        raise InvalidFilters(errors)
    return ReportFilters(**values)
