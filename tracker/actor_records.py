"""An actor's record: the recommendations addressed to it (and to the bodies within it) across
every report, their grades now and over the years, and its implementation rate.

The implementation rate follows the U.S. GAO's: of the recommendations addressed to the
actor at least N years ago (their report published on or before today's date N years back),
the share whose current grade counts as done (`Grade.counts_as_done`, a property of each
scale). N defaults to `DEFAULT_YEARS` and is asked for as `years`.

A record costs the same few queries however many recommendations and evaluations there are:
the actor tree, the recommendations (with their current grades), the grades of their
scales, and their published evaluations (for the years).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from tracker import deadlines
from tracker.actors import ActorTree, addressed_to, counts_within, recommendation_actors
from tracker.models import Actor, Evaluation, Grade, Recommendation, Status
from tracker.queries import with_current_grade

DEFAULT_YEARS = 4  # as the GAO counts: recommendations made four years earlier
MAX_YEARS = 100


def parse_years(value: str | None) -> int:
    """The `years` parameter, checked: a whole number from 0 to MAX_YEARS (ValueError with
    the message otherwise); DEFAULT_YEARS when absent."""
    if value is None:
        return DEFAULT_YEARS
    value = value.strip()
    if not value.isdigit() or int(value) > MAX_YEARS:
        raise ValueError(
            f"years is the age in whole years (0 to {MAX_YEARS}) a recommendation must have "
            f"for the implementation rate; “{value[:20]}” is not one."
        )
    return int(value)


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class GradeCount:
    grade: Grade | None  # None: not yet graded
    count: int


@dataclass
class YearCount:
    """How its recommendations stood at the end of a year."""

    year: int
    addressed: int  # made by then (report published)
    graded: int
    done: int


@dataclass
class ImplementationRate:
    years: int
    made_by: datetime.date  # recommendations made on or before this date count
    addressed: int
    done: int

    @property
    def rate(self) -> float | None:
        return round(self.done / self.addressed, 4) if self.addressed else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)


@dataclass
class ActorRecord:
    actor: Actor
    ancestors: list[Actor]
    children: list[Actor]
    recommendations: list[Recommendation]  # with report, area, `current_grade`
    distribution: list[GradeCount]
    years: list[YearCount]
    implementation: ImplementationRate
    due: dict = field(default_factory=dict)  # deadlines.due_counts

    @property
    def overdue(self) -> int:
        return self.due.get(deadlines.OVERDUE, 0)

    @property
    def due_soon(self) -> int:
        return self.due.get(deadlines.SOON, 0)

    @property
    def recommendation_count(self) -> int:
        return len(self.recommendations)

    @property
    def parent(self) -> Actor | None:
        return self.ancestors[-1] if self.ancestors else None


def actor_record(
    actor_slug: str, *, years: int = DEFAULT_YEARS, today: datetime.date | None = None
) -> ActorRecord | None:
    """The record of the actor `actor_slug`, or None when there is no such actor."""
    today = today or deadlines.current_date()
    tree = ActorTree.read()
    actor = next((a for a in tree.actors.values() if a.slug == actor_slug), None)
    if actor is None:
        return None
    recommendations = list(
        with_current_grade(
            Recommendation.objects.filter(addressed_to(actor.slug)).select_related("report", "area")
        ).order_by("report__published_on", "report_id", "position")
    )
    scales = {rec.report.grade_scale_id for rec in recommendations}
    grades = {
        grade.pk: grade
        for grade in Grade.objects.filter(scale_id__in=scales).order_by("scale_id", "-score")
    }
    for rec in recommendations:
        rec.current_grade = grades.get(rec.current_grade_id)

    counts = Counter(rec.current_grade_id for rec in recommendations)
    distribution = [GradeCount(grade, counts[pk]) for pk, grade in grades.items() if counts[pk]]
    if counts[None]:
        distribution.append(GradeCount(None, counts[None]))

    made_by = years_before(today, years)
    old_enough = [rec for rec in recommendations if rec.report.published_on <= made_by]
    implementation = ImplementationRate(
        years=years,
        made_by=made_by,
        addressed=len(old_enough),
        done=sum(1 for rec in old_enough if rec.current_grade and rec.current_grade.counts_as_done),
    )
    return ActorRecord(
        actor=actor,
        ancestors=tree.ancestors(actor),
        children=tree.children(actor),
        recommendations=recommendations,
        distribution=distribution,
        years=_over_the_years(recommendations, grades, today),
        implementation=implementation,
        due=deadlines.due_counts(recommendations, today),
    )


def _over_the_years(
    recommendations: list[Recommendation], grades: dict[int, Grade], today: datetime.date
) -> list[YearCount]:
    """Year by year, from the first report's year to this one: how many were made, graded,
    and graded as done by the end of it (the grade current then, as the current-grade rule
    reads it: the latest published evaluation by date, then publication)."""
    if not recommendations:
        return []
    published = (
        Evaluation.objects.filter(
            status=Status.PUBLISHED, recommendation__in=[rec.pk for rec in recommendations]
        )
        .order_by("recommendation_id", "as_of", "published_at", "id")
        .values_list("recommendation_id", "as_of", "grade_id")
    )
    history: dict[int, list[tuple[datetime.date, int]]] = {}
    for rec_id, as_of, grade_id in published:
        history.setdefault(rec_id, []).append((as_of, grade_id))
    first = min(rec.report.published_on.year for rec in recommendations)
    rows = []
    for year in range(first, today.year + 1):
        end = datetime.date(year, 12, 31)
        made = [rec for rec in recommendations if rec.report.published_on <= end]
        graded = done = 0
        for rec in made:
            then = [grade_id for as_of, grade_id in history.get(rec.pk, []) if as_of <= end]
            if then:
                graded += 1
                done += bool(grades.get(then[-1]) and grades[then[-1]].counts_as_done)
        rows.append(YearCount(year=year, addressed=len(made), graded=graded, done=done))
    return rows


def actor_index() -> list[tuple[Actor, int, int]]:
    """Every actor with its depth in the tree and how many recommendations are addressed to
    it or to a body within it (two queries)."""
    tree = ActorTree.read()
    named = recommendation_actors(Recommendation.objects.all())
    counts = counts_within(tree, named)
    return [(actor, depth, counts.get(actor.pk, 0)) for actor, depth in tree.in_order()]
