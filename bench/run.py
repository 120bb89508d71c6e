"""The benchmark: our pages and API at scale, beside the raw lower bound and stock DRF.

    make bench   # bin/with-postgres --data-dir bench/.cache/pgdata -- .venv/bin/python bench/run.py

Loads the demo and the scale data (10,000 recommendations, 200,000 evaluations) into the
PostgreSQL that bin/with-postgres started, once: the cluster is kept in bench/.cache/.
Then measures, in this process through the Django test client, each endpoint beside the
same payload built by one hand-written SQL query (bench/raw.py) and by stock DRF
(bench/stock_drf.py), checking that all three payloads are equal; the streamed CSV export
in a fresh process; and finally gunicorn (2 workers) under load from wrk on loopback.
Prints a table with PASS/FAIL per target and writes bench/results.json. See bench/README.md.
"""

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALE = {"recommendations": 10000, "evaluations_per": 20, "seed": 1}
SCALE_PREFIX = f"scale-s{SCALE['seed']}-"
DEMO_REPORT = "armitage-nye-2000"
SCALE_REPORT = f"{SCALE_PREFIX}r5"
SCALE_CODE = "gen-500"  # a recommendation of SCALE_REPORT: 20 evaluations, one a year
HOST = "localhost"
SINCE = "2000-01-01T00:00:00Z"
PAGE = 100
DEEP_ROWS = 150_000
LOAD_SECONDS = 20
LOAD_CONNECTIONS = 16
STATIC_PATH = "/static/scorecard/site.css"

# The environment the settings read. The rate limits are raised so that the benchmark's
# own repeated requests are not refused; they are still counted, at their usual cost.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "scorecard.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    "DRF_THROTTLE_ANON": "100000000/minute",
    "DRF_THROTTLE_PARTNER": "100000000/minute",
    "DJANGO_LOG_LEVEL": "ERROR",
}


def setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/run.py measures PostgreSQL: run it through `make bench` "
            "(bin/with-postgres --data-dir bench/.cache/pgdata -- .venv/bin/python bench/run.py)."
        )
    os.environ.update(BENCH_ENV)
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


# --- Data -------------------------------------------------------------------------------------


def load_data() -> None:
    """Migrate; import the demo and generate the scale data unless the cached cluster has them."""
    from django.core.management import call_command
    from django.db import connection

    from tracker.models import Report

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    loaded = False
    if not Report.objects.filter(slug=DEMO_REPORT).exists():
        print("==> Importing the demo scorecard (fixtures/*.yaml)")
        call_command(
            "import_scorecard", *sorted(str(p) for p in (ROOT / "fixtures").glob("*.yaml"))
        )
        loaded = True
    if not Report.objects.filter(slug__startswith=SCALE_PREFIX).exists():
        print("==> Generating the scale data (cached in bench/.cache/ for the next runs)")
        call_command(
            "generate_scale_data",
            recommendations=SCALE["recommendations"],
            evaluations_per=SCALE["evaluations_per"],
            seed=SCALE["seed"],
        )
        loaded = True
    if loaded:
        # What autovacuum would do soon after such a load: fresh planner statistics.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"==> Data ready in {time.monotonic() - started:.1f}s")


# --- Measuring --------------------------------------------------------------------------------


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Timed:
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return p95(self.samples)


def interleaved(runners: dict[str, Callable[[], Any]], reps: int, warmups: int = 3):
    """Time each runner `reps` times, taking turns, so that load on the machine (or a
    checkpoint of the database) falls on all of them alike."""
    for _ in range(warmups):
        for run in runners.values():
            run()
    timed = {name: Timed() for name in runners}
    for _ in range(reps):
        for name, run in runners.items():
            started = time.perf_counter()
            run()
            timed[name].samples.append((time.perf_counter() - started) * 1000)
    return timed


class Site:
    """Requests through the Django test client, as an anonymous visitor."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client(SERVER_NAME=HOST)

    def get(self, url: str, **headers: str):
        response = self.client.get(url, **headers)
        if response.streaming:
            response.body = b"".join(response.streaming_content)
        else:
            response.body = response.content
        return response

    def ok(self, url: str, **headers: str) -> bytes:
        response = self.get(url, **headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.body[:300]!r}")
        return response.body

    def count(self, url: str, *, warm: bool = False, **headers: str) -> int:
        """The queries of one request; `warm`: of one after a first (a connection prepares
        its statements once, on the first request that runs them)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        if warm:
            self.get(url, **headers)
        with CaptureQueriesContext(connection) as captured:
            self.get(url, **headers)
        return len(captured)


@dataclass
class Line:
    """One row of the table, and of bench/results.json."""

    name: str
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    raw_median_ms: float | None = None
    stock_median_ms: float | None = None
    queries_small: int | None = None
    stock_queries: int | None = None
    rows_per_s: float | None = None
    rss_growth_mb: float | None = None
    requests_per_s: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)

    def check(self, target: str, passed: bool, figure: str) -> None:
        self.checks.append({"target": target, "pass": bool(passed), "figure": figure})

    def as_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for key in ("median_ms", "p95_ms", "raw_median_ms", "stock_median_ms", "p99_ms"):
            if data[key] is not None:
                data[key] = round(data[key], 2)
        for key in ("rows_per_s", "requests_per_s", "rss_growth_mb"):
            if data[key] is not None:
                data[key] = round(data[key], 1)
        return data


def same_payload(name: str, ours: bytes, other: bytes, what: str) -> None:
    import orjson

    if orjson.loads(ours) != orjson.loads(other):
        mine, theirs = orjson.loads(ours), orjson.loads(other)
        detail = ""
        if isinstance(mine, dict) and isinstance(theirs, dict):
            differing = [k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)]
            detail = f" (keys that differ: {sorted(differing)})"
            for key in differing:
                if isinstance(mine.get(key), list) and isinstance(theirs.get(key), list):
                    for a, b in zip(mine[key], theirs[key], strict=False):
                        if a != b:
                            detail += f"\n  ours:  {str(a)[:600]}\n  {what}: {str(b)[:600]}"
                            break
        raise SystemExit(f"{name}: the {what} payload differs from ours{detail}")


def compare_api(site: Site, name: str, urls: dict[str, str], raw_run, reps: int) -> Line:
    """Ours vs raw vs stock on one payload; urls: ours, small (the demo), stock."""
    ours_url, stock_url = urls["ours"], urls["stock"]
    ours = site.ok(ours_url)
    same_payload(name, ours, raw_run(), "raw")
    same_payload(name, ours, site.ok(stock_url).replace(b"/bench-stock/", b"/"), "stock DRF")
    timed = interleaved(
        {"ours": lambda: site.ok(ours_url), "raw": raw_run, "stock": lambda: site.ok(stock_url)},
        reps,
    )
    line = Line(
        name,
        median_ms=timed["ours"].median,
        p95_ms=timed["ours"].p95,
        queries=site.count(ours_url),
        raw_median_ms=timed["raw"].median,
        stock_median_ms=timed["stock"].median,
        queries_small=site.count(urls["small"]),
        stock_queries=site.count(stock_url),
    )
    same_queries(line)
    ratio = line.median_ms / line.raw_median_ms
    line.check("≤ 1.5× the raw lower bound", ratio <= 1.5, f"{ratio:.2f}×")
    speedup = line.stock_median_ms / line.median_ms
    line.check("≥ 5× faster than stock DRF", speedup >= 5, f"{speedup:.1f}×")
    return line


def same_queries(line: Line) -> None:
    line.check(
        "same query count at 25 and at 10,000 recommendations",
        line.queries == line.queries_small,
        f"{line.queries_small} and {line.queries}",
    )


def measure_page(site: Site, name: str, small: str, large: str, reps: int) -> list[Line]:
    """A page rendered (the page cache emptied before each request), and kept (served from
    it while its ETag holds)."""
    from django.core.cache import caches

    pages = caches["pages"]

    def cold_count(url: str) -> int:
        pages.clear()
        return site.count(url)

    def warm_count(url: str) -> int:
        site.ok(url)
        return site.count(url)

    site.ok(large)
    rendered = Timed()
    for _ in range(reps):
        pages.clear()
        started = time.perf_counter()
        site.ok(large)
        rendered.samples.append((time.perf_counter() - started) * 1000)
    kept = interleaved({"page": lambda: site.ok(large)}, reps)["page"]
    lines = [
        Line(
            f"{name}, rendered",
            median_ms=rendered.median,
            p95_ms=rendered.p95,
            queries=cold_count(large),
            queries_small=cold_count(small),
        ),
        Line(
            f"{name}, kept (ETag unchanged)",
            median_ms=kept.median,
            p95_ms=kept.p95,
            queries=warm_count(large),
            queries_small=warm_count(small),
        ),
    ]
    for line in lines:
        same_queries(line)
    return lines


def measure_304(site: Site, name: str, url: str, reps: int) -> Line:
    etag = site.get(url)["ETag"]
    answer = site.get(url, HTTP_IF_NONE_MATCH=etag)
    if answer.status_code != 304:
        raise SystemExit(f"{url} with If-None-Match answered {answer.status_code}, not 304")
    timed = interleaved({"304": lambda: site.get(url, HTTP_IF_NONE_MATCH=etag)}, reps)["304"]
    line = Line(
        name,
        median_ms=timed.median,
        p95_ms=timed.p95,
        queries=site.count(url, HTTP_IF_NONE_MATCH=etag),
    )
    line.check("304 after at most one query", line.queries <= 1, f"{line.queries} queries")
    return line


# --- The CSV export, in a fresh process ------------------------------------------------------


def _rss_kb(field_name: str) -> int:
    for text in Path("/proc/self/status").read_text().splitlines():
        if text.startswith(field_name + ":"):
            return int(text.split()[1])
    raise RuntimeError(field_name)


def export_child(urls: list[str]) -> None:
    """Stream every URL's CSV through the test client; print rows/s and peak RSS growth."""
    setup_django()
    from django.test import Client

    client = Client(SERVER_NAME=HOST)
    b"".join(client.get(urls[0]).streaming_content)  # imports, connection, first plans
    # Reset the peak (VmHWM) to the current resident size: growth is measured from here.
    Path("/proc/self/clear_refs").write_text("5")
    before = _rss_kb("VmRSS")
    rows = 0
    started = time.perf_counter()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for chunk in response.streaming_content:
            rows += chunk.count(b"\n")
        rows -= 1  # the header
    seconds = time.perf_counter() - started
    peak = _rss_kb("VmHWM")
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_growth_kb": peak - before}))


def measure_export(site: Site, reports: list[str]) -> Line:
    from tracker.models import Evaluation, Status

    urls = [f"/reports/{slug}/evaluations.csv" for slug in reports]
    expected = Evaluation.objects.filter(
        status=Status.PUBLISHED, recommendation__report__slug__in=reports
    ).count()
    result = subprocess.run(  # noqa: S603 -- this very script, with URLs it built
        [sys.executable, __file__, "--export-child", *urls],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["rows"] != expected:
        raise SystemExit(f"The export gave {figures['rows']} rows, not {expected}")
    line = Line(
        f"CSV export of all {expected:,} published evaluations ({len(urls)} reports)",
        median_ms=figures["seconds"] * 1000,
        queries=site.count(urls[0], warm=True),
        queries_small=site.count(f"/reports/{DEMO_REPORT}/evaluations.csv", warm=True),
        rows_per_s=figures["rows"] / figures["seconds"],
        rss_growth_mb=figures["rss_growth_kb"] / 1024,
    )
    same_queries(line)
    line.check("≥ 100,000 rows/s", line.rows_per_s >= 100_000, f"{line.rows_per_s:,.0f} rows/s")
    line.check(
        "RSS growth ≤ 50 MB for 200,000 rows",
        line.rss_growth_mb <= 50,
        f"{line.rss_growth_mb:.1f} MB",
    )
    return line


# --- Under load: gunicorn and wrk ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = dict(os.environ)
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "scorecard.wsgi:application",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    # Its own session, so that stopping it stops its workers too.
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 -- the venv's gunicorn, fixed arguments
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


def wrk(url: str) -> dict[str, float]:
    """wrk against one URL for LOAD_SECONDS at LOAD_CONNECTIONS connections."""
    result = subprocess.run(  # noqa: S603 -- fixed arguments, a loopback URL
        [  # noqa: S607 -- wrk from the PATH, as bench/ensure-wrk installs it
            "wrk",
            "--threads",
            "2",
            "--connections",
            str(LOAD_CONNECTIONS),
            "--duration",
            f"{LOAD_SECONDS}s",
            "--timeout",
            "10s",
            "--latency",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=LOAD_SECONDS + 60,
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
    if "requests_per_s" not in figures or "p99_ms" not in figures:
        raise SystemExit(f"Could not read wrk's output:\n{result.stdout}")
    return figures


def measure_load(targets: dict[str, str]) -> list[Line]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: bench/ensure-wrk installs it (make bench runs it).")
    port = free_port()
    server = start_gunicorn(port)
    lines = []
    try:
        for name, path in targets.items():
            url = f"http://127.0.0.1:{port}{path}"
            for _ in range(5):  # each worker: connection, first plans, warm caches
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
            figures = wrk(url)
            print(
                f"    {name}: {figures['requests_per_s']:,.0f} requests/s, "
                f"p99 {figures['p99_ms']:.1f} ms, {figures['errors']} errors"
            )
            line = Line(
                f"under load: {name}",
                requests_per_s=figures["requests_per_s"],
                p99_ms=figures["p99_ms"],
                errors=figures["errors"],
            )
            line.check("0 errors", figures["errors"] == 0, f"{figures['errors']} errors")
            lines.append(line)
    finally:
        stop(server)
    ceiling = lines[0].requests_per_s
    for line in lines[1:]:
        if "report page" in line.name:
            share = line.requests_per_s / ceiling
            line.check(
                "≥ 25% of the static file's requests/s", share >= 0.25, f"{share:.0%} of ceiling"
            )
    return lines


# --- The parts -------------------------------------------------------------------------------


def api_lines(site: Site, database, reps: int, step: Callable[[str], None]) -> list[Line]:
    """1-3: the API beside the raw lower bound and stock DRF."""
    import datetime

    from bench import raw
    from scorecard.api import access
    from scorecard.api.pagination import encode_cursor
    from tracker.models import Recommendation

    lines = []
    # 1. A page of 100 recommendations with current grades.
    step("API recommendations")
    page = 5
    base = f"http://{HOST}/api/v1/recommendations/"
    query = f"?report={SCALE_REPORT}&page_size={PAGE}&page={page}"
    lines.append(
        compare_api(
            site,
            f"API recommendations, page {page} of {PAGE}",
            {
                "ours": f"/api/v1/recommendations/{query}",
                "small": f"/api/v1/recommendations/?report={DEMO_REPORT}&page_size={PAGE}",
                "stock": f"/bench-stock/api/v1/recommendations/{query}",
            },
            lambda: raw.recommendations(
                database, base_url=base, report=SCALE_REPORT, page=page, size=PAGE
            ),
            reps,
        )
    )

    # 2. One recommendation's timeline (20 evaluations, with evidence).
    step("API timeline")
    large = Recommendation.objects.get(report__slug=SCALE_REPORT, code=SCALE_CODE.upper())
    small = Recommendation.objects.get(report__slug=DEMO_REPORT, code="SEC-1")
    lines.append(
        compare_api(
            site,
            "API recommendations/{id}/timeline",
            {
                "ours": f"/api/v1/recommendations/{large.pk}/timeline/",
                "small": f"/api/v1/recommendations/{small.pk}/timeline/",
                "stock": f"/bench-stock/api/v1/recommendations/{large.pk}/timeline/",
            },
            lambda: raw.timeline(database, recommendation=large.pk),
            reps,
        )
    )

    # 3. The change feed: the first page, and a page 150,000 rows deep.
    step("API change feed")
    since = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    feed_base = f"http://{HOST}/api/v1/evaluations/"
    feed_query = f"?updated_since={SINCE}&page_size={PAGE}"
    feed = access.feed_for(_anonymous()).filter(updated_at__gt=since)
    # The same request when only about 25 rows have changed since.
    recent = (
        feed.order_by("-updated_at", "-id").values_list("updated_at", flat=True)[25]
    ).astimezone(datetime.UTC)
    recent_query = f"?updated_since={recent.isoformat().replace('+00:00', 'Z')}&page_size={PAGE}"
    first = compare_api(
        site,
        f"API evaluations?updated_since=, first page of {PAGE}",
        {
            "ours": f"/api/v1/evaluations/{feed_query}",
            "small": f"/api/v1/evaluations/{recent_query}",
            "stock": f"/bench-stock/api/v1/evaluations/{feed_query}",
        },
        lambda: raw.feed(
            database, base_url=feed_base, since=since, after=None, size=PAGE, since_text=SINCE
        ),
        reps,
    )
    lines.append(first)
    # The cursor the API hands out after the 150,000th row (as following `next` would).
    updated_at, pk = feed.order_by("updated_at", "id").values_list("updated_at", "id")[
        DEEP_ROWS - 1
    ]
    cursor = encode_cursor(SimpleNamespace(updated_at=updated_at, pk=pk))
    deep = compare_api(
        site,
        f"API evaluations?updated_since=, {DEEP_ROWS:,} rows deep",
        {
            "ours": f"/api/v1/evaluations/{feed_query}&cursor={cursor}",
            "small": f"/api/v1/evaluations/{feed_query}",
            "stock": f"/bench-stock/api/v1/evaluations/{feed_query}&cursor={cursor}",
        },
        lambda: raw.feed(
            database,
            base_url=feed_base,
            since=since,
            after=(updated_at, pk),
            size=PAGE,
            since_text=SINCE,
        ),
        reps,
    )
    deep.checks[0]["target"] = "same query count as the first page"
    depth = deep.median_ms / first.median_ms
    deep.check("≤ 1.5× the first page", depth <= 1.5, f"{depth:.2f}×")
    lines.append(deep)
    return lines


def scale_count() -> int:
    from tracker.models import Recommendation

    return Recommendation.objects.filter(report__slug=SCALE_REPORT).count()


def scale_recommendation_id() -> int:
    from tracker.models import Recommendation

    return Recommendation.objects.get(report__slug=SCALE_REPORT, code=SCALE_CODE.upper()).pk


def scale_reports() -> list[str]:
    from tracker.models import Report

    reports = Report.objects.filter(slug__startswith=SCALE_PREFIX).order_by("slug")
    return list(reports.values_list("slug", flat=True))


def page_lines(site: Site, reps: int) -> list[Line]:
    """4: the public report page and a recommendation page."""
    return [
        *measure_page(
            site,
            f"report page ({scale_count():,} recommendations)",
            f"/reports/{DEMO_REPORT}/",
            f"/reports/{SCALE_REPORT}/",
            reps,
        ),
        *measure_page(
            site,
            "recommendation page (20 evaluations)",
            f"/reports/{DEMO_REPORT}/sec-1/",
            f"/reports/{SCALE_REPORT}/{SCALE_CODE}/",
            reps,
        ),
    ]


def conditional_lines(site: Site, reps: int) -> list[Line]:
    """6: conditional requests answered with 304."""
    return [
        measure_304(site, "report page, If-None-Match → 304", f"/reports/{SCALE_REPORT}/", reps),
        measure_304(
            site,
            "recommendation page, If-None-Match → 304",
            f"/reports/{SCALE_REPORT}/{SCALE_CODE}/",
            reps,
        ),
        measure_304(
            site,
            f"API recommendations, page of {PAGE}, If-None-Match → 304",
            f"/api/v1/recommendations/?report={SCALE_REPORT}&page_size={PAGE}&page=5",
            reps,
        ),
        measure_304(
            site,
            "API timeline, If-None-Match → 304",
            f"/api/v1/recommendations/{scale_recommendation_id()}/timeline/",
            reps,
        ),
    ]


def load_lines() -> list[Line]:
    return measure_load(
        {
            "static file (whitenoise), the ceiling": STATIC_PATH,
            f"report page ({scale_count():,} recommendations)": f"/reports/{SCALE_REPORT}/",
            f"API recommendations, page of {PAGE}": (
                f"/api/v1/recommendations/?report={SCALE_REPORT}&page_size={PAGE}"
            ),
        }
    )


# --- The run ---------------------------------------------------------------------------------


def print_table(lines: list[Line]) -> None:
    def ms(value: float | None) -> str:
        return f"{value:8.2f}" if value is not None else " " * 8

    print()
    print(
        f"{'measurement':<58} {'median':>8} {'p95':>8} {'queries':>9} "
        f"{'raw':>8} {'stock':>8} {'ours/raw':>8} {'stock/ours':>10}"
    )
    print("-" * 124)
    for line in lines:
        queries = ""
        if line.queries is not None:
            queries = (
                f"{line.queries}"
                if line.queries_small is None
                else (f"{line.queries_small}/{line.queries}")
            )
        ratio = stock = ""
        if line.raw_median_ms:
            ratio = f"{line.median_ms / line.raw_median_ms:.2f}"
        if line.stock_median_ms:
            stock = f"{line.stock_median_ms / line.median_ms:.1f}"
        if line.requests_per_s is not None:
            print(
                f"{line.name:<58} {line.requests_per_s:>8,.0f} req/s, p99 {line.p99_ms:.1f} ms, "
                f"{line.errors} errors"
            )
        else:
            print(
                f"{line.name:<58} {ms(line.median_ms)} {ms(line.p95_ms)} {queries:>9} "
                f"{ms(line.raw_median_ms)} {ms(line.stock_median_ms)} {ratio:>8} {stock:>10}"
            )
        if line.rows_per_s is not None:
            print(
                f"{'':<4}{line.rows_per_s:,.0f} rows/s, peak RSS growth {line.rss_growth_mb:.1f} MB"
            )
        if line.stock_queries is not None:
            print(f"{'':<4}stock DRF: {line.stock_queries} queries per request")
        for check in line.checks:
            verdict = "PASS" if check["pass"] else "FAIL"
            print(f"    {verdict}  {check['target']}: {check['figure']}")


def main() -> int:
    parser = argparse.ArgumentParser(description="The scorecard benchmark (see bench/README.md).")
    parser.add_argument("--reps", type=int, default=30, help="timed requests per measurement")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn + wrk")
    parser.add_argument(
        "--only",
        default="api,pages,export,304,load",
        help="comma-separated parts to run (default: all): api, pages, export, 304, load",
    )
    parser.add_argument("--export-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args.export_child)
        return 0

    parts = set(args.only.split(","))
    unknown = parts - {"api", "pages", "export", "304", "load"}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    if args.no_load:
        parts.discard("load")

    setup_django()
    from django.test.utils import override_settings

    from bench import raw

    load_data()
    override_settings(ROOT_URLCONF="bench.urls").enable()
    site = Site()
    database = raw.connect(os.environ["DATABASE_URL"])
    lines: list[Line] = []
    started = time.monotonic()

    def step(text: str) -> None:
        print(f"==> {text} ({time.monotonic() - started:.0f}s)", flush=True)

    if "api" in parts:
        lines += api_lines(site, database, args.reps, step)
    if "pages" in parts:
        step("Public pages")
        lines += page_lines(site, args.reps)
    if "export" in parts:
        step("CSV export")
        lines.append(measure_export(site, scale_reports()))
    if "304" in parts:
        step("Conditional requests")
        lines += conditional_lines(site, args.reps)
    if "load" in parts:
        step(
            f"Under load: gunicorn, 2 workers; wrk, {LOAD_CONNECTIONS} connections, "
            f"{LOAD_SECONDS}s each"
        )
        lines += load_lines()

    print_table(lines)
    results = ROOT / "bench" / "results.json"
    results.write_text(json.dumps([line.as_json() for line in lines], indent=2) + "\n")
    failed = [check for line in lines for check in line.checks if not check["pass"]]
    total = sum(len(line.checks) for line in lines)
    print(f"\n{total - len(failed)} of {total} targets PASS; results in bench/results.json")
    print(f"Took {time.monotonic() - started:.0f}s after loading the data.")
    return 1 if failed else 0


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


if __name__ == "__main__":
    sys.exit(main())
