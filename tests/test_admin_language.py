"""The editors' admin follows the editor's language (issue 15): their browser's
Accept-Language among settings.LANGUAGES, English by default; Django's own words and ours.
Public pages keep the path rule (one URL, one language)."""

import pytest
from django.test import Client

from tests import factories
from tests.editors_support import logged_in, messages_of, text_of
from tracker.models import Status

EVALUATIONS = "/admin/tracker/evaluation/"
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


@pytest.fixture
def editor(editor_user):
    return logged_in(editor_user)


@pytest.fixture
def published(recommendation):
    return factories.make_evaluation(recommendation, status=Status.PUBLISHED)


def vary_of(response) -> list[str]:
    return [part.strip() for part in response.get("Vary", "").split(",") if part.strip()]


def test_the_admin_index_answers_in_the_editors_language(editor):
    response = editor.get("/admin/", **JA)

    page = text_of(response)
    assert response.status_code == 200
    assert response["Content-Language"] == "ja"
    assert "Accept-Language" in vary_of(response)
    assert '<html lang="ja"' in page
    assert "<title>記録 | 同盟スコアカード 編集</title>" in page  # ours
    assert "同盟スコアカード — 編集" in page  # ours: the site header
    assert "ログアウト" in page  # Django's


def test_without_a_header_or_in_english_the_admin_is_english(editor):
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ACCEPT_LANGUAGE": "fr, de"}):
        response = editor.get("/admin/", **headers)

        page = text_of(response)
        assert response["Content-Language"] == "en"
        assert '<html lang="en"' in page
        assert "<title>The record | Alliance Scorecard editors</title>" in page
        assert "Alliance Scorecard — editors" in page
        assert "Log out" in page


def test_a_change_list_in_japanese(editor, published):
    response = editor.get(EVALUATIONS, **JA)

    page = text_of(response)
    assert response["Content-Language"] == "ja"
    assert "変更する 評価 を選択" in page  # Django's words, the model's name in Japanese too
    assert ">提言</a>" in page  # our list columns
    assert ">評価者の文言</a>" in page
    assert ">評価を記録</a>" in page  # our button


def test_a_change_list_in_english_is_unchanged(editor, published):
    page = text_of(editor.get(EVALUATIONS))

    assert "Select evaluation to change" in page
    assert ">Recommendation</a>" in page
    assert ">Their words</a>" in page
    assert ">Log an evaluation</a>" in page


def test_an_evaluation_change_page_in_japanese(editor, recommendation):
    draft = factories.make_evaluation(recommendation, status=Status.DRAFT)

    response = editor.get(f"{EVALUATIONS}{draft.pk}/change/", **JA)

    page = text_of(response)
    assert response["Content-Language"] == "ja"
    assert 'class="fieldset-heading">判定</h2>' in page  # our fieldsets
    assert 'class="fieldset-heading">講評</h2>' in page
    assert "第1版" in page  # our status panel
    assert "確認待ち:公表担当者が公表できます。" in page
    assert "読者向けの表示をプレビュー" in page
    assert "評価者自身の言葉による評価(原文のまま)。例:「Slow progress」。" in page  # our form
    assert 'value="保存"' in page  # Django's


def test_a_refusal_reads_in_japanese_and_in_english(editor, published):
    change = f"{EVALUATIONS}{published.pk}/change/"

    japanese = editor.get(change, **JA)
    english = editor.get(change)

    assert japanese.context["read_only_reason"] == (
        "この評価は公表済みです。変更できるのは公表担当者だけです。"
        "公表担当者が撤回して下書きに戻せば、あなたも変更できます。"
    )
    assert english.context["read_only_reason"] == (
        "This evaluation is published: only a publisher can change it, or withdraw it "
        "to draft so that you can."
    )


def test_a_refused_publication_says_why_in_japanese(publisher_user, recommendation):
    publisher = logged_in(publisher_user)
    bare = factories.make_evaluation(recommendation, status=Status.DRAFT, with_evidence=False)

    response = publisher.post(
        f"{EVALUATIONS}{bare.pk}/publish/", {"version": "1"}, follow=True, **JA
    )

    assert messages_of(response) == [
        "公表できません:公表する前に出典を1件以上引用してください。"
        "公表する評価には、必ず根拠を示します。"
    ]
    assert response["Content-Language"] == "ja"


def test_a_frozen_refusal_is_filled_in_japanese(publisher_user, report, published):
    from tracker import services

    services.publish_edition(
        report=report, slug="card-2004", name="2004 card", as_of=published.as_of, user=None
    )
    publisher = logged_in(publisher_user)

    response = publisher.post(f"{EVALUATIONS}{published.pk}/withdraw/", follow=True, **JA)

    assert messages_of(response) == [
        "撤回できません:この評価は公表済みの版「2004 card」で凍結されているため、撤回できません。"
    ]


def test_the_login_page_follows_the_browser_too():
    japanese = Client().get("/admin/login/", **JA)
    english = Client().get("/admin/login/")

    assert japanese["Content-Language"] == "ja"
    assert "Accept-Language" in vary_of(japanese)
    assert 'value="ログイン"' in text_of(japanese)
    assert english["Content-Language"] == "en"
    assert 'value="Log in"' in text_of(english)


def test_admin_pages_are_private_never_kept_for_anyone_else(editor):
    response = editor.get("/admin/", **JA)

    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_a_public_page_keeps_the_path_rule(report):
    response = Client().get(f"/reports/{report.slug}/", **JA)

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "Accept-Language" not in vary_of(response)
    assert '<html lang="en"' in text_of(response)
