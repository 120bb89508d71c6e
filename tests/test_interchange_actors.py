"""The interchange format's actors and due dates: today's `actor` values keep reading, a list
of actor slugs and an `actors:` section are read and written, and the round trip holds."""

import datetime

import pytest

from tests.test_interchange import MINI, edit, empty_the_record, problems_of, write
from tracker import services
from tracker.models import Actor, Grade, Recommendation, Report

ACTORS = """\
actors:
  - slug: united-states
    name: United States
    kind: government
  - slug: congress
    name: U.S. Congress
    kind: legislature
    parent: united-states
areas:
"""


def named(code: str) -> list[str]:
    recommendation = Recommendation.objects.get(report__slug="mini", code=code)
    return sorted(recommendation.actors.values_list("slug", flat=True))


@pytest.mark.parametrize(
    ("value", "slugs"),
    [
        ("both", ["japan", "united-states"]),
        ("japan", ["japan"]),
        ("united-states", ["united-states"]),
        ("unspecified", []),
    ],
)
def test_today_s_actor_values_name_the_actors_they_always_meant(db, tmp_path, value, slugs):
    text = edit(MINI, "    title: First\n", f"    title: First\n    actor: {value}\n")
    services.import_scorecard(files=[write(tmp_path, text)])
    assert named("SEC-1") == slugs
    # Created as governments, as the fixed choice named them.
    assert sorted(Actor.objects.values_list("slug", "name", "kind", "parent")) == sorted(
        (slug, {"japan": "Japan", "united-states": "United States"}[slug], "government", None)
        for slug in slugs
    )


def test_a_list_of_actors_and_their_section_are_read(db, tmp_path):
    text = edit(MINI, "areas:\n", ACTORS)
    text = edit(text, "    title: First\n", "    title: First\n    actors: [congress]\n")
    services.import_scorecard(files=[write(tmp_path, text)])
    assert named("SEC-1") == ["congress"]
    assert named("ECO-1") == []
    congress = Actor.objects.get(slug="congress")
    assert (congress.name, congress.kind, congress.parent.slug) == (
        "U.S. Congress",
        "legislature",
        "united-states",
    )


def test_bad_actors_are_each_named(db, tmp_path):
    text = edit(MINI, "areas:\n", ACTORS.replace("parent: united-states", "parent: senate"))
    text = edit(text, "    title: First\n", "    title: First\n    actors: [martians]\n")
    text = edit(text, "    title: Second\n", "    title: Second\n    actor: china\n")
    problems = problems_of(write(tmp_path, text))
    assert [p.split(": ", 1)[1] for p in problems] == [
        "actors[1].parent: there is no actor “senate” in the files or the database to be the "
        "parent of “congress”",
        "recommendations[0].actors[0]: there is no actor “martians” in the files or the "
        "database; add it under “actors:”",
        "recommendations[1].actor: “china” is not an actor (choose one of: united-states, "
        "japan, both, unspecified)",
    ]


def test_an_actor_within_itself_is_refused(db, tmp_path):
    services.import_scorecard(files=[write(tmp_path, edit(MINI, "areas:\n", ACTORS))])
    looped = ACTORS.replace(
        "    kind: government\n", "    kind: government\n    parent: congress\n", 1
    )
    problems = problems_of(write(tmp_path, edit(MINI, "areas:\n", looped), "again.yaml"))
    assert [p.split(": ", 1)[1] for p in problems] == [
        "actors[0].parent: “congress” is within “united-states”; it cannot also be its parent",
        "actors[1].parent: “united-states” is within “congress”; it cannot also be its parent",
    ]


def test_due_dates_and_done_grades_are_read(db, tmp_path):
    text = edit(
        MINI,
        "    title: First\n",
        "    title: First\n    due_on: 2005-12-31\n    due_set_by: report\n",
    )
    text = edit(
        text, '      colour: "#1a5e20"\n', '      colour: "#1a5e20"\n      counts_as_done: true\n'
    )
    services.import_scorecard(files=[write(tmp_path, text)])
    first = Recommendation.objects.get(report__slug="mini", code="SEC-1")
    assert (first.due_on, first.due_set_by) == (datetime.date(2005, 12, 31), "report")
    assert sorted(Grade.objects.filter(counts_as_done=True).values_list("slug", flat=True)) == [
        "done"
    ]


def test_a_due_date_says_whose_it_is(db, tmp_path):
    text = edit(MINI, "    title: First\n", "    title: First\n    due_on: 2005-12-31\n")
    text = edit(text, "    title: Second\n", "    title: Second\n    due_set_by: editors\n")
    assert [p.split(": ", 1)[1] for p in problems_of(write(tmp_path, text))] == [
        "recommendations[0].due_set_by: say whose due date it is (report or editors)",
        "recommendations[1].due_on: whose due date it is is given, but not the date",
    ]


def test_export_import_export_is_identical_with_actors_and_due_dates(db, tmp_path):
    text = edit(MINI, "areas:\n", ACTORS)
    text = edit(
        text,
        "    title: First\n",
        "    title: First\n    actors: [congress, united-states]\n    due_on: 2005-12-31\n"
        "    due_set_by: editors\n",
    )
    text = edit(
        text, '      colour: "#1a5e20"\n', '      colour: "#1a5e20"\n      counts_as_done: true\n'
    )
    services.import_scorecard(files=[write(tmp_path, text)])
    exported = services.export_scorecard(report=Report.objects.get(slug="mini"))
    assert "actors: [congress, united-states]\n    due_on: 2005-12-31\n" in exported
    assert "  - slug: united-states\n    name: United States\n    kind: government\n" in exported
    assert "    parent: united-states\n" in exported
    empty_the_record()
    services.import_scorecard(files=[write(tmp_path, exported, "exported.yaml")])
    assert services.export_scorecard(report=Report.objects.get(slug="mini")) == exported
    # And importing it again changes nothing.
    result = services.import_scorecard(files=[write(tmp_path, exported, "exported.yaml")])
    assert result.counts["actors"].created == 0
    assert result.counts["recommendations"].updated == 0
