"""Which evaluation is current, how history is ordered, and what the queries cost."""

import datetime

from django.utils import timezone

from tests import factories
from tracker import queries
from tracker.models import Status

APRIL_2004 = datetime.date(2004, 4, 26)
JAN_2008 = datetime.date(2008, 1, 15)


def test_current_grade_is_the_latest_published_by_as_of(report, recommendation):
    factories.make_evaluation(recommendation, "none", as_of=JAN_2008)
    factories.make_evaluation(recommendation, "partial", as_of=APRIL_2004)

    current = queries.current_grades(report)[recommendation.pk]

    assert (current.as_of, current.grade.slug) == (JAN_2008, "none")


def test_drafts_never_count_as_current(report, recommendation):
    factories.make_evaluation(recommendation, "partial", as_of=APRIL_2004)
    factories.make_evaluation(recommendation, "done", as_of=JAN_2008, status=Status.DRAFT)

    assert queries.current_grades(report)[recommendation.pk].grade.slug == "partial"


def test_a_tie_on_as_of_goes_to_the_later_publication(report, recommendation):
    earlier = timezone.now() - datetime.timedelta(days=1)
    later = timezone.now()
    factories.make_evaluation(recommendation, "done", as_of=APRIL_2004, published_at=later)
    factories.make_evaluation(recommendation, "none", as_of=APRIL_2004, published_at=earlier)

    assert queries.current_grades(report)[recommendation.pk].grade.slug == "done"


def test_as_of_shows_the_scorecard_as_it_stood_then(report, recommendation):
    factories.make_evaluation(recommendation, "partial", as_of=APRIL_2004)
    factories.make_evaluation(recommendation, "done", as_of=JAN_2008)

    assert (
        queries.current_grades(report, datetime.date(2005, 1, 1))[recommendation.pk].grade.slug
        == "partial"
    )
    assert queries.current_grades(report, JAN_2008)[recommendation.pk].grade.slug == "done"
    assert queries.current_grades(report, datetime.date(2003, 1, 1)) == {}


def test_ungraded_recommendations_are_listed_without_a_grade(report, recommendation):
    rows = queries.scorecard(report)
    assert [(r.code, r.current_evaluation) for r in rows] == [("SEC-1", None)]


def test_timeline_is_in_date_order_and_published_only(recommendation):
    factories.make_evaluation(recommendation, "done", as_of=JAN_2008)
    factories.make_evaluation(recommendation, "none", as_of=datetime.date(2001, 1, 1))
    factories.make_evaluation(recommendation, "partial", as_of=APRIL_2004)
    factories.make_evaluation(
        recommendation, "none", as_of=datetime.date(2009, 1, 1), status=Status.DRAFT
    )

    timeline = queries.grade_timeline(recommendation)

    assert [(e.as_of.year, e.grade.slug) for e in timeline] == [
        (2001, "none"),
        (2004, "partial"),
        (2008, "done"),
    ]


def _grow(report, count):
    for _ in range(count):
        rec = factories.make_recommendation(report, code=f"GEN-{report.recommendations.count()}")
        factories.make_evaluation(rec, "partial", as_of=APRIL_2004)
        factories.make_evaluation(rec, "done", as_of=JAN_2008)


def test_scorecard_query_count_does_not_grow_with_data(report, django_assert_num_queries):
    _grow(report, 3)
    with django_assert_num_queries(2):
        small = queries.scorecard(report)
    _grow(report, 30)
    with django_assert_num_queries(2):
        large = queries.scorecard(report)
    assert (len(small), len(large)) == (3, 33)


def test_timeline_query_count_does_not_grow_with_data(recommendation, django_assert_num_queries):
    factories.make_evaluation(recommendation, as_of=APRIL_2004)
    with django_assert_num_queries(2):
        assert len(queries.grade_timeline(recommendation)) == 1
    for year in range(2005, 2025):
        factories.make_evaluation(recommendation, as_of=datetime.date(year, 1, 1))
    with django_assert_num_queries(2):
        assert len(queries.grade_timeline(recommendation)) == 21
