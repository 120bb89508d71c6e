"""Under load: gunicorn (2 workers) on the benchmark's database, wrk from loopback.

Data unchanged and no If-None-Match: what readers' repeated requests cost, caches warm,
beside a static file served by whitenoise (the ceiling: no view, no database)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import data
from bench.data import PAGE, SCALE_REPORT
from bench.measure import Line

LOAD_SECONDS = 20
LOAD_ROUNDS = 4  # each URL's seconds in rounds, taking turns with the others
LOAD_CONNECTIONS = 16
STATIC_PATH = "/static/scorecard/site.css"
SHARE_AT_LEAST = 0.40  # of the static file's requests/s, for the report page and the API list


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, *, workers: int = 2, env: dict | None = None) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "scorecard.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    # Its own session, so that stopping it stops its workers too.
    server = subprocess.Popen(  # noqa: S603 -- the venv's gunicorn, fixed arguments
        command, env={**os.environ, **(env or {})}, cwd=data.ROOT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn did not start")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{STATIC_PATH}", timeout=5):
                return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise SystemExit("gunicorn did not answer within 60 seconds")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _latency_ms(text: str) -> float:
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
    for unit in ("us", "ms", "s", "m"):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
            return float(text[: -len(unit)]) * units[unit]
    raise ValueError(text)


def wrk(
    url: str, seconds: int, connections: int = LOAD_CONNECTIONS, threads: int = 2
) -> dict[str, float]:
    """wrk against one URL for `seconds` at `connections` connections, from `threads`."""
    result = subprocess.run(  # noqa: S603 -- fixed arguments, a loopback URL
        [  # noqa: S607 -- wrk from the PATH, as bench/ensure-wrk installs it
            "wrk",
            "--threads",
            str(threads),
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    figures = {"errors": 0, "requests": 0}
    for text in result.stdout.splitlines():
        words = text.split()
        if text.startswith("Requests/sec:"):
            figures["requests_per_s"] = float(words[1])
        elif words[:1] == ["99%"]:
            figures["p99_ms"] = _latency_ms(words[1])
        elif text.strip().startswith("Non-2xx or 3xx responses:"):
            figures["errors"] += int(words[-1])
        elif text.strip().startswith("Socket errors:"):
            figures["errors"] += sum(int(w.strip(",")) for w in words[3::2])
        elif "requests in" in text:
            figures["requests"] = int(words[0])
            figures["seconds"] = _latency_ms(words[3].rstrip(",")) / 1000
    if any(key not in figures for key in ("requests_per_s", "p99_ms", "seconds")):
        raise SystemExit(f"Could not read wrk's output:\n{result.stdout}")
    return figures


def measure_load(targets: dict[str, str], seconds: int) -> list[Line]:
    """The first target is the ceiling; each later one is checked against SHARE_AT_LEAST.

    Each URL gets `seconds` of wrk in LOAD_ROUNDS rounds, the URLs taking turns, so that
    whatever else the machine runs meanwhile weighs on the ceiling and the pages alike."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: bench/ensure-wrk installs it (make bench runs it).")
    rounds = max(1, min(LOAD_ROUNDS, seconds))
    port = free_port()
    server = start_gunicorn(port)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    try:
        for path in targets.values():
            url = f"http://127.0.0.1:{port}{path}"
            for _ in range(5):  # each worker: connection, first plans, warm caches
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
        for _ in range(rounds):
            for name, path in targets.items():
                runs[name].append(wrk(f"http://127.0.0.1:{port}{path}", seconds // rounds))
    finally:
        stop(server)
    lines = []
    for name, figures in runs.items():
        requests_per_s = sum(run["requests"] for run in figures) / sum(
            run["seconds"] for run in figures
        )
        errors = int(sum(run["errors"] for run in figures))
        p99_ms = max(run["p99_ms"] for run in figures)  # the worst round's
        print(
            f"    {name}: {requests_per_s:,.0f} requests/s, p99 {p99_ms:.1f} ms, {errors} errors",
            flush=True,
        )
        line = Line(
            f"under load: {name}", requests_per_s=requests_per_s, p99_ms=p99_ms, errors=errors
        )
        line.check("0 errors", errors == 0, f"{errors} errors")
        lines.append(line)
    ceiling = lines[0].requests_per_s
    for line in lines[1:]:
        share = line.requests_per_s / ceiling
        line.check(
            f"≥ {SHARE_AT_LEAST:.0%} of the static file's requests/s",
            share >= SHARE_AT_LEAST,
            f"{share:.0%} of ceiling",
        )
    return lines


def load_lines(seconds: int = LOAD_SECONDS) -> list[Line]:
    return measure_load(
        {
            "static file (whitenoise), the ceiling": STATIC_PATH,
            f"report page ({data.scale_count():,} recommendations)": f"/reports/{SCALE_REPORT}/",
            f"API recommendations, page of {PAGE}": (
                f"/api/v1/recommendations/?report={SCALE_REPORT}&page_size={PAGE}"
            ),
        },
        seconds,
    )
