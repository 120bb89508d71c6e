"""The API beside the raw lower bound (bench/raw.py) and stock DRF (bench/stock_drf.py):
a page of recommendations, a timeline, the change feed's first page and a deep one."""

import datetime
from collections.abc import Callable

from bench import raw
from bench.data import DEMO_REPORT, HOST, PAGE, SCALE, SCALE_REPORT
from bench.measure import Change, Line, Site, interleaved, same_payload

SINCE = "2000-01-01T00:00:00Z"
DEEP_ROWS = SCALE["deep_rows"]
COLD_RAW_AT_MOST = 2.0  # cache cold: at most this many times the raw lower bound
STOCK_AT_LEAST = 3.0  # cache cold: at least this many times faster than stock DRF


def compare_api(
    site: Site, name: str, urls: dict[str, str], raw_run: Callable[[], bytes], reps: int,
    change: Change,
) -> list[Line]:  # fmt: skip
    """Ours beside raw and stock on one payload, cold and warm; urls: ours, small (the
    same request on the demo), stock."""
    ours_url, stock_url = urls["ours"], urls["stock"]
    ours = site.ok(ours_url)
    same_payload(name, ours, raw_run(), "raw")
    same_payload(name, ours, site.ok(stock_url).replace(b"/bench-stock/", b"/"), "stock DRF")

    def ours_run() -> bytes:
        return site.ok(ours_url)

    # Every runner gets the same write first: raw and stock have no cache to lose, but
    # they then read the same freshly written table.
    cold = interleaved(
        {"ours": ours_run, "raw": raw_run, "stock": lambda: site.ok(stock_url)},
        reps,
        before=change,
    )
    warm = interleaved({"ours": ours_run, "raw": raw_run}, reps)
    cold_line = Line(
        f"{name}, cold",
        median_ms=cold["ours"].median,
        p95_ms=cold["ours"].p95,
        queries=site.count(ours_url, before=change),
        queries_small=site.count(urls["small"], before=change),
        raw_median_ms=cold["raw"].median,
        stock_median_ms=cold["stock"].median,
        stock_queries=site.count(stock_url, before=change),
    )
    cold_line.same_queries()
    ratio = cold_line.median_ms / cold_line.raw_median_ms
    cold_line.check(
        f"cache cold ≤ {COLD_RAW_AT_MOST:g}× the raw lower bound",
        ratio <= COLD_RAW_AT_MOST,
        f"{ratio:.2f}×",
    )
    speedup = cold_line.stock_median_ms / cold_line.median_ms
    cold_line.check(
        f"cache cold ≥ {STOCK_AT_LEAST:g}× faster than stock DRF",
        speedup >= STOCK_AT_LEAST,
        f"{speedup:.1f}×",
    )
    warm_line = Line(
        f"{name}, warm",
        median_ms=warm["ours"].median,
        p95_ms=warm["ours"].p95,
        queries=site.count(ours_url),
        queries_small=site.count(urls["small"]),
        raw_median_ms=warm["raw"].median,
    )
    warm_line.same_queries()
    return [cold_line, warm_line]


def api_lines(site: Site, database, reps: int, change: Change, step) -> list[Line]:
    """1-3: the API beside the raw lower bound and stock DRF."""
    from bench import data

    lines = []
    # 1. A page of 100 recommendations with current grades.
    step("API recommendations")
    page = SCALE["list_page"]
    base = f"http://{HOST}/api/v1/recommendations/"
    query = f"?report={SCALE_REPORT}&page_size={PAGE}&page={page}"
    lines += compare_api(
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
        change,
    )

    # 2. One recommendation's timeline (20 evaluations, with evidence).
    step("API timeline")
    large, small = data.scale_recommendation(), data.demo_recommendation()
    lines += compare_api(
        site,
        "API recommendations/{id}/timeline",
        {
            "ours": f"/api/v1/recommendations/{large.pk}/timeline/",
            "small": f"/api/v1/recommendations/{small.pk}/timeline/",
            "stock": f"/bench-stock/api/v1/recommendations/{large.pk}/timeline/",
        },
        lambda: raw.timeline(database, recommendation=large.pk),
        reps,
        change,
    )

    # 3. The change feed: the first page, and a page 150,000 rows deep.
    step("API change feed")
    since = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    feed_base = f"http://{HOST}/api/v1/evaluations/"
    feed_query = f"?updated_since={SINCE}&page_size={PAGE}"
    # The same request when only about 25 rows have changed since.
    recent = data.feed_rows_after(since, 25).astimezone(datetime.UTC)
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
        change,
    )
    lines += first
    # The cursor the API hands out after the 150,000th row (as following `next` would):
    # its wire format, as raw.py writes it in `next` links the payload check compares.
    updated_at, pk = data.feed_position(since, DEEP_ROWS)
    cursor = raw.feed_cursor(updated_at, pk)
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
        change,
    )
    for line in deep:
        line.checks[0]["target"] = "same query count as the first page"
    depth = deep[0].median_ms / first[0].median_ms
    deep[0].check("cache cold: ≤ 1.5× the first page", depth <= 1.5, f"{depth:.2f}×")
    lines += deep
    return lines


def actor_due_api_lines(site: Site, reps: int, change: Change) -> list[Line]:
    """The API's actor record (the actor most recommendations name, beside one naming the
    demo's only) and the recommendations list filtered to the overdue ones, cold and warm.
    No raw lower bound or stock DRF beside them."""
    from bench import data
    from bench.pages import measure_page

    large, small = data.scale_actor(), data.ensure_demo_actor()
    return [
        *measure_page(
            site,
            "API actors/{slug} (the most named actor)",
            f"/api/v1/actors/{small}/",
            f"/api/v1/actors/{large}/",
            reps,
            change,
        ),
        *measure_page(
            site,
            f"API recommendations?due=overdue, page of {PAGE}",
            f"/api/v1/recommendations/?report={DEMO_REPORT}&due=overdue&page_size={PAGE}",
            f"/api/v1/recommendations/?report={SCALE_REPORT}&due=overdue&page_size={PAGE}",
            reps,
            change,
        ),
    ]
