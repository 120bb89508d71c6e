"""Migration 0009: today's fixed choice of actor becomes actor records, as it was."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tracker", "0007_freshness")]
AFTER = [("tracker", "0009_actors")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def old_apps():
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_each_recommendation_names_the_actors_its_choice_named(old_apps):
    # An empty record gets none. (Checked first, in the same test: from here, back to the
    # old state is two migrations, from the latest it is every one since.)
    assert migrate(AFTER).get_model("tracker", "Actor").objects.count() == 0
    old_apps = migrate(BEFORE)

    GradeScale = old_apps.get_model("tracker", "GradeScale")
    Report = old_apps.get_model("tracker", "Report")
    Area = old_apps.get_model("tracker", "Area")
    Recommendation = old_apps.get_model("tracker", "Recommendation")
    scale = GradeScale.objects.create(slug="s", name="S")
    report = Report.objects.create(
        slug="r",
        short_name="R",
        title="R",
        published_on=datetime.date(2000, 1, 1),
        grade_scale=scale,
    )
    area = Area.objects.create(report=report, slug="a", name="A", position=1)
    for position, choice in enumerate(["united-states", "japan", "both", "unspecified"], 1):
        Recommendation.objects.create(
            report=report,
            area=area,
            code=f"A-{position}",
            position=position,
            title=choice,
            text="t",
            actor=choice,
        )

    new_apps = migrate(AFTER)

    Actor = new_apps.get_model("tracker", "Actor")
    named = {
        rec.title: sorted(rec.actors.values_list("slug", flat=True))
        for rec in new_apps.get_model("tracker", "Recommendation").objects.all()
    }
    assert named == {
        "united-states": ["united-states"],
        "japan": ["japan"],
        "both": ["japan", "united-states"],
        "unspecified": [],
    }
    assert sorted(Actor.objects.values_list("slug", "name", "kind", "parent")) == [
        ("japan", "Japan", "government", None),
        ("united-states", "United States", "government", None),
    ]
