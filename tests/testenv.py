"""Loaded by pytest before Django (see pyproject.toml): the environment tests run in.

Production refuses to start without a secret key; tests get a throwaway one. DATABASE_URL
is left as given, so the same suite runs on SQLite (default) and PostgreSQL.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("DJANGO_DEBUG", "0")
