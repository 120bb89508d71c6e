"""Editors write through the API: drafts, changes guarded by If-Match, evidence, publishing.

Every refusal names the field (or header) at fault and leaves the record as it was.
"""

import datetime

import pytest

from tests import factories
from tests.api_support import MARKER, client_as, etag_of, make_draft
from tracker.models import Evaluation, Evaluator, EvidenceLink, Status


@pytest.fixture
def editor(db):
    return client_as("editor")


@pytest.fixture
def publisher(db):
    return client_as("publisher")


@pytest.fixture
def draft(demo):
    return make_draft(demo)


def body_for(demo, **changes) -> dict:
    body = {
        "recommendation": demo.recommendations.get(code="SEC-1").pk,
        "evaluator": "api-evaluator",
        "grade": "accomplished",
        "as_of": "2024-01-01",
        "wording": "Done",
        "narrative": "Done.",
        "evidence": [{"source": "api-source", "quote": "p. 3"}],
    }
    if not Evaluator.objects.filter(slug="api-evaluator").exists():
        factories.make_evaluator("api-evaluator")
        factories.make_source("api-source")
    body.update(changes)
    return body


def counts() -> tuple[int, int]:
    return Evaluation.objects.count(), EvidenceLink.objects.count()


def test_an_editor_logs_a_draft_with_evidence(demo, editor):
    response = editor.post("/api/v1/evaluations/", body_for(demo))

    assert response.status_code == 201
    body = response.json()
    evaluation = Evaluation.objects.get(pk=body["id"])
    assert (evaluation.status, evaluation.author, evaluation.grade.slug) == (
        Status.DRAFT,
        editor.user,
        "accomplished",
    )
    assert [(e["source"]["key"], e["quote"]) for e in body["evidence"]] == [("api-source", "p. 3")]
    assert response["Location"] == f"/api/v1/evaluations/{evaluation.pk}/"
    assert response["ETag"] == editor.get(response["Location"])["ETag"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"grade": "done"}, "grade", "“done” is not a grade of “Implementation progress”"),
        ({"as_of": "2999-01-01"}, "as_of", "cannot be in the future"),
        ({"as_of": "01/02/2024"}, "as_of", "Date has wrong format"),
        ({"evaluator": "nobody"}, "evaluator", "There is no evaluator “nobody”."),
        ({"recommendation": 99999999999999999999}, "recommendation", "whole number"),
        ({"recommendation": True}, "recommendation", "whole number"),
        ({"recommendation": 999999}, "recommendation", "There is no recommendation 999999."),
        ({"wording": "x" * 501}, "wording", "no more than 500 characters"),
        # Refused before the API reads the body (scorecard/middleware.py), in the same shape.
        ({"narrative": "a\x00b"}, "narrative", "the control character NUL (U+0000)"),
        ({"colour": "red"}, "colour", "Unknown field"),
        ({"evidence": [{"source": "nothing"}]}, "evidence.0.source", "There is no source"),
        ({"evidence": [{"source": "api-source", "stance": "maybe"}]}, "evidence.0.stance", ""),
    ],
)
def test_a_bad_draft_is_refused_naming_the_field(demo, editor, changes, field, message):
    before = counts()

    response = editor.post("/api/v1/evaluations/", body_for(demo, **changes))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert counts() == before


def test_every_problem_is_reported_at_once(demo, editor):
    response = editor.post("/api/v1/evaluations/", body_for(demo, grade="", extra=1, as_of="x"))

    assert sorted(response.json()["errors"]) == ["as_of", "extra", "grade"]


def test_a_failure_half_way_writes_nothing(demo, editor):
    """The second citation of the same source fails after the evaluation was inserted."""
    before = counts()
    twice = [{"source": "api-source"}, {"source": "api-source"}]

    response = editor.post("/api/v1/evaluations/", body_for(demo, evidence=twice))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["evidence"]
    assert counts() == (before[0], before[1] + 0)
    assert not Evaluation.objects.filter(as_of=datetime.date(2024, 1, 1)).exists()


def test_a_second_evaluation_by_the_same_evaluator_and_date_is_refused(demo, editor):
    editor.post("/api/v1/evaluations/", body_for(demo))

    response = editor.post(
        "/api/v1/evaluations/", body_for(demo, evidence=[{"source": factories.make_source().key}])
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["as_of"]


def test_malformed_json_and_other_media_types(editor, db):
    broken = editor.post("/api/v1/evaluations/", "{", content_type="application/json")
    form = editor.post(
        "/api/v1/evaluations/", "a=1", content_type="application/x-www-form-urlencoded"
    )

    assert (broken.status_code, broken.json()["code"]) == (400, "parse_error")
    assert (form.status_code, form.json()["code"]) == (415, "unsupported_media_type")


# --- If-Match ---------------------------------------------------------------------------


def test_a_change_without_if_match_is_428_and_saves_nothing(draft, editor):
    response = editor.patch(f"/api/v1/evaluations/{draft.pk}/", {"wording": "Mine"})

    draft.refresh_from_db()
    assert response.status_code == 428
    assert list(response.json()["errors"]) == ["If-Match"]
    assert (draft.wording, draft.version) == (f"Wording {MARKER}", 1)


def test_if_match_star_is_not_enough(draft, editor):
    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/", {"wording": "Mine"}, HTTP_IF_MATCH="*"
    )

    assert response.status_code == 428


def test_two_editors_cannot_overwrite_each_other(draft, editor):
    other = client_as("editor")
    seen_by_both = etag_of(editor, draft)
    assert etag_of(other, draft) == seen_by_both

    first = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/", {"wording": "First"}, HTTP_IF_MATCH=seen_by_both
    )
    second = other.patch(
        f"/api/v1/evaluations/{draft.pk}/", {"wording": "Second"}, HTTP_IF_MATCH=seen_by_both
    )

    draft.refresh_from_db()
    assert (first.status_code, second.status_code) == (200, 412)
    assert list(second.json()["errors"]) == ["If-Match"]
    assert (draft.wording, draft.version) == ("First", 2)
    assert first["ETag"] == etag_of(editor, draft)
    assert first["ETag"] != seen_by_both


@pytest.mark.parametrize(
    "tag",
    ['"evaluation-{pk}-v1"', '"something-else", "evaluation-{pk}-v1-0"'],
)
def test_if_match_forms_accepted(draft, editor, tag):
    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/", {"wording": "Ok"}, HTTP_IF_MATCH=tag.format(pk=draft.pk)
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "tag",
    [
        '"evaluation-1-v1"',
        '"abc"',
        '"evaluation-{pk}-v99999999999999999999"',
        # If-Match compares strongly (RFC 9110, 13.1.1): a weak tag never matches.
        'W/"evaluation-{pk}-v1"',
    ],
)
def test_if_match_of_something_else_is_412(draft, editor, tag):
    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/", {"wording": "No"}, HTTP_IF_MATCH=tag.format(pk=draft.pk)
    )

    assert response.status_code == 412


def test_put_needs_every_editable_field(draft, editor):
    response = editor.put(
        f"/api/v1/evaluations/{draft.pk}/",
        {"wording": "Only this"},
        HTTP_IF_MATCH=etag_of(editor, draft),
    )

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == [
        "as_of",
        "evaluator",
        "grade",
        "narrative",
        "publication",
    ]


def test_regrading_uses_the_reports_scale(draft, editor):
    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        {"grade": "accomplished", "publication": draft.evidence.get().source.key},
        HTTP_IF_MATCH=etag_of(editor, draft),
    )

    draft.refresh_from_db()
    assert response.status_code == 200
    assert (draft.grade.slug, draft.publication.key) == (
        "accomplished",
        draft.evidence.get().source.key,
    )


def test_the_recommendation_of_an_evaluation_cannot_change(draft, editor):
    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        {"recommendation": 1},
        HTTP_IF_MATCH=etag_of(editor, draft),
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["recommendation"]


def test_an_evaluation_frozen_in_an_edition_cannot_change(demo, editor):
    frozen = Evaluation.objects.filter(edition_entries__isnull=False).first()

    response = editor.patch(
        f"/api/v1/evaluations/{frozen.pk}/", {"wording": "x"}, HTTP_IF_MATCH=etag_of(editor, frozen)
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["non_field_errors"]
    assert "frozen in the published edition" in response.json()["detail"]


# --- Evidence and publishing ----------------------------------------------------------


def test_citing_a_source_bumps_the_version(draft, editor):
    source = factories.make_source()

    response = editor.post(
        f"/api/v1/evaluations/{draft.pk}/evidence/",
        {"source": source.key, "stance": "contradicts", "quote": "Not so.", "page": "12"},
        HTTP_IF_MATCH=etag_of(editor, draft),
    )

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert [(e["source"]["key"], e["stance"], e["page"]) for e in body["evidence"]][-1] == (
        source.key,
        "contradicts",
        "12",
    )


def test_citing_the_same_source_twice_is_refused(draft, editor):
    source = draft.evidence.get().source

    response = editor.post(
        f"/api/v1/evaluations/{draft.pk}/evidence/",
        {"source": source.key},
        HTTP_IF_MATCH=etag_of(editor, draft),
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["evidence"]
    assert draft.evidence.count() == 1


def test_a_publisher_publishes_what_they_read(draft, publisher):
    response = publisher.post(
        f"/api/v1/evaluations/{draft.pk}/publish/", HTTP_IF_MATCH=etag_of(publisher, draft)
    )

    body = response.json()
    assert (response.status_code, body["status"], body["version"]) == (200, "published", 2)
    assert body["published_at"] is not None


def test_publishing_a_draft_changed_since_reading_is_412(draft, publisher, editor):
    read = etag_of(publisher, draft)
    editor.patch(f"/api/v1/evaluations/{draft.pk}/", {"wording": "Late"}, HTTP_IF_MATCH=read)

    response = publisher.post(f"/api/v1/evaluations/{draft.pk}/publish/", HTTP_IF_MATCH=read)

    draft.refresh_from_db()
    assert response.status_code == 412
    assert draft.status == Status.DRAFT


def test_publishing_needs_a_narrative(draft, publisher, editor):
    editor.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        {"narrative": ""},
        HTTP_IF_MATCH=etag_of(editor, draft),
    )

    response = publisher.post(
        f"/api/v1/evaluations/{draft.pk}/publish/", HTTP_IF_MATCH=etag_of(publisher, draft)
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["narrative"]


def test_publishing_twice_is_refused(draft, publisher):
    publisher.post(
        f"/api/v1/evaluations/{draft.pk}/publish/", HTTP_IF_MATCH=etag_of(publisher, draft)
    )

    response = publisher.post(
        f"/api/v1/evaluations/{draft.pk}/publish/", HTTP_IF_MATCH=etag_of(publisher, draft)
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


def test_writes_answer_with_no_store(draft, editor):
    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/", {"wording": "x"}, HTTP_IF_MATCH=etag_of(editor, draft)
    )

    assert response["Cache-Control"] == "no-store"
