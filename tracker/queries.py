"""Read queries shared by the public pages, the API and the exports.

Everything public reads through here, so that what counts as published, and which
evaluation is a recommendation's current one, is decided in exactly one place. Each
function runs a fixed number of SQL queries whatever the size of the data.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from tracker import deadlines
from tracker.actors import with_actors
from tracker.filters import NOT_RATEABLE, RecommendationFilters, check_known
from tracker.models import (
    Edition,
    EditionEntry,
    Evaluation,
    EvidenceLink,
    Grade,
    LinkKind,
    Recommendation,
    RecommendationLink,
    Report,
    Status,
    Topic,
    frozen_grade_css_class,
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


def _latest_published(as_of: datetime.date | OuterRef | None) -> QuerySet[Evaluation]:
    """Published evaluations of the outer recommendation, latest first (of those speaking
    for `as_of` or earlier, if given: a date, or an outer reference such as its due date).

    Latest by `as_of`; ties broken by publication time, then by id so the choice is total.
    """
    candidates = Evaluation.objects.filter(recommendation=OuterRef("pk"), status=Status.PUBLISHED)
    if as_of is not None:
        candidates = candidates.filter(as_of__lte=as_of)
    return candidates.order_by("-as_of", "-published_at", "-id")


latest_published = _latest_published  # for tracker.deadlines (grades as of each due date)


def with_current_grade(
    recommendations: QuerySet[Recommendation], as_of: datetime.date | None = None
) -> QuerySet[Recommendation]:
    """Annotate `current_evaluation_id` and `current_grade_id` (None when ungraded; only
    `current_grade_id` is None when the current evaluation judged it not rateable).

    The annotations are correlated subqueries answered from the `evaluation_latest_idx`
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

    One query for the whole batch, whatever its size. Given a QuerySet, the ids are read
    by a subquery rather than sent as parameters (in_bulk would split a long id list into
    several queries on SQLite, which allows 999 parameters per query).
    """
    if isinstance(recommendations, QuerySet):
        wanted = Evaluation.objects.filter(
            pk__in=recommendations.order_by().values("current_evaluation_id")
        )
        recommendations = list(recommendations)
    else:
        recommendations = list(recommendations)
        wanted = Evaluation.objects.filter(
            pk__in=[r.current_evaluation_id for r in recommendations if r.current_evaluation_id]
        )
    # No ORDER BY: the default one joins every recommendation and report to sort rows that
    # go into a dict (on 10,000 recommendations, most of this query's time).
    evaluations = {e.pk: e for e in wanted.select_related("grade", "evaluator").order_by()}
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
        published_timeline(recommendation.pk)
        .select_related(
            "grade", "evaluator", "publication", "recommendation", "recommendation__report"
        )
        .prefetch_related(evidence_prefetch())
    )


def published_timeline(recommendation_id: int) -> QuerySet[Evaluation]:
    """A recommendation's published evaluations, oldest first (what to read beside them is
    the reader's to add: `grade_timeline` for pages, the API's shapes for the API)."""
    return (
        Evaluation.objects.published()
        .filter(recommendation_id=recommendation_id)
        .order_by("as_of", "published_at", "id")
    )


# Before every change the feed can show: `updated_at` is never earlier.
FEED_START = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)
# The largest id the database can hold: a position (t, MAX_ID) means "changed after t".
MAX_ID = 2**63 - 1


def feed_after(
    evaluations: QuerySet[Evaluation], updated_at: datetime.datetime, pk: int
) -> QuerySet[Evaluation]:
    """The evaluations after (updated_at, pk) in the change feed's (updated_at, id) order."""
    # The redundant `>=` lets the database seek the index straight to the position; with
    # the OR alone it reads and discards every row before it (measured in bench/: a page
    # 150,000 rows deep took 15 times as long as the first).
    return evaluations.filter(
        Q(updated_at__gte=updated_at),
        Q(updated_at__gt=updated_at) | Q(updated_at=updated_at, pk__gt=pk),
    )


def feed_page(
    visible: QuerySet[Evaluation],
    *,
    since: datetime.datetime,
    after_at: datetime.datetime,
    after_id: int,
    size: int,
) -> QuerySet[Evaluation]:
    """A page of the change feed: the first `size` of `visible` changed after `since` and
    after the position (after_at, after_id), in (updated_at, id) order. Without a position,
    pass (since, MAX_ID); without `since`, FEED_START."""
    page = feed_after(visible.filter(updated_at__gt=since), after_at, after_id)
    return page.order_by("updated_at", "id")[:size]


# --- Recommendations as the filters find them (report page, API list, exports) ---------------


def _with_topics(recommendations: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    return recommendations.prefetch_related(
        Prefetch("topics", queryset=Topic.objects.order_by("name", "id"))
    )


def recommendation_list(filters: RecommendationFilters) -> QuerySet[Recommendation]:
    """Every recommendation matching `filters`, in their order, annotated by
    `with_current_grade` (as of `filters.as_of`), with report and area."""
    recommendations = Recommendation.objects.select_related("report", "area")
    return filters.apply(with_current_grade(recommendations, filters.as_of))


def recommendation_page(
    filters: RecommendationFilters, *, limit: int, offset: int
) -> tuple[int, list[Recommendation]]:
    """How many recommendations match `filters`, and those from `offset` on (at most
    `limit`): with report and area, topics and actors (by name) and `current_evaluation`
    (with grade and evaluator, or None). Five queries, or one past the end; InvalidFilters when
    nothing matched because a filter names nothing (`tracker.filters.check_known`)."""
    matching = recommendation_list(filters)
    count = matching.count()
    if count == 0:
        check_known(filters)
    if offset >= count:
        return count, []
    # The page's ids in a subquery, then their rows: with LIMIT and OFFSET on the matching
    # rows themselves, the database works out every row's current grade up to the page's end
    # (the offset's rows too, five times the page on page 5: 20 ms of 22 on PostgreSQL).
    # The outer query keeps the filters, so that it reads the matching rows by their index
    # rather than the whole table; the order is total (it ends in report and position).
    page_ids = matching.values("pk")[offset : offset + limit]
    page = matching.filter(pk__in=page_ids)
    # The rows, then topics, then actors.
    return count, attach_current_evaluations(list(with_actors(_with_topics(page))))


def with_edition_grade(
    recommendations: QuerySet[Recommendation], edition: Edition
) -> QuerySet[Recommendation]:
    """`with_current_grade`'s annotations, from the grades frozen in `edition`."""
    frozen = EditionEntry.objects.filter(edition=edition, recommendation=OuterRef("pk"))
    return recommendations.annotate(
        current_evaluation_id=Subquery(frozen.values("evaluation_id")[:1]),
        current_grade_id=Subquery(frozen.values("evaluation__grade_id")[:1]),
        current_as_of=Subquery(frozen.values("evaluation__as_of")[:1]),
    )


def filtered_scorecard(
    report: Report, filters: RecommendationFilters, *, edition: Edition | None = None
) -> list[Recommendation]:
    """`scorecard(report, filters.as_of)` (or with the grades of `edition`), every
    recommendation with `matches`: whether it is among those the filters find.

    Two queries, whatever the filters; InvalidFilters when none matched because a filter
    names nothing in the report (`tracker.filters.check_known`).
    """
    recommendations = report.recommendations.select_related("area").order_by("position")
    if edition is None:
        recommendations = with_current_grade(recommendations, filters.as_of)
        rows = attach_current_evaluations(recommendations.annotate(matches=filters.matched()))
    else:
        # The grades the edition froze, each with the evaluator and the grade as they were
        # that day, and each recommendation with the code and title it had.
        recommendations = with_edition_grade(recommendations, edition)
        rows = list(recommendations.annotate(matches=filters.matched()))
        entries = edition_entries(edition)
        for row in rows:
            entry = entries.get(row.pk)
            row.current_evaluation = entry.frozen_evaluation() if entry else None
            row.page_slug = row.slug  # its page is the live one, under today's code
            if entry is not None:
                entry.show_recommendation_on(row)
    if filters.narrowing and not any(row.matches for row in rows):
        check_known(filters, report=report)
    return rows


def published_editions() -> QuerySet[Edition]:
    return Edition.objects.filter(status=Status.PUBLISHED).select_related("report")


def edition_entries(edition: Edition) -> dict[int, EditionEntry]:
    """Recommendation id → the edition's entry for it (with its evaluation and grade)."""
    entries = EditionEntry.objects.filter(edition=edition).select_related("evaluation__grade")
    return {entry.recommendation_id: entry for entry in entries}


def grade_colours() -> list[tuple[str, str]]:
    """(CSS class, colour) of every grade, and of every colour an edition froze for a grade
    (Grade.css_class), in one query: what grades.css paints badges with."""
    live = Grade.objects.order_by().values_list("pk", "colour", Value(False))
    frozen = (
        EditionEntry.objects.exclude(grade_colour="")
        .order_by()
        .values_list("evaluation__grade_id", "grade_colour", Value(True))
    )
    return [
        (frozen_grade_css_class(pk, colour) if is_frozen else f"grade-{pk}", colour)
        for pk, colour, is_frozen in sorted(live.union(frozen))
    ]


def show_grades_as_frozen(grades: Iterable[Grade], frozen: Iterable[Evaluation | None]) -> None:
    """Show each of `grades` (a scale's levels, not saved afterwards) as an edition froze it,
    where one of the edition's `frozen` evaluations gives it: legends and counts of an
    edition then name its grades as its entries do."""
    as_frozen = {evaluation.grade.pk: evaluation.grade for evaluation in frozen if evaluation}
    for grade in grades:
        if grade.pk in as_frozen:
            grade.show_as_frozen(as_frozen[grade.pk])


def edition_grades(edition: Edition) -> dict[int, Evaluation]:
    """Recommendation id → the evaluation frozen in the edition (with the evaluator and the
    grade as they were when the edition was frozen: `EditionEntry.frozen_evaluation`)."""
    return {rec: entry.frozen_evaluation() for rec, entry in edition_entries(edition).items()}


def _aware(value: datetime.datetime | str | None) -> datetime.datetime | None:
    """A moment read by raw SQL: SQLite returns text in UTC, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


# --- Summaries ------------------------------------------------------------------------------


def grade_distribution(
    recommendations: QuerySet[Recommendation], *, by: str, as_of: datetime.date | None = None
) -> dict[Any, dict[int | str | None, int]]:
    """How many recommendations sit at each current grade, per value of `by`, in one query.

    `by` is a field of Recommendation ("report", "area"). Inner keys are grade ids; None
    counts the recommendations with no published evaluation (by `as_of`, if given), and
    NOT_RATEABLE those whose current evaluation judged them not rateable.
    """
    latest = _latest_published(as_of)
    rows = (
        recommendations.order_by()
        .annotate(
            grade_now=Subquery(latest.values("grade_id")[:1]),
            judged_now=Exists(latest),
        )
        .values(by, "grade_now", "judged_now")
        .annotate(n=Count("id"))
    )
    distribution: dict[Any, dict[int | str | None, int]] = {}
    for row in rows:
        key = row["grade_now"]
        if key is None and row["judged_now"]:
            key = NOT_RATEABLE
        distribution.setdefault(row[by], {})[key] = row["n"]
    return distribution


def reports_last_published(report_ids: list[int] | None = None) -> dict[int, datetime.datetime]:
    """Report id → when a grade or an edition of it was last published (of the reports
    `report_ids` only, when given: a page of them)."""
    evaluations = Evaluation.objects.published()
    editions = Edition.objects.filter(status=Status.PUBLISHED)
    if report_ids is not None:
        evaluations = evaluations.filter(recommendation__report_id__in=report_ids)
        editions = editions.filter(report_id__in=report_ids)
    evaluations = (
        evaluations.order_by()
        .values(report=F("recommendation__report"))
        .annotate(t=Max("published_at"))
        .values("report", "t")
    )
    editions = (
        editions.order_by().values("report").annotate(t=Max("published_at")).values("report", "t")
    )
    latest: dict[int, datetime.datetime] = {}
    for row in evaluations.union(editions, all=True):
        if row["t"] is not None and (
            row["report"] not in latest or row["t"] > latest[row["report"]]
        ):
            latest[row["report"]] = row["t"]
    return latest


def recommendation_topics(report: Report) -> dict[int, list[Topic]]:
    """Recommendation id → its topics (by name), for a whole report in one query."""
    through = Recommendation.topics.through.objects.filter(
        recommendation__report=report
    ).select_related("topic")
    topics: dict[int, list[Topic]] = {}
    for row in sorted(through, key=lambda row: row.topic.name):
        topics.setdefault(row.recommendation_id, []).append(row.topic)
    return topics


# --- One recommendation ---------------------------------------------------------------------

_OUTGOING = {
    LinkKind.REITERATES: _("Reiterates"),
    LinkKind.SUPERSEDES: _("Supersedes"),
    LinkKind.RELATED: _("Related to"),
}
_INCOMING = {
    LinkKind.REITERATES: _("Reiterated by"),
    LinkKind.SUPERSEDES: _("Superseded by"),
    LinkKind.RELATED: _("Related to"),
}


@dataclass(frozen=True)
class RelatedRecommendation:
    """A linked recommendation (with `report` and `current_evaluation`) and how it relates."""

    recommendation: Recommendation
    kind: str
    relation: str  # read as "<relation> <recommendation>", e.g. "Reiterated by HER-1"
    note: str


def related_recommendations(recommendation: Recommendation) -> list[RelatedRecommendation]:
    """Recommendations linked to this one, either way, with their current grades (1-3 queries)."""
    links = list(
        RecommendationLink.objects.filter(
            Q(source=recommendation) | Q(target=recommendation)
        ).order_by("kind", "id")
    )
    if not links:
        return []
    other_ids = {
        link.target_id if link.source_id == recommendation.pk else link.source_id for link in links
    }
    others = {
        other.pk: other
        for other in attach_current_evaluations(
            with_current_grade(
                Recommendation.objects.filter(pk__in=other_ids).select_related("report")
            )
        )
    }
    related = []
    for link in links:
        outgoing = link.source_id == recommendation.pk
        other = others[link.target_id if outgoing else link.source_id]
        relation = (_OUTGOING if outgoing else _INCOMING)[link.kind]
        related.append(RelatedRecommendation(other, link.kind, relation, link.note))
    related.sort(key=lambda r: (r.recommendation.report.published_on, r.recommendation.position))
    return related


def recommendation_editions(recommendation: Recommendation) -> list[EditionEntry]:
    """The published editions that froze a grade of this recommendation, oldest first
    (each entry's evaluation with the evaluator the edition froze)."""
    entries = list(
        EditionEntry.objects.filter(recommendation=recommendation, edition__status=Status.PUBLISHED)
        .select_related("edition", "evaluation__grade")
        .order_by("edition__as_of", "edition__published_at")
    )
    for entry in entries:
        entry.frozen_evaluation()
    return entries


# --- Feeds and exports ----------------------------------------------------------------------


def _previous_published() -> QuerySet[Evaluation]:
    """The published evaluation just before the outer one in its recommendation's history."""
    return (
        Evaluation.objects.filter(
            recommendation=OuterRef("recommendation"), status=Status.PUBLISHED
        )
        .filter(
            Q(as_of__lt=OuterRef("as_of"))
            | Q(as_of=OuterRef("as_of"), published_at__lt=OuterRef("published_at"))
            | Q(
                as_of=OuterRef("as_of"),
                published_at=OuterRef("published_at"),
                id__lt=OuterRef("id"),
            )
        )
        .order_by("-as_of", "-published_at", "-id")
    )


def grade_changes(*, report: Report | None = None, limit: int = 50) -> list[Evaluation]:
    """The latest published evaluations, newest publication first, in one query.

    Each carries `previous_grade_id`, `_label` and `_score`: the grade the
    recommendation had before it (None for its first grade, or when the one before was not
    rateable), and `previous_judged` (whether there was one before).
    """
    previous = _previous_published()
    evaluations = published_evaluations().annotate(
        previous_grade_id=Subquery(previous.values("grade_id")[:1]),
        previous_grade_label=Subquery(previous.values("grade__label")[:1]),
        previous_grade_score=Subquery(previous.values("grade__score")[:1]),
        # Whether there was one before: with no grade, it was not rateable.
        previous_judged=Exists(previous),
    )
    if report is not None:
        evaluations = evaluations.filter(recommendation__report=report)
    return list(evaluations.order_by("-published_at", "-id")[:limit])


def overdue_recommendations(*, report: Report | None = None, limit: int = 50) -> list:
    """The latest `limit` events of recommendations becoming overdue (tracker.deadlines:
    `overdue_events`, which stay events once they happened), the latest first, in one query.
    Each carries `due_grade_label`, its grade on its due date (None when it had none, or was
    judged not rateable)."""
    overdue = deadlines.overdue_events().select_related("report")
    if report is not None:
        overdue = overdue.filter(report=report)
    return list(overdue.order_by("-due_on", "-id")[:limit])


EVALUATION_EXPORT_FIELDS = {
    "evaluation_id": "id",
    "area": "recommendation__area__name",
    "code": "recommendation__code",
    "title": "recommendation__title",
    "as_of": "as_of",
    "evaluator": "evaluator__name",
    "grade": "grade__slug",
    "grade_label": "grade__label",
    "grade_score": "grade__score",
    "wording": "wording",
    "narrative": "narrative",
    "publication": "publication__title",
    "published_at": "published_at",
    "updated_at": "updated_at",
    # Empty when graded; given (with the grade columns empty) when judged not rateable.
    "not_rateable_reason": "not_rateable_reason",
}


def evaluation_export_rows(report: Report) -> QuerySet:
    """All published evaluations of a report as value tuples (EVALUATION_EXPORT_FIELDS order).

    In report order, each recommendation's history oldest first. Meant for `.iterator()`:
    no model instances are built, so exporting hundreds of thousands of rows stays flat.
    """
    return (
        Evaluation.objects.published()
        .filter(recommendation__report=report)
        .order_by("recommendation__position", "as_of", "published_at", "id")
        .values_list(*EVALUATION_EXPORT_FIELDS.values())
    )


EVIDENCE_EXPORT_FIELDS = {
    "evaluation_id": "evaluation_id",
    "code": "evaluation__recommendation__code",
    "as_of": "evaluation__as_of",
    "evaluator": "evaluation__evaluator__name",
    "stance": "stance",
    "quote": "quote",
    "page": "page",
    "source_key": "source__key",
    "source_title": "source__title",
    "source_author": "source__author",
    "source_publisher": "source__publisher",
    "source_published_on": "source__published_on",
    "source_url": "source__url",
    "source_archived_url": "source__archived_url",
    "source_citation": "source__citation",
}


def evidence_export_rows(report: Report) -> QuerySet:
    """The evidence of a report's published evaluations as value tuples, for `.iterator()`."""
    return (
        EvidenceLink.objects.filter(
            evaluation__status=Status.PUBLISHED, evaluation__recommendation__report=report
        )
        .order_by(
            "evaluation__recommendation__position",
            "evaluation__as_of",
            "evaluation__published_at",
            "evaluation_id",
            "position",
            "id",
        )
        .values_list(*EVIDENCE_EXPORT_FIELDS.values())
    )
