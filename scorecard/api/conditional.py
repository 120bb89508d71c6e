"""Conditional requests: validators on every read, preconditions on every write; and the
response cache's use by the API.

Reads carry a strong `ETag` (a hash of the exact body sent, and of its language) and
`Last-Modified` (the latest change to the record, `tracker.freshness`). A client sending
either back gets `304 Not Modified` while nothing it would see has changed. The ETag is exact;
Last-Modified is coarser (it also moves when drafts are saved), so clients that can should
prefer If-None-Match.

An evaluation's ETag also names its version: `"evaluation-12-v3-<hash>"`. Every write to an
existing evaluation must send it back in `If-Match`, compared strongly (RFC 9110, 13.1.1: a
weak `W/` tag never matches); the services compare the version in the same UPDATE that
writes, so a change nobody has seen is never overwritten.

A source has no version: its ETag names the moment it was last saved, to the microsecond,
`"source-<key>-<microseconds>-<hash>"`, and a change to it sends that back in `If-Match`;
the service compares it with the row it has locked for the write.
"""

import datetime
import hashlib
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import gettext
from rest_framework.request import Request
from rest_framework.response import Response

from scorecard import response_cache
from scorecard.api.errors import PreconditionFailed, PreconditionRequired
from tracker import freshness, roles
from tracker.models import Evaluation, Source

_COPIED_HEADERS = ("ETag", "Last-Modified", "Vary", "Cache-Control", "Allow")
# Strong tags only: If-Match uses the strong comparison.
_EVALUATION_TAG = re.compile(r'"evaluation-(\d{1,19})-v(\d{1,9})(?:-[0-9a-f]*)?"')
# What follows `"source-<key>-` in a source's tag: microseconds since 1970, up to 17
# digits (the year 5138), so no tag is a moment a date cannot hold.
_SOURCE_TAG_END = re.compile(r'(\d{1,17})(?:-[0-9a-f]*)?"')
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)


def body_hash(content: bytes) -> str:
    """The hash in an ETag: of the body, and of its language where that is not the default
    (so English ETags are what they were before the API had languages, and the same body in
    Japanese has another: a client holding one never gets a 304 for the other)."""
    language = response_cache.answer_language()
    salt = b"" if language == settings.LANGUAGE_CODE else language.encode()[:16]
    return hashlib.blake2b(content, digest_size=12, person=salt).hexdigest()


def evaluation_etag(evaluation_id: int, version: int, content: bytes | None = None) -> str:
    suffix = f"-{body_hash(content)}" if content is not None else ""
    return f'"evaluation-{evaluation_id}-v{version}{suffix}"'


def source_etag(key: str, updated_at: datetime.datetime, content: bytes | None = None) -> str:
    suffix = f"-{body_hash(content)}" if content is not None else ""
    return f'"source-{key}-{(updated_at - _EPOCH) // _MICROSECOND}{suffix}"'


def _matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes are ignored."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


# --- The response cache ----------------------------------------------------------------------
# A body is a function of the code, the data, the URL, what the client may see (drafts or
# not), the language and the media type: the response cache's key (scorecard/response_cache.py).
# While the data are as they were when a worker kept a URL's answer, that answer, and its
# ETag, are what the view would give now. A client holding the ETag gets its 304 after the
# one query that tells the data's state (one more, the shared cache's look-up, when another
# worker kept the answer), without the rate limit's query or the view's (like GitHub's API,
# such a 304 does not count against the rate limit); any other client gets the kept body.


class AnsweredEarly(Exception):
    """The answer was known before the view ran: a 304, or a kept response (`kept`)."""

    def __init__(self, response: HttpResponse, *, kept: bool = False):
        super().__init__("answered from the response cache")
        self.response = response
        self.kept = kept


def cache_key(request: Request) -> str:
    """The response cache's key for this read (reads the data's state, once per request)."""
    audience = "drafts" if roles.can_see_drafts(request.user) else "public"
    return response_cache.key_for(
        request,
        freshness.state_for(request),
        audience=audience,
        media=request.accepted_media_type or "",
    )


def kept_entry(request: Request, key: str) -> response_cache.Entry | None:
    """The kept answer for `key`; raises AnsweredEarly with a 304 when If-None-Match names
    its ETag."""
    entry = response_cache.get(key)
    if entry is None:
        return None
    header = request.headers.get("If-None-Match")
    if header is not None and entry.etag and _matches(header, entry.etag):
        raise AnsweredEarly(_not_modified(request, entry.response()))
    return entry


def _last_modified(request: Request) -> datetime.datetime | None:
    # Read before the body is made (freshness.state_for): a Last-Modified older than the
    # body can only cost a client a revalidation, where one newer could validate a stale copy.
    now = datetime.datetime.now(datetime.UTC)
    return freshness.usable_last_modified(freshness.state_for(request), now)


def _per_client_headers(request: Request, response: HttpResponse) -> None:
    last_modified = _last_modified(request)
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    # Bodies differ by account (editors see drafts), so shared caches must keep them apart
    # and may only hold the anonymous ones.
    patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
    authenticated = request.user is not None and request.user.is_authenticated
    response["Cache-Control"] = "private, no-cache" if authenticated else "public, no-cache"


def _not_modified(request: Request, response: HttpResponse) -> HttpResponseNotModified:
    _per_client_headers(request, response)
    return _not_modified_like(response)


def _not_modified_like(response: HttpResponse) -> HttpResponseNotModified:
    not_modified = HttpResponseNotModified()
    for name in _COPIED_HEADERS:
        if name in response:
            not_modified[name] = response[name]
    return not_modified


def add_validators(
    request: Request, response: HttpResponse, etag: str | None = None, *, key: str | None = None
) -> HttpResponse:
    """Set ETag, Last-Modified and caching headers on a 200 read; keep it in the response
    cache under `key` (unless it came from there: `key=None`); 304 when the client's copy
    is current."""
    if isinstance(response, Response):
        response.render()
    if "ETag" not in response:
        response["ETag"] = etag or f'"{body_hash(response.content)}"'
    if key is not None:
        response_cache.put(key, response)  # before the per-client headers: they are not kept
    _per_client_headers(request, response)

    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        fresh = _matches(if_none_match, response["ETag"])
    else:
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        last_modified = _last_modified(request)
        fresh = (
            since is not None
            and last_modified is not None
            and int(last_modified.timestamp()) <= since
        )
    return _not_modified_like(response) if fresh else response


def _if_match(
    request: Request,
    what: str,
    read_again: str,
    number_in: Callable[[str], int | None],
    *,
    missing: str | None = None,
) -> int:
    """The number (a version, a moment) that `number_in` reads from a tag of If-Match: 428
    without If-Match, 412 for a weak tag or none of `number_in`'s (not an ETag of `what`)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired(missing)
    if header == "*":
        raise PreconditionRequired(
            gettext("If-Match: * would overwrite whatever is there now; send the ETag you read.")
        )
    tags = [tag.strip() for tag in header.split(",")]
    for tag in tags:
        number = number_in(tag)
        if number is not None:
            return number
    if any(tag.startswith("W/") for tag in tags):
        raise PreconditionFailed(
            {
                "If-Match": [
                    gettext(
                        "A weak ETag (W/…) never matches in If-Match: send the ETag exactly as "
                        "GET %(address)s gave it, without W/."
                    )
                    % {"address": read_again}
                ]
            }
        )
    raise PreconditionFailed(
        {
            "If-Match": [
                gettext(
                    "This is not an ETag of %(what)s. Read it again (GET %(address)s) and send "
                    "the ETag you get."
                )
                % {"what": what, "address": read_again}
            ]
        }
    )


def expected_version(request: Request, evaluation: Evaluation) -> int:
    """The version the client last read, from If-Match; 428 without it, 412 if foreign."""

    def version_in(tag: str) -> int | None:
        match = _EVALUATION_TAG.fullmatch(tag)
        return int(match[2]) if match and int(match[1]) == evaluation.pk else None

    return _if_match(
        request,
        gettext("evaluation %(id)s") % {"id": evaluation.pk},
        f"/api/v1/evaluations/{evaluation.pk}/",
        version_in,
    )


def expected_updated_at(request: Request, source: Source) -> datetime.datetime:
    """When the source was saved as the client last read it, from If-Match; 428 without
    it, 412 if it names another source."""
    prefix = f'"source-{source.key}-'

    def moment_in(tag: str) -> int | None:
        match = _SOURCE_TAG_END.fullmatch(tag[len(prefix) :]) if tag.startswith(prefix) else None
        return int(match[1]) if match else None

    microseconds = _if_match(
        request,
        gettext("the source “%(key)s”") % {"key": source.key},
        f"/api/v1/sources/{source.key}/",
        moment_in,
        missing=gettext(
            "Send If-Match with the ETag of the source you read, so you cannot overwrite "
            "a change you have not seen."
        ),
    )
    return _EPOCH + microseconds * _MICROSECOND
