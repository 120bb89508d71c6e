"""REDIS_URL: the response cache and the rate limits shared through Redis by processes that
share nothing else, and no request failing while Redis restarts (scorecard/redis_cache.py).
Each test starts its own redis-server on loopback (tests/redis_server.py)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings

from scorecard import redis_cache
from soak.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
API_LIST = "/api/v1/recommendations/?report=armitage-nye-2000"
SCORECARD = "/reports/armitage-nye-2000/"

# One process: GET each path once; print status, body and the queries each one cost.
WORKER = """
import json, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
answers = []
for path in sys.argv[1:]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path)
    answers.append([answer.status_code, answer.content.decode(), len(queries)])
print(json.dumps(answers))
"""

SETUP = """
import django
django.setup()
from tracker import services
from tests.conftest import DEMO_FILES
services.import_scorecard(files=DEMO_FILES)
"""


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def _environment(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DRF_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="scorecard.settings",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DRF_THROTTLE_ANON="1000000/minute",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _database(tmp_path: Path, redis_url: str) -> str:
    """The demo scorecard in a database other processes can open: the test database on
    PostgreSQL (committed: the test is transactional), a migrated SQLite file otherwise."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        url = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    else:
        url = f"sqlite:///{tmp_path / 'nodes.sqlite3'}"
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT, env=_environment(url, redis_url), check=True,
        )  # fmt: skip
    subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=_environment(url, redis_url), check=True
    )
    return url


def _run(env: dict[str, str], *paths: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *paths], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def _answers(worker: subprocess.Popen) -> list[list]:
    output = worker.communicate(timeout=120)[0]
    assert worker.returncode == 0
    return json.loads(output)


@pytest.mark.django_db(transaction=True)
def test_a_response_one_process_made_is_served_by_another_from_redis(tmp_path, redis_server):
    env = _environment(_database(tmp_path, redis_server.url), redis_server.url)
    made = _answers(_run(env, API_LIST, SCORECARD))
    served = _answers(_run(env, API_LIST, SCORECARD))

    assert [(status, body) for status, body, _ in served] == [
        (status, body) for status, body, _ in made
    ]
    assert [status for status, _, _ in made] == [200, 200]
    # Only the data's state is read from the database: the answer and the rate limit's
    # count come from Redis (with the database cache, each would be a query).
    assert [queries for _, _, queries in served] == [1, 1]
    assert all(queries > 1 for _, _, queries in made)


@pytest.mark.django_db(transaction=True)
def test_the_rate_limit_is_counted_across_processes_in_redis(tmp_path, redis_server):
    url = _database(tmp_path, redis_server.url)
    env = _environment(url, redis_server.url, DRF_THROTTLE_ANON="15/day")
    for _ in range(2):
        day = time.time() // 86400
        workers = [_run(env, *["/api/v1/reports/"] * 15) for _ in range(2)]
        answers = [answer for worker in workers for answer in _answers(worker)]
        if time.time() // 86400 == day:
            break
        caches["default"].clear()

    assert sorted(status for status, _, _ in answers) == [200] * 15 + [429] * 15


def _on_redis(url: str) -> dict:
    backend = {"BACKEND": "scorecard.redis_cache.RedisCache", "LOCATION": url}
    return {
        "default": {**backend, "KEY_PREFIX": "scorecard"},
        "responses": {**backend, "KEY_PREFIX": "scorecard-responses"},
        "responses-local": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }


def test_a_count_in_redis_ends_with_its_window(demo, redis_server, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "partner": "5/minute"},
    }
    store = redis.Redis.from_url(redis_server.url)
    with override_settings(CACHES=_on_redis(redis_server.url)):
        client = Client()
        for _ in range(2):  # again if the three requests fell in two minutes of the clock
            minute = time.time() // 60
            statuses = [client.get("/api/v1/reports/").status_code for _ in range(3)]
            if time.time() // 60 == minute:
                break
            store.flushdb()
        counts = [key for key in store.keys("scorecard:*") if b"api-throttle" in key]
        assert statuses == [200, 200, 429]
        # One count for this client and minute, which Redis forgets once the minute is over
        # (not a key kept for ever per client and window).
        assert len(counts) == 1
        assert int(store.get(counts[0])) == 3
        assert 0 < store.ttl(counts[0]) <= 61
    store.close()
    caches["default"].clear()


def test_a_redis_restart_costs_no_request(demo, redis_server, monkeypatch, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/day", "partner": "5/day"},
    }
    monkeypatch.setattr(redis_cache, "DOWN_SECONDS", 0.2)
    with override_settings(CACHES=_on_redis(redis_server.url)):
        client = Client()
        first_list = client.get(API_LIST)
        first_page = client.get(SCORECARD)
        assert redis_server.keys() == 3  # two responses, one count

        redis_server.stop()
        # Redis away: answers computed from the database; the limit is not enforced.
        away = [client.get(API_LIST) for _ in range(4)] + [client.get(SCORECARD)]
        assert [answer.status_code for answer in away] == [200] * 5
        assert away[0].content == first_list.content
        assert away[-1].content == first_page.content

        redis_server.start()  # on the same port, empty
        time.sleep(0.3)  # each process tries Redis again DOWN_SECONDS after a failure
        back = [client.get(API_LIST).status_code for _ in range(4)]
        assert back == [200, 200, 200, 429]  # counted again from the start
        assert redis_server.keys() == 2  # the list kept again, one count
    caches["default"].clear()
