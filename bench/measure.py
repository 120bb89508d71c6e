"""How the benchmark times and counts: requests through the Django test client, cold and
warm, taken in turns; one Line per row of the table and of bench/results.json.

Cold and warm. A scorecard's responses may be served from caches keyed by the data's state,
so every measurement is made twice. Cold: before each timed request (outside the timing) a
real write moves the data's state (a Source saved through the ORM, so its `updated_at`
moves, as an editor's edit would) and every cache Django can name (`caches.all()`, the
shared and the per-process ones) is cleared, so the request cannot be answered from a
cache; it is the first request after a change. Warm: the same request repeated, data
unchanged, as readers send it all day.
"""

import datetime
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.data import HOST, SCALE, SCALE_REPORT


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


def interleaved(
    runners: dict[str, Callable[[], Any]],
    reps: int,
    *,
    warmups: int = 3,
    before: Callable[[], None] | None = None,
) -> dict[str, Timed]:
    """Time each runner `reps` times, taking turns, so that load on the machine (or a
    checkpoint of the database) falls on all of them alike. `before` runs ahead of every
    request, untimed (the cold measurements' write and cache clearing)."""
    for _ in range(warmups):
        for run in runners.values():
            if before:
                before()
            run()
    timed = {name: Timed() for name in runners}
    for _ in range(reps):
        for name, run in runners.items():
            if before:
                before()
            started = time.perf_counter()
            run()
            timed[name].samples.append((time.perf_counter() - started) * 1000)
    return timed


class Change:
    """The write before each cold request: a real change, then every cache emptied.

    The write saves, through the ORM, the scale report the measured URLs show and a source
    its evidence cites: every timestamp Django keeps on them (`auto_now`) moves, as when an
    editor saves them in the admin, whichever of them the data's state is computed from.
    What a process keeps by a part of that state the write leaves as it was (the published
    translations, tracker.translations, keyed by the translations' own moments) stays, as
    it stays in production after such a write."""

    def __init__(self) -> None:
        from tracker.models import EvidenceLink, Report, Source

        self.report = Report.objects.get(slug=SCALE_REPORT)
        cited = EvidenceLink.objects.filter(evaluation__recommendation__report=self.report)
        self.source = (
            Source.objects.filter(pk__in=cited.values("source_id")[:1]).first()
            or Source.objects.order_by("pk").first()
        )
        if self.source is None:
            raise SystemExit("The benchmark's data have no source to change.")

    def __call__(self) -> None:
        from django.core.cache import caches

        from scorecard import response_cache
        from scorecard.api import throttling

        self.report.save()
        self.source.save()
        for cache in caches.all(initialized_only=False):
            cache.clear()
        # The shared tables' culls (one in a hundred stores, or rate-limit windows started)
        # would land on whichever request comes hundredth, and that request would count two
        # queries more than the page asks: their tallies start again with the caches.
        response_cache.clear()
        throttling.forget_starts()

    def moves_state(self, site: "Site", urls: dict[str, str]) -> "Line":
        """Check, once, that the write moves the data's state that validators and caches
        are keyed by: after it, each response's Last-Modified names the write's moment."""
        from django.utils.http import parse_http_date_safe

        self()
        written = self.source.updated_at.replace(microsecond=0)
        # Last-Modified has whole seconds and may be withheld until its second is over.
        time.sleep(max(0.0, (written + datetime.timedelta(seconds=1.05) - _now()).total_seconds()))
        line = Line("cold requests: the write before each moves the data's state")
        for name, url in urls.items():
            header = site.get(url).get("Last-Modified")
            stamp = parse_http_date_safe(header) if header else None
            seen = datetime.datetime.fromtimestamp(stamp, datetime.UTC) if stamp else None
            line.check(
                f"{name}: Last-Modified after the write is the write's moment",
                seen == written,
                f"wrote {written:%H:%M:%S}, Last-Modified {seen:%H:%M:%S}" if seen else "none",
            )
        return line


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Site:
    """Requests through the Django test client, as an anonymous visitor."""

    def __init__(self) -> None:
        import gc

        from django.test import Client

        self.client = Client(SERVER_NAME=HOST)
        # As the served process does once loaded (scorecard/wsgi.py): what the benchmark
        # loaded so far is left out of the collector's full passes.
        gc.freeze()

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

    def count(self, url: str, *, before: Callable[[], None] | None = None, **headers) -> int:
        """The queries of one request, after a first one (a connection may prepare
        statements once, on the first request that runs them); `before` runs ahead of
        each of the two, uncounted."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        if before:
            before()
        self.get(url, **headers)
        if before:
            before()
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
    english_median_ms: float | None = None  # the Japanese lines: the same request in English
    queries_small: int | None = None
    stock_queries: int | None = None
    rows_per_s: float | None = None
    rss_growth_mb: float | None = None
    requests_per_s: float | None = None
    one_node_requests_per_s: float | None = None  # the two-node lines: one node of two workers
    deliveries_per_s: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)

    def check(self, target: str, passed: bool, figure: str) -> None:
        self.checks.append({"target": target, "pass": bool(passed), "figure": figure})

    def same_queries(self, target: str | None = None):
        # The profile's real size: 10,000 in the default one, 100,000 in the large one.
        target = target or (
            f"same query count at 25 and at {SCALE['recommendations']:,} recommendations"
        )
        self.check(
            target, self.queries == self.queries_small, f"{self.queries_small} and {self.queries}"
        )

    def as_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for key in (
            "median_ms",
            "p95_ms",
            "raw_median_ms",
            "stock_median_ms",
            "english_median_ms",
            "p99_ms",
        ):
            if data[key] is not None:
                data[key] = round(data[key], 2)
        for key in (
            "rows_per_s",
            "requests_per_s",
            "one_node_requests_per_s",
            "deliveries_per_s",
            "rss_growth_mb",
        ):
            if data[key] is not None:
                data[key] = round(data[key], 1)
        return data


def same_payload(name: str, ours: bytes, other: bytes, what: str) -> None:
    import orjson

    mine, theirs = orjson.loads(ours), orjson.loads(other)
    if mine == theirs:
        return
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
