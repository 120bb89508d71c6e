"""The public pages, cold and warm, and conditional requests answered with 304."""

from bench import data
from bench.data import DEMO_REPORT, PAGE, SCALE_CODE, SCALE_REPORT
from bench.measure import Change, Line, Site, interleaved


def measure_page(
    site: Site, name: str, small: str, large: str, reps: int, change: Change
) -> list[Line]:
    """A page cold (the first request after a change, every cache emptied) and warm
    (the same request again, data unchanged)."""

    def get() -> bytes:
        return site.ok(large)

    get()
    cold = interleaved({"page": get}, reps, before=change)["page"]
    warm = interleaved({"page": get}, reps)["page"]
    lines = [
        Line(
            f"{name}, cold",
            median_ms=cold.median,
            p95_ms=cold.p95,
            queries=site.count(large, before=change),
            queries_small=site.count(small, before=change),
        ),
        Line(
            f"{name}, warm",
            median_ms=warm.median,
            p95_ms=warm.p95,
            queries=site.count(large),
            queries_small=site.count(small),
        ),
    ]
    for line in lines:
        line.same_queries()
    return lines


def page_lines(site: Site, reps: int, change: Change) -> list[Line]:
    """4: the public report page, a recommendation page and a report's Atom feed."""
    return [
        *measure_page(
            site,
            f"report page ({data.scale_count():,} recommendations)",
            f"/reports/{DEMO_REPORT}/",
            f"/reports/{SCALE_REPORT}/",
            reps,
            change,
        ),
        *measure_page(
            site,
            "recommendation page (20 evaluations)",
            f"/reports/{DEMO_REPORT}/sec-1/",
            f"/reports/{SCALE_REPORT}/{SCALE_CODE}/",
            reps,
            change,
        ),
        *measure_page(
            site,
            "a report's Atom feed",
            f"/reports/{DEMO_REPORT}/feed/",
            f"/reports/{SCALE_REPORT}/feed/",
            reps,
            change,
        ),
    ]


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


def conditional_lines(site: Site, reps: int) -> list[Line]:
    """6: conditional requests answered with 304 (data unchanged since the ETag)."""
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
            f"/api/v1/recommendations/{data.scale_recommendation().pk}/timeline/",
            reps,
        ),
    ]


def actor_due_page_lines(site: Site, reps: int, change: Change) -> list[Line]:
    """The actor page of the actor most recommendations name (beside one naming the demo's
    only), and the report page filtered to its overdue recommendations."""
    large, small = data.scale_actor(), data.ensure_demo_actor()
    return [
        *measure_page(
            site,
            "actor page (the most named actor)",
            f"/actors/{small}/",
            f"/actors/{large}/",
            reps,
            change,
        ),
        *measure_page(
            site,
            "report page, due=overdue",
            f"/reports/{DEMO_REPORT}/?due=overdue",
            f"/reports/{SCALE_REPORT}/?due=overdue",
            reps,
            change,
        ),
    ]
