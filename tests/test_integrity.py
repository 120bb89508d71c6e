"""Rules the database itself enforces, whichever code path writes."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tests import factories
from tracker import services
from tracker.models import Evaluation, RecommendationLink, Status


def test_recommendation_code_is_unique_within_a_report(report):
    factories.make_recommendation(report, code="SEC-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_recommendation(report, code="SEC-1")


def test_the_same_code_may_appear_in_another_report(report):
    factories.make_recommendation(report, code="SEC-1")
    other = factories.make_report("other-report", report.grade_scale)
    assert factories.make_recommendation(other, code="SEC-1").code == "SEC-1"


def test_deleting_a_graded_recommendation_is_refused(recommendation):
    factories.make_evaluation(recommendation)
    with pytest.raises(ProtectedError):
        recommendation.delete()


def test_deleting_a_grade_in_use_is_refused(recommendation):
    evaluation = factories.make_evaluation(recommendation)
    with pytest.raises(ProtectedError):
        evaluation.grade.delete()


def test_deleting_a_cited_source_is_refused(recommendation):
    evaluation = factories.make_evaluation(recommendation)
    with pytest.raises(ProtectedError):
        evaluation.evidence.get().source.delete()


def test_deleting_an_evaluation_frozen_in_an_edition_is_refused(report, recommendation):
    evaluation = factories.make_evaluation(recommendation)
    services.publish_edition(
        report=report, slug="2004", name="2004 report card", as_of=datetime.date(2004, 4, 26)
    )
    with pytest.raises(ProtectedError):
        evaluation.delete()


def test_one_evaluation_per_evaluator_recommendation_and_date(recommendation):
    evaluator = factories.make_evaluator()
    factories.make_evaluation(recommendation, evaluator=evaluator)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_evaluation(recommendation, evaluator=evaluator)


def test_a_published_evaluation_must_have_a_publication_time(recommendation):
    evaluation = factories.make_evaluation(recommendation)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.filter(pk=evaluation.pk).update(published_at=None)


def test_status_outside_the_workflow_is_refused(recommendation):
    evaluation = factories.make_evaluation(recommendation, status=Status.DRAFT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.filter(pk=evaluation.pk).update(status="archived")


def test_a_recommendation_cannot_link_to_itself(recommendation):
    with pytest.raises(IntegrityError), transaction.atomic():
        RecommendationLink.objects.create(
            source=recommendation, target=recommendation, kind="related"
        )


def test_grade_scores_are_unique_within_a_scale(scale):
    with pytest.raises(IntegrityError), transaction.atomic():
        scale.grades.create(slug="again", label="Again", score=1, colour="#000000")
