"""Pages: numbered pages for lists, a cursor for the change feed.

Both validate their parameters (a malformed or out-of-range value is a 400 naming it) and
cap the page size, so no request can ask for the whole table.
"""

import base64
import binascii
import datetime
from typing import Any

from django.core.paginator import InvalidPage
from django.db.models import Model, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from tracker import queries

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# The highest page number asked for that is not a 400: far past any list's end (a page
# past the end is a 404 naming the last page).
MAX_PAGE = 10**9
# The largest id the database can hold; anything larger cannot name a row.
MAX_ID = queries.MAX_ID


def whole_number(name: str, raw: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A query parameter that must be a whole number in range, or a 400 naming it."""
    text = raw.strip()
    if not text:
        raise exceptions.ValidationError({name: [gettext("Give a whole number, or leave it out.")]})
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise exceptions.ValidationError(
            {name: [gettext("Enter a whole number, not “%(value)s”.") % {"value": raw}]}
        )
    number = int(text)
    if number < minimum:
        raise exceptions.ValidationError(
            {name: [gettext("Must be at least %(minimum)d.") % {"minimum": minimum}]}
        )
    if maximum is not None and number > maximum:
        raise exceptions.ValidationError(
            {name: [gettext("Must be at most %(maximum)d.") % {"maximum": maximum}]}
        )
    return number


def _page_size(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    return whole_number("page_size", raw, maximum=MAX_PAGE_SIZE)


def _link(description: str, example: str) -> dict[str, Any]:
    # OpenAPI 3.1: a null is a type of its own (`nullable` is not a keyword any more).
    return {
        "type": ["string", "null"],
        "format": "uri",
        "description": description,
        "example": example,
    }


_LIST = "https://scorecard.example.org/api/v1/recommendations/"


PAGE_SIZE_PARAMETER = {
    "name": "page_size",
    "required": False,
    "in": "query",
    "description": f"Results per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
}


class PagePagination(PageNumberPagination):
    """`?page=2&page_size=100`; the body carries `count`, `next` and `previous` links."""

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        return _page_size(request)

    def get_page_number(self, request: Request, paginator) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        return whole_number(self.page_query_param, raw, maximum=MAX_PAGE)

    def paginate_queryset(self, queryset, request: Request, view=None) -> list:
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        self._turn_to(paginator, self.get_page_number(request, paginator))
        return list(self.page)

    def _turn_to(self, paginator, number: int) -> None:
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise exceptions.NotFound(
                gettext("Page %(number)d does not exist: the last page is %(last)d.")
                % {"number": number, "last": paginator.num_pages}
            ) from None

    # For a list that reads a page and its count in one query (the recommendations):
    # the size and number asked for, then the page once the count is known.
    def size_and_number(self, request: Request) -> tuple[int, int]:
        return self.get_page_size(request), self.get_page_number(request, None)

    def set_page(self, request: Request, *, count: int, number: int, size: int) -> None:
        self.request = request
        # Numbers stand in for the rows: the paginator needs only how many there are.
        self._turn_to(self.django_paginator_class(range(count), size), number)

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            PAGE_SIZE_PARAMETER,
        ]

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "How many match, on every page.",
                    "example": 123,
                },
                "next": _link("The next page, or null on the last.", f"{_LIST}?page=4"),
                "previous": _link("The previous page, or null on the first.", f"{_LIST}?page=2"),
                "results": schema,
            },
        }


def encode_cursor(row: Model | dict) -> str:
    updated_at, pk = (
        (row["updated_at"], row["id"]) if isinstance(row, dict) else (row.updated_at, row.pk)
    )
    raw = f"{updated_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, int]:
    invalid = exceptions.ValidationError(
        {
            "cursor": [
                gettext(
                    "This is not a cursor the API gave out: follow the `next` links as given, "
                    "or start again with updated_since."
                )
            ]
        }
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, pk = raw.partition("|")
        updated_at = parse_datetime(moment)
        if updated_at is None or updated_at.tzinfo is None:
            raise ValueError(moment)
        updated_at = updated_at.astimezone(datetime.UTC)
    except (binascii.Error, UnicodeError, ValueError, OverflowError):
        raise invalid from None
    if not pk.isascii() or not pk.isdigit() or int(pk) > MAX_ID:
        raise invalid
    return updated_at, int(pk)


class FeedPagination(BasePagination):
    """Keyset pages in (updated_at, id) order: page 1000 costs what page 1 costs.

    The cursor names the last row seen; the next page is the rows after it, found through
    the `evaluation_feed_idx` index instead of by counting and skipping rows.
    """

    cursor_query_param = "cursor"

    def position(self, request: Request) -> tuple[int, tuple[datetime.datetime, int] | None]:
        """The page size asked for, and the (updated_at, id) the cursor names, if any."""
        self.request = request
        cursor = request.query_params.get(self.cursor_query_param)
        return _page_size(request), (None if cursor is None else decode_cursor(cursor))

    def page_of(self, rows: list, size: int) -> list:
        """The page in `rows`: the first `size` of up to `size + 1` read."""
        self.has_next = len(rows) > size
        rows = rows[:size]
        self.last = rows[-1] if rows else None
        return rows

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list:
        size, after = self.position(request)
        if after:
            queryset = queries.feed_after(queryset, *after)
        return self.page_of(list(queryset.order_by("updated_at", "id")[: size + 1]), size)

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, encode_cursor(self.last))

    def get_paginated_response(self, data: list) -> Response:
        cursor = encode_cursor(self.last) if self.has_next else None
        return Response({"next": self.get_next_link(), "cursor": cursor, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "cursor", "results"],
            "properties": {
                "next": _link(
                    "The next page, or null when you have seen every change.",
                    "https://scorecard.example.org/api/v1/evaluations/?cursor=MjAyNC0wNS0wMVQwMDowMDowMCswMDowMHw0Mg",
                ),
                "cursor": {
                    "type": ["string", "null"],
                    "description": "The `cursor` that `next` carries, for a client that keeps "
                    "its place itself: send it back as `?cursor=`. Null with `next`.",
                    "example": "MjAyNC0wNS0wMVQwMDowMDowMCswMDowMHw0Mg",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the previous page ended; take it from `next`.",
                "schema": {"type": "string"},
            },
            PAGE_SIZE_PARAMETER,
        ]
