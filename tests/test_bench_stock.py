"""The benchmark's stock-DRF comparison (bench/stock_drf.py) is a fair one: it answers with
exactly the API's bodies, and, tuned as the DRF documentation advises, in a number of
queries that does not grow with the data (bench/README.md)."""

import datetime

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tracker.models import Topic

pytestmark = pytest.mark.urls("bench.urls")

SINCE = "2000-01-01T00:00:00Z"


def grow(report, count: int) -> None:
    """`count` more recommendations, with topics, two published grades and a draft each."""
    topics = [
        Topic.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]
        for slug in ("trade", "basing")
    ]
    for _ in range(count):
        position = report.recommendations.count() + 1
        recommendation = factories.make_recommendation(report, code=f"GEN-{position}")
        recommendation.topics.add(*topics)
        factories.make_evaluation(recommendation, "partial", as_of=datetime.date(2004, 4, 26))
        factories.make_evaluation(recommendation, "done", as_of=datetime.date(2008, 1, 15))
        factories.make_evaluation(
            recommendation, "none", as_of=datetime.date(2010, 1, 1), status="draft"
        )
    factories.make_recommendation(report, code=f"UNGRADED-{report.recommendations.count()}")


def urls(report) -> dict[str, str]:
    first = report.recommendations.order_by("position").first()
    return {
        "list": f"/api/v1/recommendations/?report={report.slug}&page_size=200",
        "timeline": f"/api/v1/recommendations/{first.pk}/timeline/",
        "feed": f"/api/v1/evaluations/?updated_since={SINCE}&page_size=3",
    }


def body(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    return orjson.loads(response.content.replace(b"/bench-stock/", b"/"))


def test_stock_drf_answers_with_the_api_s_bodies(client, report):
    grow(report, 4)
    for name, url in urls(report).items():
        ours, stock = body(client, url), body(client, f"/bench-stock{url}")
        assert stock == ours, name
    # The feed's later pages too, through the cursor in `next`.
    ours = body(client, urls(report)["feed"])
    while ours["next"]:
        path = ours["next"].removeprefix("http://testserver")
        ours, stock = body(client, path), body(client, f"/bench-stock{path}")
        assert stock == ours


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_stock_drf_queries_do_not_grow_with_the_data(client, report):
    grow(report, 2)
    before = {name: count(client, f"/bench-stock{url}") for name, url in urls(report).items()}
    grow(report, 8)
    after = {name: count(client, f"/bench-stock{url}") for name, url in urls(report).items()}
    assert after == before
