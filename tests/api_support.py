"""Clients and data for the API tests (tests/test_api_*.py)."""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth.models import Group, User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories
from tracker import roles, services
from tracker.models import Evaluation, Recommendation, Report

ROLES = ("anonymous", "partner", "editor", "publisher")
MARKER = "DRAFT-MARKER-7f3a9c"


def token_for(user: User) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def make_account(role: str) -> User:
    """An account in the role's group, without a password (API tokens only)."""
    user = User.objects.create(
        username=f"{role}-{User.objects.count() + 1}", is_staff=role in {"editor", "publisher"}
    )
    user.groups.add(Group.objects.get(name=roles.ROLES[role]))
    return user


def client_as(role: str) -> APIClient:
    """A client for a role: anonymous, or a fresh account of the role with its token."""
    client = APIClient()
    if role != "anonymous":
        user = make_account(role)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        client.user = user
    return client


def etag_of(client: APIClient, evaluation: Evaluation) -> str:
    return client.get(f"/api/v1/evaluations/{evaluation.pk}/")["ETag"]


def make_draft(report: Report, *, marker: str = MARKER) -> Evaluation:
    """A draft evaluation carrying the marker in every text it has, with evidence."""
    recommendation = report.recommendations.order_by("position").first()
    evaluator = factories.make_evaluator(f"draft-only-{marker.lower()}")
    evaluator.name = f"Evaluator {marker}"
    evaluator.save()
    source = factories.make_source(f"draft-source-{marker.lower()}")
    source.title = f"Source {marker}"
    source.save()
    return services.record_evaluation(
        recommendation=recommendation,
        evaluator=evaluator,
        grade=report.grade_scale.grades.order_by("score").first(),
        as_of=datetime.date(2020, 1, 1),
        wording=f"Wording {marker}",
        narrative=f"Narrative {marker}",
        evidence=[{"source": source, "quote": f"Quote {marker}"}],
    )


def publish_new(recommendation: Recommendation, narrative: str = "Regraded.") -> Evaluation:
    """A new evaluation, published (the demo's own are frozen in its editions)."""
    evaluation = services.record_evaluation(
        recommendation=recommendation,
        evaluator=factories.make_evaluator(),
        grade=recommendation.report.grade_scale.grades.order_by("-score").first(),
        as_of=datetime.date(2024, 1, 1),
        narrative=narrative,
        evidence=[{"source": factories.make_source()}],
    )
    return services.publish_evaluation(evaluation=evaluation)


def withdrawn_with_marker(report: Report, *, marker: str = MARKER) -> Evaluation:
    """An evaluation published, withdrawn, then rewritten as a draft carrying the marker."""
    evaluation = services.unpublish_evaluation(
        evaluation=publish_new(report.recommendations.order_by("position").last())
    )
    return services.update_evaluation(
        evaluation=evaluation,
        expected_version=evaluation.version,
        changes={"narrative": f"Rewritten {marker}", "wording": f"Now {marker}"},
    )


@contextmanager
def connection_kept() -> Iterator[None]:
    """Call the WSGI application directly without it closing the test's DB connection.

    Django closes connections at the start and end of each request; the test client
    switches that off, and so must any other in-process caller (schemathesis).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
