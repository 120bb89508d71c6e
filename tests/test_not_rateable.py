""" "Not rateable": an evaluator may judge that a recommendation cannot be graded, and say why.

That is neither a grade nor "not yet graded": it is held by the database, written through
the services, the admin, the API and the scorecard files, and counted and shown apart on
the pages, the chart, the API and the exports.
"""

import csv
import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories
from tests.api_support import client_as
from tracker import search, services
from tracker.interchange import ScorecardFileError
from tracker.models import (
    Evaluation,
    EvidenceLink,
    Recommendation,
    Report,
    Status,
)

REASON = "It names no measure to check."


def make_not_rateable(
    recommendation: Recommendation,
    *,
    as_of: datetime.date = datetime.date(2004, 4, 26),
    status: str = Status.PUBLISHED,
    reason: str = REASON,
) -> Evaluation:
    evaluation = Evaluation.objects.create(
        recommendation=recommendation,
        evaluator=factories.make_evaluator(),
        grade=None,
        not_rateable_reason=reason,
        as_of=as_of,
        narrative="Too vague to grade.",
        status=status,
        published_at=timezone.now() if status == Status.PUBLISHED else None,
    )
    EvidenceLink.objects.create(evaluation=evaluation, source=factories.make_source())
    return evaluation


@pytest.fixture
def card(report):
    """Three recommendations: SEC-1 graded Partial, SEC-2 not rateable, SEC-3 ungraded."""
    graded = factories.make_recommendation(report, code="SEC-1")
    vague = factories.make_recommendation(report, code="SEC-2")
    factories.make_recommendation(report, code="SEC-3")
    factories.make_evaluation(graded, "partial")
    make_not_rateable(vague)
    return report


def _text(response) -> str:
    """A response's text, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# --- The record -------------------------------------------------------------------------


def test_the_database_holds_exactly_one_of_grade_and_reason(recommendation):
    evaluator = factories.make_evaluator()
    partial = factories.grade(recommendation.report.grade_scale, "partial")
    for grade, reason in ((None, ""), (partial, REASON)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Evaluation.objects.create(
                recommendation=recommendation,
                evaluator=evaluator,
                grade=grade,
                not_rateable_reason=reason,
                as_of=datetime.date(2004, 1, 1),
            )
    assert Evaluation.objects.count() == 0


def test_the_service_records_and_publishes_a_not_rateable_judgment(recommendation):
    evaluation = services.record_evaluation(
        recommendation=recommendation,
        evaluator=factories.make_evaluator(),
        not_rateable_reason=f"  {REASON}  ",
        as_of=datetime.date(2004, 1, 1),
        narrative="Nothing in it can be checked.",
        evidence=[{"source": factories.make_source()}],
    )
    assert (evaluation.grade, evaluation.not_rateable_reason) == (None, REASON)
    published = services.publish_evaluation(evaluation=evaluation)
    assert published.status == Status.PUBLISHED
    assert str(published) == "SEC-1 as of 2004-01-01: Not rateable"
    assert evaluation.history.count() == 2


def test_the_service_names_what_is_wrong_with_the_judgment(recommendation):
    partial = factories.grade(recommendation.report.grade_scale, "partial")
    common = {
        "recommendation": recommendation,
        "evaluator": factories.make_evaluator(),
        "as_of": datetime.date(2004, 1, 1),
    }
    with pytest.raises(ValidationError) as neither:
        services.record_evaluation(**common, not_rateable_reason="   ")
    assert neither.value.message_dict == {
        "grade": [
            "Choose a grade, or say in “not rateable reason” why this recommendation cannot "
            "be graded (too vague, no information)."
        ]
    }
    with pytest.raises(ValidationError) as both:
        services.record_evaluation(**common, grade=partial, not_rateable_reason=REASON)
    assert list(both.value.message_dict) == ["not_rateable_reason"]


def test_changing_a_grade_to_not_rateable_clears_the_grade_in_the_same_write(recommendation):
    evaluation = factories.make_evaluation(recommendation, "partial", status=Status.DRAFT)
    services.update_evaluation(
        evaluation=evaluation,
        expected_version=evaluation.version,
        changes={"grade": None, "not_rateable_reason": REASON},
    )
    evaluation.refresh_from_db()
    assert (evaluation.grade_id, evaluation.not_rateable_reason) == (None, REASON)
    with pytest.raises(ValidationError) as refused:
        services.update_evaluation(
            evaluation=evaluation,
            expected_version=evaluation.version,
            changes={"not_rateable_reason": ""},
        )
    assert list(refused.value.message_dict) == ["grade"]


def test_an_edition_freezes_a_not_rateable_judgment(card):
    edition = services.publish_edition(
        report=card, slug="card-2005", name="2005 card", as_of=datetime.date(2005, 1, 1)
    )
    frozen = {entry.recommendation.code: entry.evaluation for entry in edition.entries.all()}
    assert sorted(frozen) == ["SEC-1", "SEC-2"]
    assert frozen["SEC-2"].is_not_rateable


# --- The editors' workspace ---------------------------------------------------------------


def test_an_editor_logs_a_not_rateable_evaluation_in_the_admin(client, editor_user, card):
    client.force_login(editor_user)
    recommendation = card.recommendations.get(code="SEC-3")
    response = client.post(
        "/admin/tracker/evaluation/add/",
        {
            "recommendation": recommendation.pk,
            "grade": "",
            "not_rateable_reason": REASON,
            "wording": "",
            "narrative": "Vague.",
            "as_of": "2004-05-01",
            "evaluator": factories.make_evaluator().pk,
            "publication": "",
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
            "evidence-MIN_NUM_FORMS": "0",
            "evidence-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Evaluation.objects.get(recommendation=recommendation)
    assert (created.grade, created.not_rateable_reason, created.status) == (
        None,
        REASON,
        Status.DRAFT,
    )
    listing = client.get("/admin/tracker/evaluation/").content.decode()
    assert listing.count(">Not rateable</span>") == 2


# --- The pages ------------------------------------------------------------------------------


def test_the_report_page_counts_not_rateable_apart(client, card):
    page = client.get(f"/reports/{card.slug}/").content.decode()
    assert "3 recommendations in 1 area; 1 graded, 1 not rateable." in page
    # One in the table, one in the legend of the scale.
    assert page.count('<span class="badge badge-not-rateable">Not rateable</span>') == 2
    assert page.count('<span class="badge badge-ungraded">Not yet graded</span>') == 2
    assert "<strong>1</strong> not rateable</li>" in page
    assert "<strong>1</strong> not yet graded</li>" in page
    assert '<option value="not-rateable">Not rateable (1)</option>' in page


def test_the_grade_filter_tells_not_rateable_from_ungraded_on_pages_api_and_exports(client, card):
    def page_codes(grade: str) -> list[str]:
        page = client.get(f"/reports/{card.slug}/?grade={grade}").content.decode()
        return [c for c in ("SEC-1", "SEC-2", "SEC-3") if f'<span class="code">{c}</span>' in page]

    def api_codes(grade: str) -> list[str]:
        body = client.get(f"/api/v1/recommendations/?report={card.slug}&grade={grade}").json()
        return [row["code"] for row in body["results"]]

    def csv_codes(grade: str) -> list[str]:
        text = _text(client.get(f"/reports/{card.slug}/export.csv?grade={grade}"))
        return [row["code"] for row in csv.DictReader(io.StringIO(text))]

    for read in (page_codes, api_codes, csv_codes):
        assert read("not-rateable") == ["SEC-2"], read
        assert read("ungraded") == ["SEC-3"], read
        assert read("partial") == ["SEC-1"], read


def test_the_recommendation_page_shows_the_judgment_and_its_reason(client, card):
    page = client.get(f"/reports/{card.slug}/sec-2/").content.decode()
    assert '<span class="badge badge-not-rateable badge-large">Not rateable</span>' in page
    assert f'<p class="not-rateable-reason">Why it cannot be graded: {REASON}</p>' in page
    # The chart gives it a row of its own, below every grade.
    assert "<li>Done</li><li>Partial</li><li>No progress</li><li>Not rateable</li>" in page
    assert "<title>2004-04-26: Not rateable (" in page
    badge = client.get(f"/reports/{card.slug}/sec-2/badge.svg").content.decode()
    assert "<title>SEC-2: Not rateable (as of 2004-04-26)</title>" in badge


def test_the_home_page_and_the_feed_say_not_rateable(client, card):
    home = client.get("/").content.decode()
    assert "3 recommendations, 1 graded, 1 not rateable." in home
    feed = client.get("/feed/").content.decode()
    assert "<title>SEC-2 judged not rateable (as of 2004-04-26)</title>" in feed


# --- The API and the exports --------------------------------------------------------------


def test_the_api_shows_a_not_rateable_judgment_apart(client, card):
    rows = client.get(f"/api/v1/recommendations/?report={card.slug}").json()["results"]
    assert [(r["code"], r["current_judgment"], r["current_grade"]) for r in rows] == [
        (
            "SEC-1",
            "graded",
            {"slug": "partial", "label": "Partial", "score": 1, "colour": "#7a4d00"},
        ),
        ("SEC-2", "not-rateable", None),
        ("SEC-3", "ungraded", None),
    ]
    assert rows[1]["current_evaluation"]["not_rateable_reason"] == REASON
    vague = Evaluation.objects.get(recommendation__code="SEC-2")
    body = client.get(f"/api/v1/evaluations/{vague.pk}/").json()
    assert (body["grade"], body["not_rateable_reason"]) == (None, REASON)


def test_an_editor_posts_a_not_rateable_evaluation(card):
    editor = client_as("editor")
    recommendation = card.recommendations.get(code="SEC-3")
    evaluator = factories.make_evaluator()
    response = editor.post(
        "/api/v1/evaluations/",
        {
            "recommendation": recommendation.pk,
            "evaluator": evaluator.slug,
            "not_rateable_reason": REASON,
            "as_of": "2004-05-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["grade"], response.json()["not_rateable_reason"]) == (None, REASON)
    neither = editor.post(
        "/api/v1/evaluations/",
        {"recommendation": recommendation.pk, "evaluator": evaluator.slug, "as_of": "2004-06-01"},
        format="json",
    )
    assert neither.status_code == 400
    assert list(neither.json()["errors"]) == ["grade"]


def test_the_schema_documents_the_judgment(client, db):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert "not_rateable_reason" in components["Evaluation"]["properties"]
    judgment = components["Recommendation"]["properties"]["current_judgment"]
    assert judgment.get("enum") or judgment.get("allOf") or judgment.get("$ref")


def test_the_exports_carry_the_judgment(client, card):
    text = _text(client.get(f"/reports/{card.slug}/export.csv"))
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(text))}
    assert [
        (code, rows[code]["judgment"], rows[code]["grade"], rows[code]["not_rateable_reason"])
        for code in rows
    ] == [
        ("SEC-1", "graded", "partial", ""),
        ("SEC-2", "not-rateable", "", REASON),
        ("SEC-3", "ungraded", "", ""),
    ]
    document = json.loads(client.get(f"/reports/{card.slug}/export.json").content)
    vague = document["recommendations"][1]
    assert (vague["judgment"], vague["grade"], vague["evaluation"]["not_rateable_reason"]) == (
        "not-rateable",
        None,
        REASON,
    )
    history = _text(client.get(f"/reports/{card.slug}/evaluations.csv"))
    lines = list(csv.DictReader(io.StringIO(history)))
    assert [(row["code"], row["grade"], row["not_rateable_reason"]) for row in lines] == [
        ("SEC-1", "partial", ""),
        ("SEC-2", "", REASON),
    ]


# --- The scorecard files --------------------------------------------------------------------


def test_a_not_rateable_evaluation_survives_export_and_import(card, tmp_path):
    exported = services.export_scorecard(report=card)
    assert f"not_rateable_reason: {REASON}" in exported
    path = tmp_path / "card.yaml"
    path.write_text(exported)
    EvidenceLink.objects.all().delete()
    Evaluation.history.all().delete()
    Evaluation.objects.all().delete()
    services.import_scorecard(files=[path])
    vague = Evaluation.objects.get(recommendation__code="SEC-2")
    assert (vague.grade, vague.not_rateable_reason) == (None, REASON)
    assert services.export_scorecard(report=Report.objects.get(pk=card.pk)) == exported


@pytest.mark.parametrize(
    ("judgment", "message"),
    [
        ("", "grade: is required (the slug of a grade), unless “not_rateable_reason” says"),
        (
            "    grade: partial\n    not_rateable_reason: Vague.\n",
            "not_rateable_reason: an evaluation either grades the recommendation or says why",
        ),
    ],
)
def test_a_file_needs_exactly_one_of_grade_and_reason(card, tmp_path, judgment, message):
    evaluation = (
        "  - recommendation: SEC-3\n"
        f"    evaluator: {factories.make_evaluator().slug}\n"
        "    as_of: 2004-06-01\n"
        "    status: draft\n"
        f"{judgment}"
    )
    exported = services.export_scorecard(report=card)
    path = tmp_path / "card.yaml"
    path.write_text(exported.replace("evaluations:\n", "evaluations:\n" + evaluation))
    with pytest.raises(ScorecardFileError) as refused:
        services.import_scorecard(files=[path])
    assert message in str(refused.value)


# --- The grade filter's value everywhere the filter is ------------------------------------


def test_the_evaluation_list_filters_not_rateable_judgments(client, card):
    def listed(grade: str) -> list[tuple[str, str | None]]:
        response = client.get(f"/api/v1/evaluations/?grade={grade}")
        assert response.status_code == 200, response.json()
        return [
            (
                Evaluation.objects.get(pk=row["id"]).recommendation.code,
                row["grade"] and row["grade"]["slug"],
            )
            for row in response.json()["results"]
        ]

    assert listed("not-rateable") == [("SEC-2", None)]
    assert listed("partial") == [("SEC-1", "partial")]
    unknown = client.get("/api/v1/evaluations/?grade=no-such-grade")
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {
        "grade": [
            "There is no grade “no-such-grade” here. Choose one of: done, none, "
            "not-rateable, partial."
        ]
    }


def test_a_not_rateable_draft_is_not_found_by_the_public_filter(client, card):
    make_not_rateable(card.recommendations.get(code="SEC-3"), status=Status.DRAFT)

    body = client.get("/api/v1/evaluations/?grade=not-rateable").json()

    assert [row["not_rateable_reason"] for row in body["results"]] == [REASON]
    drafts = client_as("editor").get("/api/v1/evaluations/?grade=not-rateable").json()
    assert len(drafts["results"]) == 2


def test_the_evaluation_lists_schema_names_the_value(client, db):
    schema = client.get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/evaluations/"]["get"]["parameters"]
    grade = next(p for p in parameters if p["name"] == "grade")
    assert grade["description"] == (
        "Slug of a grade (see /grade-scales/): only evaluations giving that grade; "
        "`not-rateable` for those judging their recommendation not rateable."
    )


def test_the_search_filters_not_rateable_recommendations(client, card):
    search.rebuild()

    body = client.get("/api/v1/search/?q=recommendation&grade=not-rateable").json()

    assert [(row["kind"], row["recommendation"]["code"]) for row in body["results"]] == [
        ("recommendation", "SEC-2")
    ]
