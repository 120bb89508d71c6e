"""The server under test: its environment, and gunicorn started and stopped."""

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
WORKER_TIMEOUT = 30  # gunicorn's default: a worker silent this long is killed
# API requests a minute per anonymous client address: readers stay under it, each from an
# address of its own; the spoofing client goes over it (low, so that it does so quickly).
ANONYMOUS_LIMIT = 30

# --- Environment: production settings, on loopback ------------------------------------------


def soak_environment() -> dict[str, str]:
    missing = [
        name
        for name in (
            "DATABASE_URL",
            "SCORECARD_PG_DATA",
            "SCORECARD_PG_BIN",
            "SCORECARD_PG_PORT",
            "SCORECARD_PG_RUN_DIR",
        )
        if not os.environ.get(name)
    ]
    if missing or not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit(
            "soak: needs the private PostgreSQL of bin/with-postgres (it restarts and pauses "
            "it): "
            "run `make soak`, or bin/with-postgres -- .venv/bin/python soak/run.py"
        )
    return {
        "DJANGO_SETTINGS_MODULE": "scorecard.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        # The anonymous limit as in production; partners' out of the way (their limit is
        # tested in tests/test_api_throttling.py, and a 429 would hide what this looks for).
        "DRF_THROTTLE_ANON": f"{ANONYMOUS_LIMIT}/minute",
        "DRF_THROTTLE_PARTNER": "1000000/minute",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- gunicorn -------------------------------------------------------------------------------


def start_gunicorn(
    port: int, env: dict[str, str], log: Path, workers: int = WORKERS
) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 -- the project's own server, fixed arguments
            [
                str(gunicorn),
                "scorecard.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                str(WORKER_TIMEOUT),
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one below
        )


def wait_until_serving(process: subprocess.Popen, port: int, limit: float = 30.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/reports/", headers={"Accept": "application/json"})
            if connection.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    return False


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Ask gunicorn to stop (it stops its workers); kill its process group if it will not."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
