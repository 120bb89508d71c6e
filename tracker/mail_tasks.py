"""The e-mails the worker sends (Django's tasks framework), and what enqueues them, in
`transaction.on_commit`: a reader's request to follow (`request_subscription`), and the
grades the publishing services release (`released`, `corrected`, `released_together`;
`publishing_round()` groups what one action releases into one e-mail per follower). Run the
worker with `manage.py run_worker`; digests are sent by its housekeeping
(tracker/housekeeping.py), or by `send_digests` from cron.

Each task reads the database afresh when it runs: what was withdrawn to draft meanwhile is
not told, and an address that unsubscribed meanwhile is sent nothing.
"""

import contextlib
import contextvars
import logging
import uuid
from collections.abc import Iterator

from django.core import mail
from django.db import transaction
from django_tasks import task

from tracker import housekeeping, mail_messages, subscriptions
from tracker.models import Evaluation, Frequency, NoticeKind

logger = logging.getLogger(__name__)


@task()
def send_confirmation(subscription_id: int) -> int:
    """The one confirmation e-mail for the pending subscriptions of this one's address.

    Takes an id, not the address: the queue's rows are kept, and hold no addresses.
    """
    email = (
        subscriptions.Subscription.objects.filter(pk=subscription_id, confirmed_at__isnull=True)
        .values_list("email", flat=True)
        .first()
    )
    if email is None:
        return 0
    pending = list(subscriptions.pending_subscriptions(email).order_by("pk"))
    if not pending:
        return 0
    return mail_messages.confirmation(email, pending).send()


@task()
def send_round(round_id: str, releases: list) -> int:
    """One e-mail per follower (those who want each round) for what one round released."""
    notices = subscriptions.record_round(
        round_id=uuid.UUID(round_id), releases=[tuple(release) for release in releases]
    )
    if not notices:
        return 0
    followers = subscriptions.Subscription.objects.filter(
        confirmed_at__isnull=False, frequency=Frequency.EACH_ROUND
    )
    told_by_address = subscriptions.notices_by_address(notices, followers)
    languages = subscriptions.languages_of(told_by_address)
    messages = [
        mail_messages.round_message(email, told, languages.get(email, "en"))
        for email, told in sorted(told_by_address.items())
    ]
    # Digest readers who follow these grades: their period's end may come before the
    # worker's next housekeeping run.
    housekeeping.request_run()
    with mail.get_connection() as connection:
        return connection.send_messages(messages) or 0


def request_subscription(
    *,
    email: str,
    report=None,
    recommendation=None,
    language: str = "en",
    now=None,
) -> None:
    """Ask to follow (tracker.subscriptions.record_request) and, when a confirmation e-mail
    is due, enqueue it once the write is committed. Says nothing back, whatever happened."""
    due = subscriptions.record_request(
        email=email, report=report, recommendation=recommendation, language=language, now=now
    )
    if due is not None:
        transaction.on_commit(lambda: send_confirmation.enqueue(due.pk))


# Publishing rounds: what the publishing services release, told in one e-mail per follower.

_round: contextvars.ContextVar[list | None] = contextvars.ContextVar("mail_round", default=None)


@contextlib.contextmanager
def publishing_round() -> Iterator[None]:
    """Group the grades released inside (several publishing transactions, as the admin's
    "publish selected") into one round: one e-mail per follower for all of them."""
    if _round.get() is not None:  # already inside one
        yield
        return
    releases: list = []
    marker = _round.set(releases)
    try:
        yield
    finally:
        _round.reset(marker)
        if releases:
            _enqueue_round(releases)


def released(
    evaluation: Evaluation, *, kind: str = NoticeKind.PUBLISHED, previous_grade_id=None
) -> None:
    """A grade became public (or a public grade changed). Call in `transaction.on_commit`."""
    release = (evaluation.pk, str(kind), previous_grade_id)
    releases = _round.get()
    if releases is not None:
        releases.append(release)
    else:
        _enqueue_round([release])


def released_together(releases: list[tuple[int, str, int | None]]) -> None:
    """Grades one write released at once (an import): (evaluation id, kind, previous grade
    id or None for a newly published one), one round. Call in `transaction.on_commit`."""
    current = _round.get()
    if current is not None:
        current.extend(releases)
    else:
        _enqueue_round(list(releases))


def corrected(evaluation: Evaluation, previous_grade_id: int) -> None:
    """A published grade was corrected from `previous_grade_id`. Call in on_commit."""
    released(evaluation, kind=NoticeKind.CHANGED, previous_grade_id=previous_grade_id)


def _enqueue_round(releases: list) -> None:
    send_round.enqueue(str(uuid.uuid4()), [list(release) for release in releases])
