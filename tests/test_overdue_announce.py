"""Becoming overdue is told to partners (a `recommendation.overdue` webhook event, the API's
own recommendation as data) and to followers (an e-mail), once per recommendation and due
date: `manage.py announce_overdue` and the worker's task look for what became overdue, since
nothing is written the day a date passes (tracker/overdue.py)."""

import datetime
import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tracker import deadlines, overdue, webhook_delivery
from tracker.models import (
    Grade,
    OverdueEvent,
    Status,
    Subscription,
    WebhookEndpoint,
    WebhookEvent,
)

TODAY = deadlines.current_date()
DAY = datetime.timedelta(days=1)
SITE = "https://scorecard.example.org"
DRAFT_MARKER = "Zquxdraftonly"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def set_due(recommendation, due_on: datetime.date, set_by: str = "editors") -> None:
    recommendation.due_on, recommendation.due_set_by = due_on, set_by
    recommendation.save()


@pytest.fixture
def late(report):
    """SEC-1 overdue since yesterday (Partial on its due date, a draft saying done);
    SEC-2 done by its due date; SEC-3 due today (not overdue yet); SEC-4 no date."""
    Grade.objects.filter(scale=report.grade_scale, slug="done").update(counts_as_done=True)
    late, done, due_today, _ = (factories.make_recommendation(report) for _ in "1234")
    set_due(late, TODAY - 2 * DAY, "report")
    set_due(done, TODAY - 2 * DAY)
    set_due(due_today, TODAY)
    factories.make_evaluation(late, "partial", as_of=datetime.date(2004, 1, 1))
    factories.make_evaluation(
        late, "done", as_of=TODAY - 3 * DAY, status=Status.DRAFT, narrative=DRAFT_MARKER
    )
    factories.make_evaluation(done, "done", as_of=datetime.date(2004, 1, 1))
    return late


def confirmed(email: str, **scope) -> Subscription:
    return Subscription.objects.create(email=email, confirmed_at=timezone.now(), **scope)


def overdue_events() -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(type="recommendation.overdue").order_by("id"))


def test_the_announcement_is_a_webhook_event_with_the_apis_recommendation(late, client):
    assert overdue.announce() == (1, 0)

    [event] = overdue_events()
    payload = json.loads(event.body)
    assert payload["type"] == "recommendation.overdue"
    assert payload["data"] == client.get(f"/api/v1/recommendations/{late.pk}/").json()
    assert payload["data"]["due_state"] == "overdue"
    assert DRAFT_MARKER not in event.body
    assert [(e.recommendation_id, e.due_on) for e in OverdueEvent.objects.all()] == [
        (late.pk, late.due_on)
    ]


def test_it_is_announced_once_per_recommendation_and_due_date(late, monkeypatch):
    assert overdue.announce() == (1, 0)
    assert overdue.announce() == (0, 0)
    assert len(overdue_events()) == 1

    # Tomorrow SEC-3 (due today) is overdue too; SEC-1 is not announced again.
    monkeypatch.setattr(deadlines, "current_date", lambda: TODAY + DAY)
    assert overdue.announce() == (1, 0)
    assert [e.due_on for e in OverdueEvent.objects.order_by("id")] == [TODAY - 2 * DAY, TODAY]

    # A new due date, missed, is a new event.
    set_due(late, TODAY - DAY)
    assert overdue.announce() == (1, 0)
    assert len(overdue_events()) == 3


def test_the_database_refuses_a_second_announcement(late):
    overdue.announce()
    with pytest.raises(IntegrityError), transaction.atomic():
        OverdueEvent.objects.create(
            recommendation=late, due_on=late.due_on, announced_at=timezone.now()
        )


def test_an_event_recorded_by_another_run_meanwhile_is_skipped(late, monkeypatch):
    # Another run records it between this one's look and its write.
    found = list(overdue.unannounced())
    OverdueEvent.objects.create(
        recommendation=late, due_on=late.due_on, announced_at=timezone.now()
    )
    monkeypatch.setattr(overdue, "unannounced", lambda today=None: found)

    assert overdue.record_events() == []
    assert overdue_events() == []


def test_a_later_done_grade_does_not_withhold_the_announcement(late):
    factories.make_evaluation(late, "done", as_of=TODAY - DAY)

    assert overdue.announce() == (1, 0)


def test_only_endpoints_that_asked_for_it_are_sent_it(late, partner_user):
    def endpoint(events: list[str]) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(
            owner=partner_user, url="https://hooks.example.org/x", events=events, secret="whsec_x"
        )

    wants = endpoint(["recommendation.overdue"])
    endpoint(["evaluation.published"])
    overdue.announce()

    [event] = overdue_events()
    assert [d.endpoint_id for d in webhook_delivery.deliveries_for(event)] == [wants.pk]


def test_followers_get_one_email_each_and_only_once(late, report):
    other = factories.make_report()
    confirmed("everything@example.org")
    confirmed("report@example.org", report=report)
    confirmed("sec-1@example.org", recommendation=late)
    confirmed("sec-2@example.org", recommendation=report.recommendations.get(code="SEC-2"))
    confirmed("other@example.org", report=other)
    Subscription.objects.create(email="pending@example.org", report=report)

    assert overdue.announce() == (1, 3)

    assert sorted(message.to[0] for message in mail.outbox) == [
        "everything@example.org",
        "report@example.org",
        "sec-1@example.org",
    ]
    message = mail.outbox[0]
    due = late.due_on.strftime("%B %-d, %Y")
    assert message.subject == f"SEC-1 Recommendation 1: overdue (due {late.due_on.isoformat()})"
    assert (
        f"SEC-1 Recommendation 1 ({report.short_name})\n"
        f"  Due on {due} (the report's date); its grade on that date, Partial, did not count "
        "as done.\n"
        f"  {SITE}/reports/{report.slug}/{late.slug}/\n"
    ) in message.body
    assert DRAFT_MARKER not in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0][0]
    assert f'<a href="{SITE}/reports/{report.slug}/{late.slug}/">SEC-1 Recommendation 1</a>' in html

    assert overdue.announce() == (0, 0)
    assert len(mail.outbox) == 3


def test_several_in_one_run_are_one_email_per_follower(late, report, monkeypatch):
    confirmed("report@example.org", report=report)
    monkeypatch.setattr(deadlines, "current_date", lambda: TODAY + DAY)

    assert overdue.announce() == (2, 1)

    [message] = mail.outbox
    assert message.subject == "2 recommendations overdue on the Alliance Scorecard"
    assert message.body.index("SEC-1 ") < message.body.index("SEC-3 ")
    assert "SEC-3 Recommendation 3" in message.body
    assert "it had no grade that counts as done." in message.body


def test_the_command_and_the_workers_task_announce(late, report):
    confirmed("report@example.org", report=report)
    out = StringIO()
    call_command("announce_overdue", stdout=out)
    assert out.getvalue() == "Announced 1 overdue recommendation(s); sent 1 e-mail(s).\n"

    set_due(late, TODAY - DAY)
    assert overdue.announce_overdue_task.call() == 1
    assert len(mail.outbox) == 2


def test_the_event_type_is_declared_in_the_api_schema(client, db):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    events = components["WebhookEndpoint"]["properties"]["events"]
    assert events["items"] == {"$ref": "#/components/schemas/EventsEnum"}
    assert components["EventsEnum"]["enum"] == [
        "evaluation.published",
        "evaluation.changed",
        "evaluation.withdrawn",
        "edition.published",
        "recommendation.overdue",
    ]


def test_the_query_counts_do_not_grow_with_the_events(late, report):
    def measured(step) -> int:
        with CaptureQueriesContext(connection) as queries:
            step()
        return len(queries)

    confirmed("report@example.org", report=report)
    confirmed("sec-1@example.org", recommendation=late)
    small = (measured(overdue.record_events), measured(overdue.send_mail))
    assert len(mail.outbox) == 2

    with factories.unbounded_setup():
        factories.make_many_recommendations(report, 40)
    report.recommendations.filter(code__startswith="GEN-").update(
        due_on=TODAY - 3 * DAY, due_set_by="report"
    )
    large_record = measured(overdue.record_events)
    large_mail = measured(overdue.send_mail)

    # Recording writes each event (two statements and a savepoint's each); mailing is flat.
    assert (
        OverdueEvent.objects.count()
        == 1 + deadlines.overdue_events().filter(code__startswith="GEN-").count()
    )
    assert OverdueEvent.objects.count() > 2
    assert large_mail == small[1]
    assert len(mail.outbox) == 3  # the report's follower, once more; SEC-1's was told
    assert large_record > small[0]
