"""Conditional reads: ETag and Last-Modified on every read, 304 while nothing changed."""

import datetime

import pytest
from django.utils import timezone
from django.utils.http import http_date

from tests import factories
from tests.api_support import client_as, make_draft
from tracker import services
from tracker.models import Evaluation

READS = [
    "/api/v1/reports/",
    "/api/v1/recommendations/",
    "/api/v1/recommendations/?report=armitage-nye-2000&ordering=grade",
    "/api/v1/evaluations/",
    "/api/v1/evaluations/?updated_since=2000-01-01T00:00:00Z",
    "/api/v1/editions/2004-report-card/",
    "/api/v1/editions/2004-report-card/compare/2008-evidence-review/",
    "/api/v1/grade-scales/",
    "/api/v1/sources/",
    "/api/v1/evaluators/",
    "/api/v1/areas/",
]


@pytest.fixture
def anonymous(db):
    return client_as("anonymous")


@pytest.fixture
def old_demo(demo):
    """The demo as if imported on 1 January 2024 (Last-Modified has whole seconds, and is
    only sent once the second of the last change is over)."""
    moment = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    factories.date_every_change(moment)
    return demo


@pytest.mark.parametrize("url", READS)
def test_if_none_match_gives_304_with_no_body(old_demo, anonymous, url):
    first = anonymous.get(url)

    again = anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert (again.status_code, again.content) == (304, b"")
    assert (again["ETag"], again["Last-Modified"]) == (first["ETag"], first["Last-Modified"])


def test_a_weak_or_listed_etag_matches_too(old_demo, anonymous):
    etag = anonymous.get("/api/v1/reports/")["ETag"]

    weak = anonymous.get("/api/v1/reports/", HTTP_IF_NONE_MATCH=f"W/{etag}")
    listed = anonymous.get("/api/v1/reports/", HTTP_IF_NONE_MATCH=f'"old", {etag}')
    other = anonymous.get("/api/v1/reports/", HTTP_IF_NONE_MATCH='"old"')

    assert [weak.status_code, listed.status_code, other.status_code] == [304, 304, 200]


def test_if_modified_since(old_demo, anonymous):
    first = anonymous.get("/api/v1/recommendations/")
    earlier = http_date(datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC).timestamp())

    same = anonymous.get("/api/v1/recommendations/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    older = anonymous.get("/api/v1/recommendations/", HTTP_IF_MODIFIED_SINCE=earlier)
    garbage = anonymous.get("/api/v1/recommendations/", HTTP_IF_MODIFIED_SINCE="yesterday")

    assert first["Last-Modified"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert [same.status_code, older.status_code, garbage.status_code] == [304, 200, 200]


def test_a_published_change_changes_the_etag_and_the_date(old_demo, anonymous):
    url = f"/api/v1/recommendations/?report={old_demo.slug}"
    first = anonymous.get(url)
    recommendation = old_demo.recommendations.get(code="SEC-1")
    evaluation = services.record_evaluation(
        recommendation=recommendation,
        evaluator=factories.make_evaluator(),
        grade=old_demo.grade_scale.grades.get(slug="setback"),
        as_of=datetime.date(2024, 1, 1),
        narrative="Worse.",
        evidence=[{"source": factories.make_source()}],
    )
    services.publish_evaluation(evaluation=evaluation)

    after = anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]


def test_a_draft_changes_nothing_an_anonymous_client_sees(old_demo, anonymous):
    first = anonymous.get("/api/v1/evaluations/")
    make_draft(old_demo)

    after = anonymous.get("/api/v1/evaluations/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert after.status_code == 304


def test_editors_and_the_public_get_different_etags(old_demo, anonymous):
    make_draft(old_demo)
    editor = client_as("editor")

    public = anonymous.get("/api/v1/evaluations/")
    private = editor.get("/api/v1/evaluations/")

    assert public["ETag"] != private["ETag"]
    assert (public["Cache-Control"], private["Cache-Control"]) == (
        "public, no-cache",
        "private, no-cache",
    )
    assert "Authorization" in public["Vary"]


def test_last_modified_waits_for_its_second_to_pass(old_demo, anonymous):
    """Until the second of the last change is over, another change could follow within it
    and the date would not show it: no Last-Modified yet (the ETag still validates).

    The change is dated a minute ahead, so the second is certainly not over when the
    request runs, however slowly."""
    Evaluation.objects.filter(pk=Evaluation.objects.first().pk).update(
        updated_at=timezone.now() + datetime.timedelta(minutes=1)
    )

    response = anonymous.get("/api/v1/reports/")

    assert "Last-Modified" not in response
    assert response["ETag"].startswith('"')


def test_an_evaluations_etag_names_its_version(old_demo, anonymous):
    evaluation = Evaluation.objects.published().first()

    response = anonymous.get(f"/api/v1/evaluations/{evaluation.pk}/")

    assert response["ETag"].startswith(f'"evaluation-{evaluation.pk}-v{evaluation.version}-')


def test_head_answers_like_get_without_a_body(old_demo, anonymous):
    get = anonymous.get("/api/v1/reports/")

    head = anonymous.head("/api/v1/reports/")

    assert (head.status_code, head.content, head["ETag"]) == (200, b"", get["ETag"])


def test_if_match_compares_strongly_so_a_weak_tag_gets_412(old_demo):
    """RFC 9110, 13.1.1: If-Match uses the strong comparison; W/ tags never match."""
    editor = client_as("editor")
    draft = make_draft(old_demo)
    strong = editor.get(f"/api/v1/evaluations/{draft.pk}/")["ETag"]

    weak = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/", {"wording": "Weak"}, HTTP_IF_MATCH=f"W/{strong}"
    )
    exact = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/", {"wording": "Strong"}, HTTP_IF_MATCH=strong
    )

    assert (weak.status_code, exact.status_code) == (412, 200)
    assert list(weak.json()["errors"]) == ["If-Match"]
    assert "weak ETag" in weak.json()["errors"]["If-Match"][0]
    draft.refresh_from_db()
    assert draft.wording == "Strong"
