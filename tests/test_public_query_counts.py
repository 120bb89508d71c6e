"""Every public page, export, feed and badge runs the same number of SQL queries with the
25-recommendation demo and with 1,000 more recommendations (3,000 more evaluations)."""

from django.test.client import Client

from tests import factories

# URL → queries, counting the one that computes ETag and Last-Modified.
PAGES = {
    "/": 7,
    "/editions/": 2,
    "/reports/armitage-nye-2000/": 8,
    "/reports/armitage-nye-2000/?grade=slow-progress&q=defense": 8,
    "/reports/armitage-nye-2000/?as_of=2005-01-01&area=security": 8,
    "/reports/armitage-nye-2000/sec-7/": 10,
    "/reports/armitage-nye-2000/sec-7/badge.svg": 4,
    "/reports/heritage-2004/her-1/": 9,
    "/editions/2004-report-card/": 6,
    "/editions/2004-report-card/compare/2008-evidence-review/": 6,
    "/feed/": 3,
    "/reports/armitage-nye-2000/feed/": 4,
    "/reports/armitage-nye-2000/export.csv": 5,
    "/reports/armitage-nye-2000/export.csv?as_of=2005-01-01": 5,
    "/reports/armitage-nye-2000/export.csv?edition=2008-evidence-review": 6,
    "/reports/armitage-nye-2000/export.json": 7,
    "/reports/armitage-nye-2000/evaluations.csv": 3,
    "/reports/armitage-nye-2000/evidence.csv": 3,
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

    factories.make_many_recommendations(demo, 1000)
    large = _assert_counts(client, django_assert_num_queries)

    # The larger data really was shown: the scorecard and its exports grew.
    for url in ("/reports/armitage-nye-2000/", "/reports/armitage-nye-2000/evaluations.csv"):
        assert large[url] > small[url] * 10, url


def test_a_conditional_request_costs_at_most_one_query(demo, client, django_assert_max_num_queries):
    for url in PAGES:
        if url == "/grades.css":
            continue
        etag = client.get(url)["ETag"]
        with django_assert_max_num_queries(1, info=url):
            response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304, url
