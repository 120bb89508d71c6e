"""Every page copes with many reports and many recommendations (issue 18).

The home page lists 50 reports a page and finds them by words and year; a report's scorecard
lists 100 recommendations a page, area by area, with its figures over all of them; and every
page, API list and export runs exactly as many queries on a large dataset (made by the
scale-data generator) as on the demo's 2 reports and 25 recommendations.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker import listings
from tracker.models import Area, Report

REPORT = "/reports/scale-s1-r1/"  # 300 recommendations, 50 in each of 6 areas


def generate(*, seed: int, recommendations: int, per_report: int, evaluations_per: int) -> None:
    call_command(
        "generate_scale_data",
        recommendations=recommendations,
        per_report=per_report,
        evaluations_per=evaluations_per,
        seed=seed,
        quiet=True,
        stdout=StringIO(),
    )


@pytest.fixture
def large(demo):
    """The demo, and 3 reports of 300 recommendations (3 evaluations each), and 60 small
    reports of 2: 65 reports in all, two pages of the home page."""
    generate(seed=1, recommendations=900, per_report=300, evaluations_per=3)
    generate(seed=2, recommendations=120, per_report=2, evaluations_per=1)
    return demo


def codes(content: bytes) -> list[str]:
    """The recommendation codes a scorecard page lists, in order."""
    return re.findall(r'<span class="code">([A-Z]+-\d+)</span></th>', content.decode())


def headings(content: bytes) -> list[str]:
    return re.findall(r'<h2 id="area-[a-z-]+-heading">([^<]+)</h2>', content.decode())


def report_titles(content: bytes) -> list[str]:
    return re.findall(r'<h3><a href="/reports/([^/]+)/">', content.decode())


# --- Query counts -----------------------------------------------------------------------------

# Each URL asked on the demo, and its twin on the large data: the same number of queries.
TWINS = {
    "/": ["/", "/?page=2", "/?q=generated+report&year=2000"],
    "/reports/armitage-nye-2000/": [REPORT, f"{REPORT}?page=2", f"{REPORT}?page=3"],
    "/reports/armitage-nye-2000/?area=security&q=e": [
        f"{REPORT}?area=bases&q=e",
        f"{REPORT}?q=generated&page=2",
    ],
    # A recommendation's page reads its related ones and its evidence only when it has
    # some: each page is its own twin, in a much larger database.
    "/reports/armitage-nye-2000/sec-7/": ["/reports/armitage-nye-2000/sec-7/"],
    "/reports/heritage-2004/her-1/": ["/reports/heritage-2004/her-1/"],
    "/api/v1/reports/": ["/api/v1/reports/", "/api/v1/reports/?q=generated&year=2000"],
    "/api/v1/recommendations/": ["/api/v1/recommendations/", "/api/v1/recommendations/?page=3"],
    "/api/v1/evaluations/": ["/api/v1/evaluations/"],
    "/api/v1/areas/": ["/api/v1/areas/"],
    "/api/v1/sources/": ["/api/v1/sources/"],
    "/reports/armitage-nye-2000/export.csv": [f"{REPORT}export.csv"],
    "/reports/armitage-nye-2000/export.json": [f"{REPORT}export.json"],
    "/reports/armitage-nye-2000/evaluations.csv": [f"{REPORT}evaluations.csv"],
    "/reports/armitage-nye-2000/evidence.csv": [f"{REPORT}evidence.csv"],
}


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(queries)


def test_every_page_costs_as_many_queries_on_large_data_as_on_the_demo(
    demo, client, django_assert_num_queries
):
    on_demo = {url: _queries(client, url) for url in TWINS}

    generate(seed=1, recommendations=900, per_report=300, evaluations_per=3)
    generate(seed=2, recommendations=120, per_report=2, evaluations_per=1)

    for demo_url, urls in TWINS.items():
        for url in urls:
            with django_assert_num_queries(on_demo[demo_url], info=f"{url} (as {demo_url})"):
                response = client.get(url)
                assert response.status_code == 200, url
                if response.streaming:
                    b"".join(response.streaming_content)


# --- The home page ----------------------------------------------------------------------------


def test_the_home_page_lists_50_reports_a_page(large, client):
    first = client.get("/")
    second = client.get("/?page=2")

    assert (first.status_code, second.status_code) == (200, 200)
    everything = list(
        Report.objects.order_by("published_on", "slug").values_list("slug", flat=True)
    )
    assert len(everything) == 65
    assert report_titles(first.content) == everything[:50]
    assert report_titles(second.content) == everything[50:]
    page = first.content.decode()
    assert "1–50 of 65 · Page 1 of 2 · " in page
    assert '<a href="/?page=2" rel="next">Next page</a>' in page
    assert '<link rel="next" href="/?page=2">' in page
    assert 'rel="prev"' not in page
    page = second.content.decode()
    assert "51–65 of 65 · Page 2 of 2 · " in page
    assert '<a href="/" rel="prev">Previous page</a>' in page
    assert '<link rel="prev" href="/">' in page
    assert 'rel="next"' not in page
    assert "<title>Page 2 of 2 · Alliance Scorecard</title>" in page
    assert "All 65 reports, oldest first." in page


def test_the_home_page_of_the_demo_shows_neither_pager_nor_finder(demo, client):
    page = client.get("/").content.decode()

    assert report_titles(page.encode()) == ["armitage-nye-2000", "heritage-2004"]
    assert 'class="pager"' not in page
    assert 'rel="next"' not in page
    assert 'aria-label="Filter the reports"' not in page


def test_reports_are_found_by_words_and_year_and_the_pager_keeps_them(large, client):
    # Every word, in any case, in the short name, title, authors or institution, each
    # possibly in a different one.
    found = client.get("/?q=ARMITAGE+nye")
    assert report_titles(found.content) == ["armitage-nye-2000"]
    assert "1 report matches." in found.content.decode()
    assert 'value="ARMITAGE nye"' in found.content.decode()
    for words, slug in (
        ("mature+partnership", "armitage-nye-2000"),  # title
        ("balbina", "heritage-2004"),  # authors
        ("defense+universit", "armitage-nye-2000"),  # institution, inside a word
        ("foundation+agenda", "heritage-2004"),  # institution and short name
    ):
        assert report_titles(client.get(f"/?q={words}").content) == [slug], words

    by_year = report_titles(client.get("/?year=2004").content)
    assert "heritage-2004" in by_year
    assert "armitage-nye-2000" not in by_year
    assert by_year == list(
        Report.objects.filter(published_on__year=2004)
        .order_by("published_on", "slug")
        .values_list("slug", flat=True)
    )
    # 60 small generated reports and 3 larger ones are "Generated report N": two pages.
    first = client.get("/?q=generated+report").content.decode()
    assert "63 reports match." in first
    assert '<a href="/?q=generated+report&amp;page=2" rel="next">Next page</a>' in first
    second = client.get("/?q=generated+report&page=2").content.decode()
    assert len(report_titles(second.encode())) == 13
    assert '<a href="/?q=generated+report" rel="prev">Previous page</a>' in second

    nothing = client.get("/?q=nothing-matches-this").content.decode()
    assert report_titles(nothing.encode()) == []
    assert 'No report matches these filters. <a href="/">Show them all</a>.' in nothing


def test_the_home_page_refuses_bad_pages_and_filters(large, client):
    past_the_end = client.get("/?page=3")
    assert past_the_end.status_code == 404
    assert "There is no page 3 of the reports." in past_the_end.content.decode()

    for bad in ("/?page=two", "/?page=0", "/?page=-1", "/?page=10001"):
        response = client.get(bad)
        assert response.status_code == 400, bad
        assert "<strong>page</strong>: The page is a whole number from 1 to 10,000." in (
            response.content.decode()
        ), bad

    both = client.get("/?page=x&year=20x4&q=" + "x" * 201).content.decode()
    assert "<strong>page</strong>: The page is a whole number from 1 to 10,000." in both
    assert "<strong>q</strong>: The search text is too long; use at most 200 characters." in both
    assert "<strong>year</strong>: “20x4” is not a year. Write it with four digits" in both
    # The form's blank fields: the same page without them.
    response = client.get("/?q=&year=&page=")
    assert (response.status_code, response["Location"]) == (302, "/")


def test_the_api_report_list_takes_the_same_filters(large, client):
    found = client.get("/api/v1/reports/?q=armitage+NYE").json()
    assert [report["slug"] for report in found["results"]] == ["armitage-nye-2000"]
    by_year = client.get("/api/v1/reports/?year=2004&page_size=200").json()
    assert [report["slug"] for report in by_year["results"]] == list(
        Report.objects.filter(published_on__year=2004)
        .order_by("published_on", "slug")
        .values_list("slug", flat=True)
    )
    bad = client.get("/api/v1/reports/?year=soon&q=")
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "q": ["q is empty: give a value, or leave q out."],
        "year": ["“soon” is not a year. Write it with four digits, e.g. 2004."],
    }


def test_each_page_is_kept_under_its_own_query_string(large, client):
    # The response cache keys on the query string: page 2, asked again, is still page 2.
    first = client.get("/").content
    second = client.get("/?page=2").content
    assert client.get("/?page=2").content == second
    assert client.get("/").content == first
    assert first != second


# --- A report's scorecard ---------------------------------------------------------------------


def test_a_large_scorecard_is_paged_area_by_area(large, client):
    first = client.get(REPORT).content
    second = client.get(f"{REPORT}?page=2").content
    third = client.get(f"{REPORT}?page=3").content

    # 100 a page, area by area in report order; each area holds a run of 50.
    assert codes(first) == [f"GEN-{n}" for n in range(1, 101)]
    assert codes(second) == [f"GEN-{n}" for n in range(101, 201)]
    assert codes(third) == [f"GEN-{n}" for n in range(201, 301)]
    assert headings(first) == ["Politics", "Security"]
    assert headings(second) == ["Bases", "Intelligence"]
    assert headings(third) == ["Economy", "Diplomacy"]
    page = second.decode()
    assert "101–200 of 300 · Page 2 of 3 · " in page
    assert f'<a href="{REPORT}" rel="prev">Previous page</a>' in page
    assert f'<a href="{REPORT}?page=3" rel="next">Next page</a>' in page
    assert f'<link rel="prev" href="{REPORT}"><link rel="next" href="{REPORT}?page=3">' in page
    assert "<title>Generated report 1 scorecard · Page 2 of 3 · Alliance Scorecard</title>" in page
    # The figures count all 300, whichever page is shown.
    for content in (first, second, third):
        assert "All 300 recommendations, by area." in content.decode()
        assert "300 recommendations in 6 areas; " in content.decode()
        assert content.decode().count("<p>50 recommendations</p>") == 2


def test_an_area_spanning_two_pages_is_headed_continued(large, client, monkeypatch):
    monkeypatch.setattr(listings, "RECOMMENDATIONS_PAGE_SIZE", 30)
    report = Report.objects.get(slug="scale-s1-r1")
    # An area with no recommendation, last: shown where the list reaches it, on the last page.
    Area.objects.create(report=report, slug="empty", name="Empty", position=7)

    second = client.get(f"{REPORT}?page=2").content
    assert codes(second) == [f"GEN-{n}" for n in range(31, 61)]
    assert headings(second) == ["Politics (continued)", "Security"]
    assert headings(client.get(f"{REPORT}?page=9").content) == [
        "Economy (continued)",
        "Diplomacy",
    ]
    last = client.get(f"{REPORT}?page=10").content
    assert headings(last) == ["Diplomacy (continued)", "Empty"]
    assert "No recommendations in this area." in last.decode()
    assert headings(client.get(REPORT).content) == ["Politics"]


def test_the_pager_keeps_the_filters(large, client, monkeypatch):
    monkeypatch.setattr(listings, "RECOMMENDATIONS_PAGE_SIZE", 30)
    url = f"{REPORT}?q=measure&as_of=2005-01-01&area=security"
    first = client.get(url).content.decode()
    assert "30 of 50 shown" not in first  # an area's count is over every page
    assert "<p>50 of 50 shown</p>" in first
    assert "50 of 300 recommendations match." in first
    assert "1–30 of 50 · Page 1 of 2 · " in first
    link = f"{REPORT}?area=security&amp;q=measure&amp;as_of=2005-01-01&amp;page=2"
    assert f'<a href="{link}" rel="next">Next page</a>' in first
    second = client.get(f"{url}&page=2").content
    assert codes(second) == [f"GEN-{n}" for n in range(81, 101)]
    assert headings(second) == ["Security (continued)"]


def test_the_scorecard_refuses_bad_pages(large, client):
    past_the_end = client.get(f"{REPORT}?page=4")
    assert past_the_end.status_code == 404
    assert "There is no page 4 of Generated report 1’s recommendations." in (
        past_the_end.content.decode()
    )
    bad = client.get(f"{REPORT}?page=last&grade=no-such-grade")
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "<strong>grade</strong>: There is no grade “no-such-grade” here." in page
    assert "<strong>page</strong>: The page is a whole number from 1 to 10,000." in page
    assert client.get(f"{REPORT}?page=0").status_code == 400
    # One page only: page 1 is the page, page 2 is not there.
    assert client.get("/reports/armitage-nye-2000/?page=1").status_code == 200
    assert client.get("/reports/armitage-nye-2000/?page=2").status_code == 404
