"""Every list and detail costs the same number of SQL queries whatever the size of the data.

Each URL is asked at one data size, the data grows several-fold, and it is asked again:
the counts must be equal. Lists are asked with `page_size=200`, so the larger answer
really has more rows.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scorecard import response_cache
from tests import factories
from tests.api_support import client_as, make_draft
from tracker import services
from tracker.models import Evaluation, Topic

LISTS = [
    "/api/v1/reports/",
    "/api/v1/areas/",
    "/api/v1/grade-scales/",
    "/api/v1/evaluators/",
    "/api/v1/sources/",
    "/api/v1/recommendations/",
    "/api/v1/recommendations/?as_of=2005-01-01&ordering=-grade",
    "/api/v1/recommendations/?ordering=code&grade=done&topic=topic-a",
    "/api/v1/recommendations/?q=thing&ordering=date",
    "/api/v1/recommendations/?code={code}",
    "/api/v1/evaluations/",
    "/api/v1/evaluations/?updated_since=2000-01-01T00:00:00Z",
    "/api/v1/evaluations/?grade=done&report={report}",
    "/api/v1/editions/",
]
DETAILS = [
    "/api/v1/reports/{report}/",
    "/api/v1/reports/{report}/recommendations/{code}/",
    "/api/v1/recommendations/{recommendation}/",
    "/api/v1/recommendations/{recommendation}/timeline/",
    "/api/v1/evaluations/{evaluation}/",
    "/api/v1/editions/{edition}/",
    "/api/v1/editions/{edition}/compare/{other}/",
    "/api/v1/grade-scales/{scale}/",
    "/api/v1/sources/{source}/",
    "/api/v1/areas/{area}/",
    "/api/v1/evaluators/{evaluator}/",
]


def grow(report, count: int) -> None:
    """`count` more recommendations, each graded twice with evidence, plus a draft each."""
    topic = Topic.objects.get_or_create(slug="topic-a", defaults={"name": "Topic A"})[0]
    for _ in range(count):
        position = report.recommendations.count() + 1
        recommendation = factories.make_recommendation(report, code=f"GEN-{position}")
        recommendation.topics.add(topic)
        factories.make_evaluation(recommendation, "partial", as_of=datetime.date(2004, 4, 26))
        factories.make_evaluation(recommendation, "done", as_of=datetime.date(2008, 1, 15))
        factories.make_evaluation(
            recommendation, "none", as_of=datetime.date(2010, 1, 1), status="draft"
        )


def count_queries(client, urls: list[str]) -> dict[str, int]:
    counts = {}
    for url in urls:
        response_cache.clear()  # the view's own queries: nothing kept (that is one query)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url + ("&" if "?" in url else "?") + "page_size=200")
        assert response.status_code == 200, (url, response.content)
        counts[url] = len(queries)
    return counts


@pytest.fixture
def data(report):
    grow(report, 3)
    for slug, as_of in (
        ("first", datetime.date(2005, 1, 1)),
        ("second", datetime.date(2009, 1, 1)),
    ):
        services.publish_edition(report=report, slug=slug, name=slug, as_of=as_of)
    make_draft(report)
    return report


def resolve(urls: list[str], report) -> list[str]:
    evaluation = Evaluation.objects.published().first()
    names = {
        "report": report.slug,
        "recommendation": evaluation.recommendation_id,
        "code": evaluation.recommendation.code.lower(),
        "evaluation": evaluation.pk,
        "edition": "first",
        "other": "second",
        "scale": report.grade_scale.slug,
        "source": evaluation.evidence.first().source.key,
        "area": evaluation.recommendation.area_id,
        "evaluator": evaluation.evaluator.slug,
    }
    return [url.format(**names) for url in urls]


@pytest.mark.parametrize("role", ["anonymous", "partner", "editor"])
def test_query_counts_do_not_grow_with_the_data(data, role):
    client = client_as(role)
    urls = resolve(LISTS + DETAILS, data)
    count_queries(client, urls)  # warm: the first request of a window creates its counter

    small = count_queries(client, urls)
    grow(data, 12)
    large = count_queries(client, urls)

    assert large == small
    rows = client.get("/api/v1/evaluations/?page_size=200").json()["results"]
    # 15 recommendations graded twice; editors also see a draft of each and the marked one.
    assert len(rows) == (46 if role == "editor" else 30)


def test_the_counts_are_small(data):
    """The budget of the busiest endpoints, so a new per-row query cannot hide in a constant.

    Every request pays the rate limit (one upsert on the cache table, measured on the API's
    index page) and the data's state (one query, for ETag, Last-Modified and the response
    cache's key); a read nothing has kept yet also the response cache's look-up and store;
    then each page its own queries.
    """
    client = client_as("anonymous")
    count_queries(client, ["/api/v1/"])
    (rate_limit,) = count_queries(client, ["/api/v1/"]).values()

    counts = count_queries(
        client, ["/api/v1/recommendations/", "/api/v1/evaluations/", "/api/v1/reports/"]
    )

    data_state, kept_or_not = 1, 2
    assert rate_limit == 1
    assert counts == {
        # which rows, with their count; then through the ORM (issue 12: reads through the
        # ORM) the recommendations with report and area, their topics, current evaluations
        # (+1 since issue 17: the page's actors.)
        "/api/v1/recommendations/": rate_limit + data_state + kept_or_not + 5,
        # rows, evidence
        "/api/v1/evaluations/": rate_limit + data_state + kept_or_not + 2,
        # count, rows
        "/api/v1/reports/": rate_limit + data_state + kept_or_not + 2,
    }
