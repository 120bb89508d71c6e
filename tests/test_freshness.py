"""Freshness: every model a response shows, changed through its real write path (the admin,
the services, the import), changes the ETag of the pages and API responses that show it,
and a client revalidating with the old ETag gets the new answer in full."""

import datetime
from pathlib import Path

import pytest
from django.test import Client

from tests import factories
from tests.api_support import client_as, publish_new
from tests.conftest import DEMO_FILES
from tracker import freshness, services
from tracker.models import (
    Edition,
    Evaluator,
    Recommendation,
    Source,
    Status,
)

SCORECARD = "/reports/armitage-nye-2000/"
HERITAGE = "/reports/heritage-2004/her-1/"


def reimport(tmp_path: Path, index: int, old: str, new: str) -> None:
    """Import the demo file again with one text changed (the import's batched writer)."""
    path = DEMO_FILES[index]
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    changed = tmp_path / path.name
    changed.write_text(text.replace(old, new, 1), encoding="utf-8")
    services.import_scorecard(files=[changed])


def rename_evaluator_in_the_admin(demo, tmp_path) -> str:
    evaluator = Evaluator.objects.get(slug="hwang-heritage-2004")
    admin = Client()
    admin.force_login(factories.make_user("pia", role="publisher"))
    response = admin.post(
        f"/admin/tracker/evaluator/{evaluator.pk}/change/",
        {
            "slug": evaluator.slug,
            "name": "Balbina Y. Hwang",
            "kind": evaluator.kind,
            "affiliation": evaluator.affiliation,
            "url": evaluator.url,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return "Balbina Y. Hwang"


def retitle_report_by_import(demo, tmp_path) -> str:
    reimport(tmp_path, 0, "Advancing Toward a Mature Partnership", "Toward Maturity")
    return "Toward Maturity"


def rename_area_by_import(demo, tmp_path) -> str:
    reimport(tmp_path, 0, "    name: Okinawa\n", "    name: Okinawa Prefecture\n")
    return "Okinawa Prefecture"


def rename_scale_by_import(demo, tmp_path) -> str:
    reimport(tmp_path, 0, "name: Implementation progress", "name: Progress made")
    return "Progress made"


def relabel_grade_by_import(demo, tmp_path) -> str:
    reimport(tmp_path, 0, "label: Accomplished", "label: Done in full")
    return "Done in full"


def rename_topic_by_import(demo, tmp_path) -> str:
    reimport(tmp_path, 0, "name: Missile defense", "name: Ballistic missile defense")
    return "Ballistic missile defense"


def renote_link_by_import(demo, tmp_path) -> str:
    reimport(tmp_path, 1, "Renews the Armitage-Nye call", "Repeats the Armitage-Nye call")
    return "Repeats the Armitage-Nye call"


def retitle_recommendation(demo, tmp_path) -> str:
    recommendation = Recommendation.objects.get(report__slug="heritage-2004", code="HER-1")
    services.update_recommendation(
        recommendation=recommendation, changes={"title": "A clearer direction"}
    )
    return "A clearer direction"


def edit_evaluation(demo, tmp_path) -> str:
    evaluation = publish_new(demo.recommendations.get(code="SEC-3"))
    evaluation.refresh_from_db()
    before = freshness.data_state()
    services.update_evaluation(
        evaluation=evaluation,
        expected_version=evaluation.version,
        changes={"narrative": "Regraded after review."},
    )
    assert freshness.data_state() != before
    return "Regraded after review."


def cite_more_evidence(demo, tmp_path) -> str:
    evaluation = publish_new(demo.recommendations.get(code="SEC-3"))
    evaluation.refresh_from_db()
    source = factories.make_source("newly-cited")
    services.update_evaluation(
        evaluation=evaluation,
        expected_version=evaluation.version,
        changes={},
        new_evidence=[{"source": source, "quote": "A quoted passage."}],
    )
    return "A quoted passage."


def retitle_source(demo, tmp_path) -> str:
    source = Source.objects.get(key="hwang-2004-new-security-agenda")
    services.update_source(source=source, changes={"archived_url": "https://archive.example/h"})
    return "https://archive.example/h"


def freeze_edition(demo, tmp_path) -> str:
    services.publish_edition(
        report=demo, slug="fresh-edition", name="A fresh edition", as_of=datetime.date.today()
    )
    return "A fresh edition"


# (change, a page showing what it changes, an API read showing it or None where none does)
CHANGES = [
    (rename_evaluator_in_the_admin, "/reports/armitage-nye-2000/sec-1/", "/api/v1/evaluators/"),
    (retitle_report_by_import, SCORECARD, "/api/v1/reports/"),
    (rename_area_by_import, SCORECARD, "/api/v1/areas/"),
    (rename_scale_by_import, SCORECARD, "/api/v1/grade-scales/"),
    (relabel_grade_by_import, SCORECARD, "/api/v1/grade-scales/"),
    (rename_topic_by_import, SCORECARD, None),
    (renote_link_by_import, HERITAGE, None),
    (retitle_recommendation, HERITAGE, "/api/v1/recommendations/?report=heritage-2004"),
    (edit_evaluation, "/reports/armitage-nye-2000/sec-3/", "/api/v1/evaluations/"),
    (cite_more_evidence, "/reports/armitage-nye-2000/sec-3/", "/api/v1/evaluations/"),
    (retitle_source, SCORECARD, "/api/v1/sources/"),
    (freeze_edition, "/editions/", "/api/v1/editions/"),
]


@pytest.mark.parametrize(("change", "page", "api"), CHANGES, ids=[c[0].__name__ for c in CHANGES])
def test_every_write_path_moves_the_etag_of_pages_and_api_reads(demo, tmp_path, change, page, api):
    factories.date_every_change(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    reader, partner = Client(), client_as("anonymous")
    old_page = reader.get(page)
    old_api = partner.get(api or "/api/v1/reports/")
    assert old_page["Last-Modified"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    # While nothing changes, revalidating gives 304 (the answers are kept meanwhile).
    assert reader.get(page, HTTP_IF_NONE_MATCH=old_page["ETag"]).status_code == 304
    assert (
        partner.get(
            old_api.request["PATH_INFO"] + "?" + old_api.request["QUERY_STRING"],
            HTTP_IF_NONE_MATCH=old_api["ETag"],
        ).status_code
        == 304
    )

    shown = change(demo, tmp_path)

    new_page = reader.get(page, HTTP_IF_NONE_MATCH=old_page["ETag"])
    assert new_page.status_code == 200
    assert new_page["ETag"] != old_page["ETag"]
    assert new_page["Last-Modified"] != old_page["Last-Modified"]
    if page != "/editions/" and change is not retitle_source:
        assert shown in new_page.content.decode()
    if api is not None:
        new_api = partner.get(api, HTTP_IF_NONE_MATCH=old_api["ETag"])
        assert new_api.status_code == 200
        assert new_api["ETag"] != old_api["ETag"]
        # (Within the second of the change the API sends no Last-Modified at all.)
        assert new_api.get("Last-Modified") != old_api["Last-Modified"]
        assert shown in new_api.content.decode()


def test_the_state_moves_with_a_deletion_and_reads_one_query(demo, django_assert_num_queries):
    draft = factories.make_evaluation(
        demo.recommendations.get(code="SEC-3"), "accomplished", status=Status.DRAFT
    )
    with django_assert_num_queries(1):
        before = freshness.data_state()

    services.delete_evaluation(evaluation=draft)

    assert freshness.data_state().token != before.token


def test_a_frozen_edition_shows_the_evaluator_it_froze(demo):
    services.publish_edition(
        report=demo, slug="before-the-rename", name="Before", as_of=datetime.date(2009, 1, 1)
    )
    evaluator = Evaluator.objects.get(slug="hwang-heritage-2004")
    old_name = evaluator.name
    evaluator.name = "Balbina Y. Hwang"
    services.save_evaluator(evaluator=evaluator)
    reader, partner = Client(), client_as("anonymous")

    checked = []
    for edition in Edition.objects.values_list("slug", flat=True):
        page = reader.get(f"/editions/{edition}/").content.decode()
        api = partner.get(f"/api/v1/editions/{edition}/").content.decode()
        compare = partner.get(
            f"/api/v1/editions/2004-report-card/compare/{edition}/"
        ).content.decode()
        if "hwang" in api:
            assert (old_name in page, "Balbina Y. Hwang" in page) == (True, False), edition
            assert (old_name in api, "Balbina Y. Hwang" in api) == (True, False), edition
            assert "Balbina Y. Hwang" not in compare
            checked.append(edition)
    assert "before-the-rename" in checked
    assert "2004-report-card" in checked
    live = reader.get("/reports/armitage-nye-2000/sec-1/").content.decode()
    export = b"".join(
        reader.get(
            "/reports/armitage-nye-2000/export.csv?edition=before-the-rename"
        ).streaming_content
    ).decode()
    assert ("Balbina Y. Hwang" in live, old_name in export, "Balbina Y. Hwang" in export) == (
        True,
        True,
        False,
    )


def test_the_migration_copies_each_entrys_evaluator(demo):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    from tracker.models import EditionEntry

    migration = import_module("tracker.migrations.0007_freshness")
    EditionEntry.objects.update(evaluator_name="", evaluator_slug="")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.copy_evaluators_onto_entries(apps, editor)

    entries = list(EditionEntry.objects.select_related("evaluation__evaluator"))
    assert entries
    assert [(e.evaluator_slug, e.evaluator_name) for e in entries] == [
        (e.evaluation.evaluator.slug, e.evaluation.evaluator.name) for e in entries
    ]
