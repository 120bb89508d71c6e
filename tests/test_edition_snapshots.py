"""A published edition never changes: it shows each grade's label, score and colour and each
recommendation's code and title as they were when it was frozen, on its page, in the API
and in its exports, after the grade is relabelled or the recommendation retitled."""

import csv
import io
from importlib import import_module

import orjson
import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from tests.api_support import client_as
from tests.test_interchange import write
from tracker import services
from tracker.models import EditionEntry, Recommendation, Report

EDITION = "2004-report-card"
OLD_LABEL, NEW_LABEL = "Substantial progress", "Major progress"
NEW_TITLE = "A title given after the edition"


@pytest.fixture
def changed_since(demo, tmp_path):
    """The demo after its 2004 edition: the grade `substantial-progress` relabelled and
    recommended a new colour by an import, and SEC-7 (graded so in 2004) retitled."""
    files = []
    for report in Report.objects.order_by("slug"):
        text = services.export_scorecard(report=report)
        text = text.replace(f"label: {OLD_LABEL}\n", f"label: {NEW_LABEL}\n")
        text = text.replace("colour: '#2e7d32'", "colour: '#225522'")
        files.append(write(tmp_path, text, f"{report.slug}.yaml"))
    services.import_scorecard(files=files)
    sec7 = Recommendation.objects.get(report=demo, code="SEC-7")
    old_title = sec7.title
    # The rules refuse to retitle a frozen recommendation (rules.RECOMMENDATION_FIELDS_FROZEN);
    # the edition must not rely on that alone, so the title is changed under them.
    Recommendation.objects.filter(pk=sec7.pk).update(title=NEW_TITLE)
    return old_title


def test_the_edition_page_shows_the_label_and_title_it_froze(changed_since):
    page = Client().get(f"/editions/{EDITION}/").content.decode()
    assert (OLD_LABEL in page, NEW_LABEL in page) == (True, False)
    assert (changed_since in page, NEW_TITLE in page) == (True, False)
    assert 'href="/reports/armitage-nye-2000/sec-7/"' in page
    live = Client().get("/reports/armitage-nye-2000/").content.decode()
    assert (NEW_LABEL in live, NEW_TITLE in live) == (True, True)


def test_the_api_shows_the_grade_and_recommendation_the_edition_froze(changed_since):
    body = client_as("anonymous").get(f"/api/v1/editions/{EDITION}/").json()
    (sec7,) = [e for e in body["entries"] if e["recommendation"]["code"] == "SEC-7"]
    assert sec7["grade"] == {
        "slug": "substantial-progress",
        "label": OLD_LABEL,
        "score": 4,
        "colour": "#2e7d32",
    }
    assert sec7["recommendation"]["title"] == changed_since
    compare = client_as("anonymous").get(
        f"/api/v1/editions/{EDITION}/compare/2008-evidence-review/"
    )
    assert compare.status_code == 200
    (change,) = [c for c in compare.json()["changes"] if c["recommendation"]["code"] == "SEC-7"]
    assert change["before"]["grade"]["label"] == OLD_LABEL


def test_the_exports_of_the_edition_show_what_it_froze(changed_since):
    reader = Client()
    response = reader.get(f"/reports/armitage-nye-2000/export.csv?edition={EDITION}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (sec7,) = [row for row in rows if row["code"] == "SEC-7"]
    assert (sec7["title"], sec7["grade_label"], sec7["grade_score"]) == (
        changed_since,
        OLD_LABEL,
        "4",
    )
    assert sec7["url"].endswith("/reports/armitage-nye-2000/sec-7/")
    document = orjson.loads(
        reader.get(f"/reports/armitage-nye-2000/export.json?edition={EDITION}").content
    )
    (sec7,) = [r for r in document["recommendations"] if r["code"] == "SEC-7"]
    assert [g["label"] for g in document["grade_scale"]["grades"]][:2] == [
        "Accomplished",
        OLD_LABEL,
    ]
    assert (sec7["title"], sec7["grade"]["label"], sec7["grade"]["colour"]) == (
        changed_since,
        OLD_LABEL,
        "#2e7d32",
    )


def test_a_new_edition_freezes_the_labels_of_its_day(changed_since, demo):
    import datetime

    services.publish_edition(
        report=demo, slug="after-the-relabel", name="After", as_of=datetime.date(2004, 4, 26)
    )
    body = client_as("anonymous").get("/api/v1/editions/after-the-relabel/").json()
    (sec7,) = [e for e in body["entries"] if e["recommendation"]["code"] == "SEC-7"]
    assert (sec7["grade"]["label"], sec7["recommendation"]["title"]) == (NEW_LABEL, NEW_TITLE)


def test_the_migration_copies_each_entrys_grade_and_recommendation(demo):
    migration = import_module("tracker.migrations.0008_grade_guidance")
    EditionEntry.objects.update(
        grade_slug="",
        grade_label="",
        grade_score=None,
        grade_colour="",
        recommendation_code="",
        recommendation_title="",
    )

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.copy_grades_and_recommendations_onto_entries(apps, editor)

    entries = list(EditionEntry.objects.select_related("evaluation__grade", "recommendation"))
    assert len(entries) == 50
    assert [(e.grade_slug, e.grade_label, e.grade_score, e.grade_colour) for e in entries] == [
        (g.slug, g.label, g.score, g.colour) for g in (e.evaluation.grade for e in entries)
    ]
    assert [(e.recommendation_code, e.recommendation_title) for e in entries] == [
        (e.recommendation.code, e.recommendation.title) for e in entries
    ]


def test_the_edition_page_paints_the_grade_in_the_colour_it_froze(changed_since):
    from tracker.models import Grade

    grade = Grade.objects.get(slug="substantial-progress")
    page = Client().get(f"/editions/{EDITION}/").content.decode()
    frozen_class = f"grade-{grade.pk}-2e7d32"
    assert f'<span class="badge {frozen_class}">{OLD_LABEL}</span>' in page
    assert f'badge grade-{grade.pk}"' not in page
    css = Client().get("/grades.css").content.decode()
    assert (
        f".{frozen_class} {{ background-color: #2e7d32; border-color: #2e7d32; color: #fff; }}"
    ) in css
    assert (
        f".grade-{grade.pk} {{ background-color: #225522; border-color: #225522; color: #fff; }}"
    ) in css
    live = Client().get("/reports/armitage-nye-2000/").content.decode()
    assert f'<span class="badge grade-{grade.pk}">{NEW_LABEL}</span>' in live


def test_the_admin_lists_an_editions_grades_as_it_froze_them(changed_since, editor_user):
    from tests.editors_support import logged_in
    from tracker.models import Edition

    edition = Edition.objects.get(slug=EDITION)
    html = logged_in(editor_user).get(f"/admin/tracker/edition/{edition.pk}/change/")
    html = html.content.decode()
    assert (f">{OLD_LABEL}</span>" in html, f">{NEW_LABEL}</span>" in html) == (True, False)
    assert (f"SEC-7 {changed_since}" in html, NEW_TITLE in html) == (True, False)
