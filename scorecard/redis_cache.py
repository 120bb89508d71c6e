"""Django's Redis cache backend, made to degrade instead of failing while Redis is away.

With REDIS_URL set, the response cache (CACHES["responses"]) and the rate limits
(CACHES["default"]) live in Redis, shared by every node (scorecard/settings.py). Redis is a
cache here, never the record: when it cannot be reached, a request must still be answered.
So this backend, Django's own `RedisCache` underneath, answers as an empty cache would:

- reads miss (`get` gives the default), so a response is computed from the database;
- writes are dropped (`set`, `delete`, `touch` do nothing; `add` says it added nothing);
- `incr` counts the request as the first of its window, so the rate limit is NOT enforced
  while Redis is down: the API stays up, and the limit holds again as soon as Redis is back
  (counts start afresh; a restarted Redis without persistence has forgotten them anyway).

Each failure is logged, and marks Redis as away in this process for DOWN_SECONDS: during
that time nothing is sent to it, so an unreachable Redis costs one connect timeout per
process every DOWN_SECONDS, not one per request. Timeouts are short (settings: socket and
connect timeouts), and redis-py does not retry by default.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

logger = logging.getLogger(__name__)

# How long a process leaves Redis alone after it failed to answer.
DOWN_SECONDS = 1.0


def _unreachable_errors() -> tuple[type[Exception], ...]:
    import redis  # only deployments with REDIS_URL need the package

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0
        self._errors = _unreachable_errors()

    def _call(self, method, fallback, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return method(*args, **kwargs)
        except self._errors as error:
            self._down_until = time.monotonic() + DOWN_SECONDS
            logger.warning("Redis cache unreachable, answering without it: %s", error)
            return fallback

    def reachable(self) -> bool:
        """Whether this process currently sends requests to Redis (tests, health)."""
        return time.monotonic() >= self._down_until

    def get(self, key, default=None, version=None):
        return self._call(super().get, default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call(super().set, None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, [], data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, False, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, False, key, version)

    def delete_many(self, keys, version=None):
        self._call(super().delete_many, None, keys, version)

    def incr(self, key, delta=1, version=None):
        # Down: the first request of its window (see the module's docstring).
        return self._call(super().incr, delta, key, delta, version)

    def count(self, key, timeout: int, version=None) -> int:
        """One more in the count at `key`, which ends `timeout` seconds after it began: the
        new count, in one round trip (SET NX EX, then INCR, pipelined). `add` then `incr`
        took three (Django's `incr` first asks whether the key exists), which cost an API
        answer served from the cache a tenth of its speed. Down: 1, as `incr`."""
        key = self.make_and_validate_key(key, version=version)

        def counted() -> int:
            with self._cache.get_client(key, write=True).pipeline(transaction=False) as pipe:
                pipe.set(key, 0, ex=timeout, nx=True)
                pipe.incr(key)
                return pipe.execute()[1]

        return self._call(counted, 1)

    def clear(self):
        return self._call(super().clear, False)
