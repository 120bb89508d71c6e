"""Readers who follow grades by e-mail: their subscriptions, the signed links that stand in
for an account, and what each publishing round tells whom.

Writes are keyword-only functions, one transaction each. Nothing here sends or enqueues an
e-mail: tracker/mail_tasks.py does (it asks this module), so a request never waits for a
mail server and a rolled-back write sends nothing.

- `record_request` records a wish to follow (pending until confirmed) and says whether a
  confirmation e-mail is due (at most one per address per hour); the caller gives the same
  answer whether or not the address was known.
- The confirmation link (valid for `CONFIRMATION_MAX_AGE`) confirms the subscriptions it
  was sent for; the manage and unsubscribe links carry the signed address and never expire.
- `record_round` keeps what one publishing round released and whom it tells.
"""

import datetime
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from tracker.models import (
    Evaluation,
    Frequency,
    GradeNotice,
    NoticeKind,
    Recommendation,
    Report,
    Status,
    Subscription,
)

CONFIRMATION_MAX_AGE = datetime.timedelta(days=7)
CONFIRMATION_INTERVAL = datetime.timedelta(hours=1)
DIGEST_PERIODS = {
    Frequency.DAILY: datetime.timedelta(days=1),
    Frequency.WEEKLY: datetime.timedelta(days=7),
}

_CONFIRM_SALT = "tracker.subscriptions.confirm"
_MANAGE_SALT = "tracker.subscriptions.manage"
_UNSUBSCRIBE_SALT = "tracker.subscriptions.unsubscribe"


def supported_language(code: str | None) -> str:
    """The code of settings.LANGUAGES for a language ("en-us" → "en"); unknown: English."""
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return "en"


def normalize_address(email: str) -> str:
    """One spelling per address, so that case cannot make two subscribers of one."""
    return email.strip().lower()


# --- Signed links ---------------------------------------------------------------------------


def confirmation_token(email: str, subscription_ids: Iterable[int]) -> str:
    return signing.dumps({"e": email, "s": sorted(subscription_ids)}, salt=_CONFIRM_SALT)


def read_confirmation_token(token: str) -> tuple[str, list[int]] | None:
    """(address, subscription ids), or None if the token is forged or older than a week."""
    try:
        data = signing.loads(
            token, salt=_CONFIRM_SALT, max_age=CONFIRMATION_MAX_AGE.total_seconds()
        )
    except signing.BadSignature:
        return None
    return data["e"], [int(pk) for pk in data["s"]]


def manage_token(email: str) -> str:
    return signing.dumps(email, salt=_MANAGE_SALT)


def unsubscribe_token(email: str) -> str:
    return signing.dumps(email, salt=_UNSUBSCRIBE_SALT)


def _read_address(token: str, salt: str) -> str | None:
    try:
        return signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None


def read_manage_token(token: str) -> str | None:
    return _read_address(token, _MANAGE_SALT)


def read_unsubscribe_token(token: str) -> str | None:
    return _read_address(token, _UNSUBSCRIBE_SALT)


# --- Reads ----------------------------------------------------------------------------------


def subscriptions_of(email: str) -> QuerySet[Subscription]:
    """An address's confirmed subscriptions, everything first, then by report and code."""
    return (
        Subscription.objects.filter(email=email, confirmed_at__isnull=False)
        .select_related("report", "recommendation__report")
        .order_by("report__slug", "recommendation__report__slug", "recommendation__code")
    )


def pending_subscriptions(email: str) -> QuerySet[Subscription]:
    return Subscription.objects.filter(email=email, confirmed_at__isnull=True).select_related(
        "report", "recommendation__report"
    )


def languages_of(emails: Iterable[str]) -> dict[str, str]:
    """The language each address's e-mails are written in: the one it used when it last
    asked to follow something it still follows."""
    rows = (
        Subscription.objects.filter(email__in=list(emails), confirmed_at__isnull=False)
        .order_by("pk")
        .values_list("email", "language")
    )
    return dict(rows)


def following(recommendations: Iterable[Recommendation]) -> Q:
    """Subscriptions that follow any of these recommendations."""
    recommendations = list(recommendations)
    return (
        Q(report__isnull=True, recommendation__isnull=True)
        | Q(report_id__in={r.report_id for r in recommendations})
        | Q(recommendation_id__in={r.pk for r in recommendations})
    )


def follows(subscription: Subscription, recommendation: Recommendation) -> bool:
    if subscription.recommendation_id:
        return subscription.recommendation_id == recommendation.pk
    if subscription.report_id:
        return subscription.report_id == recommendation.report_id
    return True


def notices_by_address(
    notices: list[GradeNotice], subscriptions: QuerySet[Subscription]
) -> dict[str, list[GradeNotice]]:
    """For each address among `subscriptions`, the notices any of its subscriptions follows,
    each once, in the order given."""
    recommendations = [notice.evaluation.recommendation for notice in notices]
    wanted: dict[str, set[int]] = {}
    for subscription in subscriptions.filter(following(recommendations)):
        for notice in notices:
            if follows(subscription, notice.evaluation.recommendation):
                wanted.setdefault(subscription.email, set()).add(notice.pk)
    return {
        email: [notice for notice in notices if notice.pk in ids] for email, ids in wanted.items()
    }


def _notices() -> QuerySet[GradeNotice]:
    # A notice whose evaluation was withdrawn since is not told: drafts are never mailed.
    return GradeNotice.objects.filter(evaluation__status=Status.PUBLISHED).select_related(
        "evaluation__grade",
        "evaluation__evaluator",
        "evaluation__recommendation__report",
        "previous_grade",
    )


def round_notices(round_id: uuid.UUID) -> list[GradeNotice]:
    return list(_notices().filter(round=round_id))


def due_digests(now: datetime.datetime) -> dict[str, list[tuple[Subscription, list]]]:
    """Confirmed digest subscriptions whose period is over, by address, with the notices
    released since each one's last digest (possibly none)."""
    due = Q()
    for frequency, period in DIGEST_PERIODS.items():
        cutoff = now - period
        due |= Q(frequency=frequency) & (
            Q(last_digest_at__lte=cutoff) | Q(last_digest_at__isnull=True, confirmed_at__lte=cutoff)
        )
    subscriptions = list(
        Subscription.objects.filter(due, confirmed_at__isnull=False).select_related(
            "report", "recommendation"
        )
    )
    if not subscriptions:
        return {}
    since = min(s.last_digest_at or s.confirmed_at for s in subscriptions)
    notices = list(_notices().filter(released_at__gt=since, released_at__lte=now))
    result: dict[str, list[tuple[Subscription, list]]] = {}
    for subscription in subscriptions:
        start = subscription.last_digest_at or subscription.confirmed_at
        told = [
            notice
            for notice in notices
            if notice.released_at > start
            and follows(subscription, notice.evaluation.recommendation)
        ]
        result.setdefault(subscription.email, []).append((subscription, told))
    return result


def next_digest_due() -> datetime.datetime | None:
    """When the next digest period ends that may have something to tell: the earliest end
    among digest subscriptions whose period began before the latest grade was released.
    (Periods in which nothing at all was released are passed on by the worker's hourly run.)
    """
    latest = GradeNotice.objects.aggregate(latest=Max("released_at"))["latest"]
    if latest is None:
        return None
    ends = []
    for frequency, period in DIGEST_PERIODS.items():
        began = (
            Subscription.objects.filter(confirmed_at__isnull=False, frequency=frequency)
            .annotate(began=Coalesce("last_digest_at", "confirmed_at"))
            .filter(began__lt=latest)
            .aggregate(earliest=Min("began"))["earliest"]
        )
        if began is not None:
            ends.append(began + period)
    return min(ends, default=None)


# --- Writes ---------------------------------------------------------------------------------


@transaction.atomic
def record_request(
    *,
    email: str,
    report: Report | None = None,
    recommendation: Recommendation | None = None,
    language: str = "en",
    now: datetime.datetime | None = None,
) -> None:
    """Ask to follow `recommendation`, `report`, or (neither) every report; e-mails come in
    `language` (the one the reader was reading: `translation.get_language()`).

    A pending subscription is kept (in the language asked last); a confirmation e-mail is
    enqueued unless this address was sent one in the last hour. An address that already
    follows this is sent nothing.
    """

    now = now or timezone.now()
    email = normalize_address(email)
    language = supported_language(language)
    scope = {"email": email, "report": report, "recommendation": recommendation}
    try:
        with transaction.atomic():
            subscription, _ = Subscription.objects.get_or_create(
                **scope, defaults={"language": language}
            )
    except IntegrityError:  # the same request, twice at once: the other one made it
        subscription = Subscription.objects.get(**scope)
    if subscription.confirmed_at is not None:
        return None
    if subscription.language != language:
        Subscription.objects.filter(pk=subscription.pk).update(language=language)
    recently = Subscription.objects.filter(
        email=email, confirmation_sent_at__gt=now - CONFIRMATION_INTERVAL
    )
    if recently.exists():
        return None
    pending_subscriptions(email).update(confirmation_sent_at=now)
    return subscription


@transaction.atomic
def confirm_subscriptions(
    *, email: str, subscription_ids: Iterable[int], now: datetime.datetime | None = None
) -> int:
    """Confirm the subscriptions a confirmation e-mail was sent for; how many were pending."""
    return (
        pending_subscriptions(email)
        .filter(pk__in=list(subscription_ids))
        .update(confirmed_at=now or timezone.now())
    )


@transaction.atomic
def change_frequency(*, email: str, subscription_id: int, frequency: str) -> bool:
    if frequency not in Frequency.values:
        raise ValueError(f"Unknown frequency {frequency!r}.")
    # From now on: a digest starts with what is released after the change.
    return bool(
        subscriptions_of(email)
        .filter(pk=subscription_id)
        .update(frequency=frequency, last_digest_at=timezone.now())
    )


@transaction.atomic
def unsubscribe(*, email: str, subscription_id: int | None = None) -> int:
    """Delete one subscription of this address, or (no id) all of them, pending ones too.

    Deleted, not marked: an address nobody wants mail at is not kept.
    """
    subscriptions = Subscription.objects.filter(email=email)
    if subscription_id is not None:
        subscriptions = subscriptions.filter(pk=subscription_id)
    deleted, _ = subscriptions.delete()
    return deleted


@transaction.atomic
def delete_unconfirmed(*, now: datetime.datetime | None = None) -> int:
    """Delete subscriptions left unconfirmed for longer than their last link is valid."""
    cutoff = (now or timezone.now()) - CONFIRMATION_MAX_AGE
    stale = Q(confirmation_sent_at__lt=cutoff) | Q(
        confirmation_sent_at__isnull=True, created_at__lt=cutoff
    )
    deleted, _ = Subscription.objects.filter(stale, confirmed_at__isnull=True).delete()
    return deleted


def _as_read(subscription: Subscription) -> QuerySet[Subscription]:
    """This subscription, if its last digest is still what it was when it was read."""
    rows = Subscription.objects.filter(pk=subscription.pk)
    if subscription.last_digest_at is None:
        return rows.filter(last_digest_at__isnull=True)
    return rows.filter(last_digest_at=subscription.last_digest_at)


@transaction.atomic
def claim_digests(*, due: Iterable[Subscription], now: datetime.datetime) -> list[Subscription]:
    """Mark these digests sent at `now`, each only if nobody did since it was read: of two
    senders at once (the worker and `send_digests` from cron), one sends each digest."""
    return [s for s in due if _as_read(s).update(last_digest_at=now)]


@transaction.atomic
def unclaim_digests(*, claimed: Iterable[Subscription], now: datetime.datetime) -> None:
    """The digests claimed at `now` could not be sent: due again, for the next run."""
    for subscription in claimed:
        Subscription.objects.filter(pk=subscription.pk, last_digest_at=now).update(
            last_digest_at=subscription.last_digest_at
        )


@transaction.atomic
def record_round(
    *, round_id: uuid.UUID, releases: list[tuple[int, str, int | None]]
) -> list[GradeNotice]:
    """The notices of a round (written once: a round handled again finds them written).

    `releases`: (evaluation id, kind, previous grade id or None). For a newly published
    grade, the previous grade is the one it follows in the recommendation's timeline,
    leaving out the other grades of the same round.
    """
    if not GradeNotice.objects.filter(round=round_id).exists():
        released_at = timezone.now()
        ids = [evaluation_id for evaluation_id, _, _ in releases]
        evaluations = Evaluation.objects.in_bulk(ids)
        notices = []
        for evaluation_id, kind, previous_grade_id in releases:
            evaluation = evaluations.get(evaluation_id)
            if evaluation is None or evaluation.status != Status.PUBLISHED:
                continue
            if kind == NoticeKind.PUBLISHED:
                previous_grade_id = _grade_before(evaluation, exclude=ids)
            notices.append(
                GradeNotice(
                    round=round_id,
                    kind=kind,
                    evaluation=evaluation,
                    previous_grade_id=previous_grade_id,
                    released_at=released_at,
                )
            )
        GradeNotice.objects.bulk_create(notices)
    return round_notices(round_id)


def _grade_before(evaluation: Evaluation, *, exclude: list[int]) -> int | None:
    earlier = (
        Evaluation.objects.filter(
            recommendation_id=evaluation.recommendation_id, status=Status.PUBLISHED
        )
        .exclude(pk__in=exclude)
        .filter(
            Q(as_of__lt=evaluation.as_of)
            | Q(as_of=evaluation.as_of, published_at__lt=evaluation.published_at)
        )
        .order_by("-as_of", "-published_at")
        .values_list("grade_id", flat=True)
    )
    return earlier.first()
