"""An actor's record: the recommendations addressed to it (and to the bodies within it) across
every report, their grades now and over the years, and its implementation rate.

The implementation rate follows the U.S. GAO's: of the recommendations addressed to the
actor at least N years ago (their report published on or before today's date N years back),
the share whose current grade counts as done (`Grade.counts_as_done`, a property of each
scale). N defaults to `DEFAULT_YEARS` and is asked for as `years`.

A record costs the same few queries however many recommendations and evaluations there are:
the actor tree, one page of the recommendations (with their current grades) when they are
listed, the recommendations grouped by what the figures depend on, their current grades,
and one aggregate over their published evaluations (for the years).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, Count, F, QuerySet, Value, When, Window
from django.db.models.functions import ExtractYear, Lag

from tracker import deadlines
from tracker.actors import ActorTree, addressed_to, counts_within, recommendation_actors
from tracker.models import Actor, Evaluation, Grade, Recommendation, Status
from tracker.queries import with_current_grade

DEFAULT_YEARS = 4  # as the GAO counts: recommendations made four years earlier
MAX_YEARS = 100
PAGE_SIZE = 50  # recommendations listed per page of an actor's record
MAX_PAGE = 10_000


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


def parse_page(value: str | None) -> int:
    """The `page` parameter, checked: a whole number from 1 to MAX_PAGE (ValueError with
    the message otherwise); 1 when absent."""
    if value is None:
        return 1
    value = value.strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise ValueError(f"The page is a whole number from 1 to {MAX_PAGE:,}.")
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
    recommendation_count: int
    recommendations: list[Recommendation]  # one page, with report, area, `current_grade`
    distribution: list[GradeCount]
    years: list[YearCount]
    implementation: ImplementationRate
    due: dict = field(default_factory=dict)  # deadlines.due_counts
    page: int = 1  # the page of `recommendations`, from 1
    page_size: int = PAGE_SIZE

    @property
    def last_page(self) -> int:
        return max(1, -(-self.recommendation_count // self.page_size))

    @property
    def page_found(self) -> bool:
        return self.page <= self.last_page

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * self.page_size + 1

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.recommendations) - 1

    @property
    def overdue(self) -> int:
        return self.due.get(deadlines.OVERDUE, 0)

    @property
    def due_soon(self) -> int:
        return self.due.get(deadlines.SOON, 0)

    @property
    def parent(self) -> Actor | None:
        return self.ancestors[-1] if self.ancestors else None


def actor_record(
    actor_slug: str,
    *,
    years: int = DEFAULT_YEARS,
    today: datetime.date | None = None,
    listed: bool = True,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ActorRecord | None:
    """The record of the actor `actor_slug`, or None when there is no such actor.

    The figures come from a GROUP BY of its recommendations on what they depend on (current
    grade, report date, due date): a few rows, however many recommendations. With `listed`,
    one page of its recommendations themselves too (`page`, from 1, of `page_size`, in
    report order; the page lists them, the API's record lists none). A page past the last
    lists none (`ActorRecord.page_found`)."""
    today = today or deadlines.current_date()
    tree = ActorTree.read()
    actor = next((a for a in tree.actors.values() if a.slug == actor_slug), None)
    if actor is None:
        return None
    addressed = Recommendation.objects.filter(addressed_to(actor.slug))
    recommendations: list[Recommendation] = []
    if listed:
        offset = (page - 1) * page_size
        recommendations = list(
            with_current_grade(addressed.select_related("report", "area")).order_by(
                "report__published_on", "report_id", "position"
            )[offset : offset + page_size]
        )
    grouped = (
        with_current_grade(addressed)
        .values("current_grade_id", "report__published_on", "due_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    groups = Counter(
        {
            (row["current_grade_id"], row["report__published_on"], row["due_on"]): row["n"]
            for row in grouped
        }
    )
    graded = {grade_id for grade_id, _, _ in groups if grade_id is not None}
    grades = {
        grade.pk: grade
        for grade in Grade.objects.filter(pk__in=graded).order_by("scale_id", "-score")
    }
    for rec in recommendations:
        rec.current_grade = grades.get(rec.current_grade_id)

    counts: Counter = Counter()
    made_in: Counter = Counter()
    due = dict.fromkeys(deadlines.DUE_VALUES, 0)
    made_by = years_before(today, years)
    implementation = ImplementationRate(years=years, made_by=made_by, addressed=0, done=0)
    for (grade_id, published_on, due_on), n in groups.items():
        grade = grades.get(grade_id)
        counts[grade_id] += n
        made_in[published_on.year] += n
        if published_on <= made_by:
            implementation.addressed += n
            implementation.done += n if grade and grade.counts_as_done else 0
        state = deadlines.due_state(due_on, grade, today)
        if state:
            due[state] += n
    distribution = [GradeCount(grade, counts[pk]) for pk, grade in grades.items() if counts[pk]]
    if counts[None]:
        distribution.append(GradeCount(None, counts[None]))
    return ActorRecord(
        actor=actor,
        ancestors=tree.ancestors(actor),
        children=tree.children(actor),
        recommendation_count=sum(groups.values()),
        recommendations=recommendations,
        distribution=distribution,
        years=_over_the_years(addressed, made_in, today),
        implementation=implementation,
        due=due,
        page=page,
        page_size=page_size,
    )


def _over_the_years(
    addressed: QuerySet[Recommendation], made_in: Counter, today: datetime.date
) -> list[YearCount]:
    """Year by year, from the first report's year to this one: how many were made, graded,
    and graded as done by the end of it (the grade current then, as the current-grade rule
    reads it: the latest published evaluation by date, then publication).

    `made_in` counts the recommendations by their report's year. The graded and done counts
    are one aggregate query: each published evaluation, in the order the current-grade rule
    reads them, changes its recommendation's state from the one before it (the first makes it
    graded; each may make it done or undone), so the changes summed by year (counted from the
    year the recommendation was made when evaluated earlier) add up to each year's figures.
    """
    if not made_in:
        return []
    evaluations = Evaluation.objects.filter(
        status=Status.PUBLISHED, recommendation__in=addressed.values("pk")
    ).annotate(
        as_of_year=ExtractYear("as_of"),
        made_year=ExtractYear("recommendation__report__published_on"),
        done=Case(When(grade__counts_as_done=True, then=Value(1)), default=Value(0)),
        done_before=Window(
            Lag("done"),
            partition_by=[F("recommendation_id")],
            order_by=[F("as_of").asc(), F("published_at").asc(), F("id").asc()],
        ),
    )
    # Unordered (they are summed): no sort by the model's default order.
    inner = evaluations.values("as_of_year", "made_year", "done", "done_before").order_by()
    inner_sql, params = inner.query.sql_with_params()
    changes = f"""
        SELECT CASE WHEN e.as_of_year > e.made_year THEN e.as_of_year ELSE e.made_year END,
               SUM(CASE WHEN e.done_before IS NULL THEN 1 ELSE 0 END),
               SUM(e.done - COALESCE(e.done_before, 0))
        FROM ({inner_sql}) e
        GROUP BY 1
    """  # noqa: S608 -- the inner query is the ORM's, its values are parameters
    with connection.cursor() as cursor:
        cursor.execute(changes, params)
        changed_in = {year: (int(graded), int(done)) for year, graded, done in cursor.fetchall()}
    rows = []
    addressed_by = graded_by = done_by = 0
    for year in range(min(made_in), today.year + 1):
        graded, done = changed_in.get(year, (0, 0))
        addressed_by += made_in.get(year, 0)
        graded_by += graded
        done_by += done
        rows.append(YearCount(year=year, addressed=addressed_by, graded=graded_by, done=done_by))
    return rows


def actor_index() -> list[tuple[Actor, int, int]]:
    """Every actor with its depth in the tree and how many recommendations are addressed to
    it or to a body within it (two queries)."""
    tree = ActorTree.read()
    named = recommendation_actors(Recommendation.objects.all())
    counts = counts_within(tree, named)
    return [(actor, depth, counts.get(actor.pk, 0)) for actor, depth in tree.in_order()]
