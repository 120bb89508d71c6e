"""Conditional requests: validators on every read, preconditions on every write.

Reads carry a strong `ETag` (a hash of the exact body sent) and `Last-Modified` (the
latest change to the published record, `tracker.queries.data_state`). A client sending
either back gets `304 Not Modified` while nothing it would see has changed. The ETag is
exact; Last-Modified is coarser (it also moves when drafts are saved), so clients that can
should prefer If-None-Match.

An evaluation's ETag also names its version: `"evaluation-12-v3-<hash>"`. Every write to an
existing evaluation must send it back in `If-Match`; the services compare the version in
the same UPDATE that writes, so a change nobody has seen is never overwritten.
"""

import datetime
import hashlib
import re

from django.core.cache import caches
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from rest_framework.request import Request
from rest_framework.response import Response

from scorecard.api.errors import PreconditionFailed, PreconditionRequired
from tracker import queries
from tracker.models import Evaluation

_COPIED_HEADERS = ("ETag", "Last-Modified", "Vary", "Cache-Control", "Allow")
_EVALUATION_TAG = re.compile(r'(?:W/)?"evaluation-(\d{1,19})-v(\d{1,9})(?:-[0-9a-f]*)?"')


def body_hash(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=12).hexdigest()


def evaluation_etag(evaluation_id: int, version: int, content: bytes | None = None) -> str:
    suffix = f"-{body_hash(content)}" if content is not None else ""
    return f'"evaluation-{evaluation_id}-v{version}{suffix}"'


def _matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes are ignored."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def _usable_last_modified(request: Request, now: datetime.datetime) -> datetime.datetime | None:
    """The record's last change, to the second, once that second is over.

    HTTP dates have whole seconds. A Last-Modified handed out during the second it names
    could validate a copy that a change later in that same second made stale, so it is only
    sent once the second has passed (RFC 9110, 8.8.2.2: such a date would be weak).
    """
    state = _data_state(request)
    changed = state.last_modified
    if changed is None:
        return None
    whole = changed.replace(microsecond=0)
    return whole if now >= whole + datetime.timedelta(seconds=1) else None


def _data_state(request: Request) -> queries.DataState:
    # Read once per request, whether the answer is an early 304 or a full response, and
    # before the body is made: a Last-Modified older than the body can only cost a client
    # a revalidation, where one newer than the body could validate a stale copy.
    state = getattr(request, "_scorecard_data_state", None)
    if state is None:
        state = request._scorecard_data_state = queries.data_state()
    return state


def knows_data_state(request: Request) -> bool:
    return getattr(request, "_scorecard_data_state", None) is not None


def read_data_state(request: Request) -> None:
    """Read the data's state for this request now, unless it is known already."""
    _data_state(request)


def keep_data_state(request: Request, state: queries.DataState) -> None:
    """The data's state for this request, read with another query (the rate limit's)."""
    request._scorecard_data_state = state


# --- 304 before the work ---------------------------------------------------------------------
# A body is a function of the code, the data, the URL, who asks (drafts or not) and the
# media type. So is its ETag: while the data are as they were when this process last sent
# a URL's body, the ETag it sent then is the one the body would have now, and a client
# holding it gets its 304 after the one query that tells the data's state, without the
# view's queries. Like GitHub's API, such a 304 does not count against the rate limit.


class AnsweredEarly(Exception):
    def __init__(self, response: HttpResponse):
        super().__init__("304 Not Modified")
        self.response = response


def _sent_key(request: Request, state: queries.DataState) -> str:
    user = request.user
    who = f"user-{user.pk}" if user is not None and user.is_authenticated else "anonymous"
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"api-etag:{state.token}:{who}:{request.accepted_media_type}:{url}"


def answer_early(request: Request) -> None:
    """Raise AnsweredEarly with a 304 when If-None-Match names the ETag already sent for
    this URL and the data as they are now (see above); otherwise do nothing."""
    header = request.headers.get("If-None-Match")
    if request.method not in ("GET", "HEAD") or header is None:
        return
    state = _data_state(request)
    sent = caches["pages"].get(_sent_key(request, state))
    if sent is None or not _matches(header, sent["ETag"]):
        return
    not_modified = HttpResponseNotModified()
    for name, value in sent.items():
        not_modified[name] = value
    last_modified = _usable_last_modified(request, datetime.datetime.now(datetime.UTC))
    if last_modified is not None:
        not_modified["Last-Modified"] = http_date(last_modified.timestamp())
    raise AnsweredEarly(not_modified)


def add_validators(request: Request, response: Response, etag: str | None = None) -> HttpResponse:
    """Set ETag, Last-Modified and caching headers on a rendered 200; 304 when they match."""
    response.render()
    etag = etag or f'"{body_hash(response.content)}"'
    now = datetime.datetime.now(datetime.UTC)
    last_modified = _usable_last_modified(request, now)
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    # Bodies differ by account (editors see drafts), so shared caches must keep them apart
    # and may only hold the anonymous ones.
    patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
    authenticated = request.user is not None and request.user.is_authenticated
    response["Cache-Control"] = "private, no-cache" if authenticated else "public, no-cache"
    caches["pages"].set(
        _sent_key(request, _data_state(request)),
        {name: response[name] for name in ("ETag", "Vary", "Cache-Control") if name in response},
        timeout=None,
    )

    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        fresh = _matches(if_none_match, etag)
    else:
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        fresh = (
            since is not None
            and last_modified is not None
            and int(last_modified.timestamp()) <= since
        )
    if not fresh:
        return response
    not_modified = HttpResponseNotModified()
    for name in _COPIED_HEADERS:
        if name in response:
            not_modified[name] = response[name]
    return not_modified


def expected_version(request: Request, evaluation: Evaluation) -> int:
    """The version the client last read, from If-Match; 428 without it, 412 if foreign."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    if header == "*":
        raise PreconditionRequired(
            "If-Match: * would overwrite whatever is there now; send the ETag you read."
        )
    for tag in header.split(","):
        match = _EVALUATION_TAG.fullmatch(tag.strip())
        if match and int(match[1]) == evaluation.pk:
            return int(match[2])
    raise PreconditionFailed(
        {
            "If-Match": [
                f"This is not an ETag of evaluation {evaluation.pk}. Read it again "
                f"(GET /api/v1/evaluations/{evaluation.pk}/) and send the ETag you get."
            ]
        }
    )
