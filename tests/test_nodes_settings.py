"""REDIS_URL and DATABASE_REPLICA_URL: unset, one machine's defaults stay; set, the shared
caches move to Redis and reads to the replica; malformed, the start stops naming them."""

import json

import pytest

from tests.test_settings import start

SHOW = (
    "from django.conf import settings; import json;"
    "print(json.dumps([{k: v['BACKEND'] for k, v in settings.CACHES.items()},"
    " sorted(settings.DATABASES), settings.DATABASE_ROUTERS,"
    " 'scorecard.routers.ReadYourWritesMiddleware' in settings.MIDDLEWARE]))"
)


def shown(overrides: dict[str, str | None]) -> list:
    result = start({"REDIS_URL": None, "DATABASE_REPLICA_URL": None, **overrides}, SHOW)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_machine_keeps_the_database_cache_and_one_database():
    assert shown({}) == [
        {
            "default": "django.core.cache.backends.db.DatabaseCache",
            "responses": "django.core.cache.backends.db.DatabaseCache",
            "responses-local": "django.core.cache.backends.locmem.LocMemCache",
        },
        ["default"],
        [],
        False,
    ]


def test_redis_url_moves_the_shared_caches_and_the_replica_url_the_reads():
    assert shown(
        {
            "REDIS_URL": "redis://cache.internal:6379/0",
            "DATABASE_URL": "postgres://u@primary.internal/db",
            "DATABASE_REPLICA_URL": "postgres://u@replica.internal/db",
        }
    ) == [
        {
            "default": "scorecard.redis_cache.RedisCache",
            "responses": "scorecard.redis_cache.RedisCache",
            "responses-local": "django.core.cache.backends.locmem.LocMemCache",
        },
        ["default", "replica"],
        ["scorecard.routers.ReplicaRouter"],
        True,
    ]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"REDIS_URL": "http://cache.internal:6379"}, "REDIS_URL"),
        ({"DATABASE_REPLICA_URL": "nonsense://what"}, "DATABASE_REPLICA_URL"),
        # A replica of the SQLite file: there is no such thing.
        ({"DATABASE_REPLICA_URL": "postgres://u@replica.internal/db"}, "DATABASE_REPLICA_URL"),
        (
            {
                "DATABASE_URL": "postgres://u@primary.internal/db",
                "DATABASE_REPLICA_URL": "postgres://u@replica.internal/db",
                "DATABASE_REPLICA_STICKY_SECONDS": "0",
            },
            "DATABASE_REPLICA_STICKY_SECONDS",
        ),
    ],
)
def test_bad_node_settings_stop_the_start_naming_the_variable(overrides, named):
    result = start(overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]
