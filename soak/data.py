"""The soak's data: migrate, import the demo, create accounts, and list what there is to read."""

import io
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Catalogue:
    report: str  # the report whose recommendations the editors evaluate
    reports: list[str]
    recommendations: list[tuple[int, str, str]]  # id, report slug, URL code
    writable: list[int]  # recommendation ids of `report`
    grades: list[str]
    evaluator: str
    sources: list[str]
    editions: list[str]
    evaluations: list[int]  # published demo evaluations
    tokens: dict[str, str]


def prepare() -> Catalogue:
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connections

    from tracker.models import Edition, Evaluation, Recommendation, Report, Status

    call_command("migrate", verbosity=0, interactive=False)
    call_command("import_scorecard", *sorted(str(p) for p in (ROOT / "fixtures").glob("*.yaml")))
    tokens = {}
    for role in ("partner", "editor", "publisher"):
        out = io.StringIO()
        call_command("create_account", f"soak-{role}", role=role, stdout=out)
        tokens[role] = out.getvalue().strip().splitlines()[-1]

    report = Report.objects.get(slug="armitage-nye-2000")
    published = Evaluation.objects.filter(status=Status.PUBLISHED)
    catalogue = Catalogue(
        report=report.slug,
        reports=list(Report.objects.values_list("slug", flat=True)),
        recommendations=[
            (r.pk, r.report.slug, r.slug) for r in Recommendation.objects.select_related("report")
        ],
        writable=list(report.recommendations.values_list("pk", flat=True)),
        grades=list(report.grade_scale.grades.values_list("slug", flat=True)),
        evaluator="scorecard-editors-sample",
        sources=sorted(set(published.values_list("evidence__source__key", flat=True)) - {None}),
        editions=list(
            Edition.objects.filter(report=report, status=Status.PUBLISHED)
            .order_by("as_of")
            .values_list("slug", flat=True)
        ),
        evaluations=list(published.values_list("pk", flat=True)),
        tokens=tokens,
    )
    connections.close_all()  # the database is restarted later; reconnect afterwards
    return catalogue
