#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

Works as written from a fresh terminal in the checkout: run with any Python, it re-runs
itself with the project's virtualenv (.venv, which `make run` and `make test` create); it
reads the development settings `make run` wrote to local.env (ignored by git; variables
already set in the environment win); and a missing or malformed setting is one line on
standard error, not a traceback.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
LOCAL_SETTINGS = ROOT / "local.env"


def _use_the_virtualenv() -> None:
    try:
        import django  # noqa: F401 -- only to learn whether this Python has it
    except ImportError:
        if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
            os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])  # noqa: S606 -- our own venv
        sys.exit("manage.py: Django is not installed here. Run `make install` first.")


def read_local_settings(path: Path = LOCAL_SETTINGS) -> None:
    """KEY=VALUE lines (# comments) from local.env, under what the environment already says."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name and not name.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


def main() -> None:
    _use_the_virtualenv()
    read_local_settings()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scorecard.settings")
    from django.conf import settings  # after the environment is complete
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- loads the settings, which check the environment
    except ImproperlyConfigured as error:
        sys.exit(f"manage.py: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
