"""Rate limits per client, counted in the shared cache so every worker process agrees.

Anonymous clients are counted by address at the `anon` rate; accounts (partners, editors,
publishers) by account at the `partner` rate. Both come from the environment
(DRF_THROTTLE_ANON, DRF_THROTTLE_PARTNER) and are read at each request, so a test can
change them. The count is a fixed window: N requests per clock minute (or hour, ...).

Counting must be atomic across processes, or two workers reading the same count would
both let a request through. Memcached and Redis increment atomically. With the database
cache, the count is one row of its table, counted up by a single INSERT ... ON CONFLICT
DO UPDATE ... RETURNING, which both PostgreSQL and SQLite run atomically: one query per
request, where reading and writing through the cache API took nine and a lock that every
request of one client waited on (bench/README.md). Such a row holds the plain number in
`value`, not a pickle, so only this module reads it; `expires` is the end of its window,
and clearing or culling the cache removes it like any other entry.
"""

import datetime
import time

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from scorecard.api import conditional
from tracker import queries, roles
from tracker.models import Evaluation
from tracker.prepared import execute_prepared

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/minute" → (60 requests, 60 seconds)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period]


def scope_for(request: Request) -> str:
    user = request.user
    if user and user.is_authenticated and (roles.is_partner(user) or roles.is_editor(user)):
        return "partner"
    return "anon"


def _count_in_database(
    cache: DatabaseCache, key: str, window_end: datetime.datetime, request: Request
) -> int:
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
        if (
            connection.vendor == "postgresql"
            and connection.alias == router.db_for_read(Evaluation)
            and request.method in ("GET", "HEAD")
            and not conditional.knows_data_state(request)
        ):
            # Every API read also reads the data's state (ETag and Last-Modified): one
            # round trip for both, of the three a read costs (bench/README.md). SQLite
            # cannot put an INSERT in a WITH; there they are two queries.
            state_sql, state_params = queries.data_state_sql()
            execute_prepared(
                cursor,
                "scorecard_count_and_data_state",
                f"WITH counted AS ({count_sql}), state AS ({state_sql}) "  # noqa: S608 -- as above
                f"SELECT (SELECT value FROM counted), ARRAY(SELECT * FROM state)",
                [*params, *state_params],
            )
            count, moments = cursor.fetchone()
            conditional.keep_data_state(request, queries.data_state_of(moments))
            return int(count)
        cursor.execute(count_sql, params)
        return int(cursor.fetchone()[0])


class RoleRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view) -> bool:
        scope = scope_for(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if not rate:
            return True
        limit, period = parse_rate(rate)
        user = request.user
        if user and user.is_authenticated:
            who = f"user-{user.pk}"
        else:
            # Clients without an address (only possible in-process) share one count.
            who = (self.get_ident(request) or "unknown").replace(" ", "")
        now = time.time()
        window = int(now // period)
        self.wait_seconds = (window + 1) * period - now
        cache = caches["default"]
        if isinstance(cache, DatabaseCache):
            # One row per client and rate, its window told by `expires`.
            window_end = datetime.datetime.fromtimestamp((window + 1) * period, tz=datetime.UTC)
            key = f"api-throttle-count:{scope}:{who}:{period}"
            return _count_in_database(cache, key, window_end, request) <= limit
        key = f"api-throttle:{scope}:{who}:{period}:{window}"
        timeout = period + 1
        cache.add(key, 0, timeout)
        return cache.incr(key) <= limit

    def wait(self) -> float:
        return self.wait_seconds
