"""Partners' webhook endpoints, the outbox of events, and the deliveries (issue 16).

The outbox (`WebhookEvent`) is written in the publishing transaction (tracker/events.py);
the worker fans each event out into one `WebhookDelivery` per subscribed endpoint and
sends them (tracker/webhook_delivery.py). A delivery row is the whole truth about where it
stands, so a worker that dies, or a task that was never enqueued, loses nothing: the next
sweep finds the row due again.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    EVALUATION_PUBLISHED = "evaluation.published", "An evaluation was published"
    EVALUATION_CHANGED = "evaluation.changed", "A published evaluation was corrected"
    EVALUATION_WITHDRAWN = "evaluation.withdrawn", "A published evaluation was withdrawn"
    EDITION_PUBLISHED = "edition.published", "An edition was published"
    # Issue 17: its due date passed while its grade as of that date did not count as done
    # (tracker.deadlines); announced once per recommendation and due date (tracker/overdue.py).
    RECOMMENDATION_OVERDUE = "recommendation.overdue", "A recommendation became overdue"
    # Sent only by "send a test event", only to the endpoint that asked.
    WEBHOOK_TEST = "webhook.test", "A test event"


# The events an endpoint may subscribe to.
SUBSCRIBABLE = tuple(value for value in EventType.values if value != EventType.WEBHOOK_TEST)


class WebhookEndpoint(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("owner"),
    )
    url = models.URLField(max_length=2000, verbose_name=_("url"))
    events = models.JSONField(
        default=list, help_text=_("The event types it receives."), verbose_name=_("events")
    )
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    # `whsec_` + base64 of 32 random bytes (Standard Webhooks); shown once, on creation
    # and on rotation.
    secret = models.CharField(max_length=100, verbose_name=_("secret"))
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    disabled_reason = models.CharField(
        max_length=500, blank=True, verbose_name=_("disabled reason")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("id",)

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    type = models.CharField(max_length=40, choices=EventType.choices, verbose_name=_("type"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    # The payload `{type, timestamp, data}` exactly as sent, written once: every attempt
    # (and every endpoint) gets the same bytes.
    body = models.TextField(verbose_name=_("body"))
    # False until the worker has made its deliveries.
    fanned_out = models.BooleanField(default=False, db_index=True, verbose_name=_("fanned out"))
    # A test event goes to this endpoint only.
    only_endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("only endpoint"),
    )

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    # `webhook-id`: the same on every attempt, so receivers de-duplicate on it.
    message_id = models.CharField(max_length=40, unique=True, verbose_name=_("message id"))
    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    status = models.CharField(
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        verbose_name=_("status"),
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    # When a pending delivery is due. A worker claims one by moving this past the time an
    # attempt can take (a lease): one that dies mid-attempt leaves it due again.
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    last_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last attempt at"))
    response_code = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("response code")
    )
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("last error"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(fields=("event", "endpoint"), name="one_delivery_per_endpoint")
        ]
        indexes = [models.Index(fields=("status", "next_attempt_at"), name="delivery_due")]

    def __str__(self) -> str:
        return self.message_id
