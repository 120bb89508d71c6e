"""Backups are lossless: restored into a fresh database, every table matches."""

import hashlib
import os
import sqlite3
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def fingerprint(cursor, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of its rows, independent of row order."""
    result = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 -- names from introspection
        rows = sorted(repr(tuple(_text(value) for value in row)) for row in cursor.fetchall())
        result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


def _text(value) -> str:
    # Django's SQLite connection reads `bool` columns as True/False, a plain connection as
    # 1/0: the same stored value.
    return str(int(value)) if isinstance(value, bool) else str(value)


def populate():
    call_command(
        "generate_scale_data", recommendations=40, evaluations_per=3, seed=5, quiet=True,
        stdout=StringIO(),
    )  # fmt: skip
    report = factories.make_report("backed-up")
    recommendation = factories.make_recommendation(report)
    factories.make_evaluation(recommendation, narrative="Ünïcode — “quoted” ✓")


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def fresh_database_url(tmp_path: Path) -> tuple[str, object]:
    """A URL for a new, empty database of the kind the suite runs on, and a connector."""
    if connection.vendor == "sqlite":
        path = tmp_path / "fresh.sqlite3"
        return f"sqlite:///{path}", lambda: sqlite3.connect(path)
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    settings = connection.settings_dict
    params = {
        "host": settings["HOST"], "port": settings["PORT"], "user": settings["USER"],
        "password": settings["PASSWORD"], "dbname": name,
    }  # fmt: skip
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"
    return url, lambda: psycopg2.connect(**params)


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_is_identical(tmp_path):
    populate()
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        before = fingerprint(cursor, tables)
    backup_file = tmp_path / "backup.bin"
    call_command("backup_database", output=str(backup_file), stdout=StringIO())

    url, connect = fresh_database_url(tmp_path)
    result = manage("restore_database", "--yes", str(backup_file), database_url=url)
    assert result.returncode == 0, result.stderr

    fresh = connect()
    try:
        after = fingerprint(fresh.cursor(), tables)
    finally:
        fresh.close()
    assert after == before
    assert before["tracker_evaluation"][0] == 40 * 3 + 1


@pytest.mark.django_db(transaction=True)
def test_restoring_brings_back_what_was_deleted_since(tmp_path):
    populate()
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        before = fingerprint(cursor, tables)
    backup_file = tmp_path / "backup.bin"
    call_command("backup_database", output=str(backup_file), stdout=StringIO())
    factories.make_report("added-after-the-backup")

    call_command("restore_database", str(backup_file), yes=True, stdout=StringIO())

    connection.close()
    with connection.cursor() as cursor:
        assert fingerprint(cursor, tables) == before


@pytest.mark.django_db(transaction=True)
def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(tmp_path):
    populate()
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        before = fingerprint(cursor, tables)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")

    with pytest.raises(CommandError, match=r"not a SQLite database file|pg_restore failed"):
        call_command("restore_database", str(bogus), yes=True, stdout=StringIO())

    connection.close()
    with connection.cursor() as cursor:
        assert fingerprint(cursor, tables) == before
