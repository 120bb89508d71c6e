"""What the actors say, exported (`/reports/<report>/responses.csv`): one row per published
response to the recommendations the scorecard's filters keep (the same filters, the same
meaning), as of a date or as an edition froze them; drafts never leak; linked beside the
other exports; a fixed number of queries."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.test_responses import make_response
from tracker import services
from tracker.models import Actor, Response, ResponsePosition

DRAFT = "DRAFT-RESPONSE-b52"


@pytest.fixture
def said(report):
    """SEC-1 (addressed to Japan) with two published responses and a draft; SEC-2 (the
    United States) with one; SEC-3 with none."""
    japan = Actor.objects.create(slug="japan", name="Japan", kind="government")
    states = Actor.objects.create(slug="united-states", name="United States", kind="government")
    first, second, _ = (factories.make_recommendation(report) for _ in "123")
    first.actors.set([japan])
    second.actors.set([states])
    make_response(first, japan, statement="We completed the review.")
    make_response(
        first,
        japan,
        statement="=Roles were set.",  # a formula-like cell is made plain
        said_on=datetime.date(2006, 5, 1),
        position=ResponsePosition.PARTLY_ACCEPTED,
    )
    make_response(first, japan, statement=DRAFT, publish=False, said_on=datetime.date(2007, 1, 1))
    make_response(second, states, statement="Noted.", position=ResponsePosition.NOTED)
    return report


def rows(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_one_row_per_published_response_in_report_order(client, said):
    found = rows(client, f"/reports/{said.slug}/responses.csv")

    first = Response.objects.get(statement="We completed the review.")
    source = first.sources.get().source
    assert found[0] == {
        "report": said.slug,
        "area": first.recommendation.area.name,
        "code": "SEC-1",
        "title": "Recommendation 1",
        "response_id": str(first.pk),
        "actor": "japan",
        "actor_name": "Japan",
        "position": "accepted",
        "said_on": "2001-06-30",
        "statement": "We completed the review.",
        "source_keys": source.key,
        "source_urls": source.url,
        "published_at": first.published_at.isoformat(),
        "updated_at": first.updated_at.isoformat(),
        "url": f"http://testserver/reports/{said.slug}/sec-1/#response-{first.pk}",
    }
    assert [(row["code"], row["position"], row["statement"]) for row in found] == [
        ("SEC-1", "accepted", "We completed the review."),
        ("SEC-1", "partly-accepted", "'=Roles were set."),
        ("SEC-2", "noted", "Noted."),
    ]
    assert DRAFT not in str(found)


def test_the_filters_mean_what_they_mean_on_the_page(client, said):
    def codes(query: str) -> list[str]:
        return [row["code"] for row in rows(client, f"/reports/{said.slug}/responses.csv?{query}")]

    assert codes("actor=japan") == ["SEC-1", "SEC-1"]
    assert codes("code=sec-2") == ["SEC-2"]
    assert codes("q=recommendation+2") == ["SEC-2"]
    assert codes("as_of=2005-01-01") == ["SEC-1", "SEC-2"]  # said by then
    bad = client.get(f"/reports/{said.slug}/responses.csv?actor=nobody&as_of=tomorrow")
    assert bad.status_code == 400
    assert "There is no responsible actor “nobody” here." in bad.text
    assert "“tomorrow” is not a date." in bad.text


def test_an_edition_exports_the_responses_it_froze(client, said):
    factories.make_evaluation(said.recommendations.get(code="SEC-3"), "partial")
    services.publish_edition(
        report=said, slug="card-2005", name="2005 card", as_of=datetime.date(2005, 1, 1)
    )
    recommendation = said.recommendations.get(code="SEC-3")
    make_response(recommendation, Actor.objects.get(slug="japan"), statement="Later.")

    response = client.get(f"/reports/{said.slug}/responses.csv?edition=card-2005")
    found = rows(client, f"/reports/{said.slug}/responses.csv?edition=card-2005")

    assert response["Content-Disposition"] == (
        f'attachment; filename="{said.slug}-card-2005-responses.csv"'
    )
    assert [row["statement"] for row in found] == ["We completed the review.", "Noted."]


def test_the_report_page_links_it_with_its_filters(client, said):
    page = client.get(f"/reports/{said.slug}/?actor=japan").content.decode()

    assert (
        f'<a href="/reports/{said.slug}/responses.csv?actor=japan">What the actors say</a>'
    ) in page


def test_the_query_count_does_not_grow_with_the_responses(client, said):
    url = f"/reports/{said.slug}/responses.csv"

    def measured() -> int:
        with CaptureQueriesContext(connection) as queries:
            rows(client, url)
        return len(queries)

    small = measured()
    japan = Actor.objects.get(slug="japan")
    with factories.unbounded_setup():
        factories.make_many_recommendations(said, 30)
    for recommendation in said.recommendations.filter(code__startswith="GEN-")[:10]:
        make_response(recommendation, japan, said_on=datetime.date(2003, 3, 3))

    assert measured() == small
    assert len(rows(client, url)) == 13
