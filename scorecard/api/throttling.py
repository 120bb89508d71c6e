"""Rate limits per client, counted in the shared cache so every worker process agrees.

Anonymous clients are counted by address at the `anon` rate; accounts (partners, editors,
publishers) by account at the `partner` rate. Both come from the environment
(DRF_THROTTLE_ANON, DRF_THROTTLE_PARTNER) and are read at each request, so a test can
change them. The count is a fixed window: N requests per clock minute (or hour, ...).

A client's address is REMOTE_ADDR. `X-Forwarded-For` is anyone's to write, so it is only
believed as far as settings.TRUSTED_PROXIES (DJANGO_TRUSTED_PROXIES) says proxies we run
stand in front: with N of them, the address the outermost one saw is the N-th from the right.
Keys are digests, of one length whatever a client sends.

Counting must be atomic across processes, or two workers reading the same count would
both let a request through. Memcached and Redis increment atomically; on Redis the count is
started (with its expiry) and incremented in one round trip (`RedisCache.count`). With the database
cache, the count is one row of its table, counted up by a single INSERT ... ON CONFLICT
DO UPDATE ... RETURNING, which both PostgreSQL and SQLite run atomically: one query per
request, where reading and writing through the cache API took nine and a lock that every
request of one client waited on (bench/README.md). Such a row holds the plain number in
`value`, not a pickle, so only this module reads it; `expires` is the end of its window.
Rows are written with SQL, so the cache never culls them itself: one in CULL_EVERY times a
count starts again in a process (a new client, or a new window), the rows whose windows are
over are deleted. Every so many rather than on a clock, so that a request's queries are the
same whenever it comes (tests count them).
"""

import datetime
import hashlib
import ipaddress
import itertools
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from scorecard.redis_cache import RedisCache
from tracker import roles

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}

# One in this many counts started (in a process) also deletes the counts that are over.
CULL_EVERY = 100
_starts = itertools.count(1)


def forget_starts() -> None:
    """Start this process's tally of counts started afresh (tests)."""
    global _starts
    _starts = itertools.count(1)


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/minute" → (60 requests, 60 seconds)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period]


def scope_for(request: Request) -> str:
    user = request.user
    if user and user.is_authenticated and (roles.is_partner(user) or roles.is_editor(user)):
        return "partner"
    return "anon"


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: Request) -> str:
    """The address to count an anonymous client by (see the module's docstring)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        # Fewer hops than proxies: the request came past some of them; take the first.
        claimed = _address(hops[-min(proxies, len(hops))])
        if claimed is not None:
            return claimed
    # Clients without an address (only possible in-process) share one count.
    return _address(remote) or "unknown"


def _digest(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:40]


def _count_in_database(cache: DatabaseCache, key: str, window_end: datetime.datetime) -> int:
    """Count one request against `key` in the cache table; the count in this window."""
    connection = connections[router.db_for_write(cache.cache_model_class)]
    table = connection.ops.quote_name(cache._table)
    # A row whose window has ended (it expires at the window's end) starts again at 1.
    count_sql = (
        f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, '1', %s) "  # noqa: S608 -- the table name is the cache's own; values are parameters
        f"ON CONFLICT (cache_key) DO UPDATE SET "
        f"value = CASE WHEN {table}.expires = excluded.expires "
        f"THEN CAST(CAST({table}.value AS INTEGER) + 1 AS TEXT) ELSE '1' END, "
        f"expires = excluded.expires "
        f"RETURNING value"
    )
    params = [
        cache.make_and_validate_key(key),
        connection.ops.adapt_datetimefield_value(window_end),
    ]
    with connection.cursor() as cursor:
        cursor.execute(count_sql, params)
        count = int(cursor.fetchone()[0])
        if count == 1 and next(_starts) % CULL_EVERY == 0:
            now = datetime.datetime.now(datetime.UTC)
            cursor.execute(
                f"DELETE FROM {table} WHERE expires < %s",  # noqa: S608 -- as above
                [connection.ops.adapt_datetimefield_value(now)],
            )
    return count


class RoleRateThrottle(BaseThrottle):
    def get_ident(self, request: Request) -> str:
        return client_address(request)

    def allow_request(self, request: Request, view) -> bool:
        scope = scope_for(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if not rate:
            return True
        limit, period = parse_rate(rate)
        user = request.user
        who = f"user-{user.pk}" if user and user.is_authenticated else self.get_ident(request)
        now = time.time()
        window = int(now // period)
        self.wait_seconds = (window + 1) * period - now
        cache = caches["default"]
        if isinstance(cache, DatabaseCache):
            # One row per client and rate, its window told by `expires`.
            window_end = datetime.datetime.fromtimestamp((window + 1) * period, tz=datetime.UTC)
            key = f"api-throttle-count:{_digest(scope, who, period)}"
            return _count_in_database(cache, key, window_end) <= limit
        key = f"api-throttle:{_digest(scope, who, period, window)}"
        timeout = period + 1
        if isinstance(cache, RedisCache):
            return cache.count(key, timeout) <= limit
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key) <= limit
        except ValueError:
            # The count vanished between the two calls (the shared cache restarted, or the
            # key expired at that instant): this request starts it again.
            cache.add(key, 1, timeout)
            return True

    def wait(self) -> float:
        return self.wait_seconds
