"""A report's scorecard as JSON: `/reports/<report>/export.json` (docs/exports.md).

The same rows as the CSV export (scorecard.exports: the page's filters, `as_of` or
`edition`), with the evidence and the actors' responses; areas, grades, sources and
responses as the API shows them (scorecard.api.shapes). In another language each text holds
its published translation where there is one and its body's `translations` says so, as in
the API's bodies (of an edition: the translations it froze); the English file is what it
always was.
"""

import datetime
from typing import Any

import orjson
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from scorecard.api import shapes
from scorecard.api.shape import translate_keys, translated_bodies
from scorecard.exports import _filename, _scorecard_rows
from scorecard.links import absolute_url
from scorecard.views import get_report, public
from tracker import queries
from tracker import responses as actor_responses
from tracker.models import EvidenceLink, Recommendation
from tracker.models import Response as ActorResponse


def _date(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@public
def scorecard_json(request: HttpRequest, report: str) -> HttpResponse:
    report = get_report(report)
    recommendations, as_of, edition = _scorecard_rows(request, report)
    grades = list(report.grade_scale.grades.order_by("-score"))
    evaluation_ids = [r.current_evaluation.pk for r in recommendations if r.current_evaluation]
    if edition is not None:
        queries.show_grades_as_frozen(grades, (r.current_evaluation for r in recommendations))
    evidence: dict[int, list[EvidenceLink]] = {}
    for link in (
        EvidenceLink.objects.filter(evaluation_id__in=evaluation_ids)
        .select_related("source")
        .order_by("evaluation_id", "position", "id")
    ):
        evidence.setdefault(link.evaluation_id, []).append(link)
    # What the actors say, beside the grades (never one of them).
    said = actor_responses.responses_by_recommendation(report.pk, as_of=as_of, edition=edition)
    # The API's shapes and the export's own texts in the answer's language, their
    # translations read at once; of an edition, those it froze (published by then).
    frozen_at = edition.published_at if edition is not None else None
    with translated_bodies(published_before=frozen_at):
        document = _scorecard_document(
            request, report, recommendations, as_of, edition, grades, evidence, said
        )
    response = HttpResponse(
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        content_type="application/json",
    )
    response["Content-Disposition"] = (
        f'inline; filename="{_filename(report, as_of, edition, "json")}"'
    )
    return response


def _translated(body: dict[str, Any], instance: Model | None, *keys: str) -> dict[str, Any]:
    """`body`, whose `keys` are texts of `instance`, with their translations in another
    language, as the API's shapes give them (scorecard.api.shape.translate_keys)."""
    translate_keys(body, instance, keys)
    return body


def _scorecard_document(request, report, recommendations, as_of, edition, grades, evidence, said):
    return {
        "report": _translated(
            {
                "slug": report.slug,
                "short_name": report.short_name,
                "title": report.title,
                "published_on": _date(report.published_on),
                "url": absolute_url(request, reverse("report", args=[report.slug])),
            },
            report,
            "short_name",
            "title",
        ),
        "as_of": _date(as_of),
        "edition": _translated(
            {
                "slug": edition.slug,
                "name": edition.name,
                "as_of": _date(edition.as_of),
                "published_at": _date(edition.published_at),
            },
            edition,
            "name",
        )
        if edition
        else None,
        "grade_scale": _translated(
            {
                "slug": report.grade_scale.slug,
                "name": report.grade_scale.name,
                "grades": [shapes.GradeShape.build(grade) for grade in grades],
            },
            report.grade_scale,
            "name",
        ),
        "recommendations": [
            _recommendation_json(recommendation, evidence, said.get(recommendation.pk, []))
            for recommendation in recommendations
        ],
    }


def _recommendation_json(
    recommendation: Recommendation,
    evidence: dict[int, list[EvidenceLink]],
    responses: list[ActorResponse],
) -> dict[str, Any]:
    # Area, grade and source as the API shows them (scorecard.api.shapes); the evaluation
    # in the export's own documented form (docs/exports.md).
    evaluation = recommendation.current_evaluation
    body = {
        "code": recommendation.code,
        "title": recommendation.title,
        "area": shapes.AreaSummaryShape.build(recommendation.area),
        "actors": recommendation.actor_slugs,
        "topics": recommendation.topic_slugs,
        "text": recommendation.text,
        "url": recommendation.url,
        "grade": shapes.GradeSummaryShape.build(evaluation.grade)
        if evaluation and evaluation.grade
        else None,
        "judgment": recommendation.current_judgment,
        "evaluation": _translated(
            {
                "id": evaluation.pk,
                "as_of": _date(evaluation.as_of),
                "evaluator": evaluation.evaluator.name,
                "not_rateable_reason": evaluation.not_rateable_reason,
                "wording": evaluation.wording,
                "narrative": evaluation.narrative,
                "published_at": _date(evaluation.published_at),
                "evidence": [
                    _translated(
                        {
                            "stance": link.stance,
                            "quote": link.quote,
                            "page": link.page,
                            "source": shapes.SourceShape.build(link.source),
                        },
                        link,
                        "quote",
                    )
                    for link in evidence.get(evaluation.pk, [])
                ],
            },
            evaluation,
            "wording",
            "narrative",
        )
        if evaluation
        else None,
        # As the API shows them (scorecard.api.shapes.ResponseShape).
        "responses": shapes.body(shapes.ResponseShape, responses),
    }
    return _translated(body, recommendation, "title", "text")
