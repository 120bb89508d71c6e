"""Every public page in English at its old URL and in Japanese under /ja/: the page names its
language, its alternates and its counterpart, and no cache or ETag mixes the two."""

import datetime
import re

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from scorecard import response_cache

SITE = "http://testserver"
# One URL per page type that base.html frames (the follow form, the 400 and the 404 too).
PAGE_TYPES = [
    "/",
    "/reports/armitage-nye-2000/",
    "/reports/armitage-nye-2000/dip-4/",
    "/editions/",
    "/editions/2004-report-card/",
    "/editions/2004-report-card/compare/2008-evidence-review/",
    "/actors/",
    "/actors/united-states/",
    "/search/",
    "/search/?q=missile+defense",
    "/follow/",
]
FEEDS_AND_EXPORTS = [
    "/feed/",
    "/reports/armitage-nye-2000/feed/",
    "/reports/armitage-nye-2000/export.csv",
    "/reports/armitage-nye-2000/export.json",
    "/reports/armitage-nye-2000/evaluations.csv",
    "/reports/armitage-nye-2000/evidence.csv",
    "/reports/armitage-nye-2000/sec-7/badge.svg",
]


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


def alternates(response) -> list[tuple[str, str]]:
    return re.findall(
        r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', response.content.decode()
    )


def switch(response) -> list[tuple[str, str, str, str]]:
    """(href, hreflang, lang, text) of each link of the language switch."""
    found = re.search(
        r'<nav class="language-switch" aria-label="([^"]+)">(.*?)</nav>',
        response.content.decode(),
        flags=re.DOTALL,
    )
    if found is None:
        return []
    return re.findall(
        r'<a href="([^"]+)" hreflang="([^"]+)" lang="([^"]+)">([^<]+)</a>', found.group(2)
    )


def unescaped(url: str) -> str:
    return url.replace("&amp;", "&")


@pytest.mark.parametrize("url", PAGE_TYPES)
def test_each_page_in_japanese_names_its_language_alternates_and_english_counterpart(demo, url):
    english, japanese = Client().get(url), Client().get(f"/ja{url}")

    assert (english.status_code, japanese.status_code) == (200, 200)
    assert (html_lang(english), html_lang(japanese)) == ("en", "ja")
    assert (english["Content-Language"], japanese["Content-Language"]) == ("en", "ja")
    expected = [("en", SITE + url), ("x-default", SITE + url), ("ja", f"{SITE}/ja{url}")]
    assert [(code, unescaped(href)) for code, href in alternates(english)] == expected
    assert [(code, unescaped(href)) for code, href in alternates(japanese)] == expected
    assert [(unescaped(href), *rest) for href, *rest in switch(english)] == [
        (f"/ja{url}", "ja", "ja", "日本語")
    ]
    assert [(unescaped(href), *rest) for href, *rest in switch(japanese)] == [
        (url, "en", "en", "English")
    ]


def test_the_japanese_page_is_in_japanese_and_links_within_japanese(demo, client):
    page = client.get("/ja/reports/armitage-nye-2000/").content.decode()

    assert '<a class="skip-link" href="#main">本文へ移動</a>' in page
    assert '<nav class="language-switch" aria-label="言語">' in page
    assert '<li><a href="/ja/editions/">版</a></li>' in page
    assert 'action="/ja/search/"' in page
    assert '<link rel="stylesheet" href="/grades.css">' in page  # no words: one stylesheet
    assert '<li><a href="/api/docs/">API</a></li>' in page  # the API stays in English


def test_the_switch_keeps_the_query_string_and_the_parameters_are_in_one_order(demo, client):
    response = client.get("/reports/armitage-nye-2000/?grade=slow-progress&area=security")

    assert [unescaped(href) for href, *_ in switch(response)] == [
        "/ja/reports/armitage-nye-2000/?area=security&grade=slow-progress"
    ]
    assert [unescaped(href) for _, href in alternates(response)][2] == (
        f"{SITE}/ja/reports/armitage-nye-2000/?area=security&grade=slow-progress"
    )


def test_a_bad_parameter_and_a_missing_page_switch_to_the_same_address(demo, client):
    bad = client.get("/ja/reports/armitage-nye-2000/?grade=no-such-grade")
    missing = client.get("/ja/reports/armitage-nye-2000/no-such-code/")

    assert (bad.status_code, html_lang(bad)) == (400, "ja")
    assert [href for href, *_ in switch(bad)] == ["/reports/armitage-nye-2000/?grade=no-such-grade"]
    assert (missing.status_code, html_lang(missing)) == (404, "ja")
    assert [href for href, *_ in switch(missing)] == ["/reports/armitage-nye-2000/no-such-code/"]


@pytest.mark.parametrize("url", FEEDS_AND_EXPORTS)
def test_feeds_exports_and_badges_exist_in_japanese_too(demo, url):
    response = Client().get(f"/ja{url}")

    assert response.status_code == 200
    assert response["Content-Language"] == "ja"


def test_the_language_is_the_paths_never_the_browsers(demo):
    # English URLs are cited: whatever the reader's browser or cookie asks for, they stay
    # English, so no response varies on Accept-Language.
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.cookies["django_language"] = "ja"
    english = client.get("/reports/armitage-nye-2000/")
    japanese = Client(HTTP_ACCEPT_LANGUAGE="en").get("/ja/reports/armitage-nye-2000/")

    assert (html_lang(english), english["Content-Language"]) == ("en", "en")
    assert (html_lang(japanese), japanese["Content-Language"]) == ("ja", "ja")
    assert "accept-language" not in english.get("Vary", "").lower()
    assert "accept-language" not in japanese.get("Vary", "").lower()


def test_the_api_the_admin_and_the_stylesheet_have_no_japanese_address(demo, client):
    assert client.get("/api/v1/reports/").status_code == 200
    assert client.get("/api/v1/reports/")["Content-Language"] == "en"
    assert client.get("/ja/api/v1/reports/").status_code == 404
    assert client.get("/ja/admin/").status_code == 404
    assert client.get("/grades.css").status_code == 200
    assert client.get("/ja/grades.css").status_code == 404
    # The API's documentation has no switch: it is in one language.
    assert switch(client.get("/api/docs/")) == []


def test_a_japanese_request_after_an_english_one_is_not_served_the_english_page(
    demo, django_assert_num_queries
):
    client = Client()
    english = client.get("/reports/armitage-nye-2000/")

    # Not a kept answer (that would cost one query): rendered, in Japanese (the scorecard's
    # 14 queries, tests/test_public_query_counts.py, and the query of its translations).
    with django_assert_num_queries(15):
        japanese = client.get("/ja/reports/armitage-nye-2000/")
    with django_assert_num_queries(1):
        japanese_again = client.get("/ja/reports/armitage-nye-2000/")
    with django_assert_num_queries(1):
        english_again = client.get("/reports/armitage-nye-2000/")

    assert html_lang(japanese) == html_lang(japanese_again) == "ja"
    assert japanese.content == japanese_again.content != english.content
    assert english_again.content == english.content
    assert english["ETag"] != japanese["ETag"]
    assert (japanese_again["ETag"], english_again["ETag"]) == (japanese["ETag"], english["ETag"])


def test_the_english_etag_does_not_revalidate_the_japanese_page(demo, client):
    english = client.get("/editions/")

    japanese = client.get("/ja/editions/", HTTP_IF_NONE_MATCH=english["ETag"])
    english_again = client.get("/editions/", HTTP_IF_NONE_MATCH=english["ETag"])

    assert (japanese.status_code, html_lang(japanese)) == (200, "ja")
    assert english_again.status_code == 304


def test_a_changed_translation_is_a_new_code_version():
    # Kept pages and ETags are keyed by the code's version: the catalogues are part of it,
    # so a deployment that only changes a translation serves no page kept before it.
    assert "locale/ja/LC_MESSAGES/django.po" in response_cache.versioned_files()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "April 26, 2004 · Apr 26, 2004 · April 2004 · 1,234,567"),
        ("ja", "2004年4月26日 · 2004年4月26日 · 2004年4月 · 1,234,567"),
    ],
)
def test_dates_and_numbers_are_written_for_the_language(language, expected):
    template = Template(
        '{% load humanize scorecard_dates %}{{ day|page_date }} · {{ day|page_date:"short" }} · '
        '{{ day|page_date:"month" }} · {{ count|intcomma }}'
    )
    with translation.override(language):
        shown = template.render(Context({"day": datetime.date(2004, 4, 26), "count": 1234567}))

    assert shown == expected


def test_the_editors_dates_stay_as_they_were():
    # The admin's one way of writing dates (tracker/formats/) is untouched by the pages'.
    template = Template('{{ day|date:"DATE_FORMAT" }}')
    with translation.override("en"):
        assert template.render(Context({"day": datetime.date(2004, 4, 26)})) == "26 Apr 2004"


def test_a_missing_address_switches_to_itself_percent_encoded(demo, client):
    missing = client.get("/ja/報告/")

    assert missing.status_code == 404
    assert switch(missing) == [("/%E5%A0%B1%E5%91%8A/", "en", "en", "English")]
