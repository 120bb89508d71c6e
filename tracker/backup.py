"""Whole-database backup and restore, lossless, for the two databases we run on.

PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --single-transaction`, so a
restore replaces everything or nothing. SQLite: the online backup API, which copies a
consistent snapshot while the site keeps serving.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    pass


def _vendor(alias: str) -> str:
    return connections[alias].vendor


def _pg_command(name: str) -> str:
    found = shutil.which(name)
    if found is None and os.environ.get("SCORECARD_PG_BIN"):
        candidate = Path(os.environ["SCORECARD_PG_BIN"]) / name
        found = str(candidate) if candidate.exists() else None
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools "
            f"(Debian: apt-get install postgresql-client)."
        )
    return found


def _pg_env_and_args(alias: str) -> tuple[dict[str, str], list[str]]:
    settings_dict = connections[alias].settings_dict
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    args = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [option, str(settings_dict[key])]
    args += ["--dbname", settings_dict["NAME"]]
    return env, args


def backup(path: Path, alias: str = "default") -> Path:
    """Write a consistent copy of the whole database to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if _vendor(alias) == "postgresql":
        env, args = _pg_env_and_args(alias)
        result = subprocess.run(  # noqa: S603 -- fixed program, arguments from settings
            [_pg_command("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), *args],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return path
    if _vendor(alias) == "sqlite":
        connection = connections[alias]
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return path
    raise BackupError(f"Backups of {_vendor(alias)} databases are not supported.")


def restore(path: Path, alias: str = "default") -> None:
    """Replace the whole database with the backup at `path` (all or nothing)."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    if _vendor(alias) == "postgresql":
        connections[alias].close()
        env, args = _pg_env_and_args(alias)
        result = subprocess.run(  # noqa: S603 -- fixed program, arguments from settings
            [
                _pg_command("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                *args,
                str(path),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed, nothing was changed: {result.stderr.strip()}")
        return
    if _vendor(alias) == "sqlite":
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{path} is not a SQLite database file.")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        connection = connections[alias]
        connection.ensure_connection()
        try:
            # The backup API copies page by page into the live database under its lock.
            source.backup(connection.connection)
        finally:
            source.close()
        return
    raise BackupError(f"Restoring {_vendor(alias)} databases is not supported.")
