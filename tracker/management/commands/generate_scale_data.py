"""Generate a large, deterministic scorecard for benchmarks and query-count tests.

    python manage.py generate_scale_data --recommendations 10000 --evaluations-per 20 --seed 1
    python manage.py generate_scale_data --recommendations 100000 --per-report 100 --seed 2

Shape: several reports (one per `--per-report` recommendations, default 1,000, at least
two), six areas each, a
shared pool of sources cited by many evaluations, several evaluators, one evaluation per
recommendation per year, about one in twenty left as a draft. The same seed always gives
the same rows. Rows are bulk-inserted, so the audit history is not written for them.
"""

import datetime
import io
import random
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from tracker.models import (
    Actor,
    Area,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    GradeScale,
    Recommendation,
    RecommendationActor,
    Report,
    Source,
    SourceKind,
    Stance,
    Status,
)
from tracker.rules import source_url_key
from tracker.search_bulk import copy_field, index_bulk

AREAS = ["Politics", "Security", "Bases", "Intelligence", "Economy", "Diplomacy"]
SCALE = [
    ("accomplished", "Accomplished", 5, "#1a5e20"),
    ("substantial-progress", "Substantial progress", 4, "#2e7d32"),
    ("ongoing-progress", "Ongoing progress", 3, "#1565c0"),
    ("slow-progress", "Slow progress", 2, "#8a5a00"),
    ("more-progress-needed", "More progress needed", 1, "#b34700"),
    ("setback", "Setback", 0, "#8a1c1c"),
]
BATCH = 5000
# updated_at follows published_at, spreading the change feed over the years as real
# editing would, instead of stamping every row "now".
EVALUATION_COLUMNS = [
    "id", "recommendation_id", "evaluator_id", "grade_id", "wording", "narrative", "as_of",
    "status", "created_at", "updated_at", "published_at", "version", "not_rateable_reason",
]  # fmt: skip
LINK_COLUMNS = [
    "id", "evaluation_id", "source_id", "stance", "quote", "page", "position", "updated_at",
]  # fmt: skip


def _insert_sql(model, columns: list[str], marks: str | None = None) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    marks = marks or "(" + ", ".join(["%s"] * len(columns)) + ")"
    return f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {marks}"  # noqa: S608 -- names come from the model, values are parameters


def _insert_many(cursor, model, columns: list[str], rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        # COPY: one statement per batch, parsed once by the server (several times faster
        # than multi-row INSERTs at two million rows; executemany is one round trip a row).
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        data = "".join("\t".join(copy_field(v) for v in row) + "\n" for row in rows)
        cursor.cursor.copy_expert(
            f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN",
            io.StringIO(data),
        )
    else:
        cursor.executemany(_insert_sql(model, columns), rows)


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal; elsewhere (a log, CI) one
    line at each tenth of the way, so that the log stays short."""

    def __init__(self, label: str, total: int, stream=sys.stderr, started: float | None = None):
        self.label, self.total, self.stream = label, max(total, 1), stream
        self.is_terminal = getattr(stream, "isatty", lambda: False)()
        self.done = self.tenths = 0
        self.started = time.monotonic() if started is None else started

    def advance(self, count: int) -> None:
        self.done += count
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        if self.is_terminal:
            filled = int(30 * self.done / self.total)
            self.stream.write(
                f"\r{self.label:<16} [{'#' * filled}{'.' * (30 - filled)}] "
                f"{self.done:>9,}/{self.total:,} ({rate:,.0f}/s)"
            )
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            tenths = min(10, 10 * self.done // self.total)
            if tenths <= self.tenths:
                return
            self.tenths = tenths
            self.stream.write(
                f"{self.label}: {self.done:,} of {self.total:,} ({10 * tenths}%, {rate:,.0f}/s)\n"
            )
        self.stream.flush()


class Command(BaseCommand):
    help = "Generate a large deterministic scorecard (benchmarks, query-count tests)."

    def add_arguments(self, parser):
        parser.add_argument("--recommendations", type=int, default=10000)
        parser.add_argument("--evaluations-per", type=int, default=20)
        parser.add_argument(
            "--per-report", type=int, default=1000, help="recommendations per report"
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        count, per, seed = options["recommendations"], options["evaluations_per"], options["seed"]
        per_report = options["per_report"]
        if count < 1 or per < 0 or per_report < 1:
            raise CommandError(
                "--recommendations and --per-report must be at least 1, "
                "--evaluations-per at least 0."
            )
        prefix = f"scale-s{seed}"
        if Report.objects.filter(slug__startswith=f"{prefix}-").exists():
            raise CommandError(
                f"Scale data for seed {seed} is already in this database (reports {prefix}-*)."
            )
        stream = io.StringIO() if options["quiet"] else sys.stderr
        started = time.monotonic()
        with transaction.atomic():
            totals = generate(
                count=count, per=per, per_report=per_report, seed=seed, prefix=prefix, stream=stream
            )
            # Written in bulk, around the services: the search's documents too, the same
            # documents `search.index` writes (tracker/search.py), a recommendation's, an
            # evaluation's and its evidence link's.
            documents = totals["recommendations"] + 2 * totals["evaluations"]
            index_bulk(
                reports=Report.objects.filter(slug__startswith=f"{prefix}-").values_list(
                    "pk", flat=True
                ),
                progress=Progress("search documents", documents, stream).advance,
            )
        self.stdout.write(
            f"Generated {totals['recommendations']:,} recommendations in {totals['reports']} "
            f"reports, {totals['evaluations']:,} evaluations ({totals['drafts']:,} drafts), "
            f"{totals['sources']:,} sources in {time.monotonic() - started:.1f}s."
        )


def _scale() -> GradeScale:
    scale, _ = GradeScale.objects.get_or_create(
        slug="progress", defaults={"name": "Implementation progress"}
    )
    for slug, label, score, colour in SCALE:
        Grade.objects.get_or_create(
            scale=scale, slug=slug, defaults={"label": label, "score": score, "colour": colour}
        )
    return scale


def generate(
    *, count: int, per: int, per_report: int = 1000, seed: int, prefix: str, stream
) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    scale = _scale()
    grades = list(scale.grades.order_by("score"))
    report_count = max(2, count // per_report)

    reports = Report.objects.bulk_create(
        Report(
            slug=f"{prefix}-r{i}",
            short_name=f"Generated report {i}",
            title=f"Generated report {i} (seed {seed})",
            published_on=datetime.date(2000, 1, 1) + datetime.timedelta(days=90 * i),
            grade_scale=scale,
        )
        for i in range(1, report_count + 1)
    )
    areas = Area.objects.bulk_create(
        Area(report=report, slug=name.lower(), name=name, position=position)
        for report in reports
        for position, name in enumerate(AREAS, start=1)
    )
    areas_by_report = {
        report.pk: [a for a in areas if a.report_id == report.pk] for report in reports
    }

    evaluators = [
        Evaluator.objects.get_or_create(
            slug=f"{prefix}-evaluator-{i}", defaults={"name": f"Generated evaluator {i}"}
        )[0]
        for i in range(1, 6)
    ]
    sources = Source.objects.bulk_create(
        Source(
            key=f"{prefix}-source-{i}",
            title=f"Generated source {i}",
            publisher=f"Publisher {i % 40}",
            published_on=datetime.date(2001, 1, 1) + datetime.timedelta(days=i % 8000),
            url=f"https://example.org/{prefix}/source/{i}",
            # bulk_create skips Source.save(), which keeps the URL's identity
            url_key=source_url_key(f"https://example.org/{prefix}/source/{i}"),
            kind=rng.choice(SourceKind.values),
        )
        for i in range(1, max(10, count // 10) + 1)
    )

    progress = Progress("recommendations", count, stream)
    per_report = -(-count // report_count)
    recommendations = []
    for i in range(count):
        report = reports[i % report_count]
        position = i // report_count + 1
        # Areas hold contiguous runs of positions, as in a real report.
        area = areas_by_report[report.pk][(position - 1) * len(AREAS) // per_report]
        recommendations.append(
            Recommendation(
                report=report,
                area=area,
                code=f"GEN-{position}",
                position=position,
                title=f"Generated recommendation {position}",
                text=f"The allies should carry out generated measure {position} of {report.slug}.",
            )
        )
    for start in range(0, count, BATCH):
        Recommendation.objects.bulk_create(recommendations[start : start + BATCH])
        progress.advance(len(recommendations[start : start + BATCH]))
    # Who each is addressed to, as in the real reports: one government, both, or unsaid.
    governments = [
        Actor.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in (("united-states", "United States"), ("japan", "Japan"))
    ]
    choices = ([governments[0]], [governments[1]], governments, [])
    RecommendationActor.objects.bulk_create(
        (
            RecommendationActor(recommendation=recommendation, actor=actor)
            for recommendation in recommendations
            for actor in rng.choice(choices)
        ),
        batch_size=BATCH,
    )

    total_evaluations = count * per
    progress = Progress("evaluations", total_evaluations, stream)
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    next_id = (Evaluation.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    next_link_id = (
        EvidenceLink.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ) + 1
    evaluation_rows, link_rows = [], []
    drafts = 0

    def flush() -> None:
        # Plain executemany: the ORM's per-batch SQL compilation costs ten times the insert.
        with connection.cursor() as cursor:
            _insert_many(cursor, Evaluation, EVALUATION_COLUMNS, evaluation_rows)
            _insert_many(cursor, EvidenceLink, LINK_COLUMNS, link_rows)
        progress.advance(len(evaluation_rows))
        evaluation_rows.clear()
        link_rows.clear()

    for recommendation in recommendations:
        level = rng.randrange(len(grades))
        for year in range(per):
            as_of = datetime.date(2001 + year, 1 + rng.randrange(12), 1 + rng.randrange(28))
            level = min(len(grades) - 1, max(0, level + rng.choice((-1, 0, 0, 1))))
            is_draft = year == per - 1 and rng.random() < 0.05
            drafts += is_draft
            published_at = None
            if not is_draft:
                published_at = ops.adapt_datetimefield_value(
                    datetime.datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=datetime.UTC)
                )
            evaluation_rows.append(
                (
                    next_id,
                    recommendation.pk,
                    evaluators[year % len(evaluators)].pk,
                    grades[level].pk,
                    grades[level].label,
                    f"Generated judgment for {as_of.year}.",
                    ops.adapt_datefield_value(as_of),
                    Status.DRAFT if is_draft else Status.PUBLISHED,
                    now,
                    published_at or now,
                    published_at,
                    1,
                    "",  # every generated evaluation grades its recommendation
                )
            )
            link_rows.append(
                (
                    next_link_id,
                    next_id,
                    sources[(next_id * 7919) % len(sources)].pk,
                    Stance.SUPPORTS,
                    "A generated passage.",
                    "",
                    0,
                    published_at or now,
                )
            )
            next_id += 1
            next_link_id += 1
            if len(evaluation_rows) >= BATCH:
                flush()
    if evaluation_rows:
        flush()
    # Ids were assigned here; move PostgreSQL's sequences past them.
    with connection.cursor() as cursor:
        for statement in ops.sequence_reset_sql(no_style(), [Evaluation, EvidenceLink]):
            cursor.execute(statement)
    return {
        "reports": report_count,
        "recommendations": count,
        "evaluations": total_evaluations,
        "drafts": drafts,
        "sources": len(sources),
    }
