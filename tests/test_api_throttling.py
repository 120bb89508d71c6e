"""Rate limits: low for anonymous clients, higher for accounts, 429 with Retry-After past
them, and one count shared by every worker process (it lives in the database cache).

The rest of the suite runs with limits too high to matter (tests/testenv.py); these tests
set low ones. Limits are per fixed window, so each check runs inside one window: if the
clock crosses a window boundary mid-check, the check runs again.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection

from scorecard.api import throttling
from tests.api_support import client_as, token_for

ROOT = Path(__file__).resolve().parent.parent
DAY = 86400


@pytest.fixture
def low_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/day", "partner": "5/day"},
    }


def in_one_window(check: Callable[[], None]) -> None:
    for _ in range(2):
        day = time.time() // DAY
        caches["default"].clear()
        check()
        if time.time() // DAY == day:
            return
    pytest.fail("the clock crossed midnight UTC twice")  # pragma: no cover


def statuses(client, count: int, url: str = "/api/v1/reports/") -> list[int]:
    return [client.get(url).status_code for _ in range(count)]


def test_anonymous_clients_get_the_low_limit_then_429(db, low_limits):
    client = client_as("anonymous")

    def check():
        assert statuses(client, 4) == [200, 200, 200, 429]
        refused = client.get("/api/v1/reports/")
        assert 0 < int(refused["Retry-After"]) <= DAY
        assert refused.json()["code"] == "throttled"

    in_one_window(check)


def test_accounts_get_the_higher_limit_counted_per_account(db, low_limits):
    anonymous, partner, other_partner, editor = (
        client_as(role) for role in ("anonymous", "partner", "partner", "editor")
    )

    def check():
        assert statuses(anonymous, 4) == [200] * 3 + [429]
        assert statuses(partner, 6) == [200] * 5 + [429]
        assert statuses(other_partner, 6) == [200] * 5 + [429]
        assert statuses(editor, 6) == [200] * 5 + [429]

    in_one_window(check)


def test_an_account_without_a_role_gets_the_anonymous_limit(db, low_limits):
    client = client_as("anonymous")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(User.objects.create(username='x'))}")

    def check():
        assert statuses(client, 4) == [200] * 3 + [429]

    in_one_window(check)


def test_every_endpoint_counts_against_one_limit(demo, low_limits):
    client = client_as("anonymous")

    def check():
        assert [
            client.get(url).status_code
            for url in ("/api/v1/reports/", "/api/v1/recommendations/", "/api/v1/evaluations/")
        ] == [200] * 3
        assert client.get("/api/v1/editions/").status_code == 429

    in_one_window(check)


# --- Who a client is -------------------------------------------------------------------


def _forwarded(client, *addresses: str) -> list[int]:
    return [
        client.get("/api/v1/reports/", HTTP_X_FORWARDED_FOR=address).status_code
        for address in addresses
    ]


def test_a_rotating_x_forwarded_for_does_not_escape_the_limit(db, low_limits):
    client = client_as("anonymous")

    def check():
        assert (
            _forwarded(client, *(f"198.51.100.{n}" for n in range(1, 71))) == [200] * 3 + [429] * 67
        )

    in_one_window(check)


def test_behind_trusted_proxies_the_address_they_saw_is_counted(db, low_limits, settings):
    settings.TRUSTED_PROXIES = 1
    client = client_as("anonymous")

    def check():
        # The proxy appends the address it saw; what the client wrote before it is not believed.
        assert _forwarded(
            client, "1.1.1.1, 203.0.113.7", "2.2.2.2, 203.0.113.7", "203.0.113.7", "203.0.113.7"
        ) == [200] * 3 + [429]
        assert _forwarded(client, "203.0.113.8") == [200]
        # Not an address: counted by the connection's own address.
        assert _forwarded(client, "not-an-address", "x" * 230, "", "") == [200] * 3 + [429]

    in_one_window(check)


def test_a_long_x_forwarded_for_is_no_error_and_keys_have_one_length(db, settings):
    client = client_as("anonymous")
    caches["default"].clear()

    answers = _forwarded(client, "a" * 230, "1.2.3.4, " * 200)
    settings.TRUSTED_PROXIES = 2
    answers += _forwarded(client, "a" * 230, "b" * 5000 + ", " + "c" * 300)

    assert answers == [200] * 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM scorecard_cache")
        lengths = {len(key) for (key,) in cursor.fetchall()}
    assert len(lengths) == 1
    assert lengths.pop() < 100


def test_counts_whose_window_is_over_are_deleted(db, low_limits, monkeypatch):
    monkeypatch.setattr(throttling, "CULL_EVERY", 1)  # this start is the one that culls
    caches["default"].set("api-throttle-count:old", "3", timeout=-1)
    caches["default"].set("still-wanted", "x", timeout=600)
    client = client_as("anonymous")

    assert client.get("/api/v1/reports/").status_code == 200  # a new count starts

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM scorecard_cache")
        keys = sorted(key for (key,) in cursor.fetchall())
    assert len(keys) == 2
    assert caches["default"].make_key("still-wanted") in keys
    assert caches["default"].make_key("api-throttle-count:old") not in keys


# --- Two processes ----------------------------------------------------------------------

WORKER = """
import json, os, sys, time
import django
django.setup()
from django.test import Client
go = sys.argv[1]
open(f"{go}.ready-{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.005)
client = Client(HTTP_AUTHORIZATION="Token " + sys.argv[2])
answers = [client.get("/api/v1/reports/") for _ in range(int(sys.argv[3]))]
print(json.dumps([[a.status_code, a.get("Retry-After")] for a in answers]))
"""

SETUP = """
import django
django.setup()
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
user = User.objects.create(username="two-process-partner")
user.groups.add(Group.objects.get(name="Partner"))
print(Token.objects.create(user=user).key)
"""


def _environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DRF_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="scorecard.settings",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DRF_THROTTLE_PARTNER="20/day",
        PYTHONPATH=str(ROOT),
    )
    return env


def _database_for_workers(tmp_path: Path) -> str:
    """The test database itself on PostgreSQL; a migrated SQLite file otherwise (the
    suite's SQLite database lives in memory, where another process cannot see it)."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=_environment(url),
        check=True,
    )
    return url


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_across_two_processes(tmp_path):
    url = _database_for_workers(tmp_path)
    env = _environment(url)
    token = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()

    def run_both() -> list[list]:
        go = tmp_path / f"go-{time.monotonic_ns()}"
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(go), token, "20"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        # Both start Django and say so; then they are let go at the same moment.
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob(f"{go.name}.ready-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0]
        return [answer for output in outputs for answer in json.loads(output)]

    for _ in range(2):
        day = time.time() // DAY
        answers = run_both()
        if time.time() // DAY == day:
            break
        caches["default"].clear()

    codes = sorted(code for code, _ in answers)
    assert codes == [200] * 20 + [429] * 20
    assert all(0 < int(wait) <= DAY for code, wait in answers if code == 429)
    if connection.vendor == "postgresql":
        caches["default"].clear()


class ForgetfulCache(LocMemCache):
    """A shared cache that loses every count between `add` and `incr`, as Redis does when it
    restarts at that instant: the count is gone when the request increments it."""

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return True


def test_a_count_lost_between_add_and_incr_starts_again_instead_of_a_500(db, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": f"{__name__}.ForgetfulCache", "LOCATION": "forgetful"},
    }
    client = client_as("anonymous")
    assert statuses(client, 3) == [200, 200, 200]
