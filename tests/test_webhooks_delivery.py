"""Webhook events and their delivery, in one process: what is sent, signed how, when it is
retried, what is refused. A real HTTP receiver on loopback; the worker's sweep is called
directly (tests/test_webhooks_worker.py runs the real worker process)."""

import base64
import datetime
import json

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scorecard.api import shapes
from scorecard.api.renderers import JSONRenderer
from tests import factories
from tests.api_support import make_draft, publish_new
from tests.webhook_support import Receiver
from tracker import responses as actor_responses
from tracker import services, webhook_delivery, webhooks
from tracker.models import (
    DeliveryStatus,
    Edition,
    Evaluation,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


@pytest.fixture
def demo(report):
    """A report of four recommendations, SEC-1 to SEC-4 (the demo's import takes seconds)."""
    for number in range(1, 5):
        factories.make_recommendation(report, code=f"SEC-{number}")
    return report


EVERY_EVENT = [
    "evaluation.published",
    "evaluation.changed",
    "evaluation.withdrawn",
    "edition.published",
]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1
    receiver = Receiver()
    yield receiver
    receiver.released.set()
    receiver.stop()


@pytest.fixture
def endpoint(receiver, partner_user):
    partner_user.email = "partner@example.org"
    partner_user.save()
    return webhooks.create_endpoint(user=partner_user, url=receiver.url, events=EVERY_EVENT)


def _sweep() -> int:
    return webhook_delivery.sweep(run_seconds=10)


def test_a_published_evaluation_is_sent_signed_in_the_apis_own_shape(demo, endpoint, receiver):
    evaluation = publish_new(demo.recommendations.get(code="SEC-2"))

    assert _sweep() == 1
    (got,) = receiver.wait_for(1)
    payload = got.verified(endpoint.secret)  # the reference library's check
    api_body = json.loads(
        JSONRenderer().render(
            shapes.EvaluationShape.build(
                shapes.EvaluationShape.fetch(Evaluation.objects.filter(pk=evaluation.pk)).get()
            )
        )
    )
    assert payload["type"] == "evaluation.published"
    assert payload["data"] == api_body
    assert set(payload) == {"type", "timestamp", "data"}
    delivery = WebhookDelivery.objects.get()
    assert got.message_id == delivery.message_id
    assert got.headers["content-type"] == "application/json"
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.DELIVERED,
        1,
        204,
    )


def test_a_signature_made_with_another_secret_is_refused_by_the_library(demo, endpoint, receiver):
    publish_new(demo.recommendations.get(code="SEC-2"))
    _sweep()
    (got,) = receiver.wait_for(1)
    other = webhook_delivery.new_secret()
    with pytest.raises(Exception, match="No matching signature found"):
        got.verified(other)


def test_corrections_withdrawals_and_editions_are_events_too(demo, endpoint, receiver):
    evaluation = publish_new(demo.recommendations.get(code="SEC-2"))
    services.update_evaluation(
        evaluation=evaluation, expected_version=evaluation.version, changes={"wording": "Fixed"}
    )
    services.unpublish_evaluation(evaluation=evaluation)
    factories.make_evaluation(
        demo.recommendations.get(code="SEC-3"), as_of=datetime.date(2024, 1, 1)
    )
    edition = services.publish_edition(
        report=demo, slug="webhook-edition", name="Webhook edition", as_of=datetime.date(2024, 6, 1)
    )

    _sweep()
    got = receiver.wait_for(4)
    types = [item.verified(endpoint.secret)["type"] for item in got]
    assert sorted(types) == sorted(EVERY_EVENT)
    by_type = {item.payload["type"]: item.payload["data"] for item in got}
    assert by_type["evaluation.changed"]["wording"] == "Fixed"
    assert by_type["evaluation.withdrawn"] == {
        "id": evaluation.pk,
        "recommendation": by_type["evaluation.changed"]["recommendation"],
        "status": "withdrawn",
        "updated_at": by_type["evaluation.withdrawn"]["updated_at"],
    }
    frozen = shapes.EditionDetailShape.fetch(Edition.objects.filter(pk=edition.pk)).get()
    actor_responses.attach_frozen_responses([frozen])  # what it froze of responses, too
    assert by_type["edition.published"] == json.loads(
        JSONRenderer().render(shapes.EditionDetailShape.build(frozen))
    )


def test_an_endpoint_gets_only_the_events_it_asked_for(demo, receiver, partner_user):
    webhooks.create_endpoint(user=partner_user, url=receiver.url, events=["edition.published"])
    publish_new(demo.recommendations.get(code="SEC-2"))
    assert _sweep() == 0
    assert receiver.received == []
    assert WebhookEvent.objects.get().fanned_out is True


def test_drafts_never_make_an_event(demo, endpoint, receiver):
    draft = make_draft(demo)
    services.update_evaluation(
        evaluation=draft, expected_version=draft.version, changes={"wording": "Still a draft"}
    )
    services.add_evidence(evaluation=draft, evidence=[{"source": factories.make_source()}])
    services.delete_evaluation(evaluation=draft)

    assert WebhookEvent.objects.count() == 0
    assert _sweep() == 0
    assert receiver.received == []


def test_a_publish_rolled_back_leaves_no_event(demo, endpoint, receiver):
    draft = make_draft(demo)

    def publish_then_fail() -> None:
        with transaction.atomic():
            services.publish_evaluation(evaluation=draft)
            raise RuntimeError("the caller's transaction fails after publishing")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert WebhookEvent.objects.count() == 0
    assert Evaluation.objects.get(pk=draft.pk).status == "draft"


def test_a_failed_attempt_is_retried_with_the_same_id_after_a_growing_wait(
    demo, endpoint, receiver, settings
):
    settings.WEBHOOKS_RETRY_FIRST_SECONDS = 10
    receiver.status = 503
    publish_new(demo.recommendations.get(code="SEC-2"))
    _sweep()
    delivery = WebhookDelivery.objects.get()
    first_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 503)
    assert delivery.last_error == "The endpoint answered 503."
    assert datetime.timedelta(seconds=9) < first_wait <= datetime.timedelta(seconds=10)

    # Due again: a second failure waits twice as long.
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    _sweep()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    second_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert datetime.timedelta(seconds=19) < second_wait <= datetime.timedelta(seconds=20)

    receiver.status = 200
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    _sweep()
    delivery.refresh_from_db()
    ids = {item.message_id for item in receiver.wait_for(3)}
    assert ids == {delivery.message_id}
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("delivered", 3, None)


def test_a_redirect_is_not_followed(demo, endpoint, receiver):
    receiver.status = 302
    receiver.location = "http://127.0.0.1:9/elsewhere"
    publish_new(demo.recommendations.get(code="SEC-2"))
    _sweep()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code) == ("pending", 302)
    assert len(receiver.received) == 1


def test_after_a_day_of_failures_the_endpoint_is_disabled_and_its_owner_told(
    demo, endpoint, receiver
):
    receiver.status = 500
    publish_new(demo.recommendations.get(code="SEC-2"))
    publish_new(demo.recommendations.get(code="SEC-3"))
    webhook_delivery.fan_out()
    a_day_ago = timezone.now() - datetime.timedelta(days=1, minutes=1)
    WebhookDelivery.objects.update(created_at=a_day_ago)
    _sweep()

    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert "deliveries failed for 24 hour(s)" in endpoint.disabled_reason
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["failed", "failed"]
    (message,) = mail.outbox
    assert message.to == ["partner@example.org"]
    assert message.subject == "Your Alliance Scorecard webhook endpoint was disabled"
    assert receiver.url in message.body

    # Nothing more goes to it while it is disabled.
    publish_new(demo.recommendations.get(code="SEC-4"))
    assert _sweep() == 0
    assert WebhookDelivery.objects.count() == 2


def test_a_hanging_receiver_is_given_up_on_after_the_timeout(demo, endpoint, receiver):
    receiver.hang.set()
    publish_new(demo.recommendations.get(code="SEC-2"))
    _sweep()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.response_code is None
    assert delivery.last_error == "TimeoutError: timed out"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://example.org/hook", "Use an https URL."),
        ("https://10.0.0.5/hook", "10.0.0.5 is not a public address"),
        ("https://169.254.169.254/latest", "169.254.169.254 is not a public address"),
        ("https://127.0.0.1/hook", "127.0.0.1 is not a public address"),
        ("https://[::1]/hook", "::1 is not a public address"),
        ("https://[::ffff:192.168.1.1]/hook", "::ffff:192.168.1.1 is not a public address"),
        ("https://user:pw@example.org/hook", "Put no user name or password in the URL."),
    ],
)
def test_in_production_only_https_to_public_addresses(settings, url, problem):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    assert webhook_delivery.url_problem(url).startswith(problem)


def test_a_name_resolving_to_a_private_address_is_refused_at_every_attempt(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    # "localhost" passes the check of the URL's face; where it resolves does not.
    assert webhook_delivery.url_problem("https://localhost/hook") is None
    with pytest.raises(webhook_delivery.UnsafeTarget, match="localhost resolves to"):
        webhook_delivery.resolve_target("https://localhost/hook")


def test_the_loopback_setting_allows_loopback_only(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert webhook_delivery.url_problem("http://127.0.0.1:8080/hook") is None
    assert webhook_delivery.url_problem("http://10.1.2.3/hook").startswith(
        "10.1.2.3 is not a public address"
    )


def test_a_secret_is_whsec_and_32_random_bytes():
    secret = webhook_delivery.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert webhook_delivery.new_secret() != secret


def test_deleting_an_endpoint_deletes_its_deliveries(demo, endpoint, receiver, partner_user):
    publish_new(demo.recommendations.get(code="SEC-2"))
    _sweep()
    webhooks.delete_endpoint(user=partner_user, endpoint=endpoint)
    assert WebhookEndpoint.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


def test_publishing_costs_the_same_with_50_endpoints_as_with_none(
    demo, partner_user, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True

    def queries_to_publish(code: str) -> int:
        draft = services.record_evaluation(
            recommendation=demo.recommendations.get(code=code),
            evaluator=factories.make_evaluator(),
            grade=demo.grade_scale.grades.order_by("-score").first(),
            as_of=datetime.date(2024, 1, 1),
            narrative="Regraded.",
            evidence=[{"source": factories.make_source()}],
        )
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.publish_evaluation(evaluation=draft)
        return len(queries)

    without = queries_to_publish("SEC-1")
    WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(
            owner=factories.make_user(f"partner-{number}", role="partner"),
            url=f"http://127.0.0.1:9/{number}",
            events=EVERY_EVENT,
            secret=webhook_delivery.new_secret(),
        )
        for number in range(50)
    )
    # The endpoints are the worker's business: publishing only records and enqueues.
    assert queries_to_publish("SEC-2") == without
    assert WebhookDelivery.objects.count() == 0


# --- Retention ------------------------------------------------------------------------------


def _aged(endpoint, status: str, days: int, *, delivered: bool) -> WebhookDelivery:
    when = timezone.now() - datetime.timedelta(days=days)
    event = WebhookEvent.objects.create(
        type="evaluation.published", occurred_at=when, body="{}", fanned_out=True
    )
    delivery = WebhookDelivery.objects.create(
        message_id=webhook_delivery.new_message_id(), event=event, endpoint=endpoint, status=status
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=when, delivered_at=when if delivered else None
    )
    return delivery


def test_delivered_events_older_than_the_retention_are_pruned_never_undelivered_ones(
    endpoint, settings
):
    settings.WEBHOOKS_RETENTION_DAYS = 90
    old = _aged(endpoint, DeliveryStatus.DELIVERED, 91, delivered=True)
    recent = _aged(endpoint, DeliveryStatus.DELIVERED, 89, delivered=True)
    waiting = _aged(endpoint, DeliveryStatus.PENDING, 200, delivered=False)
    failed = _aged(endpoint, DeliveryStatus.FAILED, 200, delivered=False)
    # An old event delivered to one endpoint long ago and still pending for another.
    other = WebhookEndpoint.objects.create(owner=endpoint.owner, url=endpoint.url, secret="x")
    shared = _aged(endpoint, DeliveryStatus.DELIVERED, 100, delivered=True)
    still_pending = WebhookDelivery.objects.create(
        message_id=webhook_delivery.new_message_id(), event=shared.event, endpoint=other
    )
    # An old event no endpoint wanted.
    unwanted = WebhookEvent.objects.create(
        type="edition.published",
        occurred_at=timezone.now() - datetime.timedelta(days=95),
        body="{}",
        fanned_out=True,
    )
    # An old event not fanned out yet (the worker was down): it is still to be sent.
    unsent = WebhookEvent.objects.create(
        type="edition.published",
        occurred_at=timezone.now() - datetime.timedelta(days=95),
        body="{}",
    )

    assert webhook_delivery.prune() == 4  # two deliveries, then two events
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {
        recent.pk,
        waiting.pk,
        failed.pk,
        still_pending.pk,
    }
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {
        recent.event_id,
        waiting.event_id,
        failed.event_id,
        shared.event_id,
        unsent.pk,
    }
    assert not WebhookEvent.objects.filter(pk__in=[old.event_id, unwanted.pk]).exists()
    assert webhook_delivery.prune() == 0
