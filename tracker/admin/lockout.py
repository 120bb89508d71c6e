"""The page shown after too many failed logins (django-axes), in the admin's look.

Axes counts failures per user name and address (settings: AXES_*). While locked out, every
further attempt is refused and, with AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT, starts
the cool-off again: the wait always ends one cool-off after the attempt just refused.
"""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """Axes' lockout (AXES_LOCKOUT_CALLABLE): when to try again, with axes' status code."""
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Too many failed logins"),
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "cool_off_minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
        "try_again_at": timezone.localtime() + cool_off if cool_off else None,
        "each_attempt_restarts": settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT,
    }
    # Rendered here: the middleware that asks for it runs after the view's response is done.
    response = render(
        request, "admin/tracker/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
