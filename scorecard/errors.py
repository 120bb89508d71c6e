"""The last word on a failed request: never a stack trace, and honest about outages.

Django calls `server_error` for any exception nobody handled, raised in a view or in a
middleware, from inside the `except` block, so `sys.exc_info()` still holds it. When the
database is unreachable (restarting, failing over) the client gets 503 with Retry-After
instead of a 500: the request may simply be tried again. Connections are health-checked
(CONN_HEALTH_CHECKS), so the service recovers by itself once the database is back.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext

RETRY_AFTER_SECONDS = 5


def _database_unavailable() -> bool:
    error = sys.exc_info()[1]
    return isinstance(error, OperationalError | InterfaceError)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if _database_unavailable():
        status, code, title = 503, "service_unavailable", gettext("Temporarily unavailable")
        message = gettext(
            "The scorecard's database is unavailable for a moment. Please try again shortly."
        )
    else:
        status, code, title = 500, "server_error", gettext("Something went wrong")
        message = gettext(
            "Something went wrong on our side. It has been logged; please try again later."
        )
    if _wants_json(request):
        # The API's one error shape (scorecard/api/errors.py), so partners parse it as usual.
        response = JsonResponse({"detail": message, "code": code, "errors": {}}, status=status)
    else:
        try:
            body = loader.render_to_string(
                "scorecard/error.html", {"title": title, "message": message, "status": status}
            )
        except Exception:  # the error page must not fail in turn
            body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{message}</p>"
        response = HttpResponse(body, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
