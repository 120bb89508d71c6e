"""Public responses are cacheable by anyone and revalidate cheaply: ETag, Last-Modified,
304 answers, `Cache-Control: public`, and never `Vary: Cookie`."""

import datetime

import pytest
from django.utils.http import http_date

from tests import factories
from tests.test_public_query_counts import PAGES
from tracker import services
from tracker.models import Recommendation, Source, Status

SCORECARD = "/reports/armitage-nye-2000/"
PUBLIC_URLS = [url for url in PAGES if url != "/grades.css"]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_responses_are_cacheable_and_do_not_vary_on_cookies(demo, client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]
    assert sorted(response["Cache-Control"].split(", ")) == ["max-age=60", "public"]
    assert "cookie" not in response.get("Vary", "").lower()
    assert not response.cookies


def test_if_modified_since_gets_a_304(demo, client):
    last_modified = client.get(SCORECARD)["Last-Modified"]
    assert client.get(SCORECARD, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    earlier = http_date(datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC).timestamp())
    assert client.get(SCORECARD, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_a_304_keeps_the_caching_headers(demo, client):
    etag = client.get(SCORECARD)["ETag"]
    response = client.get(SCORECARD, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert "public" in response["Cache-Control"]


def test_grade_colours_stylesheet_is_conditional(demo, client):
    response = client.get("/grades.css")
    assert response["Content-Type"] == "text/css; charset=utf-8"
    grade = demo.grade_scale.grades.get(slug="accomplished")
    assert f".grade-{grade.pk} {{ background-color: {grade.colour};" in response.text
    assert client.get("/grades.css", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    grade.colour = "#004400"
    grade.save()
    assert client.get("/grades.css", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


@pytest.fixture
def published(demo):
    """A published evaluation of SEC-3 that no edition freezes, so it may change."""
    evaluation = factories.make_evaluation(
        Recommendation.objects.get(report=demo, code="SEC-3"),
        "accomplished",
        as_of=datetime.date(2009, 1, 1),
        status=Status.DRAFT,
    )
    return services.publish_evaluation(evaluation=evaluation)


def _changes_etag(client, change) -> bool:
    before = client.get(SCORECARD)["ETag"]
    change()
    return client.get(SCORECARD)["ETag"] != before


def test_publishing_changes_the_etag(demo, client):
    draft = factories.make_evaluation(
        Recommendation.objects.get(report=demo, code="SEC-3"),
        "accomplished",
        as_of=datetime.date(2009, 1, 1),
        status=Status.DRAFT,
    )
    assert _changes_etag(client, lambda: services.publish_evaluation(evaluation=draft))


def test_withdrawing_changes_the_etag(published, client):
    assert _changes_etag(client, lambda: services.unpublish_evaluation(evaluation=published))


def test_editing_a_published_evaluation_changes_the_etag(published, client):
    assert _changes_etag(
        client,
        lambda: services.update_evaluation(
            evaluation=published,
            expected_version=published.version,
            changes={"narrative": "Corrected."},
        ),
    )


def test_citing_more_evidence_changes_the_etag(published, client):
    source = factories.make_source()
    assert _changes_etag(
        client, lambda: services.add_evidence(evaluation=published, evidence=[{"source": source}])
    )


def test_editing_a_source_changes_the_etag(demo, client):
    source = Source.objects.get(key="hwang-2004-new-security-agenda")

    def edit():
        source.publisher = "The Heritage Foundation, Washington"
        source.save()

    assert _changes_etag(client, edit)


def test_editing_a_recommendation_changes_the_etag(demo, client):
    recommendation = Recommendation.objects.get(report=demo, code="SEC-3")

    def edit():
        recommendation.title = "Cooperation among all armed services"
        recommendation.save()

    assert _changes_etag(client, edit)


def test_publishing_an_edition_changes_the_etag(published, client):
    assert _changes_etag(
        client,
        lambda: services.publish_edition(
            report=published.recommendation.report,
            slug="2009-update",
            name="2009 update",
            as_of=datetime.date(2009, 1, 1),
        ),
    )
