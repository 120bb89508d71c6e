"""Actor pages and the actors API: an actor's recommendations across reports (its
sub-bodies' included), grade distribution, the years, and the implementation rate."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scorecard import response_cache
from tests import factories
from tracker import actor_records
from tracker.models import Grade, Recommendation

TODAY = timezone.localdate()


@pytest.fixture
def record(db):
    """Japan and its Ministry of Defense; one old report (10 years ago) and one new (1 year
    ago); 'done' counts as done."""
    scale = factories.make_scale()
    Grade.objects.filter(scale=scale, slug="done").update(counts_as_done=True)
    old = factories.make_report("old", scale)
    old.published_on = TODAY.replace(year=TODAY.year - 10, month=1, day=1)
    old.save()
    new = factories.make_report("new", scale)
    new.published_on = TODAY.replace(year=TODAY.year - 1, month=1, day=1)
    new.save()
    japan = factories.make_actor("japan")
    defense = factories.make_actor("ministry-of-defense", parent=japan)
    states = factories.make_actor("united-states")
    done, partial, ungraded = (factories.make_recommendation(old) for _ in "123")
    recent = factories.make_recommendation(new)
    done.actors.set([defense])
    partial.actors.set([japan])
    ungraded.actors.set([japan, states])
    recent.actors.set([defense])
    year = old.published_on.year
    factories.make_evaluation(done, "partial", as_of=datetime.date(year + 1, 6, 1))
    factories.make_evaluation(done, "done", as_of=datetime.date(year + 3, 6, 1))
    factories.make_evaluation(partial, "partial", as_of=datetime.date(year + 2, 6, 1))
    factories.make_evaluation(recent, "done", as_of=new.published_on)
    return japan


def test_the_api_gives_the_record_with_sub_bodies(record, client):
    body = client.get("/api/v1/actors/japan/").json()
    assert body["actor"] == {"slug": "japan", "name": "Japan", "kind": "government", "parent": None}
    assert body["recommendation_count"] == 4
    assert [
        (row["grade"] and row["grade"]["slug"], row["count"]) for row in body["distribution"]
    ] == [
        ("done", 2),
        ("partial", 1),
        (None, 1),
    ]
    # Four years (the default): the three old ones count; one of them is done.
    assert body["implementation"] == {
        "years": 4,
        "made_by": TODAY.replace(year=TODAY.year - 4).isoformat(),
        "addressed": 3,
        "done": 1,
        "rate": 0.3333,
    }
    first = body["over_the_years"][0]
    assert first == {"year": TODAY.year - 10, "addressed": 3, "graded": 0, "done": 0}
    third = body["over_the_years"][3]
    assert third == {"year": TODAY.year - 7, "addressed": 3, "graded": 2, "done": 1}
    assert body["over_the_years"][-1] == {
        "year": TODAY.year,
        "addressed": 4,
        "graded": 3,
        "done": 2,
    }


def test_n_years_is_a_parameter_checked(record, client):
    zero = client.get("/api/v1/actors/japan/?years=0").json()["implementation"]
    assert (zero["addressed"], zero["done"], zero["rate"]) == (4, 2, 0.5)
    bad = client.get("/api/v1/actors/japan/?years=many")
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["years"]
    assert client.get("/actors/japan/?years=-1").status_code == 400
    assert client.get("/api/v1/actors/martians/").status_code == 404


def test_a_sub_body_has_only_its_own(record, client):
    body = client.get("/api/v1/actors/ministry-of-defense/").json()
    assert body["actor"]["parent"] == "japan"
    assert body["recommendation_count"] == 2


def test_the_list_and_the_pages(record, client):
    listed = client.get("/api/v1/actors/").json()
    assert [row["slug"] for row in listed["results"]] == [
        "japan",
        "ministry-of-defense",
        "united-states",
    ]
    page = client.get("/actors/japan/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<strong>33%</strong>: 1 of the 3 recommendations made at least 4 years ago" in html
    assert 'href="/actors/ministry-of-defense/">Ministry Of Defense</a>' in html
    index = client.get("/actors/").content.decode()
    assert (
        '<a href="/actors/japan/">Japan</a> <span class="meta">Government · 4 recommendations'
        in index
    )


def test_a_recommendation_links_to_its_actors(record, client):
    page = client.get("/reports/old/sec-3/").content.decode()
    assert '<a href="/actors/japan/">Japan</a>, <a href="/actors/united-states/">' in page


@pytest.mark.parametrize(
    "url", ["/actors/", "/actors/japan/", "/api/v1/actors/", "/api/v1/actors/japan/"]
)
def test_query_counts_do_not_grow_with_the_data(record, client, url):
    def cold_queries() -> int:
        response_cache.clear(shared=True)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = cold_queries()
    report = factories.make_report("more")
    defense = record.children.get()
    for _ in range(30):
        recommendation = factories.make_recommendation(report)
        recommendation.actors.set([defense])
        factories.make_evaluation(recommendation, "done", as_of=datetime.date(2001, 1, 1))
        factories.make_evaluation(recommendation, "partial", as_of=datetime.date(2002, 1, 1))
    assert cold_queries() == small
    # Past one page of the actor's list (PAGE_SIZE): the page lists a page, counts them all.
    address_many(defense, factories.make_report("many"), 3 * actor_records.PAGE_SIZE)
    assert cold_queries() == small


def address_many(actor, report, count: int) -> None:
    with factories.unbounded_setup():
        made = factories.make_many_recommendations(report, count)
    Recommendation.actors.through.objects.bulk_create(
        Recommendation.actors.through(recommendation=rec, actor=actor) for rec in made
    )


def test_the_actor_page_lists_one_page_and_counts_them_all(record, client):
    address_many(record, factories.make_report("many"), actor_records.PAGE_SIZE + 5)
    total = 4 + actor_records.PAGE_SIZE + 5

    first = client.get("/actors/japan/").content.decode()
    second = client.get("/actors/japan/?page=2").content.decode()

    rows = '"><span class="code">'
    assert (first.count(rows), second.count(rows)) == (actor_records.PAGE_SIZE, 9)
    assert f"<p>{total} recommendations addressed to Japan or a body within it" in first
    assert f"<p>{total} recommendations addressed to Japan or a body within it" in second
    assert (
        f"1–{actor_records.PAGE_SIZE} of {total} · Page 1 of 2 · "
        '<a href="/actors/japan/?page=2" rel="next">Next page</a>'
    ) in first
    assert (
        f"{actor_records.PAGE_SIZE + 1}–{total} of {total} · Page 2 of 2 · "
        '<a href="/actors/japan/" rel="prev">Previous page</a>'
    ) in second
    # The same figures on every page: from the aggregate, not from the page's rows.
    rate = "of the 3 recommendations made at least 4 years ago"
    assert rate not in first  # the many more, made long ago, count too

    # (The main part: the head's alternates name each page's own address.)
    def figures(page: str) -> str:
        return page.split("<main")[1].split('<section aria-labelledby="recs-heading">')[0]

    assert figures(first) == figures(second)


def test_the_pager_keeps_the_years_asked_for(record, client):
    address_many(record, factories.make_report("many"), actor_records.PAGE_SIZE)

    page = client.get("/actors/japan/?years=2&page=2").content.decode()

    assert '<a href="/actors/japan/?years=2" rel="prev">Previous page</a>' in page


def test_a_page_past_the_last_or_not_a_number_is_said_so(record, client):
    assert client.get("/actors/japan/?page=2").status_code == 404
    bad = client.get("/actors/japan/?page=x")
    assert bad.status_code == 400
    assert "The page is a whole number from 1 to 10,000." in bad.content.decode()
    assert client.get("/actors/japan/?page=1").status_code == 200
