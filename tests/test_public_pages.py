"""The public pages as a reader meets them, on the demo scorecard."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from scorecard.views import recommendation_page_context
from tests import factories
from tracker import services
from tracker.models import (
    Edition,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    Recommendation,
    Source,
    Status,
)

SCORECARD = "/reports/armitage-nye-2000/"
ALL_CODES = (
    ["POL-1"]
    + [f"SEC-{n}" for n in range(1, 8)]
    + ["OKI-1"]
    + [f"INT-{n}" for n in range(1, 6)]
    + [f"ECO-{n}" for n in range(1, 6)]
    + [f"DIP-{n}" for n in range(1, 7)]
)


def row_codes(html: str) -> list[str]:
    """The recommendation codes of a scorecard's rows, in page order."""
    return re.findall(r'<th scope="row" class="col-code"><span class="code">([A-Z0-9-]+)<', html)


def row_of(html: str, code: str) -> str:
    """The HTML of one scorecard row."""
    start = html.index(f'<span class="code">{code}</span>')
    return html[start : html.index("</tr>", start)]


def section(html: str, section_id: str) -> str:
    start = html.index(f'<section id="{section_id}"')
    return html[start : html.index("</section>", start)]


# --- The overview ---------------------------------------------------------------------------


def test_home_gives_each_report_its_state_of_play(demo, client):
    html = client.get("/").text

    assert "25 recommendations, 25 graded." in html
    assert 'Last updated <time datetime="2008-01-15T12:00:00+00:00">January 15, 2008</time>' in html
    assert "7 recommendations, none graded yet." in html
    legend = re.findall(r"<strong>(\d+)</strong> ([A-Za-z ]+)</li>", html)
    assert legend == [
        ("2", "Accomplished"),
        ("8", "Substantial progress"),
        ("5", "Ongoing progress"),
        ("5", "Slow progress"),
        ("4", "More progress needed"),
        ("1", "Setback"),
        ("7", "not yet graded"),
    ]


def test_home_lists_the_latest_published_grades_newest_first(demo, client):
    html = client.get("/").text
    latest = html[html.index("Latest published grades") :]
    assert latest.count('<p class="change-title">') == 8
    assert "Lowered to" in latest
    assert "Raised to" in latest


# --- A report's scorecard -------------------------------------------------------------------


def test_scorecard_shows_every_recommendation_by_area_in_report_order(demo, client):
    html = client.get(SCORECARD).text

    areas = re.findall(r'<h2 id="area-[a-z-]+-heading">([^<]+)</h2>', html)
    assert areas == [
        "Politics",
        "Security",
        "Okinawa",
        "Intelligence",
        "Economic Relations",
        "Diplomacy",
    ]
    assert row_codes(html) == ALL_CODES
    sec7 = row_of(html, "SEC-7")
    assert "Broaden missile defense cooperation" in sec7
    assert ">Accomplished</span>" in sec7
    assert '<time datetime="2008-01-15">Jan 15, 2008</time>' in sec7


def test_scorecard_explains_every_grade(demo, client):
    html = client.get(SCORECARD).text
    for grade in Grade.objects.filter(scale__slug="progress"):
        assert f'<dt><span class="badge grade-{grade.pk}">{grade.label}</span></dt>' in html
        assert grade.description[:40] in html


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("grade=slow-progress", ["POL-1", "SEC-2", "ECO-5", "DIP-2", "DIP-4"]),
        ("area=intelligence", ["INT-1", "INT-2", "INT-3", "INT-4", "INT-5"]),
        # Actors are records (issue 17): Japan's are those addressed to it, alone or with
        # the United States.
        ("actor=japan", ["POL-1", "OKI-1", "INT-5", "DIP-4", "DIP-5"]),
        ("topic=okinawa-bases", ["SEC-5", "OKI-1"]),
        # Words of the code, title or text (tracker.filters), not of topics or narratives.
        ("q=okinawa", ["OKI-1"]),
        ("q=Missile+DEFENSE", ["SEC-7"]),
        ("q=defense+MISSILE", ["SEC-7"]),
        ("q=sec-7", ["SEC-7"]),
        (
            "grade=substantial-progress&actor=united-states",
            ["SEC-5", "INT-1", "INT-2", "INT-3", "INT-4"],
        ),
        ("grade=ungraded", []),
    ],
)
def test_scorecard_filters_are_plain_get_parameters(demo, client, query, codes):
    response = client.get(f"{SCORECARD}?{query}")
    assert response.status_code == 200
    assert row_codes(response.text) == codes


@pytest.mark.parametrize(
    ("query", "permalink", "codes"),
    [
        ("area=&grade=&actor=&topic=&q=&as_of=", SCORECARD, ALL_CODES),
        (
            "q=&area=&grade=slow-progress&actor=&topic=&as_of=",
            f"{SCORECARD}?grade=slow-progress",
            ["POL-1", "SEC-2", "ECO-5", "DIP-2", "DIP-4"],
        ),
        ("q=+++&utm_source=x", f"{SCORECARD}?utm_source=x", ALL_CODES),
    ],
)
def test_the_filter_form_leads_to_the_permalink_without_its_blank_fields(
    demo, client, query, permalink, codes
):
    # The form sends "All areas" as `area=`; the filters take an empty value for a mistake
    # (a 400 on the API and the exports), so the page goes on to its permalink without it.
    response = client.get(f"{SCORECARD}?{query}")

    assert (response.status_code, response["Location"]) == (302, permalink)
    assert row_codes(client.get(permalink).text) == codes


def test_filter_options_count_current_published_grades(demo, client):
    html = client.get(SCORECARD).text
    assert '<option value="slow-progress">Slow progress (5)</option>' in html
    assert '<option value="ungraded">Not yet graded (0)</option>' in html
    assert '<option value="japan">Japan (5)</option>' in html


def test_as_of_shows_the_scorecard_as_it_stood_then(demo, client):
    html = client.get(f"{SCORECARD}?as_of=2005-01-01").text

    assert 'as it stood on <time datetime="2005-01-01">January 1, 2005</time>' in html
    assert ">Substantial progress</span>" in row_of(html, "SEC-7")
    assert row_codes(client.get(f"{SCORECARD}?as_of=2005-01-01&grade=accomplished").text) == [
        "SEC-1"
    ]
    before = client.get(f"{SCORECARD}?as_of=2003-01-01").text
    assert row_codes(before) == ALL_CODES
    assert before.count('<span class="badge badge-ungraded">Not yet graded</span>') == 25 + 1


@pytest.mark.parametrize(
    ("query", "parameter", "words"),
    [
        ("as_of=2004-13-01", "as_of", "“2004-13-01” is not a date"),
        ("as_of=yesterday", "as_of", "“yesterday” is not a date"),
        ("as_of=2999-01-01", "as_of", "2999-01-01 is in the future"),
        ("grade=excellent", "grade", "There is no grade “excellent” here"),
        ("area=nowhere", "area", "There is no area “nowhere” here"),
        ("actor=china", "actor", "There is no responsible actor “china” here"),
        ("topic=whaling", "topic", "There is no topic “whaling” here"),
        ("q=" + "x" * 201, "q", "The search text is too long"),
    ],
)
def test_bad_parameters_get_a_400_page_naming_them(demo, client, query, parameter, words):
    response = client.get(f"{SCORECARD}?{query}")

    assert response.status_code == 400
    assert f"<strong>{parameter}</strong>: {words}" in response.text
    assert f'<a href="{SCORECARD}">Open the page without it</a>' in response.text


# --- One recommendation ---------------------------------------------------------------------


def test_recommendation_page_quotes_the_text_and_cites_the_report(demo, client):
    html = client.get(f"{SCORECARD}sec-2/").text

    assert '<h1 id="rec-heading">Implement the revised Defense Cooperation Guidelines</h1>' in html
    assert (
        "Diligent implementation of the revised Guidelines for U.S.-Japan Defense Cooperation, "
        "including passage of crisis management legislation." in html
    )
    assert "Institute for National Strategic Studies Special Report, October 11, 2000" in html
    assert '<span class="badge grade-' in html
    assert 'badge-large">Slow progress</span>' in html


def test_recommendation_page_shows_its_history_with_evidence(demo, client):
    html = client.get(f"{SCORECARD}sec-7/").text
    history = html[html.index('id="history-heading"') :]

    dates = re.findall(r'<h3 id="evaluation-\d+-heading"><time datetime="([0-9-]+)"', history)
    assert dates == ["2004-04-26", "2008-01-15"]
    assert "raised from Substantial progress" in history
    # The evaluator's own wording, the narrative and every cited passage.
    assert "“Substantial progress”" in history
    assert "On March 26, 2004, the Diet approved $1 billion for missile defense" in history
    assert (
        history.count('<span class="stance stance-')
        == EvidenceLink.objects.filter(
            evaluation__recommendation__code="SEC-7", evaluation__status=Status.PUBLISHED
        ).count()
    )
    assert (
        "Balbina Hwang, <cite>A New Security Agenda for the U.S.-Japan Alliance</cite>, "
        'The Heritage Foundation, <time datetime="2004-04-26">April 26, 2004</time>' in history
    )


def test_recommendation_page_draws_the_grade_over_time(demo, client):
    html = client.get(f"{SCORECARD}dip-4/").text

    start = html.index('<svg class="history-chart"')
    chart = html[start : html.index("</figure>", start)]
    assert chart.count("<title>") == 2  # one mark per published evaluation
    assert "<title>2004-04-26: Substantial progress (Balbina Hwang" in chart
    assert "<title>2008-01-15: Slow progress (Scorecard editors (sample))</title>" in chart
    # The same history as a table, for everyone, behind a "Show as table" disclosure.
    table = html[html.index('<details class="chart-table">') :]
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td>([^<]+)</td>", table)
    assert rows == [
        ("April 26, 2004", "Substantial progress"),
        ("January 15, 2008", "Slow progress"),
    ]


def test_recommendation_page_sets_evaluators_side_by_side(demo, client):
    html = client.get(f"{SCORECARD}dip-4/").text
    side = html[html.index('id="evaluators-heading"') : html.index('id="chart-heading"')]
    names = re.findall(r'<th scope="row"><svg.*?</svg>([^<]+)</th>', side)
    assert names == ["Balbina Hwang (The Heritage Foundation)", "Scorecard editors (sample)"]


def test_recommendation_page_links_related_recommendations(demo, client):
    html = client.get(f"{SCORECARD}pol-1/").text
    related = html[html.index('id="related-heading"') :]
    assert 'Reiterated by <a href="/reports/heritage-2004/her-1/">' in related
    assert 'Related to <a href="/reports/heritage-2004/her-2/">' in related

    back = client.get("/reports/heritage-2004/her-1/").text
    assert 'Reiterates <a href="/reports/armitage-nye-2000/pol-1/">' in back
    assert ">Slow progress</span>" in back[back.index('id="related-heading"') :]


def test_evidence_links_to_the_source_and_its_archived_copy(demo, client):
    recommendation = Recommendation.objects.get(report=demo, code="ECO-2")
    source = Source.objects.create(
        key="boj-2009",
        title="Monetary Policy Report",
        publisher="Bank of Japan",
        published_on=datetime.date(2009, 4, 30),
        url="https://www.boj.or.jp/en/report.htm",
        archived_url="https://web.archive.org/web/2009/https://www.boj.or.jp/en/report.htm",
        kind="government",
    )
    evaluation = services.record_evaluation(
        recommendation=recommendation,
        evaluator=Evaluator.objects.get(slug="scorecard-editors-sample"),
        grade=Grade.objects.get(scale=demo.grade_scale, slug="slow-progress"),
        as_of=datetime.date(2009, 5, 1),
        narrative="Stimulus resumed.",
        evidence=[{"source": source, "quote": "The Bank eased policy.", "page": "4"}],
    )
    services.publish_evaluation(evaluation=evaluation)

    html = client.get(f"{SCORECARD}eco-2/").text

    assert '<a href="https://www.boj.or.jp/en/report.htm" rel="noopener">Read the source' in html
    assert (
        '<a href="https://web.archive.org/web/2009/https://www.boj.or.jp/en/report.htm" '
        'rel="noopener">Archived copy' in html
    )
    assert "“The Bank eased policy.”" in html
    assert 'Bank of Japan, <time datetime="2009-04-30">April 30, 2009</time>, p. 4' in html


def test_pages_only_answer_reads(demo, client):
    assert client.post(SCORECARD).status_code == 405
    assert client.head(SCORECARD).status_code == 200


def test_a_code_in_capitals_redirects_to_the_canonical_address(demo, client):
    response = client.get(f"{SCORECARD}SEC-7/")
    assert (response.status_code, response["Location"]) == (301, f"{SCORECARD}sec-7/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"{SCORECARD}sec-99/",
            "There is no recommendation SEC-99 in the report “armitage-nye-2000”.",
        ),
        ("/reports/no-such-report/", "There is no report “no-such-report”."),
        ("/editions/no-such-edition/", "There is no published edition “no-such-edition”."),
        ("/no/such/page/", ""),
    ],
)
def test_not_found_pages_say_what_is_missing_and_show_no_internals(demo, client, url, message):
    response = client.get(url)

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    if message:
        assert f'<p class="problem">{message}</p>' in response.text
    assert "Traceback" not in response.text
    assert "Resolver404" not in response.text


# --- Editions -------------------------------------------------------------------------------


def test_edition_page_shows_the_frozen_grades(demo, client):
    html = client.get("/editions/2004-report-card/").text

    assert "<h1>2004 report card</h1>" in html
    assert row_codes(html) == ALL_CODES
    assert ">Substantial progress</span>" in row_of(html, "SEC-7")
    assert "What changed by 2008 evidence review" in html


def test_editions_index_lists_published_editions_with_comparisons(demo, client):
    Edition.objects.create(
        report=demo, slug="draft-edition", name="Unpublished draft", as_of=datetime.date(2009, 1, 1)
    )
    html = client.get("/editions/").text

    assert re.findall(r'<a href="/editions/([a-z0-9-]+)/">', html) == [
        "2004-report-card",
        "2008-evidence-review",
    ]
    assert "/editions/2004-report-card/compare/2008-evidence-review/" in html
    assert client.get("/editions/draft-edition/").status_code == 404


def test_compare_groups_recommendations_by_what_changed(demo, client):
    html = client.get("/editions/2004-report-card/compare/2008-evidence-review/").text

    assert row_codes(section(html, "improved")) == ["SEC-5", "SEC-7", "OKI-1", "DIP-1", "DIP-6"]
    assert row_codes(section(html, "declined")) == ["DIP-4"]
    assert len(row_codes(section(html, "unchanged"))) == 19
    assert 'id="newly-graded"' not in html
    declined = row_of(section(html, "declined"), "DIP-4")
    assert "▼ down 2 levels" in declined
    assert declined.index("Substantial progress") < declined.index("Slow progress")


def test_compare_the_other_way_round_swaps_improved_and_declined(demo, client):
    html = client.get("/editions/2008-evidence-review/compare/2004-report-card/").text
    assert row_codes(section(html, "improved")) == ["DIP-4"]
    assert row_codes(section(html, "declined")) == ["SEC-5", "SEC-7", "OKI-1", "DIP-1", "DIP-6"]


def test_an_edition_compared_with_itself_is_all_unchanged_on_the_page_and_the_api(demo, client):
    url = "/editions/2004-report-card/compare/2004-report-card/"
    page = client.get(url)
    api = client.get(f"/api/v1{url}")

    assert page.status_code == 200
    assert api.status_code == 200
    assert "This compares 2004 report card with itself, so every grade is unchanged." in page.text
    assert api.json()["counts"] == {
        "improved": 0,
        "declined": 0,
        "unchanged": 25,
        "newly_graded": 0,
        "no_longer_graded": 0,
        "never_graded": 0,
    }
    assert sorted(row_codes(section(page.text, "unchanged"))) == sorted(
        change["recommendation"]["code"] for change in api.json()["changes"]
    )
    assert 'id="improved"' not in page.text
    # The way out leads to a real comparison, not back to this page.
    assert 'href="#other-comparisons"' in page.text
    assert "/editions/2004-report-card/compare/2008-evidence-review/" in page.text


def test_compare_refuses_editions_of_different_reports(demo, client):
    other = factories.make_report("other", demo.grade_scale)
    rec = factories.make_recommendation(other)
    factories.make_evaluation(rec, "accomplished", as_of=datetime.date(2005, 1, 1))
    services.publish_edition(
        report=other, slug="other-2005", name="Other 2005", as_of=datetime.date(2005, 1, 1)
    )

    response = client.get("/editions/2004-report-card/compare/other-2005/")

    assert response.status_code == 400
    assert "grade different reports" in response.text


# --- Markup every page shares ---------------------------------------------------------------

PAGES = [
    "/",
    "/editions/",
    SCORECARD,
    f"{SCORECARD}?as_of=2005-01-01&grade=slow-progress",
    f"{SCORECARD}sec-7/",
    f"{SCORECARD}dip-4/",
    "/reports/heritage-2004/her-1/",
    "/editions/2008-evidence-review/",
    "/editions/2004-report-card/compare/2008-evidence-review/",
    f"{SCORECARD}?as_of=not-a-date",
    "/no/such/page/",
]


class _Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


@pytest.mark.parametrize("url", PAGES)
def test_pages_obey_the_content_security_policy(demo, client, url):
    html = client.get(url).text
    assert "<script" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert "javascript:" not in html


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_landmarks_and_an_ordered_outline(demo, client, url):
    outline = _Outline()
    outline.feed(client.get(url).text)
    tags = [tag for tag, _ in outline.tags]

    assert outline.tags[0] == ("html", {"lang": "en"})
    assert ("a", {"class": "skip-link", "href": "#main"}) in outline.tags
    assert tags.count("main") == 1
    assert "header" in tags
    assert "footer" in tags
    assert outline.headings[0] == 1
    assert outline.headings.count(1) == 1
    # A heading never skips a level on the way down.
    for before, after in zip(outline.headings, outline.headings[1:], strict=False):
        assert after <= before + 1, outline.headings
    for tag, attrs in outline.tags:
        if tag == "img":
            assert attrs.get("alt")
        if tag == "th":
            assert attrs.get("scope") in {"col", "row"}
    assert tags.count("table") == tags.count("caption")


# --- The editors' preview -------------------------------------------------------------------


def _render_preview(recommendation, **kwargs) -> str:
    request = RequestFactory().get("/admin/preview/")
    context = recommendation_page_context(recommendation, **kwargs)
    return render_to_string("scorecard/recommendation.html", context, request=request)


def test_preview_shows_a_draft_as_if_published_and_says_so(demo):
    recommendation = Recommendation.objects.get(report=demo, code="SEC-3")
    draft = factories.make_evaluation(
        recommendation,
        "accomplished",
        as_of=datetime.date(2009, 1, 1),
        status=Status.DRAFT,
        narrative="Draft narrative for the preview.",
    )

    html = _render_preview(recommendation, preview=draft)

    assert "Preview — not published" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "Draft narrative for the preview." in html
    assert 'badge-large">Accomplished</span>' in html  # the draft would be the current grade
    assert f'id="evaluation-{draft.pk}"' in html


def test_preview_of_an_unsaved_evaluation_with_its_evidence(demo):
    recommendation = Recommendation.objects.get(report=demo, code="SEC-3")
    source = Source.objects.get(key="hwang-2004-new-security-agenda")
    unsaved = Evaluation(
        recommendation=recommendation,
        evaluator=Evaluator.objects.get(slug="scorecard-editors-sample"),
        grade=Grade.objects.get(scale=demo.grade_scale, slug="setback"),
        as_of=datetime.date(2003, 1, 1),
        narrative="Earlier than everything else.",
    )
    evidence = [EvidenceLink(source=source, quote="An unsaved passage.", stance="context")]

    html = _render_preview(recommendation, preview=unsaved, preview_evidence=evidence)

    assert 'id="evaluation-preview"' in html
    assert "An unsaved passage." in html
    # Dated before the published 2004 grade, so it is history, not the current grade.
    dates = re.findall(r'<h3 id="evaluation-\d+-heading"><time datetime="([0-9-]+)"', html)
    assert dates == ["2003-01-01", "2004-04-26"]
    assert 'badge-large">Ongoing progress</span>' in html


def test_the_public_page_never_shows_that_draft(demo, client):
    recommendation = Recommendation.objects.get(report=demo, code="SEC-3")
    factories.make_evaluation(
        recommendation,
        "accomplished",
        as_of=datetime.date(2009, 1, 1),
        status=Status.DRAFT,
        narrative="Draft narrative for the preview.",
    )
    html = client.get(f"{SCORECARD}sec-3/").text
    assert "Draft narrative" not in html
    assert "Preview" not in html


@pytest.mark.parametrize("code", ["sec-7", "new-1"])
def test_the_badge_image_on_the_page_has_the_badges_own_size(demo, client, code):
    factories.make_recommendation(demo, code="NEW-1")  # never graded
    html = client.get(f"{SCORECARD}{code}/").text
    svg = client.get(f"{SCORECARD}{code}/badge.svg").text

    size = re.search(r'<img src="[^"]*badge.svg" width="(\d+)" height="(\d+)"', html).groups()
    assert size == re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg).groups()
