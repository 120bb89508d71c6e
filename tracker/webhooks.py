"""Partners' webhook endpoints: the writes (one transaction each) and the reads of them.

Who may manage which endpoint is `tracker.rules` (its webhook section); sending is
tracker/webhook_delivery.py, in the worker.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from tracker import events, rules, webhook_delivery
from tracker.webhook_models import (
    SUBSCRIBABLE,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_ENDPOINTS_PER_OWNER = 20


class StaleEndpointError(ValidationError):
    """Someone changed the endpoint since it was read."""

    def __init__(self, current: WebhookEndpoint):
        self.current = current
        super().__init__(
            {"__all__": gettext("This endpoint changed since you read it. Nothing was saved.")}
        )


def endpoints_of(user) -> QuerySet[WebhookEndpoint]:
    rules.check_manage_webhooks(user)
    endpoints = WebhookEndpoint.objects.order_by("id")
    return endpoints if user is None else endpoints.filter(owner=user)


def field_problems(*, url: str | None, events_wanted: Iterable[str] | None) -> dict[str, str]:
    """What is wrong with an endpoint's URL and events (those given), by field."""
    problems = {}
    if url is not None:
        problem = webhook_delivery.url_problem(url) if url else gettext("Give the endpoint's URL.")
        if problem:
            problems["url"] = problem
    if events_wanted is not None:
        wanted = list(events_wanted)
        unknown = sorted(set(wanted) - set(SUBSCRIBABLE))
        if unknown:
            problems["events"] = gettext(
                "Unknown event type(s): %(unknown)s. Choose from %(known)s."
            ) % {"unknown": ", ".join(unknown), "known": ", ".join(SUBSCRIBABLE)}
        elif not wanted:
            problems["events"] = gettext("Choose at least one of %(known)s.") % {
                "known": ", ".join(SUBSCRIBABLE)
            }
    return problems


def _ordered(events_wanted: Iterable[str]) -> list[str]:
    return [name for name in SUBSCRIBABLE if name in set(events_wanted)]


@transaction.atomic
def create_endpoint(
    *, user, url: str, events: Iterable[str], description: str = ""
) -> WebhookEndpoint:
    rules.check_manage_webhooks(user)
    problems = field_problems(url=url, events_wanted=events)
    if problems:
        raise ValidationError(problems)
    if WebhookEndpoint.objects.filter(owner=user).count() >= MAX_ENDPOINTS_PER_OWNER:
        raise ValidationError(
            {
                "url": gettext("You have %(count)d endpoints; delete one first.")
                % {"count": MAX_ENDPOINTS_PER_OWNER}
            }
        )
    endpoint = WebhookEndpoint(
        owner=user,
        url=url,
        events=_ordered(events),
        description=description,
        secret=webhook_delivery.new_secret(),
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def _own(user, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not rules.webhook_endpoint_visible(user, endpoint):
        raise rules.PermissionDenied(rules.WEBHOOK_NOT_YOURS.format(pk=endpoint.pk))
    return endpoint


@transaction.atomic
def update_endpoint(
    *,
    user,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    expected_updated_at: datetime.datetime | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; with `expected_updated_at`, refuse (StaleEndpointError) if it was
    saved since the owner read it."""
    endpoint = _own(user, endpoint)
    if expected_updated_at is not None and endpoint.updated_at != expected_updated_at:
        raise StaleEndpointError(endpoint)
    problems = field_problems(url=url, events_wanted=events)
    if problems:
        raise ValidationError(problems)
    changed = []
    if url is not None:
        endpoint.url = url
        changed.append("url")
    if events is not None:
        endpoint.events = _ordered(events)
        changed.append("events")
    if description is not None:
        endpoint.description = description
        changed.append("description")
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        endpoint.disabled_reason = "" if enabled else "Disabled by its owner."
        changed += ["enabled", "disabled_reason"]
    endpoint.full_clean()
    endpoint.save(update_fields=[*changed, "updated_at"])
    return endpoint


@transaction.atomic
def delete_endpoint(*, user, endpoint: WebhookEndpoint) -> None:
    _own(user, endpoint).delete()


@transaction.atomic
def rotate_secret(*, user, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret; the old one stops signing at once (attempts from now on)."""
    endpoint = _own(user, endpoint)
    endpoint.secret = webhook_delivery.new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def send_test_event(*, user, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event, to this endpoint only (sent by the worker, as any other)."""
    return events.webhook_test(_own(user, endpoint))


def deliveries_of(user, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    if not rules.webhook_endpoint_visible(user, endpoint):
        raise rules.PermissionDenied(rules.WEBHOOK_NOT_YOURS.format(pk=endpoint.pk))
    return endpoint.deliveries.order_by("-id")


@transaction.atomic
def redeliver(*, user, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send one delivery again, now, with the same `webhook-id` (receivers that saw it
    already may ignore it) and a fresh retry period."""
    _own(user, delivery.endpoint)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now, delivered_at=None
    )
    transaction.on_commit(events.request_delivery)
    return WebhookDelivery.objects.select_related("event").get(pk=delivery.pk)
