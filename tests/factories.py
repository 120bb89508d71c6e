"""Plain, predictable test data. Each factory makes exactly what its name says."""

import contextlib
import datetime
import functools
import itertools
from io import StringIO

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tracker import freshness, roles
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
    Topic,
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


PASSWORD = "a-long-test-password"


@functools.cache
def _password_hash() -> str:
    # Hashing a password takes about a second by design; do it once per test run.
    return make_password(PASSWORD)


def make_user(username: str, role: str | None = None) -> User:
    """A user in a role's group (editor, publisher, partner); editors and publishers are staff.

    Everyone's password is PASSWORD.
    """
    user = User.objects.create(
        username=username, password=_password_hash(), is_staff=role in {"editor", "publisher"}
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=roles.ROLES[role]))
    return user


def make_many_recommendations(report: Report, count: int) -> list[Recommendation]:
    """`count` more recommendations in the report's areas, bulk-inserted, each with a 2004
    and a 2008 published evaluation (one piece of evidence each), a draft, and a topic.

    For query-count tests: the queries a page runs must not grow with the data.
    """
    areas = list(report.areas.order_by("position")) or [make_area(report)]
    grades = list(report.grade_scale.grades.order_by("score"))
    evaluator = make_evaluator()
    topic, _ = Topic.objects.get_or_create(slug="generated", defaults={"name": "Generated"})
    start = report.recommendations.count() + 1
    recommendations = Recommendation.objects.bulk_create(
        Recommendation(
            report=report,
            area=areas[n % len(areas)],
            code=f"GEN-{start + n}",
            position=1000 + start + n,
            title=f"Generated recommendation {start + n}",
            text=f"The allies should do generated thing number {start + n}.",
        )
        for n in range(count)
    )
    Recommendation.topics.through.objects.bulk_create(
        Recommendation.topics.through(recommendation=rec, topic=topic) for rec in recommendations
    )
    published_at = timezone.now()
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(
            recommendation=rec,
            evaluator=evaluator,
            grade=grades[(n + offset) % len(grades)],
            as_of=as_of,
            narrative=f"Generated narrative {n}.",
            status=status,
            published_at=published_at if status == Status.PUBLISHED else None,
        )
        for n, rec in enumerate(recommendations)
        for offset, as_of, status in (
            (0, datetime.date(2004, 4, 26), Status.PUBLISHED),
            (1, datetime.date(2008, 1, 15), Status.PUBLISHED),
            (2, datetime.date(2010, 1, 1), Status.DRAFT),
        )
    )
    sources = Source.objects.bulk_create(
        Source(key=f"generated-{report.pk}-{start + n}", title=f"Generated source {n}")
        for n in range(max(1, count // 10))
    )
    EvidenceLink.objects.bulk_create(
        EvidenceLink(evaluation=evaluation, source=sources[n % len(sources)], quote="Quoted.")
        for n, evaluation in enumerate(evaluations)
    )
    _renew_statistics(
        Recommendation, Recommendation.topics.through, Evaluation, Source, EvidenceLink
    )
    return recommendations


def _renew_statistics(*models) -> None:
    """On PostgreSQL, the planner's statistics of the tables just loaded, as autovacuum
    renews them after a load (it never sees a test's uncommitted rows). Renewing them also
    makes the connection plan its statements again, the foreign-key checks among them: a
    check planned while a table was a page long scans it whole, and a suite's connection
    keeps that plan while the next batches make the table thousands of rows long."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def date_every_change(moment: datetime.datetime) -> None:
    """Make the record look as if its every row was last written at `moment` (the data's
    state: tracker.freshness)."""
    for name in freshness.SHOWN_MODELS:
        apps.get_model("tracker", name).objects.update(updated_at=moment)
    for name in freshness.HISTORIED_MODELS:
        apps.get_model("tracker", f"Historical{name}").objects.update(history_date=moment)


def make_actor(slug: str, parent=None, kind: str | None = None):
    """An actor named after its slug: a government, or (with `parent`) a ministry in it."""
    from tracker.models import Actor, ActorKind

    return Actor.objects.create(
        slug=slug,
        name=slug.replace("-", " ").title(),
        kind=kind or (ActorKind.MINISTRY if parent else ActorKind.GOVERNMENT),
        parent=parent,
    )


@contextlib.contextmanager
def unbounded_setup():
    """Build a large test corpus without the per-statement bound that requests have.

    On PostgreSQL each statement is cancelled after DATABASE_QUERY_TIMEOUT_SECONDS; bulk
    set-up statements late in a long run (tables bloated by earlier rolled-back tests) can
    pass it. The bound is lifted for the set-up only, and the planner's statistics renewed;
    what the test measures afterwards runs bounded again.
    """
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    kept = raw.deadline_seconds
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
    raw.deadline_seconds = 0
    try:
        yield
    finally:
        raw.deadline_seconds = kept
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SET LOCAL statement_timeout = DEFAULT")


def make_paged_reports() -> None:
    """Enough generated reports for the home page's pager (50 small ones), and two of 120
    recommendations for a scorecard's (the page checkers visit both)."""
    for seed, recommendations, per_report in ((1, 240, 120), (2, 100, 2)):
        call_command(
            "generate_scale_data",
            recommendations=recommendations,
            per_report=per_report,
            evaluations_per=1,
            seed=seed,
            quiet=True,
            stdout=StringIO(),
        )
