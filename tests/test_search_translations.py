"""The search finds the published translations too (issue 15: Japanese has no spaces
between words, so a word is found by substring): what it finds is what a scan of the
record and its published translations finds, on either engine; a draft translation is
found by no one, and the translation services keep the index in step; the Japanese pages
and answers show a hit in its translation, marked with its kind, the original named;
English pages and answers are what they were; the `q` filter of the report pages and of
the API's recommendation list finds the same translated recommendations."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scorecard import response_cache
from tests.api_support import client_as
from tests.test_search import DRAFT_WORD, QUERIES, corpus, found  # noqa: F401 -- a fixture
from tracker import search, services, translations
from tracker.models import (
    Evaluation,
    EvidenceLink,
    Recommendation,
    SearchDocument,
    Translation,
)

pytestmark = pytest.mark.django_db

ARMITAGE = "/reports/armitage-nye-2000/"


def _translate(target, field, text, *, publish=True, kind="editors"):
    return services.save_translation(
        target=target, field=field, language="ja", text=text, kind=kind, publish=publish
    )


def _published(obj, field: str) -> str:
    found = Translation.objects.published().of(obj).filter(field=field, language="ja").first()
    return found.text if found else ""


def scanned(q: str, *, drafts_visible: bool) -> set[tuple[str, int]]:
    """The brute force: every document of the record with every word of `q` in its texts
    or in their published translations, in any case, read from the models."""
    words = [word.lower() for word in q.split()]

    def has_all(*texts: str) -> bool:
        text = "\n".join(texts).lower()
        return all(word in text for word in words)

    results = set()
    for rec in Recommendation.objects.all():
        if has_all(
            rec.code, rec.title, rec.text, _published(rec, "title"), _published(rec, "text")
        ):
            results.add(("recommendation", rec.pk))
    for evaluation in Evaluation.objects.all():
        texts = (
            evaluation.wording,
            evaluation.narrative,
            _published(evaluation, "wording"),
            _published(evaluation, "narrative"),
        )
        if (drafts_visible or evaluation.is_published) and has_all(*texts):
            results.add(("evaluation", evaluation.pk))
    for link in EvidenceLink.objects.select_related("evaluation", "source"):
        if not (drafts_visible or link.evaluation.is_published):
            continue
        source = link.source
        texts = (link.quote, link.page, source.title, source.author, source.publisher)
        if has_all(*texts, source.citation, _published(link, "quote")):
            results.add(("evidence", link.pk))
    return results


@pytest.fixture
def translated(corpus):  # noqa: F811 -- the fixture imported above
    """The corpus with Japanese: published translations of a recommendation's title and
    text, an evaluation's wording and narrative and an evidence quote; a draft one."""
    recs, published, link = corpus["recs"], corpus["published"], corpus["link"]
    _translate(recs["DEF-1"], "title", "ミサイル防衛協力")
    _translate(recs["DEF-1"], "text", "弾道ミサイル防衛の作業を深める。")
    _translate(recs["ECO-2"], "title", "通商交渉")
    _translate(published, "wording", "一定の進展")
    _translate(published, "narrative", "ミサイル防衛の協議は2005年に停滞した。")
    _translate(link, "quote", "同盟は深まった。")
    _translate(recs["OTH-1"], "text", "別の場所で、別の防衛構想。草案語", publish=False)
    _translate(corpus["draft"], "narrative", "秘密の計画。", publish=False)
    return corpus


JAPANESE_QUERIES = [
    "防衛",
    "ミサイル防衛",
    "弾道",
    "通商",
    "進展",
    "同盟",
    "同盟 alliance",
    "防衛 missile",
    "草案語",
    "秘密",
    "協力 DEF",
    "2005年",
    "日本",
    "ない言葉",
]


@pytest.mark.parametrize("drafts_visible", [False, True])
def test_the_search_finds_what_a_scan_of_the_record_and_its_translations_finds(
    translated, drafts_visible
):
    for q in [*QUERIES, *JAPANESE_QUERIES]:
        assert set(found(q, drafts_visible=drafts_visible)) == scanned(
            q, drafts_visible=drafts_visible
        ), q


def test_japanese_words_find_the_translations_on_every_engine(translated):
    recs, published, link = translated["recs"], translated["published"], translated["link"]
    # Exact, ordered: the same on SQLite (FTS5, LIKE under three characters) and PostgreSQL.
    assert found("ミサイル防衛") == [
        ("recommendation", recs["DEF-1"].pk),  # in its translated title
        ("evaluation", published.pk),
    ]
    # Two titles with the word: their order is each engine's rank (ts_rank, bm25).
    both = found("防衛")
    assert set(both[:2]) == {
        ("recommendation", recs["DEF-1"].pk),
        ("recommendation", recs["JPN-1"].pk),  # its original is Japanese
    }
    assert both[2:] == [("evaluation", published.pk)]
    assert found("進展") == [("evaluation", published.pk)]  # two characters: LIKE on SQLite
    assert found("同盟") == [("evidence", link.pk)]
    assert found("同盟 alliance") == [("evidence", link.pk)]  # one word in each language
    # Draft translations are in no document: found by no one, even those who see drafts.
    assert found("草案語") == []
    assert found("秘密", drafts_visible=True) == []


def test_the_translation_services_keep_the_index_in_step(translated):
    rec = translated["recs"]["ECO-2"]
    draft = _translate(rec, "text", "関税の撤廃", publish=False)
    assert found("関税") == []

    services.publish_translation(translation=draft)
    assert found("関税") == [("recommendation", rec.pk)]

    _translate(rec, "text", "関税の段階的な引き下げ")  # revised: still published
    assert found("撤廃") == []
    assert found("段階的") == [("recommendation", rec.pk)]

    services.delete_translation(translation=Translation.objects.of(rec).get(field="text"))
    assert found("段階的") == []

    # An outdated translation (its original changed since) is still a published one.
    services.update_recommendation(recommendation=rec, changes={"title": "Trade negotiations"})
    assert Translation.objects.of(rec).get(field="title").is_outdated()
    assert found("通商") == [("recommendation", rec.pk)]
    assert found("negotiations") == [("recommendation", rec.pk)]


def test_the_rebuild_and_the_services_write_the_same_documents(translated):
    def documents():
        return sorted(
            SearchDocument.objects.values_list(
                "kind", "object_id", "title", "body", "translated_title", "translated_body"
            )
        )

    written = documents()
    search.rebuild()
    assert documents() == written
    assert ("recommendation", translated["recs"]["DEF-1"].pk) in {
        (kind, pk) for kind, pk, *_ in written
    }


# --- The demo's Japanese ----------------------------------------------------------------------


def _demo_translated_with(word: str) -> set[str]:
    """The codes of the Armitage-Nye recommendations whose published translation of their
    title or text has `word` (the demo's Japanese), or whose original has it."""
    codes = set()
    for rec in Recommendation.objects.filter(report__slug="armitage-nye-2000"):
        texts = (rec.code, rec.title, rec.text, _published(rec, "title"), _published(rec, "text"))
        if any(word.lower() in text.lower() for text in texts):
            codes.add(rec.code)
    return codes


def test_the_demos_japanese_is_found_by_any_part_of_it(demo):
    for q in ("防衛", "ミサイル防衛", "沖縄", "日米", "防衛 missile"):
        assert set(found(q)) == scanned(q, drafts_visible=False), q
    sec_7 = demo.recommendations.get(code="SEC-7")
    assert ("recommendation", sec_7.pk) in found("ミサイル防衛")
    assert ("recommendation", sec_7.pk) in found("防衛協力の拡大")


def _codes_on_page(html: str) -> set[str]:
    return {
        rec.code
        for rec in Recommendation.objects.filter(report__slug="armitage-nye-2000")
        if f'href="/ja{ARMITAGE}{rec.slug}/"' in html
    }


def test_the_q_filter_finds_the_translated_recommendations_on_pages_and_the_api(demo, client):
    expected = _demo_translated_with("防衛")
    assert {"SEC-6", "SEC-7"} <= expected

    html = client.get(f"/ja{ARMITAGE}", {"q": "防衛"}).content.decode()
    api = client_as("anonymous")
    body = api.get("/api/v1/recommendations/", {"q": "防衛", "report": "armitage-nye-2000"}).json()

    assert _codes_on_page(html) == expected
    assert {result["code"] for result in body["results"]} == expected
    # The English page's filter means the same.
    english = client.get(ARMITAGE, {"q": "防衛"}).content.decode()
    assert {code for code in expected if f'href="{ARMITAGE}{code.lower()}/"' in english} == expected


def test_a_draft_translation_is_not_matched_by_the_q_filter(demo):
    rec = demo.recommendations.get(code="SEC-1")
    Translation.objects.of(rec).delete()
    draft = _translate(rec, "text", "草案だけの言葉", publish=False)
    api = client_as("anonymous")

    def codes():
        body = api.get("/api/v1/recommendations/", {"q": "草案だけの言葉"}).json()
        return [result["code"] for result in body["results"]]

    assert codes() == []
    services.publish_translation(translation=draft)
    assert codes() == ["SEC-1"]


# --- What the Japanese pages and answers show -------------------------------------------------


def _results(html: str) -> str:
    start = html.index('<ol class="search-results"')
    return html[start : html.index("</ol>", start)]


def test_a_japanese_page_shows_a_hit_in_its_translation_marked_with_its_kind(demo, client):
    sec_7 = demo.recommendations.get(code="SEC-7")
    html = client.get("/ja/search/", {"q": "ミサイル防衛", "report": "armitage-nye-2000"})
    results = _results(html.content.decode())

    assert (
        f'<h3><a href="/ja{ARMITAGE}sec-7/" lang="ja">SEC-7 <mark>ミサイル防衛</mark>協力の拡大'
        '</a> <small class="translation-note"><span aria-hidden="true">編集部訳</span>'
        '<span class="visually-hidden">本スコアカード編集部による非公式の翻訳です。原文：'
        f'<span lang="en">SEC-7 {sec_7.title}</span></span></small></h3>'
    ) in results
    assert (
        '<p class="snippet"><span lang="ja">日米<mark>ミサイル防衛</mark>協力の範囲を広げること。'
        '</span> <small class="translation-note"><span aria-hidden="true">編集部訳</span>'
        '<span class="visually-hidden">本スコアカード編集部による非公式の翻訳です。原文：'
        f'<span lang="en">{sec_7.text}</span></span></small></p>'
    ) in results


def test_a_japanese_page_marks_an_original_it_shows_untranslated(demo, client):
    Translation.objects.filter(field="text").delete()
    search.rebuild()
    sec_7 = demo.recommendations.get(code="SEC-7")
    results = _results(
        client.get(
            "/ja/search/", {"q": "ミサイル防衛", "report": "armitage-nye-2000"}
        ).content.decode()
    )

    assert (
        f'<p class="snippet"><span lang="en">{sec_7.text}</span> '
        '<small class="translation-note">原文（英語）</small></p>'
    ) in results


def test_english_pages_show_the_originals_as_before(demo, client):
    results = _results(
        client.get(
            "/search/", {"q": "missile defense", "report": "armitage-nye-2000"}
        ).content.decode()
    )

    assert (
        f'<h3><a href="{ARMITAGE}sec-7/">SEC-7 Broaden <mark>missile</mark> <mark>defense</mark>'
        " cooperation</a></h3>\n"
        '      <p class="snippet">Broadening the scope of U.S.-Japan <mark>missile</mark> '
        "<mark>defense</mark> cooperation.</p>"
    ) in results
    assert "lang=" not in results
    assert "translation-note" not in results


def test_the_api_answers_in_japanese_with_the_translations_noted(demo):
    api = client_as("anonymous")
    params = {"q": "ミサイル防衛", "report": "armitage-nye-2000"}
    sec_7 = demo.recommendations.get(code="SEC-7")

    japanese = api.get("/api/v1/search/", {**params, "lang": "ja"}).json()["results"]
    english = api.get("/api/v1/search/", params).json()["results"]

    first = japanese[0]
    assert first["title"] == "SEC-7 <mark>ミサイル防衛</mark>協力の拡大"
    assert first["snippet"] == "日米<mark>ミサイル防衛</mark>協力の範囲を広げること。"
    assert first["translations"] == {
        "title": {
            "language": "ja",
            "kind": "editors",
            "outdated": False,
            "original": f"SEC-7 {sec_7.title}",
        },
        "snippet": {"language": "ja", "kind": "editors", "outdated": False, "original": sec_7.text},
    }
    assert first["recommendation"]["title"] == "ミサイル防衛協力の拡大"
    assert first["recommendation"]["translations"]["title"]["original"] == sec_7.title
    # English: the body as it always was, found through the translation all the same.
    assert english[0] == {
        "kind": "recommendation",
        "id": sec_7.pk,
        "recommendation": {
            "id": sec_7.pk,
            "report": "armitage-nye-2000",
            "code": "SEC-7",
            "title": sec_7.title,
        },
        "evaluation": None,
        "title": f"SEC-7 {sec_7.title}",
        "snippet": sec_7.text,
        "url": f"{ARMITAGE}sec-7/",
    }
    assert [(hit["kind"], hit["id"]) for hit in japanese] == [
        (hit["kind"], hit["id"]) for hit in english
    ]


def _count(get, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = get(url, params)
    assert response.status_code == 200, url
    return len(queries)


def test_a_japanese_search_costs_one_query_more(demo, client):
    api = client_as("anonymous")
    params = {"q": "防衛"}
    english_page = _count(client.get, "/search/", params)
    japanese_page = _count(client.get, "/ja/search/", params)
    english_api = _count(api.get, "/api/v1/search/", params)
    # The hits' translations the page read are kept by the process: the API's answer, which
    # shows the same objects, reads none.
    kept_api = _count(api.get, "/api/v1/search/", {**params, "lang": "ja"})
    translations.forget_kept()
    response_cache.clear()
    japanese_api = _count(api.get, "/api/v1/search/", {**params, "lang": "ja"})

    assert japanese_page == english_page + 1
    assert japanese_api == english_api + 1
    assert kept_api == english_api


def test_the_migration_fills_the_documents_as_the_index_writes_them(demo):
    """Migration 0018 gives the documents already written their translations."""
    fill = importlib.import_module("tracker.migrations.0018_search_translations")

    def translated_texts():
        return sorted(
            SearchDocument.objects.values_list(
                "kind", "object_id", "translated_title", "translated_body"
            )
        )

    written = translated_texts()
    SearchDocument.objects.update(translated_title="", translated_body="")
    fill.fill_translations(apps, None)

    assert translated_texts() == written
    assert sum(1 for *_, title, body in written if title or body) == 57


def test_an_outdated_translation_is_still_found_and_says_so(demo, client):
    sec_7 = demo.recommendations.get(code="SEC-7")
    # Made from another original than today's (SEC-7 is frozen in an edition: not edited).
    Translation.objects.of(sec_7).filter(field="title").update(original_digest="0" * 64)
    results = _results(
        client.get(
            "/ja/search/", {"q": "ミサイル防衛", "report": "armitage-nye-2000"}
        ).content.decode()
    )

    assert (
        f'<h3><a href="/ja{ARMITAGE}sec-7/" lang="ja">SEC-7 <mark>ミサイル防衛</mark>協力の拡大'
        '</a> <small class="translation-note"><span aria-hidden="true">編集部訳・原文更新後に未更新'
        "</span>"
    ) in results


def test_the_japanese_search_form_names_the_reports_in_japanese(demo, client):
    short_name = Translation.objects.of(demo).get(field="short_name", language="ja").text

    for params in ({}, {"q": "ミサイル防衛"}):
        html = client.get("/ja/search/", params).content.decode()
        assert f'<option value="armitage-nye-2000" lang="ja">{short_name}</option>' in html, params
    english = client.get("/search/").content.decode()
    assert f'<option value="armitage-nye-2000">{demo.short_name}</option>' in english


def test_an_english_page_shows_where_a_translation_holds_the_words_searched_for(demo, client):
    results = _results(
        client.get(
            "/search/", {"q": "ミサイル防衛", "report": "armitage-nye-2000"}
        ).content.decode()
    )

    assert (
        '<p class="snippet snippet-translation">Found in a translation: <span lang="ja">'
        "<mark>ミサイル防衛</mark>協力の拡大 日米<mark>ミサイル防衛</mark>協力の範囲を広げること。"
        "</span></p>"
    ) in results
    # Words the originals hold show no such line.
    english = client.get("/search/", {"q": "missile defense"}).content.decode()
    assert "Found in a translation" not in english
