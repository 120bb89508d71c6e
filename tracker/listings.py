"""The paged lists of the public pages: the reports of the home page, and a report's
recommendations on its scorecard, one page at a time, with figures over all of them.

Each read is a fixed number of queries whatever the size of the data: a page's rows are
read by a subquery of their ids (LIMIT and OFFSET on the ids only, as
`tracker.queries.recommendation_page` does), and what a page counts over every row (the
distributions, the due dates, the matches per area) comes from one light query of values,
never from model instances of every row.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Window

from tracker import deadlines
from tracker.filters import NOT_RATEABLE, RecommendationFilters, check_known
from tracker.models import Grade, Recommendation, Report, Topic
from tracker.queries import attach_current_evaluations, with_current_grade
from tracker.report_filters import ReportFilters

REPORTS_PAGE_SIZE = 50  # reports a page of the home page lists
RECOMMENDATIONS_PAGE_SIZE = 100  # recommendations a page of a report's scorecard lists
# A scorecard lists its recommendations area by area (areas in their order), each area's in
# report order: the order its pages cut.
SCORECARD_ORDER = ("area__position", "area_id", "position", "id")


def reports_page(filters: ReportFilters, *, limit: int, offset: int) -> tuple[int, list[Report]]:
    """How many reports match `filters`, and those from `offset` on (at most `limit`), oldest
    first, with their grade scale. One query: the count rides on each row (a window), so
    past the last page the count is unknown and given as 0 with no rows."""
    reports = (
        Report.objects.select_related("grade_scale")
        .filter(filters.condition())
        .annotate(matching=Window(Count("id")))
        .order_by("published_on", "slug")
    )
    rows = list(reports[offset : offset + limit])
    return (rows[0].matching if rows else 0), rows


# --- A report's scorecard -------------------------------------------------------------------


def _judgment_key(evaluation_id: int | None, grade_id: int | None) -> int | str | None:
    """What a distribution counts a recommendation under (as queries.grade_distribution)."""
    if evaluation_id is None:
        return None
    return grade_id if grade_id is not None else NOT_RATEABLE


@dataclass
class ScorecardFigures:
    """Counts over every recommendation of a report (as of the filters' date), whichever
    page is shown: grades per area, the matching ones per area, the due dates."""

    grades_by_area: dict[int, Counter] = field(default_factory=dict)
    matching_by_area: Counter = field(default_factory=Counter)
    due: dict[str, int] = field(default_factory=lambda: dict.fromkeys(deadlines.DUE_VALUES, 0))

    @property
    def grades(self) -> Counter:
        total: Counter = Counter()
        for counts in self.grades_by_area.values():
            total.update(counts)
        return total

    @property
    def total(self) -> int:
        return sum(self.grades.values())

    @property
    def matching(self) -> int:
        return sum(self.matching_by_area.values())


def scorecard_figures(
    report: Report,
    filters: RecommendationFilters,
    grades: Iterable[Grade],
    today: datetime.date | None = None,
) -> ScorecardFigures:
    """The figures of a report's scorecard, in one query (a row of values per
    recommendation). `grades`: the report's scale, to tell which grades count as done."""
    by_id = {grade.pk: grade for grade in grades}
    rows = (
        with_current_grade(report.recommendations.order_by(), filters.as_of)
        .annotate(matches=filters.matched())
        .values_list("area_id", "due_on", "current_evaluation_id", "current_grade_id", "matches")
    )
    figures = ScorecardFigures()
    today = today or deadlines.current_date()
    for area_id, due_on, evaluation_id, grade_id, matches in rows:
        key = _judgment_key(evaluation_id, grade_id)
        figures.grades_by_area.setdefault(area_id, Counter())[key] += 1
        if matches:
            figures.matching_by_area[area_id] += 1
        state = deadlines.due_state(due_on, by_id.get(grade_id), today)
        if state:
            figures.due[state] += 1
    return figures


def topic_counts(report: Report) -> list[tuple[str, str, int]]:
    """(slug, name, how many have it) of each topic of the report's recommendations, by
    name (one query)."""
    counts = (
        Recommendation.topics.through.objects.filter(recommendation__report=report)
        .values("topic_id", "topic__slug", "topic__name")
        .annotate(n=Count("recommendation_id"))
        .order_by("topic__name", "topic_id")
    )
    return [(row["topic__slug"], row["topic__name"], row["n"]) for row in counts]


@dataclass
class ScorecardPage:
    """One page of a report's matching recommendations, in SCORECARD_ORDER, each with its
    area, `current_evaluation` and `topic_list`; and the rows just before and after it
    (None at either end), which tell whether an area began on an earlier page or goes on."""

    rows: list[Recommendation]
    before: Recommendation | None
    after: Recommendation | None


def scorecard_page(
    report: Report, filters: RecommendationFilters, *, limit: int, offset: int
) -> ScorecardPage:
    """The page of `report`'s recommendations matching `filters` from `offset` on (at most
    `limit`). Three queries (rows, their current evaluations, their topics), whatever the
    size of the report; none of the last two when the page is empty."""
    matching = (
        with_current_grade(report.recommendations.select_related("area"), filters.as_of)
        .filter(filters.condition())
        .order_by(*SCORECARD_ORDER)
    )
    start = max(offset - 1, 0)
    # One row more on each side: the neighbours of the page.
    page_ids = matching.values("pk")[start : offset + limit + 1]
    rows = list(
        matching.filter(pk__in=page_ids).prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by("name", "id"), to_attr="topic_list")
        )
    )
    before = rows.pop(0) if offset > 0 and rows else None
    after = rows.pop() if len(rows) > limit else None
    attach_current_evaluations(rows)
    return ScorecardPage(rows, before, after)


def check_filters_named_something(
    report: Report, filters: RecommendationFilters, figures: ScorecardFigures
) -> None:
    """InvalidFilters when nothing matched because a filter names nothing in the report."""
    if filters.narrowing and not figures.matching:
        check_known(filters, report=report)
