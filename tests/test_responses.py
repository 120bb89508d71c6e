"""Responses: what the responsible party says it did, kept apart from the evaluators' grades.

A response is a record like an evaluation (drafts, publication by publishers, history,
frozen by a published edition), asked of the same rules table; the recommendation page
shows it beside the assessments in time; the API and the exports carry it; drafts never
reach the public.
"""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scorecard import response_cache
from tests import factories
from tests.api_support import client_as
from tracker import freshness, rules, services
from tracker import responses as actor_responses
from tracker.models import Actor, Response, ResponsePosition, Status
from tracker.rules import Operation, State

SECRET = "UNPUBLISHED-RESPONSE-7c1e"
STATEMENT = "The two governments **completed** the review of roles and missions."


@pytest.fixture
def japan(db):
    return Actor.objects.create(slug="japan", name="Japan", kind="government")


def make_response(
    recommendation,
    actor,
    *,
    said_on=datetime.date(2001, 6, 30),
    statement=STATEMENT,
    publish=True,
    position=ResponsePosition.ACCEPTED,
) -> Response:
    response = actor_responses.record_response(
        recommendation=recommendation,
        actor=actor,
        position=position,
        said_on=said_on,
        statement=statement,
        sources=[{"source": factories.make_source(), "quote": "completed the review"}],
    )
    if publish:
        response = actor_responses.publish_response(response=response)
    return response


def test_publishing_needs_the_statement_and_where_it_was_said(recommendation, japan):
    bare = actor_responses.record_response(
        recommendation=recommendation,
        actor=japan,
        position=ResponsePosition.NOTED,
        said_on=datetime.date(2001, 6, 30),
    )
    with pytest.raises(ValidationError) as refused:
        actor_responses.publish_response(response=bare)
    assert refused.value.message_dict == {
        "statement": [rules.RESPONSE_PUBLICATION_REQUIRES["statement"]],
        "sources": [rules.RESPONSE_PUBLICATION_REQUIRES["sources"]],
    }
    published = make_response(recommendation, japan, said_on=datetime.date(2002, 1, 1))
    assert published.status == Status.PUBLISHED
    history = published.history.order_by("history_date", "history_id")
    assert [h.history_change_reason for h in history] == [None, "Published"]


def test_bad_values_are_named_at_once(recommendation, japan):
    with pytest.raises(ValidationError) as refused:
        actor_responses.record_response(
            recommendation=recommendation,
            actor=japan,
            position="delighted",
            said_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert sorted(refused.value.message_dict) == ["position", "said_on"]


def test_the_rules_table_decides_who_may_do_what(recommendation, japan, editor_user):
    draft = make_response(recommendation, japan, publish=False)
    with pytest.raises(PermissionDenied) as refused:
        actor_responses.publish_response(response=draft, user=editor_user)
    assert str(refused.value) == "Only publishers can publish responses."
    published = actor_responses.publish_response(response=draft)
    with pytest.raises(PermissionDenied):
        actor_responses.update_response(
            response=published,
            expected_version=published.version,
            changes={"statement": "Changed."},
            user=editor_user,
        )
    with pytest.raises(ValidationError) as not_deleted:
        actor_responses.delete_response(response=published)
    assert list(not_deleted.value.message_dict) == ["status"]
    assert rules.MATRIX[Operation.CHANGE_RESPONSE] == rules.MATRIX[Operation.CHANGE_EVALUATION]


def test_a_published_edition_freezes_the_responses_it_showed(recommendation, japan):
    factories.make_evaluation(recommendation, "partial", as_of=datetime.date(2004, 4, 26))
    response = make_response(recommendation, japan)
    services.publish_edition(
        report=recommendation.report,
        slug="card-2005",
        name="2005 card",
        as_of=datetime.date(2005, 1, 1),
    )
    assert rules.state_of(response, fresh=True) == State.FROZEN
    with pytest.raises(ValidationError) as refused:
        actor_responses.unpublish_response(response=response)
    assert refused.value.message_dict == {
        "status": [
            "This response is frozen in the published edition “2005 card”, which never "
            "changes. To correct it, record a new response."
        ]
    }


def test_the_page_sets_what_the_actor_says_beside_what_was_assessed(client, recommendation, japan):
    factories.make_evaluation(recommendation, "partial", as_of=datetime.date(2004, 4, 26))
    make_response(recommendation, japan)
    make_response(recommendation, japan, statement=SECRET, said_on=datetime.date(2003, 1, 1),
                  publish=False)  # fmt: skip
    page = client.get(f"/reports/{recommendation.report.slug}/sec-1/").content.decode()
    assert "What the actor says, and what the evaluators assessed" in page
    says = page.index("Japan: <strong>accepted</strong>")
    assessed = page.index('<span class="badge grade-', says)
    assert says < assessed
    assert "The two governments <strong>completed</strong> the review" in page
    assert "“completed the review”" in page
    assert SECRET not in page


def test_without_responses_the_page_has_no_such_section(client, recommendation):
    page = client.get(f"/reports/{recommendation.report.slug}/sec-1/").content.decode()
    assert "What the actor says" not in page


def test_publishing_a_response_moves_the_data_state(recommendation, japan):
    before = freshness.data_state().token
    draft = make_response(recommendation, japan, publish=False)
    after_draft = freshness.data_state().token
    actor_responses.publish_response(response=draft)
    assert len({before, after_draft, freshness.data_state().token}) == 3


def test_the_api_lists_published_responses_and_drafts_to_editors(recommendation, japan):
    published = make_response(recommendation, japan)
    make_response(recommendation, japan, statement=SECRET, said_on=datetime.date(2003, 1, 1),
                  publish=False)  # fmt: skip
    anonymous = client_as("anonymous").get(f"/api/v1/responses/?recommendation={recommendation.pk}")
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert [row["id"] for row in body["results"]] == [published.pk]
    row = body["results"][0]
    assert (row["actor"], row["position"], row["said_on"], row["statement"]) == (
        {"slug": "japan", "name": "Japan", "kind": "government"},
        "accepted",
        "2001-06-30",
        STATEMENT,
    )
    assert row["sources"][0]["quote"] == "completed the review"
    assert SECRET not in anonymous.content.decode()
    partner = client_as("partner").get("/api/v1/responses/")
    assert SECRET not in partner.content.decode()
    editor = client_as("editor").get("/api/v1/responses/")
    assert [r["status"] for r in editor.json()["results"]] == ["published", "draft"]


def test_an_unknown_filter_value_is_named(db):
    response = client_as("anonymous").get("/api/v1/responses/?actor=atlantis")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["actor"]


def test_the_json_export_carries_responses_beside_the_grade(client, recommendation, japan):
    factories.make_evaluation(recommendation, "partial", as_of=datetime.date(2004, 4, 26))
    make_response(recommendation, japan)
    make_response(recommendation, japan, statement=SECRET, said_on=datetime.date(2003, 1, 1),
                  publish=False)  # fmt: skip
    raw = client.get(f"/reports/{recommendation.report.slug}/export.json").content
    assert SECRET.encode() not in raw
    row = json.loads(raw)["recommendations"][0]
    assert row["grade"]["slug"] == "partial"
    assert [(r["actor"]["slug"], r["position"]) for r in row["responses"]] == [
        ("japan", "accepted")
    ]


@pytest.mark.parametrize("role", ["anonymous", "editor"])
def test_the_responses_list_and_page_cost_the_same_queries_whatever_their_number(
    client, report, japan, role
):
    from tests.test_api_queries import count_queries

    def grow(count: int) -> None:
        for _ in range(count):
            recommendation = factories.make_recommendation(report)
            factories.make_evaluation(recommendation, "partial")
            make_response(recommendation, japan)
            make_response(recommendation, japan, said_on=datetime.date(2002, 2, 2), publish=False)

    grow(2)
    first = report.recommendations.order_by("position").first()
    api = client_as(role)
    urls = ["/api/v1/responses/", f"/api/v1/responses/?report={report.slug}"]
    count_queries(api, urls)  # warm: the first request of a window creates its counter
    small = count_queries(api, urls)
    page = f"/reports/{report.slug}/{first.slug}/"
    with CaptureQueriesContext(connection) as few:
        assert client.get(page).status_code == 200
    grow(12)
    for _ in range(5):  # the first recommendation's own responses grow too
        make_response(first, japan, said_on=datetime.date(2003, 3, 3 + _))
    assert count_queries(api, urls) == small
    response_cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert client.get(page).status_code == 200
    assert len(many) == len(few)


def test_the_timeline_carries_both_claims_and_assessments(recommendation, japan):
    factories.make_evaluation(recommendation, "partial", as_of=datetime.date(2004, 4, 26))
    published = make_response(recommendation, japan)
    make_response(recommendation, japan, statement=SECRET, said_on=datetime.date(2003, 1, 1),
                  publish=False)  # fmt: skip
    answer = client_as("partner").get(f"/api/v1/recommendations/{recommendation.pk}/timeline/")
    body = answer.json()
    assert [e["grade"]["slug"] for e in body["evaluations"]] == ["partial"]
    assert [r["id"] for r in body["responses"]] == [published.pk]
    assert SECRET not in answer.content.decode()


def test_an_editor_records_a_response_in_the_admin_and_a_publisher_publishes_it(
    client, editor_user, publisher_user, recommendation, japan
):
    source = factories.make_source()
    client.force_login(editor_user)
    answer = client.post(
        "/admin/tracker/response/add/",
        {
            "recommendation": recommendation.pk,
            "actor": japan.pk,
            "position": "accepted",
            "said_on": "2001-06-30",
            "statement": STATEMENT,
            "sources-TOTAL_FORMS": "1",
            "sources-INITIAL_FORMS": "0",
            "sources-MIN_NUM_FORMS": "0",
            "sources-MAX_NUM_FORMS": "1000",
            "sources-0-source": source.pk,
            "sources-0-quote": "completed the review",
            "sources-0-page": "",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    response = Response.objects.get()
    assert (response.status, response.sources.get().source) == (Status.DRAFT, source)
    refused = client.post(
        "/admin/tracker/response/",
        {"action": "publish_selected", "_selected_action": [response.pk]},
    )
    assert refused.status_code == 302
    response.refresh_from_db()
    assert response.status == Status.DRAFT
    client.force_login(publisher_user)
    client.post(
        "/admin/tracker/response/",
        {"action": "publish_selected", "_selected_action": [response.pk]},
    )
    response.refresh_from_db()
    assert response.status == Status.PUBLISHED


def test_responses_survive_export_and_import(recommendation, japan, tmp_path):
    make_response(recommendation, japan)
    make_response(recommendation, japan, said_on=datetime.date(2003, 1, 1), publish=False,
                  position=ResponsePosition.NOTED)  # fmt: skip
    exported = services.export_scorecard(report=recommendation.report)
    assert "responses:\n  - recommendation: SEC-1\n    actor: japan\n" in exported
    path = tmp_path / "card.yaml"
    path.write_text(exported)
    Response.objects.all().delete()
    services.import_scorecard(files=[path])
    assert sorted(Response.objects.values_list("position", "status")) == [
        ("accepted", "published"),
        ("noted", "draft"),
    ]
    assert services.export_scorecard(report=recommendation.report) == exported
    services.import_scorecard(files=[path])  # again: nothing changes
    assert Response.objects.count() == 2
    assert services.export_scorecard(report=recommendation.report) == exported


def test_a_file_response_naming_nothing_is_refused(recommendation, japan, tmp_path):
    from tracker.interchange import ScorecardFileError

    exported = services.export_scorecard(report=recommendation.report)
    path = tmp_path / "card.yaml"
    path.write_text(
        exported + "responses:\n- recommendation: SEC-9\n  actor: atlantis\n  said_on: 2001-01-01\n"
        "  position: accepted\n  status: draft\n"
    )
    with pytest.raises(ScorecardFileError) as refused:
        services.import_scorecard(files=[path])
    message = str(refused.value)
    assert "there is no recommendation SEC-9" in message
    assert "there is no actor “atlantis” on file" in message
    assert Response.objects.count() == 0
