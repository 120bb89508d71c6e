"""The API answers in the language asked for (issue 15, partners).

`?lang=` wins, then Accept-Language by q-value, then English. Every answer says its language
(`Content-Language`) and varies on Accept-Language; messages for people are translated,
what programs read (field names, codes, slugs) never is; the response cache and the ETags
keep the languages apart; the schema documents the choice once for every operation; the
feeds in Japanese are other feeds, with other Atom ids.
"""

import feedparser
import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from scorecard import response_cache
from tests.api_support import client_as
from tests.conftest import DEMO_FILES
from tracker import services
from tracker.models import Translation

REPORTS = "/api/v1/reports/"
LIST = "/api/v1/recommendations/?page_size=10"
NO_LANGUAGE = "「xx」はこのAPIで使える言語ではありません。次のいずれかを選んでください：en, ja。"


def ask(url: str, **headers: str):
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return APIClient().get(url, **meta)


def vary(response) -> list[str]:
    return [value.strip() for value in response["Vary"].split(",")]


@pytest.mark.parametrize(
    ("url", "accept_language", "expected"),
    [
        (REPORTS, None, "en"),
        (REPORTS, "ja", "ja"),
        (REPORTS, "ja-JP,ja;q=0.9", "ja"),
        (REPORTS, "fr, ja;q=0.5, en;q=0.4", "ja"),
        (REPORTS, "en;q=0.4, ja;q=0.8", "ja"),
        (REPORTS, "ja;q=0, en", "en"),  # q=0: not acceptable
        (REPORTS, "ja;q=0", "en"),
        (REPORTS, "fr, de", "en"),
        (REPORTS, "*", "en"),
        (REPORTS, "not a header ;;; q=x", "en"),
        (f"{REPORTS}?lang=ja", "en", "ja"),  # the parameter wins
        (f"{REPORTS}?lang=en", "ja", "en"),
        (f"{REPORTS}?lang=JA", None, "ja"),
    ],
)
def test_the_language_is_lang_then_accept_language_then_english(
    demo, url, accept_language, expected
):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = ask(url, **headers)

    assert response.status_code == 200
    assert response["Content-Language"] == expected
    # Accept-Language joins the Vary the API always sent (accounts see drafts).
    assert {"Accept", "Authorization", "Cookie", "Accept-Language"} <= set(vary(response))


def test_an_unknown_lang_is_a_400_naming_it_and_the_languages_offered(demo):
    english = ask(f"{REPORTS}?lang=fr")
    japanese = ask(f"{REPORTS}?lang=xx", **{"Accept-Language": "ja"})

    assert english.status_code == japanese.status_code == 400
    assert orjson.loads(english.content) == {
        "detail": "lang: “fr” is not a language of this API. Choose one of: en, ja.",
        "code": "invalid",
        "errors": {"lang": ["“fr” is not a language of this API. Choose one of: en, ja."]},
    }
    # Said in the language the client reads best, Accept-Language's.
    assert orjson.loads(japanese.content) == {
        "detail": f"lang: {NO_LANGUAGE}",
        "code": "invalid",
        "errors": {"lang": [NO_LANGUAGE]},
    }
    assert (english["Content-Language"], japanese["Content-Language"]) == ("en", "ja")
    assert "Accept-Language" in vary(japanese)


def test_an_unknown_lang_is_refused_with_cors_headers_a_browser_can_read(demo):
    response = APIClient().get(f"{REPORTS}?lang=fr", HTTP_ORIGIN="https://partner.example")

    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == "*"


def test_japanese_error_bodies_decode_and_keep_their_machine_parts(demo):
    # A filter's message (tracker/filters.py), a lazy message (the search's `q`), a 404 of
    # a view and the 404 of an address naming nothing: bytes orjson wrote, and read back.
    bad_date = ask("/api/v1/recommendations/?as_of=2004-13-45&lang=ja")
    search = ask("/api/v1/search/?lang=ja")
    missing = ask("/api/v1/reports/no-such-report/?lang=ja")
    nowhere = ask("/api/v1/no-such-thing/?lang=ja")

    assert orjson.loads(bad_date.content) == {
        "detail": "as_of: 「2004-13-45」は日付ではありません。YYYY-MM-DDの形式で書いてください"
        "（例：2004-04-26）。",
        "code": "invalid",
        "errors": {
            "as_of": [
                "「2004-13-45」は日付ではありません。YYYY-MM-DDの形式で書いてください"
                "（例：2004-04-26）。"
            ]
        },
    }
    assert orjson.loads(search.content)["errors"] == {
        "q": ["検索する語を指定してください（例：`q=missile defense`）。"]
    }
    assert orjson.loads(missing.content) == {
        "detail": "報告書「no-such-report」は見つかりません。",
        "code": "not_found",
        "errors": {},
    }
    assert orjson.loads(nowhere.content) == {
        "detail": "このアドレスにAPIのリソースはありません。説明は /api/docs/ にあります。",
        "code": "not_found",
        "errors": {},
    }
    assert [r.status_code for r in (bad_date, search, missing, nowhere)] == [400, 400, 404, 404]
    assert {r["Content-Language"] for r in (bad_date, search, missing, nowhere)} == {"ja"}


def test_the_same_error_in_both_languages_differs_only_in_its_messages(demo):
    url = "/api/v1/recommendations/?grade=no-such-grade&as_of=tomorrow"
    english, japanese = (orjson.loads(ask(f"{url}&lang={code}").content) for code in ("en", "ja"))

    assert english["code"] == japanese["code"] == "invalid"
    # Every bad parameter, named as it is sent, in the same order.
    assert list(english["errors"]) == list(japanese["errors"]) == ["grade", "as_of"]
    assert english["errors"]["as_of"] == [
        "“tomorrow” is not a date. Write the date as YYYY-MM-DD, e.g. 2004-04-26."
    ]
    assert japanese["errors"]["as_of"] == [
        "「tomorrow」は日付ではありません。YYYY-MM-DDの形式で書いてください（例：2004-04-26）。"
    ]


def test_an_unknown_slug_lists_the_slugs_as_they_are_sent(demo):
    body = orjson.loads(ask("/api/v1/evaluations/?grade=no-such&lang=ja").content)

    (message,) = body["errors"]["grade"]
    assert message.startswith(
        "評価区分「no-such」はここにはありません。次のいずれかを選んでください："
    )
    # The values to send are the same in every language.
    english = orjson.loads(ask("/api/v1/evaluations/?grade=no-such").content)
    assert message.split("：", 1)[1].rstrip("。") == (
        english["errors"]["grade"][0].split("Choose one of: ", 1)[1].rstrip(".")
    )


def test_405_and_429_are_in_the_language_asked_for(demo, settings):
    refused = APIClient().delete(f"{REPORTS}?lang=ja")
    assert refused.status_code == 405
    assert orjson.loads(refused.content)["code"] == "method_not_allowed"
    assert orjson.loads(refused.content)["detail"] == 'メソッド "DELETE" は許されていません。'

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/hour", "partner": "1/hour"},
    }
    client = APIClient(HTTP_ACCEPT_LANGUAGE="ja")
    statuses = [client.get(f"/api/v1/areas/?n={n}").status_code for n in range(2)]
    throttled = client.get("/api/v1/areas/?n=3")

    assert [*statuses[1:], throttled.status_code] == [429, 429]
    body = orjson.loads(throttled.content)
    seconds = int(throttled["Retry-After"])
    assert body == {
        "detail": f"リクエストが多すぎます。{seconds}秒後にもう一度お試しください（Retry-After）。",
        "code": "throttled",
        "errors": {},
    }


def test_an_invalid_token_is_told_in_the_language_asked_for(demo):
    client = APIClient(HTTP_AUTHORIZATION="Token not-a-token", HTTP_ACCEPT_LANGUAGE="ja")
    response = client.get(REPORTS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert orjson.loads(response.content) == {
        "detail": "このトークンは無効です。アカウントに発行されたキーを "
        "`Authorization: Token <key>` の形で送るか、匿名で読む場合はAuthorizationヘッダを"
        "送らないでください。",
        "code": "authentication_failed",
        "errors": {},
    }


def _without_notes(body):
    """A Japanese body less its (empty) `translations` notes: what English says."""
    if isinstance(body, list):
        return [_without_notes(item) for item in body]
    if isinstance(body, dict):
        assert body.get("translations", {}) == {}
        return {key: _without_notes(value) for key, value in body.items() if key != "translations"}
    return body


def test_data_are_the_same_in_every_language_but_their_translations(demo):
    # Without translations a body holds the same data in every language (with `?lang=`, the
    # `next` link keeps it: the next page is in the same language).
    Translation.objects.all().delete()
    english, japanese = ask(LIST), ask(LIST, **{"Accept-Language": "ja"})
    assert orjson.loads(english.content) == _without_notes(orjson.loads(japanese.content))

    # The demo's translations (tests/test_api_translations.py): the texts in Japanese, each
    # named with its original; codes, slugs and numbers the same.
    services.import_scorecard(files=DEMO_FILES)
    response_cache.clear(shared=True)
    english, japanese = ask(LIST), ask(LIST, **{"Accept-Language": "ja"})
    en, ja = orjson.loads(english.content), orjson.loads(japanese.content)
    assert [r["code"] for r in ja["results"]] == [r["code"] for r in en["results"]]
    pairs = [(e, j) for e, j in zip(en["results"], ja["results"], strict=True)]
    assert all(j["translations"]["title"]["original"] == e["title"] for e, j in pairs)
    assert all(j["title"] != e["title"] for e, j in pairs)
    assert all("translations" not in e for e, _j in pairs)  # English: as it always was


def test_etags_and_the_response_cache_keep_the_languages_apart(demo):
    Translation.objects.all().delete()  # the same data in both languages
    client = APIClient()
    english = client.get(LIST)
    japanese = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja")
    en_tag, ja_tag = english["ETag"], japanese["ETag"]

    # The same data, two representations: two tags.
    assert orjson.loads(english.content) == _without_notes(orjson.loads(japanese.content))
    assert en_tag != ja_tag
    # Each tag is current for its own language only.
    statuses = [
        client.get(LIST, HTTP_IF_NONE_MATCH=en_tag).status_code,
        client.get(LIST, HTTP_IF_NONE_MATCH=ja_tag).status_code,
        client.get(LIST, HTTP_IF_NONE_MATCH=ja_tag, HTTP_ACCEPT_LANGUAGE="ja").status_code,
        client.get(LIST, HTTP_IF_NONE_MATCH=en_tag, HTTP_ACCEPT_LANGUAGE="ja").status_code,
    ]
    assert statuses == [304, 200, 304, 200]
    # Both answers are kept now; each language is served its own.
    again_en = client.get(LIST)
    again_ja = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja")
    assert (again_en["Content-Language"], again_en["ETag"]) == ("en", en_tag)
    assert (again_ja["Content-Language"], again_ja["ETag"]) == ("ja", ja_tag)


def test_a_japanese_answer_kept_first_is_never_served_to_an_english_request(demo):
    client = APIClient()
    url = "/api/v1/reports/armitage-nye-2000/"
    kept = client.get(url, HTTP_ACCEPT_LANGUAGE="ja")
    response_cache.clear(shared=False)  # the next answer must come from the shared cache
    english = client.get(url)

    assert (kept["Content-Language"], english["Content-Language"]) == ("ja", "en")
    assert english["ETag"] != kept["ETag"]


def test_a_list_costs_the_same_queries_in_both_languages(demo, django_assert_num_queries):
    with CaptureQueriesContext(connection) as english:
        assert ask(LIST).status_code == 200
    # One more in Japanese: the page's translations, all of them at once.
    with django_assert_num_queries(len(english) + 1):
        assert ask(LIST, **{"Accept-Language": "ja"}).status_code == 200


def test_the_schema_documents_lang_and_accept_language_once_for_every_operation(db):
    schema = orjson.loads(client_as("anonymous").get("/api/schema/?format=json").content)

    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert operations
    for path, method, operation in operations:
        names = [(p["in"], p["name"]) for p in operation["parameters"]]
        assert names.count(("query", "lang")) == 1, (path, method)
        assert names.count(("header", "Accept-Language")) == 1, (path, method)
        assert "400" in operation["responses"], (path, method)
    lang = next(p for p in operations[0][2]["parameters"] if p["name"] == "lang")
    assert lang["schema"] == {"type": "string", "enum": ["en", "ja"]}
    assert "## Languages" in schema["info"]["description"]


def test_the_schema_in_japanese_is_kept_apart_from_the_english_one(db):
    client = APIClient()
    english = client.get("/api/schema/?format=json")
    japanese = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="ja")
    again = client.get("/api/schema/?format=json")

    assert (english["Content-Language"], japanese["Content-Language"]) == ("en", "ja")
    assert again.content == english.content


@pytest.mark.parametrize("path", ["/feed/", "/reports/armitage-nye-2000/feed/"])
def test_a_feed_in_japanese_has_its_own_ids_and_the_english_keep_theirs(demo, client, path):
    english = feedparser.parse(client.get(path).content)
    japanese = feedparser.parse(client.get(f"/ja{path}").content)

    assert (english.bozo, japanese.bozo) == (False, False)
    english_ids = [entry.id for entry in english.entries]
    japanese_ids = [entry.id for entry in japanese.entries]
    assert len(english_ids) == len(japanese_ids) == 34
    # English ids are permanent: as they always were.
    assert all(i.startswith("tag:localhost,2026:evaluation/") for i in english_ids)
    assert japanese_ids == [
        i.replace("tag:localhost,2026:", "tag:localhost,2026:ja/") for i in english_ids
    ]
    assert set(english_ids).isdisjoint(japanese_ids)
    feed = "report/armitage-nye-2000/feed" if path != "/feed/" else "feed"
    assert (english.feed.id, japanese.feed.id) == (
        f"tag:localhost,2026:{feed}",
        f"tag:localhost,2026:ja/{feed}",
    )


def test_a_pages_filter_message_is_in_the_pages_language(demo, client):
    response = client.get("/ja/reports/armitage-nye-2000/?as_of=2004-13-45")

    assert response.status_code == 400
    assert "「2004-13-45」は日付ではありません。" in response.content.decode()


def test_a_refusal_by_the_rules_is_in_the_language_asked_for(demo):
    # The reason tracker.rules gives (the admin shows the same words), as the API's 403.
    partner = client_as("partner")
    refused = partner.post("/api/v1/sources/?lang=ja", {"title": "A source"}, format="json")

    assert refused.status_code == 403
    assert orjson.loads(refused.content) == {
        "detail": "出典を追加できるのは編集者と公表担当者だけです。",
        "code": "permission_denied",
        "errors": {},
    }
