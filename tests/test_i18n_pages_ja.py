"""The public pages' interface in Japanese (issue 15), and in English as before.

Each page type is rendered with Japanese active and shows its headings, labels, sentences
and dates in Japanese, none of the English ones; the same page in English has no Japanese
in it. The content (report titles, recommendation texts, grade labels) stays as the
database has it: translating it is the content's job, not the interface's.
"""

import re
from xml.sax.saxutils import escape

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import trans_real

from tests import factories
from tracker import subscriptions
from tracker.models import Subscription

REPORT = "/reports/armitage-nye-2000/"
# Hiragana, katakana and the CJK ideographs: Japanese text, whatever the page says.
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# The language switch names each language in itself ("日本語" on every English page).
SWITCH = re.compile(r'<nav class="language-switch".*?</nav>', re.S)


def without_switch(html: str) -> str:
    return SWITCH.sub("", html)


@pytest.fixture(scope="module", autouse=True)
def _japanese_catalogue():
    """The compiled Japanese catalogue (compiled files are never committed), read afresh."""
    call_command("compilemessages", locale=["ja"], verbosity=0)
    trans_real._translations = {}
    trans_real._default = None
    yield
    trans_real._translations = {}


def japanese(client, url: str, **kwargs):
    """The page in Japanese: its address under /ja/."""
    return client.get(f"/ja{url}", **kwargs)


def main_of(html: str) -> str:
    """The page's own part: what the page's template writes, not the site's frame."""
    return html[html.index('<main id="main"') : html.index("</main>")]


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_home_in_japanese(demo, client):
    response = japanese(client, "/")
    html = response.text
    main = main_of(html)

    assert response.status_code == 200
    assert "<h1>どの提言が実行されたのか</h1>" in main
    assert '<p class="eyebrow">実施状況スコアカード</p>' in main
    assert '<h2 id="reports-heading">報告書</h2>' in main
    assert "提言25件、評価済み25件。" in main
    assert "提言7件、評価済みはまだありません。" in main
    assert '最終更新：<time datetime="2008-01-15T12:00:00+00:00">2008年1月15日</time>' in main
    assert "<h2>最近公表された評価</h2>" in main
    assert "上昇：" in main
    assert "低下：" in main
    assert "変わらず：" in main
    assert '<h2 id="follow-heading">すべてのスコアカードをメールでフォロー</h2>' in main
    assert '<button type="submit" class="button">フォローする</button>' in main
    for english in (
        "Which recommendations were carried out?",
        "Latest published grades",
        "none graded yet",
        "Last updated",
        "Raised to",
        "January 15, 2008",
        "Your e-mail address",
    ):
        assert english not in main


def test_home_in_english_has_no_japanese(demo, client):
    html = client.get("/").text

    assert JAPANESE.search(without_switch(html)) is None
    assert '<a href="/ja/" hreflang="ja" lang="ja">日本語</a>' in html
    assert "<h1>Which recommendations were carried out?</h1>" in html
    assert "25 recommendations, 25 graded." in html
    assert 'Last updated <time datetime="2008-01-15T12:00:00+00:00">January 15, 2008</time>' in html


def test_report_in_japanese(demo, client):
    html = japanese(client, REPORT).text
    main = main_of(html)

    assert title_of(html) == "Armitage-Nye Reportのスコアカード · 同盟スコアカード"
    assert '<p class="eyebrow">スコアカード · Armitage-Nye Report</p>' in main
    assert '<p class="state-of-play">6分野の提言25件、うち評価済み25件。</p>' in main
    assert "<legend>提言を探す</legend>" in main
    assert '<label for="f-q">本文を検索</label>' in main
    assert 'placeholder="例：ミサイル防衛"' in main
    assert '<option value="">すべての分野</option>' in main
    assert '<option value="not-rateable">評価不能 (0)</option>' in main
    assert '<option value="ungraded">未評価 (0)</option>' in main
    assert '<option value="overdue">期限超過 (0)</option>' in main
    assert '<option value="soon">期限まで90日以内 (0)</option>' in main
    assert '<option value="unspecified">指定なし (15)</option>' in main
    assert "全25件の提言（分野別）。" in main
    assert '<th scope="col" class="col-date">評価時点</th>' in main
    assert '<time datetime="2004-04-26">2004/04/26</time>' in main
    assert "<h2>ダウンロード</h2>" in main
    assert '<aside aria-label="このスコアカードについて">' in main
    for english in (
        "Find recommendations",
        "Search the text",
        "All areas",
        "Not specified",
        "Due within",
        "recommendations, by area",
        "Apr 26, 2004",
        "Download",
        "The grades",
    ):
        assert english not in main


def test_report_as_it_stood_in_japanese(demo, client):
    html = japanese(client, f"{REPORT}?as_of=2003-01-01").text
    main = main_of(html)

    assert title_of(html) == (
        "Armitage-Nye Reportのスコアカード（2003年1月1日時点） · 同盟スコアカード"
    )
    assert (
        'このスコアカードは<strong><time datetime="2003-01-01">2003年1月1日</time>時点の状態'
        "</strong>です。" in main
    )
    assert "6分野の提言25件、うち評価済み0件（2003年1月1日時点）。" in main
    assert "as it stood on" not in main


def test_recommendation_in_japanese(demo, client):
    html = japanese(client, f"{REPORT}sec-2/").text
    main = main_of(html)

    assert '<span class="visually-hidden">現在の評価： </span>' in main
    assert '<p class="meta"><time datetime="2008-01-15">2008年1月15日</time>時点、評価者：' in main
    assert "<dt>実施主体</dt><dd>指定なし</dd>" in main
    assert '<h2 id="evaluators-heading">各評価者の最新の評価</h2>' in main
    assert '<h2 id="chart-heading">評価の推移</h2>' in main
    assert "縦の破線は報告書の公表時期（2000年10月）を示します。" in main
    assert '<h2 id="history-heading">評価と根拠</h2>' in main
    assert '<p class="meta">公表済みの評価2件（古い順）。</p>' in main
    assert '<span class="change">初回の評価</span>' in main
    assert '<span class="change">変化なし</span>' in main
    assert '<h4 class="eyebrow">根拠</h4>' in main
    assert '<span class="stance stance-supports">裏付け</span>' in main
    assert '<h2 id="scale-heading">評価の意味</h2>' in main
    assert '<h2 id="embed-heading">この評価を埋め込む</h2>' in main
    assert '<h2 id="follow-heading">この提言をメールでフォロー</h2>' in main
    for english in (
        "Current grade",
        "Grade over time",
        "Evaluations and evidence",
        "published evaluations, oldest first",
        "first grade",
        "What the grades mean",
        "Embed this grade",
        "January 15, 2008",
    ):
        assert english not in main


def test_editions_and_edition_in_japanese(demo, client):
    index = main_of(japanese(client, "/editions/").text)
    assert "<h1>版</h1>" in index
    assert '<span class="meta">2004年4月26日時点</span>' in index
    assert "変更点：2004 report card → 2008 evidence review" in index
    assert "An edition is a scorecard" not in index
    assert "What changed" not in index

    html = japanese(client, "/editions/2004-report-card/").text
    main = main_of(html)
    assert title_of(html) == "2004 report card · Armitage-Nye Report · 同盟スコアカード"
    assert '<p class="eyebrow">版 · Armitage-Nye Report</p>' in main
    assert '<p class="state-of-play">提言25件、この版で評価済み25件。</p>' in main
    assert "<h2>この版をダウンロード</h2>" in main
    assert "その後の評価によって変わることはありません。" in main
    assert "Later evaluations do not change it." not in main
    assert "Download this edition" not in main


def test_compare_in_japanese(demo, client):
    html = japanese(client, "/editions/2004-report-card/compare/2008-evidence-review/").text
    main = main_of(html)

    assert title_of(html) == (
        "変更点：2004 report cardから2008 evidence reviewへ · アーミテージ・ナイ報告"
        " · 同盟スコアカード"
    )
    # The editions' names have no Japanese in the demo: the originals, marked as such.
    assert (
        '<h1><span lang="en">2004 report card</span> <small class="translation-note">原文（英語）'
        '</small>から<span lang="en">2008 evidence review</span> <small class="translation-note">'
        "原文（英語）</small>へ</h1>"
    ) in main
    assert '<li><strong>5</strong> <a href="#improved">改善</a></li>' in main
    assert '<h2 id="improved-heading">改善 <span class="meta">(5)</span></h2>' in main
    assert "▼ 2段階低下" in main
    assert '<h2 id="other-comparisons">ほかの比較</h2>' in main
    for english in (">improved<", ">declined<", "down 2 levels", "Other comparisons"):
        assert english not in main


def test_actors_and_actor_in_japanese(demo, client):
    index = main_of(japanese(client, "/actors/").text)
    assert "<h1>実施主体</h1>" in index
    assert "政府 · 提言5件" in index
    assert "提言5件" in index
    assert "recommendations" not in index

    main = main_of(japanese(client, "/actors/japan/").text)
    assert '<h2 id="rate-heading">実施率</h2>' in main
    assert "4年以上前（" in main
    assert "に出された提言5件のうち、0件の現在の評価が達成とみなされます。" in main
    assert '<label for="f-years">何年以上前に出された提言を数えるか</label>' in main
    assert "<p>すべての報告書で、Japanに向けられた提言は5件です。</p>" in main
    assert '<h2 id="years-heading">年ごとの推移</h2>' in main
    for english in ("Implementation rate", "years ago", "Count again", "Over the years"):
        assert english not in main


def test_search_in_japanese(demo, client):
    html = japanese(client, "/search/?q=missile").text
    main = main_of(html)

    assert title_of(html) == "検索：missile · 同盟スコアカード"
    assert "<h1>すべての報告書を検索</h1>" in main
    assert '<label for="s-q">検索語</label>' in main
    assert '<h2 id="results-heading">「missile」の検索結果：14件</h2>' in main
    assert '<time datetime="2004-04-26">2004年4月26日</time>時点の評価（評価者：' in main
    for english in ("Search all reports", "Words to find", "results for", "evaluation as of"):
        assert english not in main

    nothing = main_of(japanese(client, "/search/?q=zzzz").text)
    assert "「zzzz」に該当するものはありません" in nothing


def test_follow_pages_in_japanese(demo, client):
    form = main_of(japanese(client, "/follow/").text)
    assert "<h1>評価の更新をメールで受け取る</h1>" in form
    assert '<label for="follow-email">メールアドレス</label>' in form
    assert "Follow grades by e-mail" not in form

    bad = client.post("/ja/follow/", {"email": "reader@example.org", "report": "nothing"})
    assert bad.status_code == 400
    assert "<p>メールは送信されませんでした：</p>" in bad.text
    assert "フォローしようとした報告書「nothing」は見つかりません。" in bad.text

    sent = client.post("/ja/follow/", {"email": "reader@example.org", "report": demo.slug})
    assert "<h1>受信箱をご確認ください</h1>" in sent.text
    assert "reader@example.org がメールを受信できる場合" in sent.text

    Subscription.objects.create(email="reader@example.org", confirmed_at=timezone.now())
    manage = main_of(
        japanese(client, f"/follow/manage/{subscriptions.manage_token('reader@example.org')}/").text
    )
    assert "<h1>フォローの設定</h1>" in manage
    assert "<p>メールの送信先：reader@example.org</p>" in manage
    assert "すべての配信を停止" in manage
    assert "Your subscriptions" not in manage

    bad_link = japanese(client, "/follow/manage/forged/")
    assert bad_link.status_code == 400
    assert "<h1>このリンクは無効です</h1>" in bad_link.text
    assert "確認用リンクの有効期間は" in bad_link.text


def test_not_found_and_bad_request_in_japanese(demo, client):
    missing = japanese(client, "/reports/nothing/")
    assert missing.status_code == 404
    assert title_of(missing.text) == "ページが見つかりません · 同盟スコアカード"
    assert '<p class="eyebrow">エラー 404</p>' in missing.text
    assert '<p class="problem">報告書「nothing」は見つかりません。</p>' in missing.text
    assert "Page not found" not in missing.text

    bad = japanese(client, "/search/?q=missile&page=0")
    assert bad.status_code == 400
    assert "<h1>リンクに問題があります</h1>" in bad.text
    assert "ページ番号には1から10,000までの整数を指定してください。" in bad.text
    assert "この条件を外してページを開く" in bad.text


def test_feed_in_japanese(demo, client):
    feed = japanese(client, "/feed/").text
    assert "<title>同盟スコアカード：公表された評価</title>" in feed
    # The grades' labels in the demo's Japanese (tests/test_translations_readers.py).
    assert "<title>DIP-4 「大きく進展」から「進展が遅い」に低下（2008-01-15時点）</title>" in feed
    assert (
        escape(
            '2008年1月15日時点で「<span lang="ja">進行中</span> <small>（編集部訳。原文：'
            '<span lang="en">Ongoing progress</span>）</small>」（前回は「'
            '<span lang="ja">進展が遅い</span> <small>（編集部訳。原文：'
            '<span lang="en">Slow progress</span>）</small>」）。'
        )
        in feed
    )
    assert "published grades" not in feed


def test_every_page_type_in_english_has_no_japanese(demo, client):
    recommendation = factories.make_recommendation(demo, code="NEW-1")
    urls = [
        "/",
        REPORT,
        f"{REPORT}sec-2/",
        f"{REPORT}{recommendation.slug}/",
        "/editions/",
        "/editions/2004-report-card/",
        "/editions/2004-report-card/compare/2008-evidence-review/",
        "/actors/",
        "/actors/japan/",
        "/search/?q=missile",
        "/follow/",
        "/reports/nothing/",
        "/feed/",
    ]
    with_japanese = [url for url in urls if JAPANESE.search(without_switch(client.get(url).text))]
    assert with_japanese == []
