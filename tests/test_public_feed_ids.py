"""Feed ids are permanent, links name the canonical site, an empty feed's time is the data's.

Read with feedparser, as a feed reader would.
"""

import datetime

import feedparser
import pytest
from django.test import override_settings

from tests import factories
from tests.test_settings import start

HOSTS = ("127.0.0.1", "localhost")


def read(client, url: str, host: str) -> feedparser.FeedParserDict:
    response = client.get(url, HTTP_HOST=host)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo is False
    return parsed


@pytest.mark.parametrize("url", ["/feed/", "/reports/armitage-nye-2000/feed/"])
def test_a_feed_read_under_two_host_names_has_the_same_ids(demo, client, url):
    first, second = (read(client, url, host) for host in HOSTS)

    ids = [entry.id for entry in first.entries]
    assert len(ids) == 34
    assert len(set(ids)) == 34
    assert [entry.id for entry in second.entries] == ids
    assert first.feed.id == second.feed.id
    # Ids name the evaluation, and no host the request came in under.
    assert all(entry.id.startswith("tag:localhost,2026:evaluation/") for entry in first.entries)
    assert not any("127.0.0.1" in entry.id for entry in first.entries)


def test_feed_ids_name_the_evaluation_and_the_feed(demo, client):
    parsed = read(client, "/reports/armitage-nye-2000/feed/", "localhost")

    assert parsed.feed.id == "tag:localhost,2026:report/armitage-nye-2000/feed"
    entry = parsed.entries[0]
    evaluation_id = entry.link.rsplit("#evaluation-", 1)[1]
    assert entry.id == f"tag:localhost,2026:evaluation/{evaluation_id}"


@override_settings(
    SITE_URL="https://scorecard.example.org", SITE_TAG_AUTHORITY="scorecard.example.org"
)
def test_with_a_site_url_links_and_ids_use_it_whatever_the_host(demo, client):
    parsed = read(client, "/feed/", "127.0.0.1")

    assert parsed.feed.id == "tag:scorecard.example.org,2026:feed"
    assert parsed.feed.link == "https://scorecard.example.org/"
    assert {entry.link.split("/reports/")[0] for entry in parsed.entries} == {
        "https://scorecard.example.org"
    }
    assert {entry.id.split(":evaluation/")[0] for entry in parsed.entries} == {
        "tag:scorecard.example.org,2026"
    }


@override_settings(SITE_URL="https://scorecard.example.org")
def test_with_a_site_url_the_embed_code_and_exports_use_it(demo, client):
    page = client.get("/reports/armitage-nye-2000/sec-7/", HTTP_HOST="127.0.0.1").text
    assert (
        '&lt;a href="https://scorecard.example.org/reports/armitage-nye-2000/sec-7/"&gt;'
        '&lt;img src="https://scorecard.example.org/reports/armitage-nye-2000/sec-7/badge.svg"'
    ) in page

    export = client.get("/reports/armitage-nye-2000/export.json", HTTP_HOST="127.0.0.1").json()
    assert export["report"]["url"] == "https://scorecard.example.org/reports/armitage-nye-2000/"


def test_an_empty_feed_is_as_old_as_its_data(report, client):
    recommendation = factories.make_recommendation(report, code="SEC-1")
    draft = factories.make_evaluation(recommendation, status="draft")
    changed = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
    type(draft).objects.filter(pk=draft.pk).update(updated_at=changed)

    parsed = read(client, f"/reports/{report.slug}/feed/", "localhost")

    assert parsed.entries == []
    assert parsed.feed.updated == "2024-05-01T12:00:00+00:00"


def test_a_feed_of_a_report_never_graded_dates_from_the_report(report, client):
    parsed = read(client, f"/reports/{report.slug}/feed/", "localhost")

    assert parsed.feed.updated == "2000-10-11T00:00:00+00:00"


def test_the_sites_feed_with_no_data_dates_from_the_epoch(db, client):
    assert read(client, "/feed/", "localhost").feed.updated == "1970-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    "value",
    ["scorecard.example.org", "ftp://scorecard.example.org", "https://x.org/sub/path", "https://"],
)
def test_a_malformed_site_url_stops_the_start_naming_the_variable(value):
    result = start({"DJANGO_SITE_URL": value})
    assert result.returncode != 0
    assert "DJANGO_SITE_URL" in result.stderr.splitlines()[-1]


def test_a_site_url_is_read_without_its_trailing_slash():
    result = start(
        {"DJANGO_SITE_URL": "https://scorecard.example.org:8443/"},
        "from django.conf import settings; print(settings.SITE_URL, settings.SITE_TAG_AUTHORITY)",
    )
    assert result.stdout == "https://scorecard.example.org:8443 scorecard.example.org\n"
