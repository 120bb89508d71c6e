"""What a partner reads from the API, on the demo data (fixtures/*.yaml)."""

import datetime

import pytest
from django.utils import timezone

from tests import factories
from tests.api_support import MARKER, client_as, publish_new
from tracker import services
from tracker.models import Evaluation, Recommendation, Status

ARMITAGE = "armitage-nye-2000"


@pytest.fixture
def partner():
    return client_as("partner")


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_partner_lists_the_25_recommendations_with_current_grades(demo, partner):
    body = partner.get(f"/api/v1/recommendations/?report={ARMITAGE}").json()

    assert body["count"] == 25
    rows = body["results"]
    assert [row["code"] for row in rows] == list(
        demo.recommendations.order_by("position").values_list("code", flat=True)
    )
    assert all(row["current_grade"] is not None for row in rows)
    first = rows[0]
    current = Evaluation.objects.get(pk=first["current_evaluation"]["id"])
    assert first["current_grade"] == {
        "slug": current.grade.slug,
        "label": current.grade.label,
        "score": current.grade.score,
        "colour": current.grade.colour,
    }
    assert first["current_grade_as_of"] == current.as_of.isoformat()


def test_the_current_grade_is_the_latest_published_one(demo, partner):
    recommendation = demo.recommendations.get(code="SEC-1")
    evaluations = recommendation.evaluations.filter(status=Status.PUBLISHED)
    latest = evaluations.order_by("-as_of", "-published_at", "-id").first()

    body = partner.get(f"/api/v1/recommendations/{recommendation.pk}/").json()

    assert (body["current_evaluation"]["id"], body["current_grade"]["slug"]) == (
        latest.pk,
        latest.grade.slug,
    )


def test_as_of_shows_the_grades_as_they_stood_then(demo, partner):
    recommendation = demo.recommendations.get(code="SEC-1")
    then = (
        recommendation.evaluations.filter(as_of__lte=datetime.date(2005, 1, 1))
        .order_by("-as_of")
        .first()
    )

    body = partner.get(f"/api/v1/recommendations/{recommendation.pk}/?as_of=2005-01-01").json()
    before_any = partner.get(f"/api/v1/recommendations/{recommendation.pk}/?as_of=2001-01-01")

    assert (body["current_evaluation"]["id"], body["current_grade_as_of"]) == (
        then.pk,
        "2004-04-26",
    )
    assert (before_any.json()["current_grade"], before_any.json()["current_evaluation"]) == (
        None,
        None,
    )


def test_filters_combine(demo, partner):
    security = results(partner.get(f"/api/v1/recommendations/?report={ARMITAGE}&area=security"))
    accomplished = results(partner.get("/api/v1/recommendations/?grade=accomplished&page_size=200"))
    japan = results(partner.get(f"/api/v1/recommendations/?report={ARMITAGE}&actor=japan"))
    search = results(partner.get("/api/v1/recommendations/?q=defense+commitment"))

    assert {row["area"]["slug"] for row in security} == {"security"}
    assert len(security) == demo.recommendations.filter(area__slug="security").count()
    assert {row["current_grade"]["slug"] for row in accomplished} == {"accomplished"}
    assert all("japan" in [actor["slug"] for actor in row["actors"]] for row in japan)
    assert len(japan) == 5
    assert [row["code"] for row in search] == ["SEC-1"]


def test_topic_filter(demo, partner):
    expected = Recommendation.objects.filter(topics__slug="missile-defense").count()

    rows = results(partner.get("/api/v1/recommendations/?topic=missile-defense"))

    assert len(rows) == expected
    assert all("missile-defense" in row["topics"] for row in rows)


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("code", lambda r: (r["code"].split("-")[0], int(r["code"].split("-")[1]))),
        ("grade", lambda r: r["current_grade"]["score"]),
        ("date", lambda r: r["current_grade_as_of"]),
        ("position", lambda r: r["position"]),
    ],
)
def test_orderings(demo, partner, ordering, key):
    url = f"/api/v1/recommendations/?report={ARMITAGE}&ordering="
    ascending = results(partner.get(url + ordering))
    descending = results(partner.get(url + "-" + ordering))

    assert [key(r) for r in ascending] == sorted(key(r) for r in ascending)
    assert [key(r) for r in descending] == sorted((key(r) for r in descending), reverse=True)


def test_ungraded_recommendations_come_last_in_grade_order(report, partner):
    graded = factories.make_recommendation(report, code="SEC-1")
    factories.make_recommendation(report, code="SEC-2")
    factories.make_evaluation(graded, "done")

    rows = results(partner.get("/api/v1/recommendations/?ordering=-grade"))
    rows_up = results(partner.get("/api/v1/recommendations/?ordering=grade"))

    assert [r["code"] for r in rows] == ["SEC-1", "SEC-2"]
    assert [r["code"] for r in rows_up] == ["SEC-1", "SEC-2"]


def test_timeline_lists_published_evaluations_oldest_first_with_evidence(demo, partner):
    recommendation = demo.recommendations.get(code="SEC-1")
    expected = list(
        recommendation.evaluations.filter(status=Status.PUBLISHED)
        .order_by("as_of", "published_at", "id")
        .values_list("id", flat=True)
    )

    body = partner.get(f"/api/v1/recommendations/{recommendation.pk}/timeline/").json()

    assert body["recommendation"]["code"] == "SEC-1"
    assert [e["id"] for e in body["evaluations"]] == expected
    first = Evaluation.objects.get(pk=expected[0])
    assert [link["source"]["key"] for link in body["evaluations"][0]["evidence"]] == list(
        first.evidence.order_by("position", "id").values_list("source__key", flat=True)
    )


def test_reports_areas_scales(demo, partner):
    reports = results(partner.get("/api/v1/reports/"))
    areas = results(partner.get(f"/api/v1/areas/?report={ARMITAGE}"))
    scale = partner.get("/api/v1/grade-scales/progress/").json()

    assert [(r["slug"], r["recommendation_count"]) for r in reports] == [
        (ARMITAGE, 25),
        ("heritage-2004", 7),
    ]
    assert [a["position"] for a in areas] == sorted(a["position"] for a in areas)
    assert {a["report"] for a in areas} == {ARMITAGE}
    assert [g["score"] for g in scale["grades"]] == [5, 4, 3, 2, 1, 0]


def test_editions_and_their_comparison(demo, partner):
    editions = results(partner.get(f"/api/v1/editions/?report={ARMITAGE}"))
    card = partner.get("/api/v1/editions/2004-report-card/").json()
    compared = partner.get("/api/v1/editions/2004-report-card/compare/2008-evidence-review/")

    assert [e["slug"] for e in editions] == ["2004-report-card", "2008-evidence-review"]
    assert len(card["entries"]) == 25
    body = compared.json()
    assert (body["before"]["slug"], body["after"]["slug"]) == (
        "2004-report-card",
        "2008-evidence-review",
    )
    assert len(body["changes"]) == 25
    assert sum(body["counts"].values()) == 25
    for change in body["changes"]:
        if change["change"] in {"improved", "declined", "unchanged"}:
            steps = change["after"]["grade"]["score"] - change["before"]["grade"]["score"]
            assert change["steps"] == steps
            assert change["change"] == (
                "improved" if steps > 0 else "declined" if steps < 0 else "unchanged"
            )


def test_comparing_editions_of_different_reports_is_a_400(report, partner):
    other = factories.make_report(scale=report.grade_scale)
    for r, slug in ((report, "first"), (other, "second")):
        rec = factories.make_recommendation(r)
        factories.make_evaluation(rec)
        services.publish_edition(report=r, slug=slug, name=slug, as_of=datetime.date(2005, 1, 1))

    response = partner.get("/api/v1/editions/first/compare/second/")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["other"]


def test_polling_the_feed_returns_exactly_what_changed(demo, partner):
    everything = results(partner.get("/api/v1/evaluations/?page_size=200"))
    last_seen = everything[-1]["updated_at"]
    changed = [publish_new(r) for r in demo.recommendations.order_by("position")[:2]]
    draft = changed[0]
    services.update_evaluation(
        evaluation=changed[1], expected_version=changed[1].version, changes={"wording": "New"}
    )
    services.record_evaluation(
        recommendation=draft.recommendation,
        evaluator=draft.evaluator,
        grade=draft.grade,
        as_of=datetime.date(2024, 2, 1),
    )

    feed = results(partner.get("/api/v1/evaluations/", {"updated_since": last_seen}))
    again = results(partner.get("/api/v1/evaluations/", {"updated_since": feed[-1]["updated_at"]}))

    assert len(everything) == Evaluation.objects.published().count() - 2
    assert [(e["id"], e["version"]) for e in feed] == [(changed[0].pk, 2), (changed[1].pk, 3)]
    assert feed[1]["wording"] == "New"
    assert again == []


def test_the_feed_pages_by_cursor_without_repeats_or_gaps(demo, partner):
    seen = []
    url = "/api/v1/evaluations/?page_size=7"
    pages = 0
    while url:
        body = partner.get(url).json()
        seen += [e["id"] for e in body["results"]]
        url = body["next"]
        pages += 1

    expected = list(
        Evaluation.objects.published().order_by("updated_at", "id").values_list("id", flat=True)
    )
    assert seen == expected
    assert pages == -(-len(expected) // 7)


def test_the_feed_cursor_holds_its_place_when_earlier_rows_change(demo, partner):
    extra = [publish_new(r) for r in demo.recommendations.order_by("position")[:3]]
    first = partner.get("/api/v1/evaluations/?page_size=5").json()
    services.update_evaluation(
        evaluation=extra[0], expected_version=extra[0].version, changes={"wording": "Moved"}
    )

    second = partner.get(first["next"]).json()

    expected = list(
        Evaluation.objects.published().order_by("updated_at", "id").values_list("id", flat=True)
    )
    assert [e["id"] for e in second["results"]] == expected[5:10]
    assert expected[-1] == extra[0].pk


def test_updated_since_accepts_a_plus_sent_unencoded(demo, partner):
    moment = (timezone.now() - datetime.timedelta(days=1)).replace(microsecond=0)
    text = moment.isoformat().replace("+", " ")

    response = partner.get(f"/api/v1/evaluations/?updated_since={text}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == Evaluation.objects.published().count()


def test_an_editor_filters_the_feed_by_status(demo):
    editor = client_as("editor")
    evaluation = services.unpublish_evaluation(
        evaluation=publish_new(demo.recommendations.get(code="SEC-1"))
    )

    drafts = results(editor.get("/api/v1/evaluations/?status=draft"))

    assert [(e["id"], e["status"]) for e in drafts] == [(evaluation.pk, "draft")]


def test_times_are_utc_with_a_z(demo, partner):
    evaluation = results(partner.get("/api/v1/evaluations/?page_size=1"))[0]

    assert evaluation["updated_at"].endswith("Z")
    assert evaluation["published_at"].endswith("Z")


def test_format_json_and_the_browsable_api(demo):
    client = client_as("anonymous")

    forced = client.get("/api/v1/reports/?format=json", HTTP_ACCEPT="text/html")
    browsable = client.get("/api/v1/reports/", HTTP_ACCEPT="text/html")

    assert forced["Content-Type"] == "application/json"
    assert browsable["Content-Type"] == "text/html; charset=utf-8"
    assert "Armitage-Nye Report" in browsable.text


def test_a_withdrawn_evaluation_comes_back_once_as_a_bare_tombstone(demo, partner):
    evaluation = publish_new(demo.recommendations.get(code="SEC-1"))
    since = results(partner.get("/api/v1/evaluations/?page_size=200"))[-1]["updated_at"]
    evaluation = services.unpublish_evaluation(evaluation=evaluation)
    services.update_evaluation(
        evaluation=evaluation,
        expected_version=evaluation.version,
        changes={"narrative": f"Rewritten {MARKER}"},
    )
    evaluation.refresh_from_db()

    response = partner.get("/api/v1/evaluations/", {"updated_since": since})
    by_grade = results(partner.get("/api/v1/evaluations/?grade=accomplished&page_size=200"))

    assert results(response) == [
        {
            "id": evaluation.pk,
            "recommendation": {
                "id": evaluation.recommendation_id,
                "report": demo.slug,
                "code": "SEC-1",
                "title": evaluation.recommendation.title,
            },
            "status": "withdrawn",
            "updated_at": evaluation.updated_at.isoformat().replace("+00:00", "Z"),
        }
    ]
    assert MARKER not in response.content.decode()
    assert evaluation.pk not in [e["id"] for e in by_grade]
    assert partner.get(f"/api/v1/evaluations/{evaluation.pk}/").status_code == 404


def test_a_draft_never_published_leaves_no_tombstone(demo, partner):
    draft = services.unpublish_evaluation(evaluation=publish_new(demo.recommendations.first()))
    services.delete_evaluation(evaluation=draft)
    never = services.record_evaluation(
        recommendation=demo.recommendations.first(),
        evaluator=factories.make_evaluator(),
        grade=demo.grade_scale.grades.first(),
        as_of=datetime.date(2024, 3, 1),
    )

    ids = [e["id"] for e in results(partner.get("/api/v1/evaluations/?page_size=200"))]

    assert never.pk not in ids
    assert len(ids) == Evaluation.objects.published().count()
