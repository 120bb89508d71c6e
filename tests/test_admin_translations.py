"""Editors translate in the admin with the original beside the translation, field by field,
and see each report's translation status, outdated translations included
(tracker/admin/translations.py)."""

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.editors_support import logged_in, messages_of, text_of
from tracker import services
from tracker.models import Recommendation, Status, Translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_demos_japanese(demo):
    """These tests start from the demo without its Japanese and translate what each needs."""
    Translation.objects.all().delete()


def _url(obj, language: str = "ja") -> str:
    content_type = ContentType.objects.get_for_model(obj)
    return f"/admin/tracker/translation/translate/{content_type.pk}/{obj.pk}/{language}/"


def _sec1(demo) -> Recommendation:
    return demo.recommendations.get(code="SEC-1")


def test_the_original_is_beside_each_field_and_a_save_makes_drafts(demo, editor_user):
    rec = _sec1(demo)
    client = logged_in(editor_user)

    page = client.get(_url(rec))

    assert page.status_code == 200
    text = text_of(page)
    assert rec.title in text
    assert rec.text[:40] in text
    assert [row["field"] for row in page.context["rows"]] == ["title", "text"]
    assert 'name="publish"' not in text  # editors draft; publishers publish

    saved = client.post(
        _url(rec), {"text-title": "日米防衛協力", "text-text": "", "kind": "editors"}
    )

    assert saved.status_code == 302
    assert messages_of(client.get(_url(rec))) == ["Translations saved."]
    assert list(Translation.objects.values_list("field", "text", "status")) == [
        ("title", "日米防衛協力", Status.DRAFT)
    ]


def test_every_refused_field_is_named_and_nothing_is_written(demo, editor_user):
    rec = _sec1(demo)
    services.save_translation(target=rec, field="title", language="ja", text="訳", publish=True)

    page = logged_in(editor_user).post(
        _url(rec), {"text-title": "別の訳", "text-text": "全文の訳", "kind": "editors"}
    )

    assert page.status_code == 200
    assert page.context["rows"][0]["errors"] == [
        "This translation is published: only a publisher can change it."
    ]
    assert page.context["general_errors"] == []
    assert page.context["rows"][1]["value"] == "全文の訳"  # what was typed is kept
    # The text's translation, which alone would have been fine, is not written either.
    assert list(Translation.objects.values_list("text", flat=True)) == ["訳"]

    refused = logged_in(editor_user).post(
        _url(rec), {"text-title": "訳", "text-text": "全文の訳", "kind": "guess"}
    )
    assert refused.context["general_errors"] == ["Choose official, editors or machine."]
    assert Translation.objects.count() == 1


def test_a_publisher_publishes_at_once(demo, publisher_user):
    rec = _sec1(demo)

    logged_in(publisher_user).post(
        _url(rec), {"text-title": "訳", "text-text": "", "kind": "official", "publish": "1"}
    )

    assert list(Translation.objects.values_list("kind", "status")) == [
        ("official", Status.PUBLISHED)
    ]


def test_the_status_counts_each_report_and_lists_what_is_outdated(demo, publisher_user):
    rec = _sec1(demo)
    services.save_translation(target=rec, field="title", language="ja", text="訳", publish=True)
    services.save_translation(target=demo, field="title", language="ja", text="報告書")
    client = logged_in(publisher_user)

    overview = client.get("/admin/tracker/translation/status/")
    row = next(row for row in overview.context["rows"] if row["report"] == demo)
    assert (row["counts"]["published"], row["counts"]["draft"], row["counts"]["outdated"]) == (
        1,
        1,
        0,
    )
    assert row["counts"]["missing"] == row["counts"]["total"] - 2

    Recommendation.objects.filter(pk=rec.pk).update(title="A corrected title")
    outdated = client.get(f"{row['url']}?state=outdated")

    assert [(t["obj"], t["field"]) for t in outdated.context["texts"]] == [(rec, "title")]
    assert "outdated: the original changed since" in text_of(outdated)


def test_an_outdated_translation_is_confirmed_or_revised_on_the_translate_page(
    demo, publisher_user
):
    rec = _sec1(demo)
    services.save_translation(target=rec, field="title", language="ja", text="訳", publish=True)
    Recommendation.objects.filter(pk=rec.pk).update(title="A corrected title")
    client = logged_in(publisher_user)
    assert client.get(_url(rec)).context["rows"][0]["state"] == "outdated"

    client.post(_url(rec), {"text-title": "訳", "text-text": "", "kind": "editors"})
    assert client.get(_url(rec)).context["rows"][0]["state"] == "outdated"  # nothing changed

    client.post(
        _url(rec), {"text-title": "訳", "text-text": "", "kind": "editors", "confirm-title": "1"}
    )
    assert client.get(_url(rec)).context["rows"][0]["state"] == "published"


def test_every_change_page_of_a_translatable_object_links_to_its_translation(demo, editor_user):
    rec = _sec1(demo)

    page = logged_in(editor_user).get(f"/admin/tracker/recommendation/{rec.pk}/change/")

    assert f'<a href="{_url(rec)}">Translate (ja)</a>' in text_of(page)


def test_readers_and_partners_cannot_reach_the_translate_page(demo, client):
    page = client.get(_url(_sec1(demo)))

    assert page.status_code == 302
    assert "/admin/login/" in page["Location"]
