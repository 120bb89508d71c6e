"""The CSV export of every published evaluation of the scale reports, in a fresh process:
rows per second, and the growth of its peak resident memory."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.data import DEMO_REPORT, HOST, ROOT, setup_django
from bench.measure import Line, Site

ROWS_PER_S_AT_LEAST = 100_000
RSS_GROWTH_MB_AT_MOST = 50


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
    result = subprocess.run(  # noqa: S603 -- the benchmark's own script, with URLs it built
        [sys.executable, str(ROOT / "bench" / "run.py"), "--export-child", *urls],
        check=False,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"The CSV export's process failed: {last}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["rows"] != expected:
        raise SystemExit(f"The export gave {figures['rows']} rows, not {expected}")
    line = Line(
        f"CSV export of all {expected:,} published evaluations ({len(urls)} reports)",
        median_ms=figures["seconds"] * 1000,
        queries=site.count(urls[0]),
        queries_small=site.count(f"/reports/{DEMO_REPORT}/evaluations.csv"),
        rows_per_s=figures["rows"] / figures["seconds"],
        rss_growth_mb=figures["rss_growth_kb"] / 1024,
    )
    line.same_queries()
    line.check(
        f"≥ {ROWS_PER_S_AT_LEAST:,} rows/s",
        line.rows_per_s >= ROWS_PER_S_AT_LEAST,
        f"{line.rows_per_s:,.0f} rows/s",
    )
    line.check(
        f"RSS growth ≤ {RSS_GROWTH_MB_AT_MOST} MB for {expected:,} rows",
        line.rss_growth_mb <= RSS_GROWTH_MB_AT_MOST,
        f"{line.rss_growth_mb:.1f} MB",
    )
    return line
