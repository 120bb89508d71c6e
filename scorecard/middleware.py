"""What every request must be before anything reads it: small enough, and free of characters
that no address, parameter, header or text of ours can hold.

One middleware, early in the chain (after the security headers, before static files,
sessions and every view), so the rule holds on every route, the admin's included:

- A body larger than DJANGO_MAX_REQUEST_BYTES is refused with 413, whether it says its
  length (Content-Length) or not (chunked). Django's own limit applies only when a view
  reads a form; DRF's parsers read the stream directly and would take any size. A chunked
  body within the limit is read here and handed on with its length, because Django reads
  nothing of a body whose length it is not told.
- A NUL, or another control character, is refused with 400 naming where it was: PostgreSQL
  cannot store NUL ("A string literal cannot contain NUL" is a 500 on every query given
  one), and XML 1.0, hence the Atom feed, cannot carry the other C0 controls. Paths may
  hold none at all; parameters, header values and the text fields of form and JSON bodies
  may hold tab, line feed and carriage return (a narrative has line breaks).

Refusals take the API's JSON error shape under /api/ (scorecard/api/errors.py) and the
site's error page elsewhere.

`ServingMiddleware` marks the request being answered (tracker.freshness.serving), so that
what a process keeps of texts read all day is keyed by the data's state that request read.
"""

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from tracker import freshness

# C0 controls and DEL: never in a path of ours.
_PATH_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
# The C0 controls XML 1.0 forbids (all but tab, line feed, carriage return); NUL among them.
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Header values (RFC 9110: visible characters, space and tab): also no CR, LF or DEL.
_HEADER_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

_CHARACTER_NAMES = {0: "NUL", 9: "TAB", 10: "LF", 13: "CR", 127: "DEL"}
# A refused body is read and thrown away up to this many bytes, so that a client that sends
# all of it before reading the answer gets the 413 instead of a reset connection; past it,
# the connection is closed after the answer.
DRAIN_LIMIT_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024


def _name(value: str) -> str:
    """A field's name as it can be shown: its control characters written out."""
    return _PATH_FORBIDDEN.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def _problem(pattern: re.Pattern, value: str) -> str | None:
    found = sorted({ord(c) for c in pattern.findall(value)})
    if not found:
        return None
    listed = ", ".join(
        f"{_CHARACTER_NAMES[code]} (U+{code:04X})" if code in _CHARACTER_NAMES else f"U+{code:04X}"
        for code in found
    )
    if len(found) == 1:
        return f"Contains the control character {listed}, which cannot be stored or shown."
    return f"Contains the control characters {listed}, which cannot be stored or shown."


def _size(count: int) -> str:
    for unit, name in ((1024 * 1024, "MiB"), (1024, "KiB")):
        if count >= unit and count % unit == 0:
            return f"{count // unit} {name} ({count:,} bytes)"
    return f"{count:,} bytes"


def _json_strings(data: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted name, text) for every key and string in a JSON document, named as the API
    names body fields in its errors (`evidence.0.quote`)."""
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else key
            yield name, key
            yield from _json_strings(value, name)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _json_strings(item, f"{prefix}.{index}" if prefix else str(index))
    elif isinstance(data, str):
        yield prefix or "body", data


class RequestLimitsMiddleware:
    """Refuses oversized bodies (413) and control characters (400) before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @property
    def limit(self) -> int:
        # Read each time, so that a test's settings override holds.
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refuse_body_size(request) or self._refuse_characters(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    # --- Size ---------------------------------------------------------------------------

    def _refuse_body_size(self, request: HttpRequest) -> HttpResponse | None:
        meta = request.META
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # as Django reads it: no body
        stream = meta.get("wsgi.input")
        if declared > self.limit:
            if stream is not None and declared <= DRAIN_LIMIT_BYTES:
                _drain(LimitedStream(stream, declared))
            return self._too_large(request, declared)
        chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not declared and stream is not None:
            body = _read_at_most(stream, self.limit + 1)
            if len(body) > self.limit:
                _drain(stream, DRAIN_LIMIT_BYTES - len(body))
                return self._too_large(request, None)
            # Handed on as if it had come with its length (Django reads only that much).
            meta["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return None

    def _too_large(self, request: HttpRequest, size: int | None) -> HttpResponse:
        sent = f"is {size:,} bytes" if size else "is larger than that"
        message = (
            f"Nothing was saved: this site accepts requests of at most {_size(self.limit)}, "
            f"and this one {sent}."
        )
        if not _wants_json(request):
            message += " Go back (your browser keeps what you typed), shorten it, and send again."
        return _refusal(request, 413, "Request too large", "request_too_large", message, {})

    # --- Characters ---------------------------------------------------------------------

    def _refuse_characters(self, request: HttpRequest) -> HttpResponse | None:
        path_problem = _problem(_PATH_FORBIDDEN, request.path_info)
        if path_problem:
            message = path_problem.replace("Contains", "The address contains", 1)
            return _refusal(request, 400, "That address has a problem", "invalid", message, {})
        errors: dict[str, list[str]] = {}
        for key, value in request.META.items():
            if key.startswith("HTTP_") or key == "CONTENT_TYPE":
                problem = _problem(_HEADER_FORBIDDEN, value) if isinstance(value, str) else None
                if problem:
                    errors[key.removeprefix("HTTP_").replace("_", "-").title()] = [problem]
        for source in (request.GET, *self._form(request)):
            for key, values in source.lists():
                for text in (key, *values):
                    problem = _problem(_TEXT_FORBIDDEN, text)
                    if problem:
                        errors.setdefault(_name(key), [problem])
        for name, text in self._json(request):
            problem = _problem(_TEXT_FORBIDDEN, text)
            if problem:
                errors.setdefault(_name(name), [problem])
        if not errors:
            return None
        field, messages = next(iter(errors.items()))
        message = f"{field}: {messages[0]}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more: {', '.join(list(errors)[1:])})"
        return _refusal(request, 400, "That request has a problem", "invalid", message, errors)

    @staticmethod
    def _form(request: HttpRequest) -> tuple:
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            return (request.POST,)
        return ()

    @staticmethod
    def _json(request: HttpRequest) -> Iterator[tuple[str, str]]:
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if not (content_type == "application/json" or content_type.endswith("+json")):
            return iter(())
        if not request.body:
            return iter(())
        try:
            document = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return iter(())  # the API's parser answers malformed JSON with its own 400
        return _json_strings(document)


def _read_at_most(stream: Any, count: int) -> bytes:
    parts, left = [], count
    while left > 0:
        part = stream.read(min(_CHUNK, left))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _drain(stream: Any, count: int = DRAIN_LIMIT_BYTES) -> None:
    while count > 0:
        part = stream.read(min(_CHUNK, count))
        if not part:
            return
        count -= len(part)


def _wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _refusal(
    request: HttpRequest,
    status: int,
    title: str,
    code: str,
    message: str,
    errors: dict[str, list[str]],
) -> HttpResponse:
    if _wants_json(request):
        # The API's one error shape (scorecard/api/errors.py).
        response: HttpResponse = JsonResponse(
            {"detail": message, "code": code, "errors": errors}, status=status
        )
    else:
        body = loader.render_to_string(
            "scorecard/error.html",
            {"title": title, "message": message, "status": status},
            request=request,
        )
        response = HttpResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class ServingMiddleware:
    """Around each request: `tracker.freshness.state_read_by_serving()` finds its state."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with freshness.serving(request):
            return self.get_response(request)
