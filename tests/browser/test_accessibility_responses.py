"""Issue 17's additions in a real browser: a recommendation judged not rateable, with what
the actor says beside what was assessed, has no axe-core violation on a desktop or a phone."""

import datetime

import pytest
from django.utils import timezone

from tests import factories
from tests.browser.test_accessibility import VIEWPORTS, violations
from tests.browser.test_accessibility import axe_page as axe_page  # the fixture, shared
from tracker import responses as actor_responses
from tracker.models import Actor, Evaluation, EvidenceLink, Recommendation, Status

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_not_rateable_and_responses_have_no_axe_violation(
    site,
    axe_page,
    viewport,
):
    dip_1 = Recommendation.objects.get(report__slug="armitage-nye-2000", code="DIP-1")
    judged = Evaluation.objects.create(
        recommendation=dip_1,
        evaluator=factories.make_evaluator(),
        not_rateable_reason="Too vague to grade.",
        as_of=datetime.date(2009, 1, 1),
        narrative="Nothing to check.",
        status=Status.PUBLISHED,
        published_at=timezone.now(),
    )
    EvidenceLink.objects.create(evaluation=judged, source=factories.make_source())
    japan = Actor.objects.get_or_create(slug="japan", defaults={"name": "Japan"})[0]
    said = actor_responses.record_response(
        recommendation=dip_1,
        actor=japan,
        position="partly-accepted",
        said_on=datetime.date(2002, 1, 1),
        statement="It says it *did* part of it.",
        sources=[{"source": factories.make_source(), "quote": "did part of it"}],
    )
    actor_responses.publish_response(response=said)
    page = axe_page(*VIEWPORTS[viewport])
    found = {}
    for path in ("/reports/armitage-nye-2000/dip-1/", "/reports/armitage-nye-2000/"):
        page.goto(site + path)
        found[path] = violations(page)
    assert found == {
        "/reports/armitage-nye-2000/dip-1/": [],
        "/reports/armitage-nye-2000/": [],
    }
