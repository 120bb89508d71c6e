"""Read queries shared by the public pages, the API and the exports.

Everything public reads through here, so that what counts as published, and which
evaluation is a recommendation's current one, is decided in exactly one place. Each
function runs a fixed number of SQL queries whatever the size of the data.
"""

import datetime
from collections.abc import Iterable

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from tracker.models import (
    Edition,
    EditionEntry,
    Evaluation,
    EvidenceLink,
    Recommendation,
    Report,
    Status,
)


def published_evaluations() -> QuerySet[Evaluation]:
    """Published evaluations with what every consumer shows beside them."""
    return Evaluation.objects.published().select_related(
        "grade", "evaluator", "publication", "recommendation", "recommendation__report"
    )


def evidence_prefetch(prefix: str = "") -> Prefetch:
    """Evidence of evaluations, with sources, in citation order (one query)."""
    return Prefetch(
        f"{prefix}evidence",
        queryset=EvidenceLink.objects.select_related("source").order_by("position", "id"),
    )


def _latest_published(as_of: datetime.date | None) -> QuerySet[Evaluation]:
    """Published evaluations of the outer recommendation, latest first.

    Latest by `as_of`; ties broken by publication time, then by id so the choice is total.
    """
    candidates = Evaluation.objects.filter(recommendation=OuterRef("pk"), status=Status.PUBLISHED)
    if as_of is not None:
        candidates = candidates.filter(as_of__lte=as_of)
    return candidates.order_by("-as_of", "-published_at", "-id")


def with_current_grade(
    recommendations: QuerySet[Recommendation], as_of: datetime.date | None = None
) -> QuerySet[Recommendation]:
    """Annotate `current_evaluation_id` and `current_grade_id` (None when ungraded).

    The annotations are correlated subqueries answered from the `evaluation_current_idx`
    index, so a page of recommendations costs one index look-up per row shown.
    """
    latest = _latest_published(as_of)
    return recommendations.annotate(
        current_evaluation_id=Subquery(latest.values("id")[:1]),
        current_grade_id=Subquery(latest.values("grade_id")[:1]),
        current_as_of=Subquery(latest.values("as_of")[:1]),
    )


def attach_current_evaluations(recommendations: Iterable[Recommendation]) -> list[Recommendation]:
    """Set `current_evaluation` on recommendations annotated by `with_current_grade`.

    One query for the whole batch, whatever its size.
    """
    recommendations = list(recommendations)
    ids = [r.current_evaluation_id for r in recommendations if r.current_evaluation_id]
    evaluations = Evaluation.objects.select_related("grade", "evaluator").in_bulk(ids)
    for recommendation in recommendations:
        recommendation.current_evaluation = evaluations.get(recommendation.current_evaluation_id)
    return recommendations


def scorecard(report: Report, as_of: datetime.date | None = None) -> list[Recommendation]:
    """A report's recommendations in order, each with `current_evaluation` (or None)."""
    recommendations = with_current_grade(
        report.recommendations.select_related("area").order_by("position"), as_of
    )
    return attach_current_evaluations(recommendations)


def current_grades(report: Report, as_of: datetime.date | None = None) -> dict[int, Evaluation]:
    """Recommendation id → its current published evaluation (as of a date, if given).

    Recommendations with no published evaluation (by that date) are absent.
    """
    return {
        recommendation.pk: recommendation.current_evaluation
        for recommendation in scorecard(report, as_of)
        if recommendation.current_evaluation is not None
    }


def grade_timeline(recommendation: Recommendation) -> list[Evaluation]:
    """A recommendation's published evaluations, oldest first, with evidence and sources."""
    return list(
        published_evaluations()
        .filter(recommendation=recommendation)
        .prefetch_related(evidence_prefetch())
        .order_by("as_of", "published_at", "id")
    )


def published_editions() -> QuerySet[Edition]:
    return Edition.objects.filter(status=Status.PUBLISHED).select_related("report")


def edition_grades(edition: Edition) -> dict[int, Evaluation]:
    """Recommendation id → the evaluation frozen in the edition."""
    entries = EditionEntry.objects.filter(edition=edition).select_related(
        "evaluation__grade", "evaluation__evaluator"
    )
    return {entry.recommendation_id: entry.evaluation for entry in entries}
