"""What the background worker does on its own schedule, with nothing else set up (no cron):
send the daily and weekly digests that are due, delete subscriptions left unconfirmed for a
week, and delete delivered webhook events and deliveries older than the retention period.

One task, `run`, does all three, then queues itself again (django-tasks' `run_after`) for
when the next digest period with something to tell ends, or an hour (`INTERVAL`) later at
the latest. The worker that handles a publishing round asks for a run too, so a digest goes
out when its day or week is over, not an interval later; and the worker queues one as it
starts, so a run lost with a killed worker is made good.

The schedule is rows in the worker's queue, kept once: `schedule` queues a run only if
none is queued for that time or sooner, deciding under a lock (PostgreSQL: an advisory
lock; SQLite: its IMMEDIATE transactions hold the write lock), so two workers, or a worker
and a round, never queue two. A run that happens anyway (a worker and `send_digests` from
cron at once) sends nothing twice: each digest is claimed before it is sent.
"""

import datetime
import logging

from django.core import mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, get_date_max

from tracker import mail_messages, subscriptions, webhook_delivery
from tracker.models import Frequency

logger = logging.getLogger(__name__)

# The longest a worker waits between runs (unconfirmed subscriptions and old deliveries are
# deleted at most this late; digests with nothing to tell are passed on this often).
INTERVAL = datetime.timedelta(hours=1)
# After a run, the next one is no sooner than this (a digest whose mail server refused it
# is tried again then, not at once and forever).
PAUSE = datetime.timedelta(minutes=1)
_LOCK = 0x5C0EC4E  # the advisory lock under which a run is queued (PostgreSQL)


def next_run_at(now: datetime.datetime) -> datetime.datetime:
    """When the next run is wanted: the next digest due, or an interval from now."""
    wanted = now + INTERVAL
    digest = subscriptions.next_digest_due()
    if digest is not None:
        wanted = min(wanted, max(digest, now))
    return wanted


def schedule(
    *, not_before: datetime.datetime | None = None, at_most: datetime.datetime | None = None
) -> None:
    """Queue a run for when it is next wanted (within the bounds given), unless one is
    queued for then or sooner."""
    now = timezone.now()
    wanted = next_run_at(now)
    if at_most is not None:
        wanted = min(wanted, at_most)
    if not_before is not None:
        wanted = max(wanted, not_before)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        queued = DBTaskResult.objects.filter(task_path=run.module_path, status="READY").filter(
            Q(run_after=get_date_max()) | Q(run_after__lte=wanted)
        )
        if not queued.exists():
            run.using(run_after=wanted).enqueue()


def request_run() -> None:
    """`schedule`, never failing its caller (the worker's next run schedules again)."""
    try:
        schedule()
    except Exception:
        logger.exception("Could not schedule housekeeping; its next run will")


def run_now() -> dict[str, int]:
    """Everything that is due, each part on its own (one failing does not stop the rest)."""
    done = {}
    for name, part in (
        ("digests", send_due_digests),
        ("unconfirmed", subscriptions.delete_unconfirmed),
        ("pruned", webhook_delivery.prune),
    ):
        try:
            done[name] = part()
        except Exception:
            logger.exception("Housekeeping: %s failed; tried again at the next run", name)
            done[name] = 0
    return done


@task()
def run() -> dict[str, int]:
    try:
        return run_now()
    finally:
        schedule(not_before=timezone.now() + PAUSE)


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
