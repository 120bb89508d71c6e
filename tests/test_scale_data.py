"""The scale-data generator: deterministic, realistically shaped, ready for benchmarks."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tracker import search, search_bulk
from tracker.filters import RecommendationFilters
from tracker.management.commands.generate_scale_data import Progress
from tracker.models import (
    Evaluation,
    EvidenceLink,
    Recommendation,
    Report,
    SearchDocument,
    Source,
    Status,
)


def generate(seed=1, recommendations=60, per=5, **options):
    out = StringIO()
    call_command(
        "generate_scale_data",
        recommendations=recommendations,
        evaluations_per=per,
        seed=seed,
        quiet=True,
        stdout=out,
        **options,
    )
    return out.getvalue()


def snapshot():
    return list(
        Evaluation.objects.order_by(
            "recommendation__report__slug", "recommendation__code", "as_of"
        ).values_list("recommendation__code", "as_of", "grade__slug", "status")
    )


@pytest.mark.django_db
def test_it_makes_the_requested_shape():
    message = generate(recommendations=60, per=5)

    assert Report.objects.count() == 2
    assert Recommendation.objects.count() == 60
    assert Evaluation.objects.count() == 300
    assert EvidenceLink.objects.count() == 300
    assert set(Evaluation.objects.values_list("status", flat=True)) <= set(Status.values)
    assert message.startswith("Generated 60 recommendations in 2 reports, 300 evaluations")
    # Every area of a report holds a contiguous run of its recommendations.
    for report in Report.objects.all():
        areas = list(
            report.recommendations.order_by("position").values_list("area__position", flat=True)
        )
        assert areas == sorted(areas)


@pytest.mark.django_db
def test_the_large_profile_shape_has_many_small_reports():
    # `make bench BENCH_ARGS="--profile large"`: 1,000 reports of 100; here 5 of 10.
    message = generate(recommendations=50, per=3, per_report=10)

    assert message.startswith("Generated 50 recommendations in 5 reports, 150 evaluations")
    sizes = [report.recommendations.count() for report in Report.objects.order_by("slug")]
    assert sizes == [10, 10, 10, 10, 10]
    # Empty text stays empty text, not NULL (COPY writes NULL as \\N).
    assert Evaluation.objects.filter(narrative="Generated judgment for 2001.").exists()
    assert EvidenceLink.objects.filter(quote="A generated passage.", page="").count() == 150
    assert Evaluation.objects.filter(status=Status.DRAFT, published_at__isnull=False).count() == 0


@pytest.mark.django_db
def test_bad_sizes_are_refused_naming_them():
    with pytest.raises(CommandError, match="--recommendations and --per-report must be"):
        generate(per_report=0)


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data():
    generate(seed=7)
    first = snapshot()
    Evaluation.objects.all().delete()
    Recommendation.objects.all().delete()
    for report in Report.objects.all():
        report.areas.all().delete()
    Report.objects.all().delete()
    Source.objects.all().delete()
    generate(seed=7)
    assert snapshot() == first


@pytest.mark.django_db
def test_generating_twice_for_one_seed_is_refused():
    generate(seed=3)
    with pytest.raises(CommandError, match="already in this database"):
        generate(seed=3)


@pytest.mark.django_db
def test_rows_added_afterwards_get_fresh_ids():
    generate(recommendations=10, per=2)
    evaluation = Evaluation.objects.order_by("-id").first()
    clone = Evaluation.objects.create(
        recommendation=evaluation.recommendation,
        evaluator=evaluation.evaluator,
        grade=evaluation.grade,
        as_of="1999-01-01",
    )
    assert clone.pk == evaluation.pk + 1


def search_documents():
    """Every search document by what it is of, and on SQLite its FTS5 row's text too."""
    rows = SearchDocument.objects.order_by("kind", "object_id").values_list(
        "kind",
        "object_id",
        "report_id",
        "recommendation_id",
        "evaluation_id",
        "evidence_id",
        "published",
        "title",
        "body",
    )
    if connection.vendor != "sqlite":
        return list(rows), []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.kind, d.object_id, f.title, f.body FROM {search.FTS_TABLE} f "  # noqa: S608 -- fixed names
            f"JOIN {search.TABLE} d ON d.id = f.rowid ORDER BY d.kind, d.object_id"
        )
        return list(rows), cursor.fetchall()


@pytest.mark.django_db
def test_the_generated_search_documents_are_what_a_rebuild_writes():
    # generate_scale_data writes them in bulk (search_bulk.index_bulk: COPY on PostgreSQL);
    # `rebuild_search_index` writes them one batch of model instances at a time.
    generate(recommendations=40, per=3, per_report=10)
    written, written_fts = search_documents()
    call_command("rebuild_search_index", stdout=StringIO())
    rebuilt, rebuilt_fts = search_documents()

    assert written == rebuilt
    assert written_fts == rebuilt_fts
    kinds = [row[0] for row in written]
    assert (kinds.count("recommendation"), kinds.count("evaluation"), kinds.count("evidence")) == (
        40,
        120,
        120,
    )
    if connection.vendor == "sqlite":
        assert len(written_fts) == 280
    # Texts with the characters COPY's format escapes arrive as they are.
    Recommendation.objects.filter(code="GEN-1").update(text="tab\there\nnew \\ line\r")
    search_bulk.index_bulk(reports=Report.objects.values_list("pk", flat=True))
    bodies = SearchDocument.objects.filter(kind="recommendation", title__startswith="GEN-1 ")
    # GEN-1 of each of the four reports.
    assert list(bodies.values_list("body", flat=True)) == ["tab\there\nnew \\ line\r"] * 4
    assert SearchDocument.objects.count() == 280


@pytest.mark.django_db
def test_the_generated_data_is_found_by_the_search():
    generate(recommendations=20, per=2, per_report=10)
    filters = RecommendationFilters(q="measure 7")
    count, hits = search.page(filters, drafts_visible=False, limit=10, offset=0)

    assert [hit.recommendation.code for hit in hits] == ["GEN-7", "GEN-7"]
    assert count == 2


def test_progress_off_a_terminal_is_a_line_per_tenth():
    stream = StringIO()
    progress = Progress("evaluations", 1000, stream)
    for _ in range(40):
        progress.advance(25)

    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        f"evaluations: {done:,} of 1,000" for done in range(100, 1001, 100)
    ]
    assert lines[-1].startswith("evaluations: 1,000 of 1,000 (100%, ")
