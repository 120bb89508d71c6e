"""Due dates: when a recommendation is "due soon" and when it is "overdue".

A recommendation may carry a due date, the report's own or one the editors set
(`Recommendation.due_set_by`). It is **overdue** once the date has passed (the day after it)
while its current grade does not count as done (`Grade.counts_as_done`; ungraded counts as
not done); it is **due soon** from `DUE_SOON_DAYS` days before the date to the date itself,
while not done. One definition for pages, the API, the filter `due` and the counts.

**Becoming overdue** is an event (the feeds, webhooks, e-mails: `overdue_events`): a
recommendation whose due date has passed and whose grade *as of its due date* (its latest
published evaluation speaking for that date or earlier) did not count as done. It is dated the
day after the due date and stays an event whatever happens later: a grade published
afterwards that counts as done does not undo it (only an evaluation speaking for the due date
or earlier, which changes what the record says of that day, or a new due date, which is a
new event of its own). Drafts never count: a recommendation graded only in drafts was ungraded
on the day.

"Today" is read in one place, `current_date()`: due states change with the passing of days, not
by writes, so the data's state (tracker.freshness) and the feeds read the same day as the
pages do (and a test can move the day by replacing this one function).
"""

import datetime

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from tracker.models import Grade, Recommendation, Report

DUE_SOON_DAYS = 90
SOON, OVERDUE = "soon", "overdue"
DUE_VALUES = (SOON, OVERDUE)


def current_date() -> datetime.date:
    """The day due states are measured against (the site's time zone)."""
    return timezone.localdate()


def overdue_since(due_on: datetime.date) -> datetime.datetime:
    """The moment a recommendation due on `due_on` became overdue: the start of the day after."""
    return datetime.datetime.combine(
        due_on + datetime.timedelta(days=1), datetime.time(), timezone.get_current_timezone()
    )


def soon_since(due_on: datetime.date) -> datetime.datetime:
    """The moment a recommendation due on `due_on` became due soon."""
    return datetime.datetime.combine(
        due_on - datetime.timedelta(days=DUE_SOON_DAYS),
        datetime.time(),
        timezone.get_current_timezone(),
    )


def due_state(
    due_on: datetime.date | None, current_grade: Grade | None, today: datetime.date | None = None
) -> str | None:
    """`overdue`, `soon`, or None (no date, done, or not due for a while)."""
    if due_on is None or (current_grade is not None and current_grade.counts_as_done):
        return None
    today = today or current_date()
    if due_on < today:
        return OVERDUE
    if due_on <= today + datetime.timedelta(days=DUE_SOON_DAYS):
        return SOON
    return None


def due_condition(value: str, today: datetime.date | None = None) -> Q:
    """The filter `due`, on a queryset annotated with `current_grade_id`
    (tracker.queries.with_current_grade)."""
    today = today or current_date()
    done = Grade.objects.filter(counts_as_done=True).values("pk")
    not_done = Q(current_grade_id__isnull=True) | ~Q(current_grade_id__in=done)
    if value == OVERDUE:
        return Q(due_on__lt=today) & not_done
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    return Q(due_on__gte=today, due_on__lte=soon) & not_done


def due_counts(rows, today: datetime.date | None = None) -> dict[str, int]:
    """How many of `rows` (recommendations with `current_evaluation`, or `current_grade`)
    are overdue and due soon."""
    counts = dict.fromkeys(DUE_VALUES, 0)
    for row in rows:
        evaluation = getattr(row, "current_evaluation", None)
        grade = evaluation.grade if evaluation else getattr(row, "current_grade", None)
        state = due_state(row.due_on, grade, today)
        if state:
            counts[state] += 1
    return counts


class _Count(Subquery):
    """How many rows a subquery gives, as a scalar (the subquery needs no GROUP BY)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _due_rows)"
    output_field = IntegerField()


def with_due_counts(reports: QuerySet[Report], today: datetime.date | None = None) -> QuerySet:
    """Annotate `overdue` and `due_soon`: how many of each report's recommendations are
    overdue and due soon (the filter `due`'s conditions), in the reports' own query."""
    from tracker.queries import with_current_grade  # (it reads this module)

    today = today or current_date()

    def count(value: str) -> _Count:
        rows = with_current_grade(Recommendation.objects.filter(report=OuterRef("pk")))
        return _Count(rows.filter(due_condition(value, today)).order_by().values("pk"))

    return reports.annotate(overdue=count(OVERDUE), due_soon=count(SOON))


def overdue_events(today: datetime.date | None = None) -> QuerySet[Recommendation]:
    """The recommendations that became overdue (the rule above), each once for its due date,
    with `due_grade_id` and `due_grade_label`: its grade as of its due date (None when it had
    none, or was judged not rateable). Unordered."""
    from tracker.queries import latest_published  # (it reads this module)

    today = today or current_date()
    on_the_day = latest_published(OuterRef("due_on"))
    done = Grade.objects.filter(counts_as_done=True).values("pk")
    return (
        Recommendation.objects.filter(due_on__lt=today)
        .annotate(
            due_grade_id=Subquery(on_the_day.values("grade_id")[:1]),
            due_grade_label=Subquery(on_the_day.values("grade__label")[:1]),
        )
        .filter(Q(due_grade_id__isnull=True) | ~Q(due_grade_id__in=done))
    )
