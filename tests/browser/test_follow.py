"""Following by e-mail in a real browser: a reader fills the form on a recommendation page
and lands on the answer page, and no follow page has an axe-core violation."""

import pytest
from django.utils import timezone

from tests.browser.test_accessibility import VIEWPORTS, axe_page, violations
from tracker import subscriptions
from tracker.models import Subscription

pytestmark = pytest.mark.browser
__all__ = ["axe_page"]  # a fixture, used by name


def test_a_reader_follows_a_recommendation_from_its_page(site, page, screenshot):
    page.goto(site + "/reports/armitage-nye-2000/dip-4/")
    page.get_by_label("Your e-mail address").fill("reader@example.org")
    page.get_by_role("button", name="Follow").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your inbox"
    screenshot(page, "08-follow-requested")
    pending = Subscription.objects.select_related("recommendation").get()
    assert (pending.email, pending.recommendation.code, pending.confirmed_at) == (
        "reader@example.org",
        "DIP-4",
        None,
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_follow_page_has_an_axe_violation(site, axe_page, screenshot, viewport, demo):
    pending = Subscription.objects.create(email="reader@example.org")
    Subscription.objects.create(
        email="reader@example.org", report=demo, confirmed_at=timezone.now()
    )
    reader = "reader@example.org"
    confirm = subscriptions.confirmation_token(reader, [pending.pk])
    paths = {
        "form": "/follow/",
        "confirm": f"/follow/confirm/{confirm}/",
        "manage": f"/follow/manage/{subscriptions.manage_token(reader)}/",
        "unsubscribe": f"/follow/unsubscribe/{subscriptions.unsubscribe_token(reader)}/",
        "bad-link": "/follow/manage/forged/",
    }
    page = axe_page(*VIEWPORTS[viewport])
    found = {}
    for name, path in paths.items():
        page.goto(site + path)
        screenshot(page, f"08-axe-{viewport}-follow-{name}")
        found[name] = violations(page)
    assert found == {name: [] for name in paths}
