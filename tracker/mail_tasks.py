"""The e-mails the worker sends (Django's tasks framework; tracker/subscriptions.py enqueues
them in `transaction.on_commit`). Run the worker with `manage.py run_worker`; digests are
sent by its housekeeping (tracker/housekeeping.py), or by `send_digests` from cron.

Each task reads the database afresh when it runs: what was withdrawn to draft meanwhile is
not told, and an address that unsubscribed meanwhile is sent nothing.
"""

import logging
import uuid

from django.core import mail
from django.utils import timezone
from django_tasks import task

from tracker import mail_messages, subscriptions
from tracker.models import Frequency

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
    from tracker import housekeeping  # it imports this module

    housekeeping.request_run()
    with mail.get_connection() as connection:
        return connection.send_messages(messages) or 0


def send_due_digests() -> int:
    """Send every digest whose day or week is over; how many e-mails were sent.

    A period in which nothing they follow was published sends nothing. Each digest is
    claimed before it is sent (two senders at once send it once); one the mail server
    refuses is due again at the next run.
    """
    now = timezone.now()
    sent = 0
    with mail.get_connection() as connection:
        for email, due in sorted(subscriptions.due_digests(now).items()):
            for frequency in (Frequency.DAILY, Frequency.WEEKLY):
                parts = {s: told for s, told in due if s.frequency == frequency}
                claimed = subscriptions.claim_digests(due=list(parts), now=now)
                seen: dict[int, object] = {}
                for subscription in claimed:
                    for notice in parts[subscription]:
                        seen.setdefault(notice.pk, notice)
                if not seen:
                    continue
                notices = sorted(seen.values(), key=lambda n: (n.released_at, n.pk))
                language = max(claimed, key=lambda s: s.pk).language
                try:
                    message = mail_messages.digest(email, frequency, notices, language)
                    sent += connection.send_messages([message]) or 0
                except Exception:
                    logger.exception("A digest could not be sent; it is due again")
                    subscriptions.unclaim_digests(claimed=claimed, now=now)
    return sent


@task()
def send_digests() -> int:
    return send_due_digests()


@task()
def delete_unconfirmed_subscriptions() -> int:
    return subscriptions.delete_unconfirmed()
