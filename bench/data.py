"""The benchmark's Django set-up, its data (the demo and the scale data) and where to find it.

Everything here goes through the settings, the management commands and the models (whose
names are the contract, DESIGN.md), never through the read side's internals, so the harness
measures whatever the product's code is at the time.
"""

import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The data profiles (`bench/run.py --profile`, bench/README.md): the quick default, and a
# hundred times the demo's size in many small reports. BENCH_PROFILE names one; run.py sets
# it before importing this module, so every part and every child process sees the same.
# `report`: the measured report's number; `code`: a recommendation of it (20 evaluations,
# one a year); `list_page`: the page of 100 of its recommendations the API lines ask for;
# `deep_rows`: how deep the change feed's deep page is.
PROFILES = {
    "default": {
        "recommendations": 10_000, "evaluations_per": 20, "per_report": 1000, "seed": 1,
        "report": 5, "code": "gen-500", "list_page": 5, "deep_rows": 150_000,
    },
    "large": {
        "recommendations": 100_000, "evaluations_per": 20, "per_report": 100, "seed": 2,
        "report": 500, "code": "gen-50", "list_page": 1, "deep_rows": 1_500_000,
    },
}  # fmt: skip
PROFILE = os.environ.get("BENCH_PROFILE", "default")
SCALE = PROFILES[PROFILE]
SCALE_PREFIX = f"scale-s{SCALE['seed']}-"
DEMO_REPORT = "armitage-nye-2000"
SCALE_REPORT = f"{SCALE_PREFIX}r{SCALE['report']}"
SCALE_CODE = SCALE["code"]
HOST = "localhost"
PAGE = 100

# The environment the settings read. The rate limits are raised so that the benchmark's
# own repeated requests are not refused; they are still counted, at their usual cost.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "scorecard.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    "DRF_THROTTLE_ANON": "100000000/minute",
    "DRF_THROTTLE_PARTNER": "100000000/minute",
    "DJANGO_LOG_LEVEL": "ERROR",
}


def setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/run.py measures PostgreSQL: run it through `make bench` "
            "(bin/with-postgres --data-dir bench/.cache/pgdata -- .venv/bin/python bench/run.py)."
        )
    os.environ.update(BENCH_ENV)
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


def load_data() -> None:
    """Migrate; import the demo and generate the scale data unless the cached cluster has them.

    In a process of its own: loading runs statements and commits far longer than the
    statement bounds the measured process keeps (DATABASE_QUERY_TIMEOUT_SECONDS), so the
    loader runs with them off and the measurements with them on, as in production.
    """
    import subprocess

    loader = "import bench.data as data; data.setup_django(); data.load_data_here()"
    environment = {**os.environ, "DATABASE_QUERY_TIMEOUT_SECONDS": "0"}
    subprocess.run([sys.executable, "-c", loader], cwd=ROOT, env=environment, check=True)  # noqa: S603 -- our own code


def load_data_here() -> None:
    from django.core.management import call_command
    from django.db import connection

    from tracker.models import Report

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    loaded = False
    if not Report.objects.filter(slug=DEMO_REPORT).exists():
        print("==> Importing the demo scorecard (fixtures/*.yaml)")
        call_command(
            "import_scorecard", *sorted(str(p) for p in (ROOT / "fixtures").glob("*.yaml"))
        )
        loaded = True
    for name, other in PROFILES.items():
        if (
            name != PROFILE
            and Report.objects.filter(slug__startswith=f"scale-s{other['seed']}-").exists()
        ):
            sys.exit(
                f"This cluster holds the {name} profile's data; the {PROFILE} profile keeps "
                "its own (make bench picks the folder from BENCH_ARGS: --profile large)."
            )
    if not Report.objects.filter(slug__startswith=SCALE_PREFIX).exists():
        print(
            f"==> Generating the scale data, profile {PROFILE} "
            "(cached in bench/.cache/ for the next runs)"
        )
        call_command(
            "generate_scale_data",
            recommendations=SCALE["recommendations"],
            evaluations_per=SCALE["evaluations_per"],
            per_report=SCALE["per_report"],
            seed=SCALE["seed"],
        )
        loaded = True
    if loaded:
        # What autovacuum would do soon after such a load: fresh planner statistics.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"==> Data ready in {time.monotonic() - started:.1f}s")


def scale_count() -> int:
    from tracker.models import Recommendation

    return Recommendation.objects.filter(report__slug=SCALE_REPORT).count()


def scale_recommendation():
    from tracker.models import Recommendation

    return Recommendation.objects.get(report__slug=SCALE_REPORT, code=SCALE_CODE.upper())


def demo_recommendation():
    from tracker.models import Recommendation

    return Recommendation.objects.get(report__slug=DEMO_REPORT, code="SEC-1")


def scale_reports() -> list[str]:
    from tracker.models import Report

    reports = Report.objects.filter(slug__startswith=SCALE_PREFIX).order_by("slug")
    return list(reports.values_list("slug", flat=True))


def feed_position(since, rows_before: int):
    """(updated_at, id) of the published evaluation that an anonymous reader's change feed
    since `since` shows after `rows_before` rows (the place its cursor would name)."""
    from tracker.models import Evaluation, Status

    published = Evaluation.objects.filter(status=Status.PUBLISHED, updated_at__gt=since)
    return published.order_by("updated_at", "id").values_list("updated_at", "id")[rows_before - 1]


def feed_rows_after(since, rows_from_end: int):
    """The moment after which only `rows_from_end` published evaluations changed."""
    from tracker.models import Evaluation, Status

    published = Evaluation.objects.filter(status=Status.PUBLISHED, updated_at__gt=since)
    return published.order_by("-updated_at", "-id").values_list("updated_at", flat=True)[
        rows_from_end
    ]


# The actor of the demo's recommendations only, beside the scale data's most named actor,
# for the actor lines' same-query-count check (the scale data's actors, migrated from the
# old field, name recommendations of the demo and of the scale reports alike).
DEMO_ACTOR = "bench-demo-actor"
DUE_PAST, DUE_FUTURE = "2015-06-30", "2035-06-30"


def scale_actor() -> str:
    """The slug of the actor that the most recommendations name."""
    from django.db.models import Count

    from tracker.models import Actor

    named = Actor.objects.exclude(slug=DEMO_ACTOR).annotate(n=Count("recommendation_links"))
    return named.order_by("-n", "slug").values_list("slug", flat=True)[0]


def ensure_demo_actor() -> str:
    """An actor named by every recommendation of the demo report (made once, untimed)."""
    from tracker.models import Actor, Recommendation, RecommendationActor

    actor, made = Actor.objects.get_or_create(
        slug=DEMO_ACTOR, defaults={"name": "Benchmark demo actor"}
    )
    if made:
        RecommendationActor.objects.bulk_create(
            RecommendationActor(recommendation=recommendation, actor=actor)
            for recommendation in Recommendation.objects.filter(report__slug=DEMO_REPORT)
        )
    return actor.slug


def ensure_due_dates() -> None:
    """The scale data and the demo predate due dates: give the scale report's and the demo
    report's recommendations one (once, untimed, through the ORM), every other one past
    (overdue unless done) and the others years ahead."""
    from django.utils import timezone

    from tracker.models import DueSetBy, Recommendation

    for slug in (SCALE_REPORT, DEMO_REPORT):
        rows = Recommendation.objects.filter(report__slug=slug)
        if rows.filter(due_on__isnull=False).exists():
            continue
        ids = list(rows.order_by("pk").values_list("pk", flat=True))
        for due_on, chosen in ((DUE_PAST, ids[::2]), (DUE_FUTURE, ids[1::2])):
            Recommendation.objects.filter(pk__in=chosen).update(
                due_on=due_on, due_set_by=DueSetBy.REPORT, updated_at=timezone.now()
            )


def ensure_search_index() -> None:
    """Clusters cached before the search existed have no documents for the scale data:
    write them all (once, untimed, as `manage.py rebuild_search_index` would)."""
    from django.core.management import call_command

    from tracker.models import Recommendation, SearchDocument, SearchKind

    indexed = SearchDocument.objects.filter(
        kind=SearchKind.RECOMMENDATION, report__slug=SCALE_REPORT
    ).count()
    if indexed < Recommendation.objects.filter(report__slug=SCALE_REPORT).count():
        print("==> Writing the search's documents (once; the cluster predates the search)")
        call_command("rebuild_search_index")
