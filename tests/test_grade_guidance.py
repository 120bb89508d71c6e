"""The grade legend keeps apart what a grade means to a reader (`description`) and how
graders choose it (`guidance`, issue 14): in the model, the scorecard files, the public
legend, the admin, the API and the JSON export."""

import re

import orjson
from django.test import Client

from tests.api_support import client_as
from tests.editors_support import logged_in
from tests.test_fixtures import REPORT_CARD, collapse
from tests.test_interchange import MINI, edit, write
from tracker import services
from tracker.models import Grade, Report

GUIDED = edit(
    MINI,
    '      label: Done\n      score: 2\n      colour: "#1a5e20"\n',
    '      label: Done\n      score: 2\n      colour: "#1a5e20"\n'
    "      description: Carried out in full.\n"
    "      guidance: Use for wordings such as “Accomplished”.\n",
)


def test_a_file_without_guidance_still_reads_and_leaves_it_empty(db, tmp_path):
    services.import_scorecard(files=[write(tmp_path, MINI)])
    assert set(Grade.objects.values_list("guidance", flat=True)) == {""}


def test_guidance_is_read_and_exported_after_the_description(db, tmp_path):
    services.import_scorecard(files=[write(tmp_path, GUIDED)])
    done = Grade.objects.get(slug="done")
    assert (done.description, done.guidance) == (
        "Carried out in full.",
        "Use for wordings such as “Accomplished”.",
    )
    exported = services.export_scorecard(report=Report.objects.get(slug="mini"))
    assert (
        "      colour: '#1a5e20'\n"
        "      description: Carried out in full.\n"
        "      guidance: Use for wordings such as “Accomplished”.\n"
    ) in exported


def test_changed_guidance_is_imported_and_the_same_file_again_changes_nothing(db, tmp_path):
    services.import_scorecard(files=[write(tmp_path, MINI)])
    result = services.import_scorecard(files=[write(tmp_path, GUIDED)])
    assert (result.counts["grades"].updated, result.counts["grades"].unchanged) == (1, 2)
    again = services.import_scorecard(files=[write(tmp_path, GUIDED)])
    assert (again.counts["grades"].updated, again.counts["grades"].unchanged) == (0, 3)


def test_the_demo_scale_tells_readers_what_a_level_means_and_graders_how_to_choose(demo):
    grades = list(demo.grade_scale.grades.order_by("-score"))
    assert [g.slug for g in grades if g.guidance] == [g.slug for g in grades]
    for grade in grades:
        assert "Use " not in grade.description, grade.slug
        assert grade.guidance.startswith("Use "), grade.slug
        # The guidance quotes only the report card's own wordings.
        for wording in re.findall(r'"(.*?)"', grade.guidance):
            assert collapse(wording).lower() in REPORT_CARD.lower(), wording


def test_the_public_legend_shows_readers_the_description_and_graders_the_guidance(demo):
    accomplished = demo.grade_scale.grades.get(slug="accomplished")
    html = Client().get("/reports/armitage-nye-2000/").content.decode()
    legend, guidance = html.split('<details class="grading-guidance">', 1)
    guidance = guidance.split("</details>", 1)[0]
    assert accomplished.description in legend
    assert accomplished.guidance.replace('"', "&quot;") not in legend
    assert "<summary>How graders choose a level</summary>" in guidance
    assert accomplished.guidance.replace('"', "&quot;") in guidance
    assert accomplished.description not in guidance


def test_a_scale_without_guidance_has_no_graders_section(report, recommendation):
    html = Client().get(f"/reports/{report.slug}/").content.decode()
    assert 'class="scale-legend"' in html
    assert "grading-guidance" not in html


def test_the_api_gives_description_and_guidance_apart(demo):
    body = client_as("anonymous").get("/api/v1/grade-scales/progress/").json()
    accomplished = body["grades"][0]
    assert accomplished == {
        "slug": "accomplished",
        "label": "Accomplished",
        "score": 5,
        "colour": "#1a5e20",
        "description": "The recommendation has been carried out in full, or its stated aim "
        "has been met; nothing material is left to do.",
        "guidance": 'Use for wordings such as "Accomplished".',
    }
    schema = client_as("anonymous").get("/api/schema/?format=json").json()
    assert set(schema["components"]["schemas"]["Grade"]["properties"]) == {
        "slug",
        "label",
        "score",
        "colour",
        "description",
        "guidance",
        "translations",  # only in answers in another language (issue 15)
    }


def test_the_json_export_gives_description_and_guidance_apart(demo):
    response = Client().get("/reports/armitage-nye-2000/export.json")
    grades = orjson.loads(response.content)["grade_scale"]["grades"]
    assert [(g["slug"], g["guidance"]) for g in grades][-1] == (
        "setback",
        'Use when the evaluator reports a worsening position, for example one that "is of '
        'great concern".',
    )
    assert grades[-1]["description"] == (
        "The situation has moved away from the aim or is deteriorating."
    )


def test_the_admin_shows_the_guidance_under_a_heading_of_its_own(demo, editor_user):
    grade = Grade.objects.get(slug="setback")
    html = logged_in(editor_user).get(f"/admin/tracker/grade/{grade.pk}/change/").content.decode()
    readers, graders = html.split("For graders", 1)
    assert "For readers" in readers
    assert "The situation has moved away from the aim or is deteriorating." in readers
    assert "Use when the evaluator reports a worsening position" in graders
    assert "Use when the evaluator reports a worsening position" not in readers
