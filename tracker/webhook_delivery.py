"""Sending webhooks: Standard Webhooks signatures, SSRF-safe connections, retries.

Runs in the background worker (Django's tasks framework, `manage.py run_worker`), never in
the request that publishes. `send_due` is the one task: it fans new events out into
deliveries, sends every delivery that is due, and, while anything is still waiting (a
retry later on), enqueues itself for when the next one is due. The rows say everything
(tracker/webhook_models.py): a worker that dies mid-attempt leaves its delivery claimed
only for a lease, and the worker enqueues a sweep whenever it starts, so nothing waits on
a task that was lost.
"""

import base64
import datetime
import hashlib
import hmac
import http.client
import ipaddress
import logging
import secrets
import socket
import ssl
import time
import urllib.parse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import task
from django_tasks_db.models import DBTaskResult, get_date_max

from tracker.webhook_models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 -- the format's prefix, not a secret
USER_AGENT = "AllianceScorecard-Webhooks/1"
# How long one run of `send_due` goes on before handing over to a fresh task.
RUN_SECONDS = 60


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# --- Where we may connect -------------------------------------------------------------------


class UnsafeTarget(Exception):
    """A URL we refuse to send to (scheme, or an address that is not public)."""


def _address_refusal(address: str) -> str | None:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback and settings.WEBHOOKS_ALLOW_LOOPBACK:
        return None
    if ip.is_global and not ip.is_multicast:
        return None
    return f"{address} is not a public address"


def url_problem(url: str) -> str | None:
    """Why an endpoint URL is refused on its face (scheme, host); None if it may be tried.
    Where its name resolves is checked again at every attempt (`resolve_target`)."""
    parts = urllib.parse.urlsplit(url)
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_LOOPBACK else ("https",)
    if parts.scheme not in allowed:
        return gettext("Use an https URL.")
    if not parts.hostname:
        return gettext("Give the host name of the endpoint.")
    if parts.username or parts.password:
        return gettext("Put no user name or password in the URL.")
    try:
        refusal = _address_refusal(parts.hostname)
    except ValueError:
        return None  # a host name: checked when resolved
    if refusal is None:
        return None
    # The same words as `_address_refusal`'s (the delivery log's), in the answer's language.
    return gettext("%(address)s is not a public address; webhooks go to public addresses only.") % {
        "address": parts.hostname
    }


def resolve_target(url: str) -> tuple[urllib.parse.SplitResult, str]:
    """The URL's parts and the one checked address to connect to. Every address the name
    resolves to must be public: otherwise a name with one public and one private address
    would let whoever controls its DNS choose."""
    with translation.override(None):  # the delivery log speaks the code's own words
        problem = url_problem(url)
    if problem:
        raise UnsafeTarget(problem)
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeTarget(f"{parts.hostname} does not resolve ({error})") from None
    addresses = [info[4][0] for info in found]
    for address in addresses:
        refusal = _address_refusal(address)
        if refusal:
            raise UnsafeTarget(f"{parts.hostname} resolves to {refusal}")
    return parts, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address we checked, not to whatever the name resolves to next."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, as usual.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST and return the status. Redirects are not followed (a 3xx is a failure)."""
    parts, address = resolve_target(url)
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    port = parts.port or (443 if parts.scheme == "https" else 80)
    connection = kind(parts.hostname, port, address, settings.WEBHOOKS_TIMEOUT_SECONDS)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()


# --- Attempts -------------------------------------------------------------------------------


def lease_seconds() -> int:
    # Longer than an attempt takes (connect, send, answer: each within the timeout), so two
    # workers do not send one delivery at once; a worker that died frees it after this.
    return settings.WEBHOOKS_TIMEOUT_SECONDS * 3 + 2


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential backoff: the first retry after WEBHOOKS_RETRY_FIRST_SECONDS, doubling."""
    return datetime.timedelta(seconds=settings.WEBHOOKS_RETRY_FIRST_SECONDS * 2 ** (attempts - 1))


def headers_for(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(delivery.endpoint.secret, delivery.message_id, timestamp, body),
    }


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Claim a due delivery for one attempt (a lease); None if another worker has it."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + datetime.timedelta(seconds=lease_seconds()))
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)


def attempt(delivery: WebhookDelivery) -> None:
    """One attempt at a claimed delivery, and what follows from its outcome."""
    body = delivery.event.body.encode()
    code: int | None = None
    error = ""
    try:
        code = post(delivery.endpoint.url, headers_for(delivery, body), body)
        if not 200 <= code < 300:
            error = f"The endpoint answered {code}."
    except UnsafeTarget as refusal:
        error = f"Refused: {refusal}."
    except (OSError, http.client.HTTPException) as failure:
        error = f"{type(failure).__name__}: {failure}"[:400]
    except Exception as failure:  # anything else about this URL: a failed attempt, not a crash
        logger.exception("Delivery %s failed unexpectedly", delivery.message_id)
        error = f"{type(failure).__name__}: {failure}"[:400]
    now = timezone.now()
    fields = {
        "attempts": delivery.attempts + 1,
        "last_attempt_at": now,
        "response_code": code,
        "last_error": error,
    }
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
        return
    give_up_at = delivery.created_at + datetime.timedelta(
        seconds=settings.WEBHOOKS_RETRY_FOR_SECONDS
    )
    if now >= give_up_at:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
        disable_endpoint(delivery.endpoint, error)
        return
    fields["next_attempt_at"] = min(now + retry_delay(fields["attempts"]), give_up_at)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)


def disable_endpoint(endpoint: WebhookEndpoint, error: str) -> None:
    """Deliveries failed for the whole retry period: stop, and tell the owner."""
    reason = (
        f"Disabled on {timezone.now():%Y-%m-%d %H:%M} UTC: deliveries failed for "
        f"{settings.WEBHOOKS_RETRY_FOR_SECONDS // 3600 or 1} hour(s). Last error: {error}"
    )[:500]
    with transaction.atomic():
        changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
            enabled=False, disabled_reason=reason, updated_at=timezone.now()
        )
        # What was still waiting for it fails too; the owner may redeliver it.
        WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None
        )
    if changed and endpoint.owner.email:
        try:
            send_mail(
                subject="Your Alliance Scorecard webhook endpoint was disabled",
                message=(
                    f"Deliveries to {endpoint.url} have failed since "
                    f"{settings.WEBHOOKS_RETRY_FOR_SECONDS // 3600 or 1} hour(s) ago, so the "
                    f"endpoint is disabled.\n\n{reason}\n\nFix the receiver, then set the "
                    "endpoint's `enabled` to true (PATCH /api/v1/webhooks/"
                    f"{endpoint.pk}/) and redeliver what it missed from its delivery log."
                ),
                from_email=None,
                recipient_list=[endpoint.owner.email],
            )
        except Exception:
            logger.exception(
                "Could not tell %s that endpoint %s is disabled", endpoint.owner, endpoint.pk
            )


# --- The sweep ------------------------------------------------------------------------------


@transaction.atomic
def deliveries_for(event: WebhookEvent) -> list[WebhookDelivery]:
    """Fan one event out: a delivery per subscribed, enabled endpoint (a test event: its
    one endpoint). Idempotent: two workers fanning out one event make each delivery once."""
    if event.only_endpoint_id is not None:
        endpoints = list(WebhookEndpoint.objects.filter(pk=event.only_endpoint_id))
    else:
        endpoints = [
            endpoint
            for endpoint in WebhookEndpoint.objects.filter(enabled=True)
            if event.type in endpoint.events
        ]
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                message_id=new_message_id(),
                event=event,
                endpoint=endpoint,
                next_attempt_at=event.occurred_at,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    WebhookEvent.objects.filter(pk=event.pk).update(fanned_out=True)
    return list(event.deliveries.select_related("event").order_by("id"))


def fan_out() -> int:
    """Fan out every event not yet fanned out."""
    made = 0
    for event in WebhookEvent.objects.filter(fanned_out=False).order_by("id")[:500]:
        made += len(deliveries_for(event))
    return made


def _due() -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=timezone.now(),
            endpoint__enabled=True,
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:200]
    )


def next_due() -> datetime.datetime | None:
    """When the sweep has something to do next (now, if events wait to be fanned out)."""
    if WebhookEvent.objects.filter(fanned_out=False).exists():
        return timezone.now()
    return WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, endpoint__enabled=True
    ).aggregate(due=Min("next_attempt_at"))["due"]


def sweep(*, run_seconds: float = RUN_SECONDS) -> int:
    """Fan out and send everything due, for up to `run_seconds`; returns attempts made."""
    started = time.monotonic()
    made = 0
    while time.monotonic() - started < run_seconds:
        fan_out()
        due = _due()
        if not due:
            break
        for delivery_id in due:
            delivery = _claim(delivery_id)
            if delivery is not None:
                attempt(delivery)
                made += 1
            if time.monotonic() - started >= run_seconds:
                break
    return made


def schedule_next() -> None:
    """Enqueue a sweep for when the next delivery is due, unless one is already queued
    for then (a duplicate would only find nothing to do)."""
    due = next_due()
    if due is None:
        return
    queued = DBTaskResult.objects.filter(task_path=send_due.module_path, status="READY").filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=due)
    )
    if not queued.exists():
        send_due.using(run_after=max(due, timezone.now())).enqueue()


@task()
def send_due() -> int:
    made = sweep()
    schedule_next()
    return made


# --- Retention ------------------------------------------------------------------------------

_PRUNE_BATCH = 1000


def prune(*, now: datetime.datetime | None = None) -> int:
    """Delete deliveries delivered more than WEBHOOKS_RETENTION_DAYS ago, then the events
    that old with no delivery left; how many rows went. Never a delivery still pending or
    failed (its owner may redeliver it), nor the event it sends. In batches: a backlog of
    months is deleted without one long transaction."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.WEBHOOKS_RETENTION_DAYS)
    delivered = WebhookDelivery.objects.filter(
        status=DeliveryStatus.DELIVERED, delivered_at__lt=cutoff
    )
    # Fanned out: no delivery will be made for it any more.
    spent = WebhookEvent.objects.filter(
        fanned_out=True, occurred_at__lt=cutoff, deliveries__isnull=True
    )
    deleted = 0
    for rows in (delivered, spent):
        while ids := list(rows.values_list("id", flat=True)[:_PRUNE_BATCH]):
            # The same conditions again: a delivery redelivered meanwhile is pending.
            deleted += rows.filter(pk__in=ids).delete()[0]
    return deleted


def validate_endpoint_url(url: str) -> None:
    problem = url_problem(url)
    if problem:
        raise ValidationError({"url": problem})
