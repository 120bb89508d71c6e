"""Readers and partners see the published translations everywhere they read the record in
Japanese (issue 15): the Atom feeds, the compare and actor pages, the CSV and JSON exports,
and the API's edition detail (the translations that edition froze). Each marks what is a
translation and of what kind, keeps the original, and marks an untranslated text as the
original; drafts never show; English is what it always was, byte for byte."""

import csv
import datetime
import io
import re
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scorecard.exports import SCORECARD_COLUMNS
from tests.conftest import DEMO_FILES
from tracker import services
from tracker.actors import addressed_to
from tracker.models import Edition, EvidenceLink, Recommendation, Translation

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED = "/reports/armitage-nye-2000/feed/"
COMPARE = "/editions/2004-report-card/compare/2008-evidence-review/"
EXPORT = "/reports/armitage-nye-2000/export"
# The demo's Japanese (fixtures/armitage-nye-2000.yaml, the editors' translation).
DIP_6_TITLE = "積極的なASEANと安定したインドネシア"
DIP_6_ORIGINAL = "An activist ASEAN and a stable Indonesia"


def _rec(demo, code: str = "DIP-6") -> Recommendation:
    return demo.recommendations.get(code=code)


def _translate(target, field, text, *, kind="editors", publish=True) -> Translation:
    return services.save_translation(
        target=target, field=field, language="ja", text=text, kind=kind, publish=publish
    )


def _published_before(translation: Translation, edition: Edition) -> None:
    Translation.objects.filter(pk=translation.pk).update(
        published_at=edition.published_at - datetime.timedelta(days=1)
    )


def _demo_translation(target, field) -> Translation:
    return Translation.objects.get(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        field=field,
        language="ja",
    )


def _body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Feeds -----------------------------------------------------------------------------------


def _dip_6_entry(xml: bytes) -> ET.Element:
    root = ET.fromstring(xml)  # noqa: S314 -- our own feed, from the test client
    return next(
        entry
        for entry in root.iter(f"{ATOM}entry")
        if "/dip-6/" in entry.find(f"{ATOM}link").get("href")
        and "2008-01-15" in entry.find(f"{ATOM}title").text
    )


def test_the_japanese_feed_gives_the_demos_japanese_marked_and_stays_valid_atom(demo, client):
    xml = _body(client.get(f"/ja{FEED}"))

    parsed = feedparser.parse(xml)
    assert parsed.bozo is False
    assert parsed.feed.language == "ja"
    entry = _dip_6_entry(xml)
    # The grades in the title are the scale's Japanese labels.
    assert entry.find(f"{ATOM}title").text == (
        "DIP-6 「進展が遅い」から「進行中」に上昇（2008-01-15時点）"
    )
    summary = entry.find(f"{ATOM}summary").text
    heading = re.search(r"<strong>(.*?)</strong>", summary).group(1)
    assert heading == (
        f'DIP-6 <span lang="ja">{DIP_6_TITLE}</span> <small>（編集部訳。原文：'
        f'<span lang="en">{DIP_6_ORIGINAL}</span>）</small>'
    )
    assert '「<span lang="ja">進行中</span> <small>（編集部訳。原文：' in summary
    # The 2008 narrative has no translation: the original, marked as such.
    narrative = re.search(r'<div lang="en">(.*?)</div><p><small>(.*?)</small></p>', summary, re.S)
    assert narrative.group(1).startswith("<p>Japan builds partners' maritime capacity.")
    assert narrative.group(2) == "原文（英語）"
    categories = [(c.get("term"), c.get(XML_LANG)) for c in entry.iter(f"{ATOM}category")]
    assert categories == [("進行中", "ja"), ("アーミテージ・ナイ報告", "ja")]
    assert [tag.term for tag in feedparser.parse(xml).entries[0].tags] == [
        term for term, _lang in categories
    ]


def test_the_japanese_site_feed_and_its_title_use_the_translations(demo, client):
    xml = _body(client.get(f"/ja{FEED}"))

    root = ET.fromstring(xml)  # noqa: S314 -- our own feed, from the test client
    assert root.find(f"{ATOM}title").text == "同盟スコアカード：アーミテージ・ナイ報告の評価"
    assert feedparser.parse(_body(client.get("/ja/feed/"))).bozo is False


def test_a_translated_narrative_in_the_feed_keeps_its_original_below(demo, client):
    evaluation = _rec(demo).evaluations.filter(status="published").order_by("-as_of").first()
    _translate(evaluation, "narrative", "**進展**があった。", kind="machine")

    summary = _dip_6_entry(_body(client.get(f"/ja{FEED}"))).find(f"{ATOM}summary").text

    assert (
        '<div lang="ja"><p><strong>進展</strong>があった。</p></div>'
        '<p><small>機械翻訳。原文：</small></p><div lang="en"><p>Japan builds partners'
    ) in summary


# --- Pages -----------------------------------------------------------------------------------


def test_the_japanese_compare_page_shows_titles_grades_and_edition_names_translated(demo, client):
    edition = demo.editions.get(slug="2008-evidence-review")
    _translate(edition, "name", "2008年の根拠の見直し")

    html = client.get(f"/ja{COMPARE}").content.decode()

    assert (
        '<a class="rec-title" href="/ja/reports/armitage-nye-2000/dip-6/">'
        f'<span lang="ja">{DIP_6_TITLE}</span> <small class="translation-note">'
        '<span aria-hidden="true">編集部訳</span>'
    ) in html
    assert re.search(r'<span class="badge [^"]*" lang="ja">進行中</span>', html)
    # One edition name translated, the other not (the demo leaves them in English).
    assert '<th scope="col" class="col-grade"><span lang="ja">2008年の根拠の見直し</span>' in html
    assert (
        '<th scope="col" class="col-grade"><span lang="en">2004 report card</span> '
        '<small class="translation-note">原文（英語）</small></th>'
    ) in html


def _addressed_to_japan(demo) -> Recommendation:
    return demo.recommendations.filter(addressed_to("japan")).order_by("position").first()


def test_the_japanese_actor_page_shows_titles_reports_and_grades_translated(demo, client):
    rec = _addressed_to_japan(demo)

    html = client.get("/ja/actors/japan/").content.decode()

    title = _demo_translation(rec, "title").text
    assert (
        f'<span class="code">{rec.code}</span> <span lang="ja">{title}</span> '
        '<small class="translation-note"><span aria-hidden="true">編集部訳</span>'
    ) in html
    assert '<span lang="ja">アーミテージ・ナイ報告</span>' in html
    assert re.search(r'<span class="badge [^"]*" lang="ja">', html)


# --- Exports ---------------------------------------------------------------------------------


def _csv(client, url: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_body(client.get(url)).decode())))


def _header(client, url: str) -> list[str]:
    return next(csv.reader(io.StringIO(_body(client.get(url)).decode())))


def test_the_japanese_csv_gives_each_translation_beside_its_original(demo, client):
    texts = {"area", "title", "grade_label", "wording", "narrative"}
    expected = []
    for column in SCORECARD_COLUMNS:
        expected.append(column)
        if column in texts:
            expected += [f"{column}_ja", f"{column}_ja_kind"]

    assert _header(client, f"/ja{EXPORT}.csv") == expected
    assert _header(client, f"{EXPORT}.csv") == list(SCORECARD_COLUMNS)
    row = next(r for r in _csv(client, f"/ja{EXPORT}.csv") if r["code"] == "DIP-6")
    area = _rec(demo).area
    assert (row["title"], row["title_ja"], row["title_ja_kind"]) == (
        DIP_6_ORIGINAL,
        DIP_6_TITLE,
        "editors",
    )
    assert (row["area"], row["area_ja"]) == (area.name, _demo_translation(area, "name").text)
    assert (row["grade_label"], row["grade_label_ja"]) == ("Ongoing progress", "進行中")
    # The 2008 sample review's wording and narrative are not translated.
    assert (row["wording_ja"], row["wording_ja_kind"]) == ("", "")
    assert (row["narrative_ja"], row["narrative_ja_kind"]) == ("", "")


def test_an_outdated_translation_says_so_in_the_csv(demo, client):
    rec = _rec(demo)
    Recommendation.objects.filter(pk=rec.pk).update(title="An activist ASEAN")

    row = next(r for r in _csv(client, f"/ja{EXPORT}.csv") if r["code"] == "DIP-6")

    assert (row["title"], row["title_ja"], row["title_ja_kind"]) == (
        "An activist ASEAN",
        DIP_6_TITLE,
        "editors;outdated",
    )


def test_the_csv_of_an_edition_gives_the_translations_it_froze(demo, client):
    edition = demo.editions.get(slug="2004-report-card")
    sec_1 = _rec(demo, "SEC-1")
    frozen = _demo_translation(sec_1, "title")
    _published_before(frozen, edition)

    rows = {r["code"]: r for r in _csv(client, f"/ja{EXPORT}.csv?edition=2004-report-card")}

    assert rows["SEC-1"]["title_ja"] == frozen.text
    # The demo's other translations were published after the edition (on import).
    assert (rows["DIP-6"]["title_ja"], rows["DIP-6"]["title_ja_kind"]) == ("", "")


EVALUATIONS = "/reports/armitage-nye-2000/evaluations.csv"
EVIDENCE = "/reports/armitage-nye-2000/evidence.csv"


def _with_translations(columns, texts) -> list[str]:
    named = []
    for column in columns:
        named += [column, f"{column}_ja", f"{column}_ja_kind"] if column in texts else [column]
    return named


def test_the_japanese_evaluations_and_evidence_csv_give_translations_beside_originals(
    demo, client, django_assert_num_queries
):
    sec_1 = _rec(demo, "SEC-1")
    with CaptureQueriesContext(connection) as in_english:
        english = _csv(client, EVALUATIONS)
    # The translations come with the rows, in their query: as many queries as in English.
    with django_assert_num_queries(len(in_english)):
        rows = _csv(client, f"/ja{EVALUATIONS}")

    texts = {"area", "title", "grade_label", "wording", "narrative"}
    assert _header(client, f"/ja{EVALUATIONS}") == _with_translations(
        _header(client, EVALUATIONS), texts
    )
    # Every original, in the same rows and order, as in English.
    assert [{k: r[k] for k in english[0]} for r in rows] == english
    row = next(r for r in rows if r["code"] == "SEC-1" and r["as_of"] == "2004-04-26")
    assert (row["title"], row["title_ja"], row["title_ja_kind"]) == (
        sec_1.title,
        _demo_translation(sec_1, "title").text,
        "editors",
    )
    assert (row["grade_label_ja"], row["grade_label_ja_kind"]) != ("", "")
    assert (row["narrative_ja"], row["narrative_ja_kind"]) == ("", "")  # left untranslated

    link = (
        EvidenceLink.objects.filter(evaluation__recommendation__report=demo)
        .filter(evaluation__status="published")
        .exclude(quote="")
        .first()
    )
    _translate(link, "quote", "=訳された引用")
    evidence = _csv(client, f"/ja{EVIDENCE}")
    assert _header(client, f"/ja{EVIDENCE}") == _with_translations(
        _header(client, EVIDENCE), {"quote"}
    )
    quoted = next(r for r in evidence if r["quote_ja"])
    # A translation that a spreadsheet would read as a formula is made plain, as the originals.
    assert (quoted["quote"], quoted["quote_ja"], quoted["quote_ja_kind"]) == (
        link.quote,
        "'=訳された引用",
        "editors",
    )


def test_the_long_csv_files_say_when_a_translation_is_outdated_and_never_show_a_draft(demo, client):
    rec = _rec(demo)
    Recommendation.objects.filter(pk=rec.pk).update(title="An activist ASEAN")
    _demo_translation(_rec(demo, "SEC-1"), "title").delete()
    _translate(_rec(demo, "SEC-1"), "title", "下書きの題名", publish=False)

    rows = _csv(client, f"/ja{EVALUATIONS}")

    dip_6 = next(r for r in rows if r["code"] == "DIP-6")
    assert (dip_6["title_ja"], dip_6["title_ja_kind"]) == (DIP_6_TITLE, "editors;outdated")
    sec_1 = [r for r in rows if r["code"] == "SEC-1"]
    assert sec_1
    assert {(r["title_ja"], r["title_ja_kind"]) for r in sec_1} == {("", "")}


def test_the_japanese_responses_csv_names_the_translation_columns(demo, client):
    header = _header(client, "/ja/reports/armitage-nye-2000/responses.csv")

    assert header[:7] == ["report", "area", "area_ja", "area_ja_kind", "code", "title", "title_ja"]
    assert "statement_ja" not in header


def test_the_japanese_json_export_carries_its_texts_translations_as_the_api_does(demo, client):
    body = client.get(f"/ja{EXPORT}.json").json()
    english = client.get(f"{EXPORT}.json").json()

    assert body["report"]["short_name"] == "アーミテージ・ナイ報告"
    assert body["report"]["translations"]["short_name"] == {
        "language": "ja",
        "kind": "editors",
        "outdated": False,
        "original": "Armitage-Nye Report",
    }
    assert body["grade_scale"]["name"] == "実施の進捗"
    rec = next(r for r in body["recommendations"] if r["code"] == "DIP-6")
    assert rec["title"] == DIP_6_TITLE
    assert rec["translations"]["title"]["original"] == DIP_6_ORIGINAL
    assert set(rec["translations"]) == {"title", "text"}
    # The 2008 sample evaluation is left in English: nothing listed, the original kept.
    assert rec["evaluation"]["translations"] == {}
    english_rec = next(r for r in english["recommendations"] if r["code"] == "DIP-6")
    assert rec["evaluation"]["narrative"] == english_rec["evaluation"]["narrative"]
    assert "translations" not in english["report"]
    assert "translations" not in english_rec
    assert "translations" not in english_rec["evaluation"]


def test_the_json_export_of_an_edition_gives_the_translations_it_froze(demo, client):
    edition = demo.editions.get(slug="2004-report-card")
    _published_before(_demo_translation(_rec(demo, "SEC-1"), "title"), edition)

    body = client.get(f"/ja{EXPORT}.json?edition=2004-report-card").json()

    recs = {r["code"]: r for r in body["recommendations"]}
    assert set(recs["SEC-1"]["translations"]) == {"title"}
    assert recs["DIP-6"]["title"] == DIP_6_ORIGINAL
    assert recs["DIP-6"]["translations"] == {}


# --- The API's edition detail ----------------------------------------------------------------


def test_the_api_edition_detail_shows_the_translations_that_edition_froze(demo, client):
    edition = demo.editions.get(slug="2004-report-card")
    sec_1 = _rec(demo, "SEC-1")
    frozen = _demo_translation(sec_1, "title")
    _published_before(frozen, edition)
    url = "/api/v1/editions/2004-report-card/?lang=ja"

    body = client.get(url).json()

    entries = {e["recommendation"]["code"]: e for e in body["entries"]}
    assert entries["SEC-1"]["recommendation"]["title"] == frozen.text
    assert entries["SEC-1"]["recommendation"]["translations"]["title"]["kind"] == "editors"
    # Published after the edition (the demo's, on import): not the edition's.
    assert entries["DIP-6"]["recommendation"]["title"] == DIP_6_ORIGINAL
    assert entries["DIP-6"]["recommendation"]["translations"] == {}
    # Today's answer elsewhere has them.
    live = client.get(f"/api/v1/recommendations/{_rec(demo).pk}/?lang=ja").json()
    assert live["title"] == DIP_6_TITLE


# --- Drafts, and English ---------------------------------------------------------------------


def test_a_draft_translation_never_reaches_readers(demo, client):
    rec = _rec(demo)
    _demo_translation(rec, "title").delete()
    _translate(rec, "title", "下書きの題名", publish=False)
    elsewhere = _addressed_to_japan(demo)
    _demo_translation(elsewhere, "title").delete()
    _translate(elsewhere, "title", "下書きの題名", publish=False)
    urls = [
        f"/ja{FEED}",
        "/ja/feed/",
        f"/ja{COMPARE}",
        "/ja/actors/japan/",
        f"/ja{EXPORT}.csv",
        f"/ja{EXPORT}.csv?edition=2008-evidence-review",
        f"/ja{EXPORT}.json",
        "/ja/reports/armitage-nye-2000/responses.csv",
        "/api/v1/editions/2008-evidence-review/?lang=ja",
        "/api/v1/editions/2008-evidence-review/compare/2004-report-card/?lang=ja",
    ]

    for url in urls:
        assert "下書きの題名" not in _body(client.get(url)).decode(), url
    html = client.get(f"/ja{COMPARE}").content.decode()
    assert (
        f'<span lang="en">{DIP_6_ORIGINAL}</span> <small class="translation-note">原文（英語）'
        "</small></a>"
    ) in html


ENGLISH = [
    FEED,
    "/feed/",
    COMPARE,
    "/actors/japan/",
    "/actors/united-states/",
    f"{EXPORT}.csv",
    f"{EXPORT}.csv?edition=2004-report-card",
    f"{EXPORT}.json",
    f"{EXPORT}.json?edition=2004-report-card",
    "/reports/armitage-nye-2000/responses.csv",
    "/reports/armitage-nye-2000/evaluations.csv",
    "/reports/armitage-nye-2000/evidence.csv",
    "/api/v1/editions/2004-report-card/",
    "/api/v1/editions/2004-report-card/compare/2008-evidence-review/",
]


def test_english_is_the_same_byte_for_byte_with_or_without_translations(demo, client):
    Translation.objects.all().delete()
    without = {url: _body(client.get(url)) for url in ENGLISH}

    services.import_scorecard(files=DEMO_FILES)  # the demo's Japanese back
    assert Translation.objects.published().count() > 100

    for url in ENGLISH:
        assert _body(client.get(url)) == without[url], url
