"""The response cache: whole answers of public pages and API reads, kept for unchanged data.

A response is a function of the code, the URL, what its client may see, the language and
the data. The key holds all five: the code's version (translations included), the scheme,
host, path and query (parameters sorted by name), the audience ("public", or "drafts" for
the roles that may see drafts), Django's active language (a page's is also in its path,
/ja/…), the day (pages say "today"), and the data's state (`tracker.freshness`). A write
moves the state, so every later request asks for a new key:
no entry is ever invalidated, none can be served once the data it shows has changed, and
old ones age out (settings.CACHES["responses"] TIMEOUT and MAX_ENTRIES).

Entries live in the shared cache (`CACHES["responses"]`, a database table by default) so
that every worker serves what any one rendered, with a small cache per worker process in
front (`CACHES["responses-local"]`) that answers without a query. Only plain 200s are kept:
never a response that sets a cookie, an error, a streamed export, or anything larger than
MAX_BYTES; and nothing per user beyond the audience (the API's per-client headers —
Cache-Control, Vary, Last-Modified — are added to each answer, not kept).
"""

import base64
import dataclasses
import datetime
import hashlib
import importlib.metadata
import itertools
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone, translation

from tracker.freshness import DataState

MAX_BYTES = 2 * 1024 * 1024
# What a kept response carries besides its body; the rest is added per request.
KEPT_HEADERS = (
    "Content-Type",
    "ETag",
    "Content-Disposition",
    "Content-Language",
    "Content-Security-Policy",
)


_BASE = Path(__file__).resolve().parent.parent


def versioned_files() -> list[str]:
    """The files a response is made from: code, templates, static files and translations
    (the catalogues as written; their compiled .mo follow from them)."""
    sources = [
        *(path for package in ("scorecard", "tracker") for path in (_BASE / package).rglob("*")),
        *(_BASE / "locale").rglob("*.po"),
    ]
    return sorted(
        path.relative_to(_BASE).as_posix()
        for path in sources
        if path.is_file() and "__pycache__" not in path.parts
    )


def _code_version() -> str:
    """A digest of `versioned_files` and the versions of the libraries that render them: a
    deployment changes every key and every page's ETag."""
    digest = hashlib.sha256()
    for name in versioned_files():
        digest.update(name.encode())
        digest.update((_BASE / name).read_bytes())
    for library in ("Django", "djangorestframework", "Markdown", "nh3", "orjson"):
        try:
            digest.update(f"{library}={importlib.metadata.version(library)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(library.encode())
    return digest.hexdigest()[:12]


CODE_VERSION = _code_version()


def normalised_query(request: HttpRequest) -> str:
    """The query string with parameters sorted by name (each name's values in their order),
    so `?a=1&b=2` and `?b=2&a=1` share an entry."""
    pairs = [(name, value) for name, values in request.GET.lists() for value in values]
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))


def answer_language() -> str:
    """The language of the answer being made: Django's active one (a page's is the one its
    path names, the API's the one it negotiated: scorecard/languages.py). Part of every key
    and of every ETag, pages' and the API's: the same bytes in two languages are two
    representations."""
    return translation.get_language() or ""


def key_for(request: HttpRequest, state: DataState, *, audience: str, media: str = "") -> str:
    """The cache key of this request's answer, of fixed length whatever the URL."""
    parts = [
        CODE_VERSION,
        state.token,
        audience,
        answer_language(),
        timezone.localdate().isoformat(),
        media,
        request.scheme,
        request.get_host(),
        request.path,
        normalised_query(request),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"response:{digest}"


@dataclass(frozen=True)
class Entry:
    status: int
    content: bytes
    headers: tuple[tuple[str, str], ...]

    @property
    def etag(self) -> str | None:
        return dict(self.headers).get("ETag")

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response[name] = value
        return response


def keepable(response: HttpResponseBase) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Set-Cookie")
        and len(response.content) <= MAX_BYTES
    )


def entry_of(response: HttpResponse) -> Entry:
    headers = tuple((name, response[name]) for name in KEPT_HEADERS if response.has_header(name))
    return Entry(response.status_code, bytes(response.content), headers)


def _local():
    if settings.CACHES["responses-local"].get("OPTIONS", {}).get("MAX_ENTRIES", 1) == 0:
        return None
    return caches["responses-local"]


# The shared cache keeps bodies compressed (zlib's fastest level): JSON and HTML shrink
# several times, so each store pickles, sends and writes a fraction of the bytes (a
# Japanese answer, which carries each original beside its translation, is twice an English
# one). The cache of the process keeps them as they are: a warm answer decompresses nothing.
COMPRESSION_LEVEL = 1


def _packed(entry: Entry) -> Entry:
    return dataclasses.replace(entry, content=zlib.compress(entry.content, COMPRESSION_LEVEL))


def _unpacked(entry: Entry) -> Entry:
    return dataclasses.replace(entry, content=zlib.decompress(entry.content))


def get(key: str) -> Entry | None:
    """The kept answer for `key`: from this process if it has it, else from the shared
    cache (then kept in this process too)."""
    local = _local()
    if local is not None:
        entry = local.get(key)
        if entry is not None:
            return entry
    entry = caches["responses"].get(key)
    if entry is None:
        return None
    entry = _unpacked(entry)
    if local is not None:
        local.set(key, entry)
    return entry


def put(key: str, response: HttpResponse) -> None:
    """Keep `response` under `key` if it may be kept (see `keepable`)."""
    if not keepable(response):
        return
    entry = entry_of(response)
    shared = caches["responses"]
    if isinstance(shared, DatabaseCache):
        _put_in_database(shared, key, _packed(entry))
    else:
        shared.set(key, _packed(entry))
    local = _local()
    if local is not None:
        local.set(key, entry)


# One in this many stores also culls the shared table (`cull`).
CULL_EVERY = 100
_stores = itertools.count(1)


def _put_in_database(cache: DatabaseCache, key: str, entry: Entry) -> None:
    """`cache.set` in one statement, where the database cache takes five or six (count the
    table, look the key up, write, in a savepoint): a cold page pays for it. Written as the
    cache writes its rows, so `cache.get` reads it; the table is culled every CULL_EVERY
    stores instead of counted at each."""
    connection = connections[router.db_for_write(cache.cache_model_class)]
    table = connection.ops.quote_name(cache._table)
    timeout = cache.get_backend_timeout()
    expires = datetime.datetime.fromtimestamp(timeout, tz=datetime.UTC).replace(microsecond=0)
    value = base64.b64encode(pickle.dumps(entry, cache.pickle_protocol)).decode("latin1")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608 -- the table name is the cache's own; values are parameters
            f"ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, "
            f"expires = excluded.expires",
            [
                cache.make_and_validate_key(key),
                value,
                connection.ops.adapt_datetimefield_value(expires),
            ],
        )
    if next(_stores) % CULL_EVERY == 0:
        cull()


def cull() -> None:
    """Delete the shared entries that have expired, and if more than MAX_ENTRIES are left,
    a third of them (as the database cache culls)."""
    cache = caches["responses"]
    if not isinstance(cache, DatabaseCache):
        return  # other backends cull themselves
    connection = connections[router.db_for_write(cache.cache_model_class)]
    table = connection.ops.quote_name(cache._table)
    now = connection.ops.adapt_datetimefield_value(datetime.datetime.now(datetime.UTC))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608 -- as above
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 -- as above
        (count,) = cursor.fetchone()
        if count > cache._max_entries:
            cursor.execute(
                f"SELECT cache_key FROM {table} ORDER BY cache_key LIMIT 1 OFFSET %s",  # noqa: S608 -- as above
                [count // cache._cull_frequency],
            )
            (first_kept,) = cursor.fetchone()
            cursor.execute(f"DELETE FROM {table} WHERE cache_key < %s", [first_kept])  # noqa: S608 -- as above


def clear(*, shared: bool = True) -> None:
    """Forget every kept answer (tests, benchmarks of cold requests); with shared=False only
    this process's (and start its count of stores towards the next cull again)."""
    global _stores
    if shared:
        caches["responses"].clear()
    caches["responses-local"].clear()
    _stores = itertools.count(1)
