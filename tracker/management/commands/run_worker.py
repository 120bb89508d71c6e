"""The background worker: django-tasks' database worker, after a sweep is queued.

`manage.py run_worker` takes db_worker's options (`--interval`, `--batch`, ...). A worker
that was killed leaves no task behind to finish what it was doing; queuing a sweep as it
starts makes the new one pick up every delivery still waiting (tracker/webhook_delivery.py).
"""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from tracker import webhook_delivery


class Command(DatabaseWorker):
    help = "Run the background worker (webhooks, e-mails): queue a sweep, then work the queue."

    def handle(self, *args, **options) -> None:
        webhook_delivery.send_due.enqueue()
        super().handle(*args, **options)
