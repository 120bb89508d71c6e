"""Readers of the Japanese pages see the published translations of the record's texts,
marked with their language and kind, the original a step away; an outdated one says so; a
text without a translation shows its original, marked as such; drafts are never shown;
English pages stay as they were (issue 15)."""

import datetime
import re

import pytest

from scorecard import response_cache
from tests.conftest import DEMO_FILES
from tracker import services, translations
from tracker.models import Evaluation, Recommendation, Translation

pytestmark = pytest.mark.django_db

SEC_1 = "/reports/armitage-nye-2000/sec-1/"


@pytest.fixture(autouse=True)
def _without_the_demos_japanese(demo):
    """These tests start from the demo without its Japanese and translate what each needs."""
    Translation.objects.all().delete()


def test_the_demo_shows_its_japanese_and_falls_back_on_its_narratives(demo, client):
    services.import_scorecard(files=DEMO_FILES)  # as imported: with its Japanese

    html = client.get(f"/ja{SEC_1}").content.decode()

    assert "編集部訳" in html  # the editors' translation of the title and text
    assert 'lang="en"' in html  # the 2004 narrative, left in English on purpose
    assert "原文（英語）" in html


def _rec(demo) -> Recommendation:
    return demo.recommendations.get(code="SEC-1")


def _translate(target, field, text, *, kind="editors", publish=True):
    return services.save_translation(
        target=target, field=field, language="ja", text=text, kind=kind, publish=publish
    )


def _heading(html: str) -> str:
    return re.search(r'<h1 id="rec-heading">(.*?)</h1>', html, re.S).group(1)


def test_a_translated_title_is_shown_in_japanese_marked_with_its_kind(demo, client):
    rec = _rec(demo)
    _translate(rec, "title", "日米防衛協力の指針")

    html = client.get(f"/ja{SEC_1}").content.decode()

    assert _heading(html) == (
        '<span lang="ja">日米防衛協力の指針</span> <small class="translation-note">'
        '<span aria-hidden="true">編集部訳</span><span class="visually-hidden">'
        "本スコアカード編集部による非公式の翻訳です。原文："
        f'<span lang="en">{rec.title}</span></span></small>'
    )


def _text_block(html: str) -> str:
    return re.search(
        r'<figure class="recommendation-text">\s*<blockquote[^>]*>(.*?)</blockquote>', html, re.S
    ).group(1)


def test_a_text_without_translation_shows_its_original_marked_as_such(demo, client):
    rec = _rec(demo)

    html = client.get(f"/ja{SEC_1}").content.decode()

    assert _text_block(html) == (
        f'<p lang="en">{rec.text}</p><p class="translation-note"><small>原文（英語）</small></p>'
    )
    assert _heading(html) == (
        f'<span lang="en">{rec.title}</span> <small class="translation-note">原文（英語）</small>'
    )


def test_a_translated_text_keeps_its_original_a_click_away(demo, client):
    rec = _rec(demo)
    _translate(rec, "text", "日米同盟の防衛協力を再確認する。", kind="official")

    html = client.get(f"/ja{SEC_1}").content.decode()

    assert _text_block(html) == (
        '<p lang="ja">日米同盟の防衛協力を再確認する。</p><p class="translation-note"><small>公式訳'
        '<span class="visually-hidden">: 公式の翻訳です。</span></small></p>'
        '<details class="translation-original"><summary>原文</summary>'
        f'<p lang="en">{rec.text}</p></details>'
    )


def test_an_outdated_translation_says_the_original_changed_since(demo, client):
    rec = _rec(demo)
    _translate(rec, "title", "防衛協力の再確認", kind="machine")
    Recommendation.objects.filter(pk=rec.pk).update(title="Reaffirm and extend the commitment")

    html = client.get(f"/ja{SEC_1}").content.decode()

    assert _heading(html) == (
        '<span lang="ja">防衛協力の再確認</span> <small class="translation-note">'
        '<span aria-hidden="true">機械翻訳・原文更新後に未更新</span>'
        '<span class="visually-hidden">機械による翻訳です。原文の更新後、まだ更新されていない'
        '翻訳です。原文：<span lang="en">Reaffirm and extend the commitment</span></span></small>'
    )


def test_a_translated_narrative_goes_through_the_sanitized_markdown(demo, client):
    evaluation = Evaluation.objects.filter(recommendation__code="SEC-1", status="published").first()
    _translate(evaluation, "narrative", "**進展**があった。<script>alert(1)</script>")

    html = client.get(f"/ja{SEC_1}").content.decode()

    assert (
        '<div lang="ja"><p><strong>進展</strong>があった。&lt;script&gt;alert(1)&lt;/script&gt;'
        "</p></div>"
    ) in html
    assert "<script>alert(1)" not in html


def test_grade_labels_are_translated_in_badges_and_the_legend(demo, client):
    grade = demo.grade_scale.grades.get(slug="slow-progress")
    _translate(grade, "label", "遅い進展")

    html = client.get("/ja/reports/armitage-nye-2000/").content.decode()

    assert f'<span class="badge {grade.css_class}" lang="ja">遅い進展</span>' in html
    assert f'<span class="badge {grade.css_class}">{grade.label}</span>' not in html


def test_a_draft_translation_is_never_shown(demo, client):
    rec = _rec(demo)
    _translate(rec, "title", "下書きの題名", publish=False)

    for url in (f"/ja{SEC_1}", "/ja/", "/ja/reports/armitage-nye-2000/", f"/ja{SEC_1}badge.svg"):
        assert "下書きの題名" not in client.get(url).content.decode(), url
    export = client.get("/ja/reports/armitage-nye-2000/export.json")
    body = b"".join(export.streaming_content) if export.streaming else export.content
    assert "下書きの題名" not in body.decode()


def test_english_pages_stay_as_they_were(demo, client):
    urls = ["/", "/reports/armitage-nye-2000/", SEC_1]
    before = {url: client.get(url).content for url in urls}
    rec = _rec(demo)
    _translate(rec, "title", "日米防衛協力の指針")
    _translate(demo, "title", "アーミテージ・ナイ報告")
    _translate(rec.area, "name", "安全保障")

    after = {url: client.get(url).content for url in urls}

    assert after == before


def test_publishing_a_translation_moves_the_japanese_pages_etag(demo, client):
    url = f"/ja{SEC_1}"
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    draft = _translate(_rec(demo), "title", "日米防衛協力の指針", publish=False)
    services.publish_translation(translation=draft)

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "日米防衛協力の指針" in response.content.decode()


def test_deleting_a_translation_moves_the_etag_too(demo, client):
    translation = _translate(_rec(demo), "title", "日米防衛協力の指針")
    url = f"/ja{SEC_1}"
    etag = client.get(url)["ETag"]
    services.delete_translation(translation=translation)

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert "日米防衛協力の指針" not in response.content.decode()


def test_a_translation_shown_before_is_shown_changed_on_every_page_once_it_changes(demo, client):
    # The process keeps the translations it has read (tracker.translations); a change of any
    # of them replaces what it kept, on the pages that showed it and the ones that did not.
    rec = _rec(demo)
    _translate(rec, "title", "旧訳の題名")
    report = "/ja/reports/armitage-nye-2000/"
    assert "旧訳の題名" in client.get(report).content.decode()

    _translate(rec, "title", "新訳の題名")

    for url in (report, f"/ja{SEC_1}"):
        html = client.get(url).content.decode()
        assert "新訳の題名" in html, url
        assert "旧訳の題名" not in html, url
    draft = _translate(rec.area, "name", "下書きの分野名", publish=False)
    assert "下書きの分野名" not in client.get(report).content.decode()
    services.delete_translation(translation=draft)
    assert "新訳の題名" in client.get(f"/ja{SEC_1}").content.decode()


def test_translations_stay_shown_when_the_process_starts_keeping_afresh(demo, client, monkeypatch):
    # Past KEPT_OBJECTS what a process keeps is dropped; the page that drops it still shows
    # the translations it found kept.
    monkeypatch.setattr(translations, "KEPT_OBJECTS", 1)
    rec = _rec(demo)
    _translate(rec, "title", "日米防衛協力の指針")
    _translate(rec.area, "name", "安全保障")
    url = f"/ja{SEC_1}"
    client.get(url)
    response_cache.clear()

    html = client.get(url).content.decode()

    assert "日米防衛協力の指針" in html
    assert "安全保障" in html


def test_an_edition_shows_the_translations_it_froze_only(demo, client):
    edition = demo.editions.get(slug="2004-report-card")
    area = demo.areas.get(slug="security")
    before = _translate(area, "name", "安全保障")
    Translation.objects.filter(pk=before.pk).update(
        published_at=edition.published_at - datetime.timedelta(days=1)
    )
    _translate(_rec(demo), "title", "のちの翻訳")

    html = client.get("/ja/editions/2004-report-card/").content.decode()

    assert '<h2 id="area-security-heading"><span lang="ja">安全保障</span>' in html
    assert "のちの翻訳" not in html
    assert "のちの翻訳" in client.get(f"/ja{SEC_1}").content.decode()
