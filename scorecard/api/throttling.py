"""Rate limits per client, counted in the shared cache so every worker process agrees.

Anonymous clients are counted by address at the `anon` rate; accounts (partners, editors,
publishers) by account at the `partner` rate. Both come from the environment
(DRF_THROTTLE_ANON, DRF_THROTTLE_PARTNER) and are read at each request, so a test can
change them. The count is a fixed window: N requests per clock minute (or hour, ...).

Counting must be atomic across processes, or two workers reading the same count would
both let a request through. Memcached and Redis increment atomically; the database cache
does not, so there the read and the write of the count run in one transaction that first
takes a lock on the counter (an advisory lock on PostgreSQL, the write lock on SQLite).
"""

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from tracker import roles

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


@contextmanager
def _counter_lock(cache: DatabaseCache, key: str) -> Iterator[None]:
    """Serialize read-modify-write of one counter in the database cache."""
    connection = connections[router.db_for_write(cache.cache_model_class)]
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            lock_id = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id - 2**63])
        # SQLite: transactions begin IMMEDIATE (settings), which takes the database's
        # write lock, so no other process reads the count until this one commits.
        yield


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
        key = f"api-throttle:{scope}:{who}:{period}:{window}"
        timeout = period + 1
        cache = caches["default"]
        if isinstance(cache, DatabaseCache):
            with _counter_lock(cache, key):
                count = cache.get(key, 0)
                if count >= limit:
                    return False
                cache.set(key, count + 1, timeout)
            return True
        cache.add(key, 0, timeout)
        return cache.incr(key) <= limit

    def wait(self) -> float:
        return self.wait_seconds
