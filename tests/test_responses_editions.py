"""An edition shows what it froze of responses (tracker.responses.frozen_in): its page and
its API resource list the actors' statements said by its date and published before it, and
a published edition never changes: a response published later, or a draft, never appears."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.test_responses import make_response
from tracker import responses as actor_responses
from tracker import services
from tracker.models import Actor, Response, ResponsePosition, WebhookEvent

EDITION_DAY = datetime.date(2005, 1, 1)
DRAFT = "DRAFT-RESPONSE-a91"
LATE = "PUBLISHED-AFTER-THE-EDITION-3f"
LATER_DAY = "SAID-AFTER-THE-EDITION-DATE-77"


@pytest.fixture
def japan(db):
    return Actor.objects.create(slug="japan", name="Japan", kind="government")


@pytest.fixture
def edition(report, japan):
    """SEC-1 graded with one response frozen; SEC-2 with none; a draft response; after the
    edition, a response published (said before its date) and one said after its date."""
    first, second = factories.make_recommendation(report), factories.make_recommendation(report)
    factories.make_evaluation(first, "partial", as_of=datetime.date(2004, 4, 26))
    factories.make_evaluation(second, "done", as_of=datetime.date(2004, 4, 26))
    make_response(first, japan, statement="The review was **completed**.")
    make_response(first, japan, statement=DRAFT, publish=False, said_on=datetime.date(2002, 2, 2))
    edition = services.publish_edition(
        report=report, slug="card-2005", name="2005 card", as_of=EDITION_DAY
    )
    make_response(second, japan, statement=LATE, said_on=datetime.date(2004, 6, 1))
    make_response(first, japan, statement=LATER_DAY, said_on=datetime.date(2005, 3, 1))
    return edition


def test_the_edition_page_lists_the_responses_it_froze(client, edition):
    page = client.get(f"/editions/{edition.slug}/").content.decode()

    assert '<h2 id="said-heading">What the actors said</h2>' in page
    frozen = Response.objects.get(statement="The review was **completed**.")
    assert (
        f'<h4 id="response-{frozen.pk}-heading">Japan, <time datetime="2001-06-30">June 30, '
        "2001</time>: accepted</h4>"
    ) in page
    assert "The review was <strong>completed</strong>." in page
    assert "“completed the review”" in page
    for absent in (DRAFT, LATE, LATER_DAY):
        assert absent not in page
    assert page.count('<ol class="responses">') == 1  # SEC-1's only


def test_an_edition_without_responses_has_no_such_section(client, report):
    factories.make_evaluation(factories.make_recommendation(report), "partial")
    services.publish_edition(report=report, slug="bare", name="Bare", as_of=EDITION_DAY)

    page = client.get("/editions/bare/").content.decode()

    assert "What the actors said" not in page


def test_the_edition_resource_lists_the_responses_it_froze(client, edition):
    body = client.get(f"/api/v1/editions/{edition.slug}/").json()

    frozen = Response.objects.get(statement="The review was **completed**.")
    assert body["responses"] == [client.get(f"/api/v1/responses/{frozen.pk}/").json()]
    assert body["responses"][0]["position"] == ResponsePosition.ACCEPTED
    assert [entry["recommendation"]["code"] for entry in body["entries"]] == ["SEC-1", "SEC-2"]


def test_the_edition_published_event_carries_them(edition, report, japan):
    recommendation = report.recommendations.get(code="SEC-2")
    services.publish_edition(report=report, slug="card-2006", name="2006 card", as_of=EDITION_DAY)

    event = WebhookEvent.objects.filter(type="edition.published").latest("id")
    data = json.loads(event.body)["data"]
    assert data["slug"] == "card-2006"
    assert [r["statement"] for r in data["responses"]] == ["The review was **completed**.", LATE]
    assert [r["recommendation"]["id"] for r in data["responses"]][1] == recommendation.pk


def test_what_the_export_of_the_edition_carries_is_what_the_page_lists(client, edition, report):
    document = client.get(f"/reports/{report.slug}/export.json?edition={edition.slug}").json()

    said = [
        response["statement"]
        for recommendation in document["recommendations"]
        for response in recommendation["responses"]
    ]
    assert said == [r.statement for r in actor_responses.frozen_in(edition)]
    assert said == ["The review was **completed**."]


def test_the_edition_reads_cost_the_same_with_many_responses(client, edition, report, japan):
    urls = (f"/editions/{edition.slug}/", f"/api/v1/editions/{edition.slug}/")

    def counts() -> list[int]:
        measured = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            measured.append(len(queries))
        return measured

    before = counts()
    for recommendation in report.recommendations.all():
        for day in (1, 2, 3):
            make_response(recommendation, japan, said_on=datetime.date(2002, 1, day))
    services.publish_edition(report=report, slug="card-more", name="More", as_of=EDITION_DAY)
    edition = type(edition).objects.get(slug="card-more")
    urls = (f"/editions/{edition.slug}/", f"/api/v1/editions/{edition.slug}/")
    assert len(actor_responses.frozen_in(edition)) == 8
    assert counts() == before
