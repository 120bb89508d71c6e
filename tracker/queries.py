"""Read queries shared by the public pages, the API and the exports.

Everything public reads through here, so that what counts as published, and which
evaluation is a recommendation's current one, is decided in exactly one place. Each
function runs a fixed number of SQL queries whatever the size of the data.
"""

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router
from django.db.models import (
    Count,
    F,
    Max,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tracker.models import (
    Area,
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
)
from tracker.prepared import execute_prepared


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


# --- A page of recommendations with current grades (the API's list) -------------------------


@dataclass(frozen=True)
class RecommendationFilters:
    """What the API's recommendation list is asked for, its values already checked."""

    report: str | None = None  # slugs: a slug that names nothing matches nothing
    area: str | None = None
    grade: str | None = None  # of the current grade
    topic: str | None = None
    actor: str | None = None
    q: str | None = None  # words in the code, title or text
    as_of: datetime.date | None = None  # current as of this date (default: now)
    ordering: str = "position"  # position, code, grade or date; "-" in front reverses

    ORDERINGS = ("position", "code", "grade", "date")


# The page's rows are read by one SQL statement, written out here rather than composed by
# the ORM: building and compiling the equivalent querysets, and planning them, cost the API
# several times what running the statement does (bench/README.md). Each combination of
# filters ("shape") has its own statement, built once per process and prepared once per
# PostgreSQL connection; the values go in as parameters. The SQL is common to SQLite and
# PostgreSQL. What "current" means is `_latest_published`'s rule, restated in `_CURRENT_ID`;
# tests/test_queries.py checks the two agree.

# The id of a recommendation's current evaluation: its latest published one by `as_of`,
# ties going to the later publication, then the higher id.
_CURRENT_ID = """(
    SELECT e.id FROM tracker_evaluation e
    WHERE e.recommendation_id = {outer}.id AND e.status = 'published'{as_of}
    ORDER BY e.as_of DESC, e.published_at DESC, e.id DESC
    LIMIT 1
)"""

# Each ordering's keys, as (expression over the `matching` columns, may it be NULL).
# Each ordering's keys over the `matching` columns, reversed by "-"; then report and
# position, ascending, settle ties.
_ORDER_KEYS = {
    "position": ["m.published_on", "m.report_id", "m.position"],
    # A code's prefix ("SEC" of "SEC-12"), then its length and itself: SEC-2 before SEC-12.
    "code": [
        "CASE WHEN {dash} > 0 THEN SUBSTR(m.code, 1, {dash} - 1) ELSE m.code END",
        "LENGTH(m.code)",
        "m.code",
        "m.report_id",
    ],
    "grade": ["m.grade_score"],
    "date": ["m.current_as_of"],
}
# Keys that are NULL for ungraded recommendations, which come last either way.
_NULLABLE_KEYS = {"m.grade_score", "m.current_as_of"}


@dataclass(frozen=True)
class _Statement:
    name: str
    sql: str
    arguments: tuple[str, ...]  # the filter (or "limit", "offset") behind each parameter


def _like(text: str) -> str:
    """`text` as a case-insensitive LIKE pattern matching it anywhere, `\\` escaping."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.upper()}%"


def _matching_sql(filters: RecommendationFilters, arguments: list[str], *, for_count: bool) -> str:
    """The `matching` rows of the filters: ids and what orders them. The names of the
    values its placeholders take, in the order they appear, go on the end of `arguments`."""
    first_argument = len(arguments)
    conditions = []
    if filters.report is not None:
        conditions.append("rep.slug = %s")
        arguments.append("report")
    if filters.area is not None:
        conditions.append("r.area_id IN (SELECT a.id FROM tracker_area a WHERE a.slug = %s)")
        arguments.append("area")
    if filters.actor is not None:
        conditions.append("r.actor = %s")
        arguments.append("actor")
    if filters.topic is not None:
        conditions.append(
            "r.id IN (SELECT rt.recommendation_id FROM tracker_recommendation_topics rt "
            "JOIN tracker_topic t ON t.id = rt.topic_id WHERE t.slug = %s)"
        )
        arguments.append("topic")
    if filters.q is not None:
        conditions.append(
            "(UPPER(r.code) LIKE %s ESCAPE '\\' OR UPPER(r.title) LIKE %s ESCAPE '\\' "
            "OR UPPER(r.text) LIKE %s ESCAPE '\\')"
        )
        arguments += ["q", "q", "q"]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = (
        "SELECT r.id, r.report_id, r.position, r.code, r.area_id, r.title, r.text, r.actor, "  # noqa: S608 -- constants
        "rep.published_on, rep.slug AS report_slug "
        "FROM tracker_recommendation r JOIN tracker_report rep ON rep.id = r.report_id "
        f"{where}"
    )
    if not _needs_current(filters, for_count=for_count):
        return rows
    # The grade filter and the grade and date orderings need every row's current grade.
    # Its subquery comes before the rows in the SQL, and so do its arguments.
    as_of = ""
    if filters.as_of is not None:
        as_of = " AND e.as_of <= %s"
        arguments.insert(first_argument, "as_of")
    rows = (
        f"SELECT b.*, ce.grade_id, ce.as_of AS current_as_of, cg.score AS grade_score "  # noqa: S608
        f"FROM (SELECT f.*, {_CURRENT_ID.format(outer='f', as_of=as_of)} AS current_id "
        f"FROM ({rows}) f) b "
        "LEFT JOIN tracker_evaluation ce ON ce.id = b.current_id "
        "LEFT JOIN tracker_grade cg ON cg.id = ce.grade_id"
    )
    if filters.grade is not None:
        rows = (
            f"SELECT * FROM ({rows}) c "  # noqa: S608
            "WHERE c.grade_id IN (SELECT g.id FROM tracker_grade g WHERE g.slug = %s)"
        )
        arguments.append("grade")
    return rows


def _needs_current(filters: RecommendationFilters, *, for_count: bool = False) -> bool:
    """Whether `matching` must find every row's current evaluation (column `current_id`)."""
    if filters.grade is not None:
        return True
    return not for_count and filters.ordering.lstrip("-") in ("grade", "date")


def _shape(filters: RecommendationFilters, vendor: str) -> tuple:
    names = ("report", "area", "actor", "topic", "q", "grade", "as_of")
    present = tuple(name for name in names if getattr(filters, name) is not None)
    return (vendor, present, filters.ordering)


# Where the dash is in a code, in each database's words.
_DASH = {"sqlite": "INSTR(m.code, '-')", "postgresql": "STRPOS(m.code, '-')"}


_PAGE_STATEMENTS: dict[tuple, _Statement] = {}
_COUNT_STATEMENTS: dict[tuple, _Statement] = {}


def _statement_name(kind: str, shape: tuple) -> str:
    digest = hashlib.sha256(repr(shape).encode()).hexdigest()[:16]
    return f"scorecard_{kind}_{digest}"


def _page_statement(filters: RecommendationFilters, vendor: str) -> _Statement:
    shape = _shape(filters, vendor)
    statement = _PAGE_STATEMENTS.get(shape)
    if statement is not None:
        return statement
    arguments: list[str] = []
    matching = _matching_sql(filters, arguments, for_count=False)
    descending = filters.ordering.startswith("-")
    keys = _ORDER_KEYS[filters.ordering.lstrip("-")]
    direction = " DESC" if descending else ""
    order = ", ".join(
        (f"{key} IS NULL, " if key in _NULLABLE_KEYS else "") + key + direction for key in keys
    ).format(dash=_DASH[vendor])
    order += ", m.report_id, m.position"
    page_arguments = ["limit", "offset"]
    if _needs_current(filters):  # `matching` found them: `page` has them
        pages = "page"
    else:  # found for the page's rows only, not for every row the offset skips
        as_of = ""
        if filters.as_of is not None:
            as_of = " AND e.as_of <= %s"
            page_arguments.append("as_of")
        current = _CURRENT_ID.format(outer="page", as_of=as_of)
        pages = f"(SELECT page.*, {current} AS current_id FROM page)"  # noqa: S608
    sql = f"""
WITH matching AS ({matching}),
page AS (
    SELECT m.*, ROW_NUMBER() OVER (ORDER BY {order}) AS n
    FROM matching m ORDER BY {order} LIMIT %s OFFSET %s
)
SELECT
    (SELECT COUNT(*) FROM matching),
    p.id, p.report_slug, a.slug, a.name, p.code, p.position, p.title, p.text, p.actor,
    e.id, e.as_of, ev.slug, ev.name, e.wording, e.narrative, e.published_at,
    g.slug, g.label, g.score, g.colour,
    t.slug
FROM {pages} p
JOIN tracker_area a ON a.id = p.area_id
LEFT JOIN tracker_evaluation e ON e.id = p.current_id
LEFT JOIN tracker_grade g ON g.id = e.grade_id
LEFT JOIN tracker_evaluator ev ON ev.id = e.evaluator_id
LEFT JOIN tracker_recommendation_topics rt ON rt.recommendation_id = p.id
LEFT JOIN tracker_topic t ON t.id = rt.topic_id
ORDER BY p.n, t.name, t.id
"""  # noqa: S608 -- SQL from constants; every value is a parameter
    statement = _Statement(
        _statement_name("recommendation_page", shape), sql, (*arguments, *page_arguments)
    )
    _PAGE_STATEMENTS[shape] = statement
    return statement


def _count_statement(filters: RecommendationFilters, vendor: str) -> _Statement:
    shape = _shape(filters, vendor)
    statement = _COUNT_STATEMENTS.get(shape)
    if statement is None:
        arguments: list[str] = []
        matching = _matching_sql(filters, arguments, for_count=True)
        statement = _COUNT_STATEMENTS[shape] = _Statement(
            _statement_name("recommendation_count", shape),
            f"SELECT COUNT(*) FROM ({matching}) m",  # noqa: S608 -- as above
            tuple(arguments),
        )
    return statement


def _run(statement: _Statement, values: dict[str, Any]) -> list[tuple]:
    connection = connections[router.db_for_read(Recommendation)]
    params = [values[name] for name in statement.arguments]
    with connection.cursor() as cursor:
        execute_prepared(cursor, statement.name, statement.sql, params)
        return cursor.fetchall()


def _values(filters: RecommendationFilters) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(filters, name) for name in ("report", "area", "actor", "topic", "grade")
    }
    values["q"] = _like(filters.q) if filters.q is not None else None
    values["as_of"] = filters.as_of.isoformat() if filters.as_of is not None else None
    return values


def _date(value: datetime.date | str | None) -> datetime.date | None:
    """A date read by raw SQL: SQLite returns text, PostgreSQL a date."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class RecommendationRow:
    """A recommendation of the list, with its current evaluation (None when ungraded)."""

    recommendation: dict[str, Any]  # keyed by RECOMMENDATION_FIELDS
    current: dict[str, Any] | None  # keyed by EVALUATION_SUMMARY_FIELDS
    topics: list[str]


RECOMMENDATION_FIELDS = (
    "id",
    "report__slug",
    "area__slug",
    "area__name",
    "code",
    "position",
    "title",
    "text",
    "actor",
)
EVALUATION_SUMMARY_FIELDS = (
    "id",
    "as_of",
    "evaluator__slug",
    "evaluator__name",
    "wording",
    "narrative",
    "published_at",
    "grade__slug",
    "grade__label",
    "grade__score",
    "grade__colour",
)


# No offset reaches this: past it, a page is past the end without asking the database.
_MAX_ROWS = 2**62


def recommendation_page(
    filters: RecommendationFilters, *, limit: int, offset: int
) -> tuple[int | None, list[RecommendationRow]]:
    """The recommendations matching `filters`, in their order, from `offset` on (at most
    `limit`), and how many match in all: one query. The count is None when the page is
    empty (past the end: ask `recommendation_count`)."""
    if offset > _MAX_ROWS:  # past any table's end, and past what the databases can count to
        return None, []
    connection = connections[router.db_for_read(Recommendation)]
    statement = _page_statement(filters, connection.vendor)
    values = _values(filters)
    values.update(limit=limit, offset=offset)
    rows = _run(statement, values)
    if not rows:
        return (0 if offset == 0 else None), []
    width = len(RECOMMENDATION_FIELDS)
    page: list[RecommendationRow] = []
    count = rows[0][0]
    for _, *columns in rows:
        topic = columns[-1]
        if page and page[-1].recommendation["id"] == columns[0]:
            page[-1].topics.append(topic)
            continue
        current = None
        if columns[width] is not None:
            current = dict(zip(EVALUATION_SUMMARY_FIELDS, columns[width:-1], strict=True))
            current["as_of"] = _date(current["as_of"])
            current["published_at"] = _aware(current["published_at"])
        page.append(
            RecommendationRow(
                recommendation=dict(zip(RECOMMENDATION_FIELDS, columns[:width], strict=True)),
                current=current,
                topics=[topic] if topic is not None else [],
            )
        )
    return count, page


def recommendation_count(filters: RecommendationFilters) -> int:
    """How many recommendations match `filters` (one query)."""
    connection = connections[router.db_for_read(Recommendation)]
    ((count,),) = _run(_count_statement(filters, connection.vendor), _values(filters))
    return count


def unknown_slugs(filters: RecommendationFilters) -> dict[str, type[Model]]:
    """The filters naming a report, area, topic or grade that does not exist, and the
    model each names (a query per slug given; asked only when nothing matched)."""
    models = {"report": Report, "area": Area, "topic": Topic, "grade": Grade}
    return {
        name: model
        for name, model in models.items()
        if getattr(filters, name) is not None
        and not model.objects.filter(slug=getattr(filters, name)).exists()
    }


def published_editions() -> QuerySet[Edition]:
    return Edition.objects.filter(status=Status.PUBLISHED).select_related("report")


def edition_grades(edition: Edition) -> dict[int, Evaluation]:
    """Recommendation id → the evaluation frozen in the edition (with the evaluator as it
    was when the edition was frozen: `EditionEntry.frozen_evaluation`)."""
    entries = EditionEntry.objects.filter(edition=edition).select_related("evaluation__grade")
    return {entry.recommendation_id: entry.frozen_evaluation() for entry in entries}


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
) -> dict[Any, dict[int | None, int]]:
    """How many recommendations sit at each current grade, per value of `by`, in one query.

    `by` is a field of Recommendation ("report", "area"). Inner keys are grade ids; None
    counts the recommendations with no published grade (by `as_of`, if given).
    """
    latest = _latest_published(as_of)
    rows = (
        recommendations.order_by()
        .annotate(grade_now=Subquery(latest.values("grade_id")[:1]))
        .values(by, "grade_now")
        .annotate(n=Count("id"))
    )
    distribution: dict[Any, dict[int | None, int]] = {}
    for row in rows:
        distribution.setdefault(row[by], {})[row["grade_now"]] = row["n"]
    return distribution


def reports_last_published() -> dict[int, datetime.datetime]:
    """Report id → when a grade or an edition of it was last published."""
    evaluations = (
        Evaluation.objects.published()
        .order_by()
        .values(report=F("recommendation__report"))
        .annotate(t=Max("published_at"))
        .values("report", "t")
    )
    editions = (
        Edition.objects.filter(status=Status.PUBLISHED)
        .order_by()
        .values("report")
        .annotate(t=Max("published_at"))
        .values("report", "t")
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
    LinkKind.REITERATES: "Reiterates",
    LinkKind.SUPERSEDES: "Supersedes",
    LinkKind.RELATED: "Related to",
}
_INCOMING = {
    LinkKind.REITERATES: "Reiterated by",
    LinkKind.SUPERSEDES: "Superseded by",
    LinkKind.RELATED: "Related to",
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


# --- Editions compared ----------------------------------------------------------------------


@dataclass(frozen=True)
class GradeChange:
    """One recommendation's evaluation in two editions (None where it had no grade)."""

    recommendation: Recommendation
    before: Evaluation | None
    after: Evaluation | None

    @property
    def delta(self) -> int | None:
        """Steps up (positive) or down the scale; None unless graded in both."""
        if self.before is None or self.after is None:
            return None
        return self.after.grade.score - self.before.grade.score

    @property
    def steps(self) -> int:
        """How many levels the grade moved, either way (0 unless graded in both)."""
        return abs(self.delta or 0)

    @property
    def kind(self) -> str:
        """Which of CHANGE_KINDS this change is."""
        if self.before is None:
            return "never_graded" if self.after is None else "newly_graded"
        if self.after is None:
            return "no_longer_graded"
        if self.delta > 0:
            return "improved"
        return "declined" if self.delta < 0 else "unchanged"


# The ways a recommendation's grade can change from one edition to another.
CHANGE_KINDS = (
    "improved",
    "declined",
    "unchanged",
    "newly_graded",
    "no_longer_graded",
    "never_graded",
)


@dataclass(frozen=True)
class ChangeCounts:
    """How many recommendations changed in each of the CHANGE_KINDS."""

    improved: int
    declined: int
    unchanged: int
    newly_graded: int
    no_longer_graded: int
    never_graded: int


@dataclass
class EditionDiff:
    """What changed from one edition (`before`) to another (`after`) of the same report."""

    before: Edition
    after: Edition
    improved: list[GradeChange] = field(default_factory=list)
    declined: list[GradeChange] = field(default_factory=list)
    unchanged: list[GradeChange] = field(default_factory=list)
    newly_graded: list[GradeChange] = field(default_factory=list)
    no_longer_graded: list[GradeChange] = field(default_factory=list)
    never_graded: list[GradeChange] = field(default_factory=list)

    @property
    def changes(self) -> list[GradeChange]:
        """Every recommendation of the report, in report order."""
        return sorted(
            (change for kind in CHANGE_KINDS for change in getattr(self, kind)),
            key=lambda change: change.recommendation.position,
        )

    @property
    def counts(self) -> ChangeCounts:
        return ChangeCounts(**{kind: len(getattr(self, kind)) for kind in CHANGE_KINDS})


def edition_diff(a: Edition, b: Edition) -> EditionDiff:
    """Each recommendation's grade in edition `a` and in edition `b`, grouped (2 queries).

    "Improved" means a higher score in `b` than in `a`. Both must be editions of one report.
    """
    if a.report_id != b.report_id:
        raise ValueError("Only editions of the same report can be compared.")
    recommendations = Recommendation.objects.filter(report_id=a.report_id).select_related(
        "area", "report"
    )
    frozen: dict[tuple[int, int], Evaluation] = {
        (entry.edition_id, entry.recommendation_id): entry.frozen_evaluation()
        for entry in EditionEntry.objects.filter(edition__in=[a.pk, b.pk]).select_related(
            "evaluation__grade"
        )
    }
    diff = EditionDiff(before=a, after=b)
    for recommendation in recommendations.order_by("position"):
        change = GradeChange(
            recommendation,
            frozen.get((a.pk, recommendation.pk)),
            frozen.get((b.pk, recommendation.pk)),
        )
        getattr(diff, change.kind).append(change)
    return diff


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

    Each carries `previous_grade_label` and `previous_grade_score`: the grade the
    recommendation had before it (None for its first grade).
    """
    previous = _previous_published()
    evaluations = published_evaluations().annotate(
        previous_grade_label=Subquery(previous.values("grade__label")[:1]),
        previous_grade_score=Subquery(previous.values("grade__score")[:1]),
    )
    if report is not None:
        evaluations = evaluations.filter(recommendation__report=report)
    return list(evaluations.order_by("-published_at", "-id")[:limit])


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
