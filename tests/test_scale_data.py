"""The scale-data generator: deterministic, realistically shaped, ready for benchmarks."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tracker.models import Evaluation, EvidenceLink, Recommendation, Report, Source, Status


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
