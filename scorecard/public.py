"""What makes a public page a public page: cacheable by anyone, conditional, kept.

Every public view is wrapped in `public`: GET and HEAD only; `ETag` and `Last-Modified`
from the data's state (`tracker.freshness`, one query, read once per request), so a client
revalidating gets its 304 after that one query; the rendered page kept in the response
cache (`scorecard.response_cache`) while the data are unchanged; `Cache-Control: public`;
and a reader's mistake in a parameter (`BadParameter`) shown as a 400 page naming it.
Pages never touch the session or the CSRF token, so they do not vary on cookies.
"""

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition, require_safe

from scorecard import response_cache
from tracker import freshness
from tracker.filters import InvalidFilters

PUBLIC_MAX_AGE = 60  # seconds a browser or shared cache may reuse a page unchecked
PUBLIC = "public"  # the audience of every page: pages show published data only


class BadParameter(Exception):
    """Query parameters a reader can fix; shown on a 400 page naming each of them."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.problems = [(parameter, message)]

    @classmethod
    def of(cls, invalid: InvalidFilters) -> "BadParameter":
        """The filters' errors (tracker.filters), every parameter named."""
        problems = [
            (name, message) for name, messages in invalid.errors.items() for message in messages
        ]
        error = cls(*problems[0])
        error.problems = problems
        return error


class NotFound(Http404):
    """A 404 whose message is written for readers (shown on the 404 page)."""


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 page (handler404): says what was not found when we know it."""
    message = str(exception) if isinstance(exception, NotFound) else ""
    return render(request, "404.html", {"message": message}, status=404)


def bad_request(request: HttpRequest, error: BadParameter) -> HttpResponse:
    return render(
        request,
        "scorecard/bad_request.html",
        {"error": error, "back": request.path},
        status=HttpResponseBadRequest.status_code,
    )


def page_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """A page is a function of the code, the URL, the language and the data (and the day,
    which changes the key but needs no new ETag: a page only says "today" of data that
    moved)."""
    language = translation.get_language() or ""
    return f'"{response_cache.CODE_VERSION}-{freshness.state_for(request).token}-{language}"'


def page_last_modified(request: HttpRequest, *args: Any, **kwargs: Any) -> datetime.datetime | None:
    return freshness.state_for(request).last_modified


def _kept(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the page from the response cache while the data are as they were."""

    @wraps(view)
    def kept(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = response_cache.key_for(request, freshness.state_for(request), audience=PUBLIC)
        entry = response_cache.get(key)
        if entry is not None:
            return entry.response()
        response = view(request, *args, **kwargs)
        response_cache.put(key, response)
        return response

    return kept


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Make a read-only public view cacheable, conditional and kept; turn BadParameter
    into a 400."""
    conditional = condition(etag_func=page_etag, last_modified_func=page_last_modified)(_kept(view))

    @wraps(view)
    @require_safe
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = conditional(request, *args, **kwargs)
        except BadParameter as error:
            return bad_request(request, error)
        except InvalidFilters as error:
            return bad_request(request, BadParameter.of(error))
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response

    return wrapper
