"""What the API sends about partners' webhook endpoints and their deliveries (issue 16;
scorecard/api/webhooks.py). Declared like every resource (scorecard/api/shapes.py lists
them all in RESOURCES)."""

from rest_framework import serializers

from scorecard.api.shape import Boolean, Choice, DateTime, Integer, Key, Shape, Text
from tracker.webhook_models import (
    SUBSCRIBABLE,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookEndpointShape(Shape):
    """A partner's webhook endpoint. Its signing secret is shown only when it is made and
    when it is rotated."""

    model = WebhookEndpoint
    id = Integer()
    url = Text("Where events are POSTed; https, to a public address.")
    events = Key(
        lambda **options: serializers.ListField(
            child=serializers.ChoiceField(choices=list(SUBSCRIBABLE)), **options
        ),
        "The event types it receives.",
    )
    description = Text("The owner's note; may be empty.")
    enabled = Boolean(
        "False once deliveries failed for a day (or the owner turned it off); "
        "set it true again to resume."
    )
    disabled_reason = Text("Why it was disabled; empty while enabled.")
    created_at = DateTime()
    updated_at = DateTime()


class WebhookEndpointWithSecretShape(WebhookEndpointShape):
    """A webhook endpoint with its signing secret, shown this once: keep it."""

    secret = Text("`whsec_` and the base64 key (Standard Webhooks): verify signatures with it.")


class WebhookDeliveryShape(Shape):
    """One event sent to one endpoint, and how its attempts went."""

    model = WebhookDelivery
    id = Integer()
    message_id = Text("The `webhook-id` header: the same on every attempt.")
    event_type = Choice(EventType.choices, source="event.type")
    status = Choice(DeliveryStatus.choices)
    attempts = Integer("Attempts made so far.")
    response_code = Integer("The last attempt's HTTP status; null if none answered.", nullable=True)
    last_error = Text("Why the last attempt failed; empty if it did not.")
    last_attempt_at = DateTime(nullable=True)
    next_attempt_at = DateTime("When it is tried next; null unless pending.", nullable=True)
    delivered_at = DateTime(nullable=True)
    created_at = DateTime()
