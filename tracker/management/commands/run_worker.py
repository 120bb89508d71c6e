"""The background worker: django-tasks' database worker, after a sweep is queued.

`manage.py run_worker` takes db_worker's options (`--interval`, `--batch`, ...). A worker
that was killed leaves no task behind to finish what it was doing; queuing a sweep as it
starts makes the new one pick up every delivery still waiting (tracker/webhook_delivery.py),
and queuing housekeeping (tracker/housekeeping.py: digests, unconfirmed subscriptions, old
deliveries) starts its schedule, which then keeps itself going without cron.
"""

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from tracker import housekeeping, webhook_delivery


class Command(DatabaseWorker):
    help = "Run the background worker (webhooks, e-mails): queue a sweep, then work the queue."

    def handle(self, *args, **options) -> None:
        webhook_delivery.send_due.enqueue()
        # Now: whatever fell due while no worker ran (unless a run is queued already).
        housekeeping.schedule(at_most=timezone.now())
        super().handle(*args, **options)
