"""Every public page, export, feed and badge runs the same number of SQL queries with the
25-recommendation demo and with 1,000 more recommendations (3,000 more evaluations)."""

from django.test.client import Client

from tests import factories

# URL → queries of a cold request (nothing kept yet): the view's, the one that computes ETag
# and Last-Modified, and the response cache's look-up and, for what it keeps, its store
# (streamed exports are not kept). A kept response costs one query: see test_performance.
# (Issue 17: the scorecard reads its actors and the actor tree, a recommendation and the
# exports their actors: one or two queries more, the same at every size.)
PAGES = {
    "/": 9,
    "/editions/": 4,
    # The scorecard is paged (issue 18): its figures over every recommendation are one
    # light query, its topics' counts one, and the page's rows, their current grades and
    # their topics three: two more than when it read every row whole.
    "/reports/armitage-nye-2000/": 14,
    "/reports/armitage-nye-2000/?grade=slow-progress&q=defense": 14,
    "/reports/armitage-nye-2000/?as_of=2005-01-01&area=security": 14,
    # Recommendation pages and the JSON export: one more, the responses (issue 17; their
    # sources are a second only when there are some).
    "/reports/armitage-nye-2000/sec-7/": 14,
    "/reports/armitage-nye-2000/sec-7/badge.svg": 6,
    "/reports/heritage-2004/her-1/": 13,
    # Edition pages: one more, the responses the edition froze (a second, their sources,
    # only when there are some).
    "/editions/2004-report-card/": 9,
    "/editions/2004-report-card/compare/2008-evidence-review/": 8,
    # Feeds: one more, the overdue recommendations (issue 17).
    "/feed/": 6,
    "/reports/armitage-nye-2000/feed/": 7,
    "/reports/armitage-nye-2000/export.csv": 7,
    "/reports/armitage-nye-2000/export.csv?as_of=2005-01-01": 7,
    "/reports/armitage-nye-2000/export.csv?edition=2008-evidence-review": 8,
    "/reports/armitage-nye-2000/export.json": 11,
    "/reports/armitage-nye-2000/evaluations.csv": 4,
    "/reports/armitage-nye-2000/evidence.csv": 4,
    "/grades.css": 1,
}


def _fetch(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    # Streamed exports query while their content is read.
    return b"".join(response.streaming_content) if response.streaming else response.content


def _assert_counts(client: Client, django_assert_num_queries) -> dict[str, int]:
    sizes = {}
    for url, expected in PAGES.items():
        with django_assert_num_queries(expected, info=url):
            sizes[url] = len(_fetch(client, url))
    return sizes


def test_query_counts_do_not_grow_with_the_data(demo, client, django_assert_num_queries):
    small = _assert_counts(client, django_assert_num_queries)

    with factories.unbounded_setup():
        factories.make_many_recommendations(demo, 1000)
    large = _assert_counts(client, django_assert_num_queries)

    # The larger data really was shown: the exports grew tenfold; the scorecard, paged
    # since issue 18, shows its first 100 of the 1,025 (tests/test_scale_pages.py).
    url = "/reports/armitage-nye-2000/evaluations.csv"
    assert large[url] > small[url] * 10, url
    url = "/reports/armitage-nye-2000/"
    assert large[url] > small[url] * 1.5, url


def test_a_conditional_request_costs_at_most_one_query(demo, client, django_assert_max_num_queries):
    for url in PAGES:
        if url == "/grades.css":
            continue
        etag = client.get(url)["ETag"]
        with django_assert_max_num_queries(1, info=url):
            response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304, url
