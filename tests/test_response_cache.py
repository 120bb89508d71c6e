"""The response cache: answers for unchanged data served again without the view's queries,
from this worker or from the cache shared by all; a write moves every key; drafts never
reach a key the public reads; nothing per user or with a cookie is kept."""

import datetime

from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import translation

from scorecard import response_cache
from tests.api_support import MARKER, client_as, make_draft, publish_new
from tracker import freshness

SCORECARD = "/reports/armitage-nye-2000/"
API_LIST = "/api/v1/recommendations/?report=armitage-nye-2000"


def test_a_kept_api_read_costs_the_state_and_the_rate_limit(demo, django_assert_num_queries):
    client = client_as("anonymous")
    first = client.get(API_LIST)

    with django_assert_num_queries(2):  # the data's state, the rate limit's count
        again = client.get(API_LIST)

    assert (again.status_code, again.content, again["ETag"]) == (200, first.content, first["ETag"])
    assert (again["Cache-Control"], again["Vary"]) == (first["Cache-Control"], first["Vary"])


def test_another_worker_serves_what_one_kept(demo, django_assert_num_queries):
    page, api = Client(), client_as("anonymous")
    rendered, listed = page.get(SCORECARD), api.get(API_LIST)
    caches["responses-local"].clear()  # as if the next requests reached another process

    with django_assert_num_queries(2):  # the state, the shared cache's look-up
        shared_page = page.get(SCORECARD)
    caches["responses-local"].clear()
    with django_assert_num_queries(3):  # the state, the look-up, the rate limit
        shared_list = api.get(API_LIST)

    assert (shared_page.content, shared_page["ETag"]) == (rendered.content, rendered["ETag"])
    assert (shared_list.content, shared_list["ETag"]) == (listed.content, listed["ETag"])


def test_a_304_from_the_kept_etag_costs_one_query(demo, django_assert_num_queries):
    client = client_as("anonymous")
    first = client.get(API_LIST)

    with django_assert_num_queries(1):
        again = client.get(API_LIST, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (again.status_code, again["ETag"]) == (304, first["ETag"])


def test_a_write_moves_every_key(demo):
    page, api = Client(), client_as("anonymous")
    before_page, before_list = page.get(f"{SCORECARD}sec-1/"), api.get(API_LIST)

    publish_new(demo.recommendations.get(code="SEC-1"), narrative="Freshly regraded.")

    after_page, after_list = page.get(f"{SCORECARD}sec-1/"), api.get(API_LIST)
    assert b"Freshly regraded." not in before_page.content
    assert b"Freshly regraded." in after_page.content
    assert after_list.content != before_list.content
    assert after_list["ETag"] != before_list["ETag"]


def test_drafts_never_reach_a_public_key(demo):
    make_draft(demo)
    editor, partner, anonymous = client_as("editor"), client_as("partner"), client_as("anonymous")
    urls = ["/api/v1/evaluations/", "/api/v1/sources/", "/api/v1/evaluators/"]

    seen_by_editor = [editor.get(url).content for url in urls]  # kept first, for drafts
    seen_by_partner = [partner.get(url).content for url in urls]
    seen_by_anonymous = [anonymous.get(url).content for url in urls]

    assert all(MARKER.encode() in body for body in seen_by_editor[:1])
    assert [MARKER.encode() in body for body in seen_by_partner + seen_by_anonymous] == [False] * 6
    assert seen_by_partner == seen_by_anonymous  # one public copy, not one per account


def test_the_key_holds_the_audience_the_language_and_the_sorted_query(db):
    state = freshness.DataState(last_modified=None, token="t")
    one = RequestFactory().get("/reports/x/?grade=a&area=b")
    other_order = RequestFactory().get("/reports/x/?area=b&grade=a")
    other_query = RequestFactory().get("/reports/x/?area=b&grade=c")

    def key(request, audience="public", language="en-us"):
        with translation.override(language):
            return response_cache.key_for(request, state, audience=audience)

    assert key(one) == key(other_order)
    assert len({key(one), key(other_query), key(one, "drafts"), key(one, language="ja")}) == 4
    assert len(key(RequestFactory().get("/" + "x" * 5000))) == len(key(one))
    moved = freshness.DataState(last_modified=None, token="u")
    assert response_cache.key_for(one, moved, audience="public") != key(one)


def test_the_order_of_parameters_does_not_split_the_cache(demo, django_assert_num_queries):
    client = Client()
    client.get(f"{SCORECARD}?grade=ongoing-progress&area=security")

    with django_assert_num_queries(1):
        again = client.get(f"{SCORECARD}?area=security&grade=ongoing-progress")

    assert again.status_code == 200


def test_cookies_errors_and_streams_are_never_kept(db):
    with_cookie = HttpResponse("x")
    with_cookie.set_cookie("sessionid", "abc")
    error = HttpResponse("no", status=500)
    not_found = HttpResponse("no", status=404)
    too_big = HttpResponse(b"x" * (response_cache.MAX_BYTES + 1))

    assert [response_cache.keepable(r) for r in (with_cookie, error, not_found, too_big)] == [
        False
    ] * 4
    assert response_cache.keepable(HttpResponse("fine")) is True


def test_culling_deletes_expired_entries(db):
    shared = caches["responses"]
    shared.set("old", "stale", timeout=-1)
    shared.set("new", "fresh", timeout=60)

    response_cache.cull()

    table = shared._table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {connection.ops.quote_name(table)}")  # noqa: S608 -- the cache's own table
        keys = sorted(row[0] for row in cursor.fetchall())
    assert keys == [shared.make_key("new")]


def test_a_page_for_another_day_has_its_own_key(demo, monkeypatch):
    today = datetime.date.today()
    state = freshness.data_state()
    request = RequestFactory().get(SCORECARD)
    key_today = response_cache.key_for(request, state, audience="public")
    monkeypatch.setattr(
        response_cache.timezone, "localdate", lambda: today + datetime.timedelta(days=1)
    )

    assert response_cache.key_for(request, state, audience="public") != key_today
