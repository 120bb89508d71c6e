"""Loaded by pytest before Django (see pyproject.toml): the environment tests run in.

Production refuses to start without a secret key; tests get a throwaway one. DATABASE_URL
is left as given, so the same suite runs on SQLite (default) and PostgreSQL.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("DJANGO_DEBUG", "0")
# Production settings otherwise: the test client and the live server speak plain HTTP.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
# API rate limits high enough never to get in a test's way; tests/test_api_throttling.py
# sets low ones to check the limits themselves.
os.environ.setdefault("DRF_THROTTLE_ANON", "1000000/minute")
os.environ.setdefault("DRF_THROTTLE_PARTNER", "1000000/minute")
# PostgreSQL's per-statement bound guards production against a database that stops
# answering; in tests it would be a wall-clock limit on whatever else the machine is doing.
# tests/test_database_deadlines.py sets a short bound of its own to check the bound itself.
os.environ.setdefault("DATABASE_QUERY_TIMEOUT_SECONDS", "120")
# `bin/with-postgres --replica` (make test's PostgreSQL pass) exports DATABASE_REPLICA_URL.
# The suite itself runs on one database; tests/test_replica.py starts its own processes with
# the replica configured, from SCORECARD_PG_REPLICA_URL.
if "DATABASE_REPLICA_URL" in os.environ:
    os.environ["SCORECARD_PG_REPLICA_URL"] = os.environ.pop("DATABASE_REPLICA_URL")
