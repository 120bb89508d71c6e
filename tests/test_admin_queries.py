"""The admin's list pages cost the same number of queries whatever the amount of data."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.editors_support import logged_in
from tracker.models import Status


def grow(report, recommendations: int) -> None:
    """Recommendations, each with a published and a draft evaluation and their evidence."""
    for _ in range(recommendations):
        recommendation = factories.make_recommendation(report)
        factories.make_evaluation(recommendation)
        factories.make_evaluation(
            recommendation, "done", as_of=datetime.date(2008, 1, 1), status=Status.DRAFT
        )


def queries_for(client, url: str) -> int:
    client.get(url)  # fills the per-process caches (content types), which a server keeps
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tracker/evaluation/",
        "/admin/tracker/recommendation/",
        "/admin/tracker/source/",
        "/admin/tracker/evidencelink/",
        "/admin/tracker/edition/",
    ],
)
def test_list_pages_cost_the_same_for_3_and_30_rows(publisher_user, report, url):
    publisher = logged_in(publisher_user)
    grow(report, 3)
    small = queries_for(publisher, url)

    grow(report, 27)
    large = queries_for(publisher, url)

    assert small == large


def test_a_recommendation_page_costs_the_same_for_2_and_20_evaluations(publisher_user, report):
    publisher = logged_in(publisher_user)
    recommendation = factories.make_recommendation(report)

    def add(count: int) -> None:
        for _ in range(count):
            factories.make_evaluation(recommendation, as_of=datetime.date(2004, 1, 1))

    add(2)
    url = f"/admin/tracker/recommendation/{recommendation.pk}/change/"
    small = queries_for(publisher, url)
    add(18)
    large = queries_for(publisher, url)

    assert small == large
