"""The scale-data generator: deterministic, realistically shaped, ready for benchmarks."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tracker.models import Evaluation, EvidenceLink, Recommendation, Report, Source, Status


def generate(seed=1, recommendations=60, per=5):
    out = StringIO()
    call_command(
        "generate_scale_data",
        recommendations=recommendations,
        evaluations_per=per,
        seed=seed,
        quiet=True,
        stdout=out,
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
