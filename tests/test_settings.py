"""Settings read from the environment refuse bad values at start, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(env_overrides: dict[str, str | None], code: str = "") -> subprocess.CompletedProcess:
    # As a server starts with none of this test run's own settings (tests/testenv.py).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update({"DJANGO_SECRET_KEY": "x" * 50, "DJANGO_DEBUG": "0"})
    for name, value in env_overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["DJANGO_SETTINGS_MODULE"] = "scorecard.settings"
    script = "import django; django.setup();" + code
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DATABASE_URL": "nonsense://what"}, "DATABASE_URL"),
        ({"DJANGO_ALLOWED_HOSTS": " , "}, "DJANGO_ALLOWED_HOSTS"),
        (
            {"DATABASE_CONN_MAX_AGE": "soon", "DATABASE_URL": "postgres://u@h/db"},
            "DATABASE_CONN_MAX_AGE",
        ),
        (
            {"DATABASE_QUERY_TIMEOUT_SECONDS": "5s", "DATABASE_URL": "postgres://u@h/db"},
            "DATABASE_QUERY_TIMEOUT_SECONDS",
        ),
        (
            {"DATABASE_CONNECT_TIMEOUT_SECONDS": "-1", "DATABASE_URL": "postgres://u@h/db"},
            "DATABASE_CONNECT_TIMEOUT_SECONDS",
        ),
    ],
)
def test_bad_environment_stops_the_start_naming_the_variable(overrides, named):
    result = start(overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def test_debug_mode_runs_without_a_secret_key():
    result = start({"DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr


def test_postgres_connections_are_kept_and_health_checked():
    result = start(
        {"DATABASE_URL": "postgres://user@db.internal:5432/scorecard"},
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
    )
    assert result.stdout.split() == ["60", "True"]


BOUNDS = (
    "from django.db import connection; p = connection.get_connection_params();"
    "print(connection.vendor, p['connect_timeout'], p['options'],"
    " p['connection_factory'].__name__, p['cursor_factory'].__name__, sep='|')"
)


def test_every_wait_for_postgres_is_bounded_by_default():
    result = start({"DATABASE_URL": "postgres://user@db.internal:5432/scorecard"}, BOUNDS)
    assert result.stdout.strip().split("|") == [
        "postgresql",
        "3",
        "-c statement_timeout=5000",
        "BoundedConnection",
        "BoundedCursor",
    ]


def test_the_bounds_come_from_the_environment_and_the_database_url():
    url = "postgres://user@db.internal:5432/scorecard?connect_timeout=7&options=-c%20work_mem%3D8MB"
    result = start({"DATABASE_URL": url, "DATABASE_QUERY_TIMEOUT_SECONDS": "12"}, BOUNDS)
    assert result.stdout.strip().split("|")[1:3] == [
        "7",
        "-c work_mem=8MB -c statement_timeout=12000",
    ]
    off = start(
        {
            "DATABASE_URL": "postgres://user@db.internal:5432/scorecard",
            "DATABASE_QUERY_TIMEOUT_SECONDS": "0",
            "DATABASE_CONNECT_TIMEOUT_SECONDS": "10",
        },
        "from django.db import connection; p = connection.get_connection_params();"
        "print(p['connect_timeout'], 'options' in p)",
    )
    assert off.stdout.split() == ["10", "False"]


def test_the_default_sqlite_database_uses_wal_and_waits_for_locks(tmp_path):
    result = start(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        "from django.db import connection; c = connection.cursor();"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0],"
        " connection.settings_dict['OPTIONS']['timeout'])",
    )
    assert result.stdout.split() == ["wal", "20"]


def test_production_settings_pass_the_deployment_check():
    result = start(
        {
            "DJANGO_SECRET_KEY": "k3y-" + "9a7Bq2Lm" * 8,
            "DJANGO_ALLOWED_HOSTS": "scorecard.example.org",
            "DJANGO_SECURE_SSL_REDIRECT": None,
            "DJANGO_SECURE_COOKIES": None,
        },
        "from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_tls_terminating_proxy_can_be_trusted_by_setting():
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    trusted = start({"DJANGO_TLS_PROXY_HEADER": "1"}, code)
    default = start({}, code)
    assert trusted.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert default.stdout.strip() == "None"
