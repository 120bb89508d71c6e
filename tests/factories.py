"""Plain, predictable test data. Each factory makes exactly what its name says."""

import datetime
import itertools

from django.utils import timezone

from tracker.models import (
    Area,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    GradeScale,
    Recommendation,
    Report,
    Source,
    Status,
)

_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def make_scale(slug: str | None = None) -> GradeScale:
    """A three-level scale: done (2), partial (1), none (0)."""
    n = _n()
    scale = GradeScale.objects.create(slug=slug or f"scale-{n}", name=f"Scale {n}")
    for score, (grade_slug, label, colour) in enumerate(
        [
            ("none", "No progress", "#8a1c1c"),
            ("partial", "Partial", "#7a4d00"),
            ("done", "Done", "#1a5e20"),
        ]
    ):
        Grade.objects.create(scale=scale, slug=grade_slug, label=label, score=score, colour=colour)
    return scale


def grade(scale: GradeScale, slug: str) -> Grade:
    return scale.grades.get(slug=slug)


def make_report(slug: str | None = None, scale: GradeScale | None = None) -> Report:
    n = _n()
    return Report.objects.create(
        slug=slug or f"report-{n}",
        short_name=f"Report {n}",
        title=f"Report number {n}",
        published_on=datetime.date(2000, 10, 11),
        grade_scale=scale or make_scale(),
    )


def make_area(report: Report, slug: str = "security", position: int | None = None) -> Area:
    if position is None:
        position = report.areas.count() + 1
    return Area.objects.create(
        report=report, slug=slug, name=slug.replace("-", " ").title(), position=position
    )


def make_recommendation(
    report: Report, area: Area | None = None, code: str | None = None
) -> Recommendation:
    area = area or report.areas.first() or make_area(report)
    position = report.recommendations.count() + 1
    return Recommendation.objects.create(
        report=report,
        area=area,
        code=code or f"SEC-{position}",
        position=position,
        title=f"Recommendation {position}",
        text=f"The allies should do thing number {position}.",
    )


def make_evaluator(slug: str | None = None) -> Evaluator:
    n = _n()
    return Evaluator.objects.create(slug=slug or f"evaluator-{n}", name=f"Evaluator {n}")


def make_source(key: str | None = None, url: str = "") -> Source:
    n = _n()
    return Source.objects.create(key=key or f"source-{n}", title=f"Source {n}", url=url)


def make_evaluation(
    recommendation: Recommendation,
    grade_slug: str = "partial",
    as_of: datetime.date = datetime.date(2004, 4, 26),
    evaluator: Evaluator | None = None,
    status: str = Status.PUBLISHED,
    published_at: datetime.datetime | None = None,
    narrative: str = "Progress was made.",
    with_evidence: bool = True,
) -> Evaluation:
    if status == Status.PUBLISHED and published_at is None:
        published_at = timezone.now()
    evaluation = Evaluation.objects.create(
        recommendation=recommendation,
        evaluator=evaluator or make_evaluator(),
        grade=grade(recommendation.report.grade_scale, grade_slug),
        as_of=as_of,
        narrative=narrative,
        status=status,
        published_at=published_at if status == Status.PUBLISHED else None,
    )
    if with_evidence:
        EvidenceLink.objects.create(evaluation=evaluation, source=make_source())
    return evaluation
