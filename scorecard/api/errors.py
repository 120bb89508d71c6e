"""One error shape for every API failure, so a partner handles errors in one place.

    {"detail": "as_of: Enter a valid date as YYYY-MM-DD.",
     "code": "invalid",
     "errors": {"as_of": ["Enter a valid date as YYYY-MM-DD."]}}

`detail` is a sentence for people, `code` a stable word for programs, and `errors` names
each field (query parameter, body field or header) with its messages; it is empty when no
particular field is at fault. Nested body fields are named with dots: `evidence.0.source`.
"""

import math
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from scorecard.api import shapes
from tracker.services import DuplicateSourceError, StaleSourceError, StaleVersionError

NON_FIELD = "non_field_errors"

# What messages call each kind of thing (lazy: in the answer's language). The context is
# the one tracker/filters.py's nouns have: one translation for the same word.
NOUNS = {
    "report": pgettext_lazy("named by a parameter", "report"),
    "area": pgettext_lazy("named by a parameter", "area"),
    "grade": pgettext_lazy("named by a parameter", "grade"),
    "grade scale": pgettext_lazy("named by a parameter", "grade scale"),
    "evaluator": pgettext_lazy("named by a parameter", "evaluator"),
    "source": pgettext_lazy("named by a parameter", "source"),
    "recommendation": pgettext_lazy("named by a parameter", "recommendation"),
    "evaluation": pgettext_lazy("named by a parameter", "evaluation"),
    "edition": pgettext_lazy("named by a parameter", "edition"),
    "actor": pgettext_lazy("named by a parameter", "actor"),
    "response": pgettext_lazy("named by a parameter", "response"),
    "search result": pgettext_lazy("named by a parameter", "search result"),
    "resource": pgettext_lazy("named by a parameter", "resource"),
}


def no_such(noun: str, value: object) -> str:
    """The 404's message: there is no `noun` (a key of NOUNS) named `value`."""
    return gettext("There is no %(noun)s “%(value)s”.") % {"noun": NOUNS[noun], "value": value}


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = _(
        "Send If-Match with the ETag of the evaluation you read, so you cannot overwrite a "
        "change you have not seen."
    )
    default_code = "precondition_required"

    def __init__(self, detail: str | None = None):
        super().__init__({"If-Match": [detail or self.default_detail]})


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The evaluation changed since you read it; nothing was saved.")
    default_code = "precondition_failed"

    def __init__(self, errors: Mapping[str, list[str]] | None = None):
        super().__init__(dict(errors or {"If-Match": [self.default_detail]}))


class SourceOnFile(exceptions.APIException):
    """A source was offered at a URL already on file (tracker.rules, the URL identity): the
    answer is that source, in `source` and `Location`, so the client cites it instead."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate"

    def __init__(self, error: DuplicateSourceError):
        super().__init__(error.message_dict, code=self.default_code)
        self.existing = error.existing


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    code = serializers.CharField(
        help_text=(
            "A stable word for programs: invalid, parse_error, not_authenticated, "
            "authentication_failed, permission_denied, not_found, method_not_allowed, "
            "not_acceptable, unsupported_media_type, duplicate, precondition_failed, "
            "precondition_required, throttled."
        )
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (query parameter, body field or header); may be empty.",
    )


class SourceOnFileSerializer(ErrorSerializer):
    """A 409: the URL is already on file; `source` is the source there (and `Location` its
    address): cite it instead."""

    source = shapes.SourceShape.serializer()


def _flatten(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure → {"field.sub.0.name": [messages]}."""
    if isinstance(data, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in data.items():
            name = NON_FIELD if key in {"__all__", NON_FIELD} and not prefix else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(data, list):
        if all(not isinstance(item, Mapping | list) for item in data):
            return {prefix or NON_FIELD: [str(item) for item in data]} if data else {}
        flat = {}
        for index, item in enumerate(data):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or NON_FIELD: [str(data)]}


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def error_body(detail: str, code: str, errors: Mapping[str, list[str]] | None = None) -> dict:
    """The error shape, of plain strings: a lazy translation (a message marked with
    gettext_lazy) is rendered here, in the answer's language; orjson would refuse one as a
    key, and JSON has no place for one."""
    return {
        "detail": str(detail),
        "code": str(code),
        "errors": {
            str(name): [str(message) for message in messages]
            for name, messages in (errors or {}).items()
        },
    }


def _summary(errors: Mapping[str, list[str]]) -> str:
    if not errors:
        return gettext("Invalid input.")
    field, messages = next(iter(errors.items()))
    first = messages[0] if field == NON_FIELD else f"{field}: {messages[0]}"
    more = sum(len(m) for m in errors.values()) - 1
    if not more:
        return first
    return gettext("%(first)s (and %(more)d more; see errors)") % {"first": first, "more": more}


def _throttled_message(wait: float | None) -> str:
    seconds = max(1, math.ceil(wait or 0))
    return ngettext(
        "Too many requests: try again in %(seconds)d second (Retry-After).",
        "Too many requests: try again in %(seconds)d seconds (Retry-After).",
        seconds,
    ) % {"seconds": seconds}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler (status codes, Retry-After, WWW-Authenticate), then our shape."""
    if isinstance(exc, StaleVersionError | StaleSourceError):
        # The client's If-Match named a version that is no longer current.
        exc = PreconditionFailed({"If-Match": list(exc.messages)})
    elif isinstance(exc, DuplicateSourceError):
        exc = SourceOnFile(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # A refusal by tracker.rules carries its reason, the same words the admin shows.
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, exceptions.Throttled):
        # DRF's own words are only half translated ("Expected available in …"). The detail
        # is replaced, not the exception: DRF has set its status and headers on it.
        exc.detail = exceptions.ErrorDetail(_throttled_message(exc.wait), code="throttled")
    elif isinstance(exc, exceptions.AuthenticationFailed):
        # DRF's "Invalid token." has no translation.
        exc.detail = exceptions.ErrorDetail(
            gettext(
                "This token is not valid: send the key an account was given, as "
                "`Authorization: Token <key>`, or no Authorization header to read "
                "as an anonymous client."
            ),
            code="authentication_failed",
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    code = _code_of(exc)
    if isinstance(exc.detail, Mapping | list):
        errors = _flatten(exc.detail)
        detail = _summary(errors)
    else:
        errors = {}
        detail = str(exc.detail)
    response.data = error_body(detail, code, errors)
    if isinstance(exc, SourceOnFile):
        response.data["source"] = shapes.SourceShape.build(exc.existing)
        response["Location"] = reverse("api:source-detail", args=[exc.existing.key])
    return response


def bad_request(errors: Mapping[str, list[str]]) -> JsonResponse:
    """A 400 naming each bad parameter, for answers given before DRF's views (an unknown
    `lang`, scorecard/languages.py)."""
    return _json(error_body(_summary(errors), "invalid", errors), status=400)


def _json(body: dict, *, status: int) -> JsonResponse:
    # Japanese as it is, not as \u escapes (both decode the same).
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # it changes nothing, and a CSRF failure page would hide the JSON 404
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any /api/ address that names nothing: a JSON 404, never the HTML page."""
    return _json(
        error_body(
            gettext(
                "There is no API resource at this address; the documentation is at /api/docs/."
            ),
            "not_found",
        ),
        status=404,
    )
