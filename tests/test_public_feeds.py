"""Atom feeds of published grades, and the embeddable badges."""

import xml.etree.ElementTree as ET

from tracker.models import Evaluation, Grade, Status

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)  # noqa: S314 -- our own feed, from the test client
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "published": entry.findtext(f"{ATOM}published"),
            "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
            "summary": entry.findtext(f"{ATOM}summary"),
        }
        for entry in feed.findall(f"{ATOM}entry")
    ]


def test_feed_lists_published_grades_newest_first(demo, client):
    entries = _entries(client.get("/feed/"))

    assert len(entries) == 34
    assert [entry["published"][:10] for entry in entries[:9]] == ["2008-01-15"] * 9
    assert {entry["published"][:10] for entry in entries[9:]} == {"2004-04-26"}
    titles = {entry["title"] for entry in entries}
    assert "SEC-7 raised to Accomplished from Substantial progress (as of 2008-01-15)" in titles
    assert "DIP-4 lowered to Slow progress from Substantial progress (as of 2008-01-15)" in titles
    assert "SEC-2 still Slow progress (as of 2008-01-15)" in titles
    assert "POL-1 graded Slow progress (as of 2004-04-26)" in titles


def test_feed_entries_link_to_the_evaluation_on_the_recommendation_page(demo, client):
    entries = _entries(client.get("/feed/"))
    sec7 = Evaluation.objects.get(
        recommendation__code="SEC-7", as_of="2008-01-15", status=Status.PUBLISHED
    )
    entry = next(e for e in entries if e["title"].startswith("SEC-7 raised"))

    assert entry["link"] == (
        f"http://testserver/reports/armitage-nye-2000/sec-7/#evaluation-{sec7.pk}"
    )
    assert entry["author"] == "Scorecard editors (sample)"
    assert "Scope broadened to co-development and deployment" in entry["summary"]


def test_report_feed_has_only_that_reports_grades(demo, client):
    assert len(_entries(client.get("/reports/armitage-nye-2000/feed/"))) == 34
    assert _entries(client.get("/reports/heritage-2004/feed/")) == []
    assert client.get("/reports/no-such-report/feed/").status_code == 404


def test_badge_shows_the_current_grade_in_its_colour(demo, client):
    response = client.get("/reports/armitage-nye-2000/sec-7/badge.svg")
    accomplished = Grade.objects.get(scale=demo.grade_scale, slug="accomplished")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = response.content.decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "<title>SEC-7: Accomplished (as of 2008-01-15)</title>" in svg
    assert f'fill="{accomplished.colour}"' in svg
    assert '<text x="' in svg
    assert ">Accomplished</text>" in svg
    ET.fromstring(svg)  # noqa: S314 -- our own badge; parses, so it is well-formed XML


def test_badge_of_an_ungraded_recommendation(demo, client):
    svg = client.get("/reports/heritage-2004/her-1/badge.svg").content.decode()
    assert "<title>HER-1: not yet graded</title>" in svg
    assert client.get("/reports/heritage-2004/her-99/badge.svg").status_code == 404
