"""Send the daily and weekly e-mail digests that are due. The worker does this by itself
(tracker/housekeeping.py); operators who prefer cron may also run this, e.g. hourly:

    0 * * * *  cd /srv/scorecard && .venv/bin/python manage.py send_digests

A digest is due a day (or a week) after the last one; one that nothing new would fill is
not sent; each is claimed before it is sent, so this and the worker never send one twice.
Also deletes subscriptions left unconfirmed for a week.
"""

from django.core.management.base import BaseCommand

from tracker import housekeeping, subscriptions


class Command(BaseCommand):
    help = "Send the e-mail digests that are due and delete week-old unconfirmed subscriptions."

    def handle(self, *args, **options) -> None:
        sent = housekeeping.send_due_digests()
        deleted = subscriptions.delete_unconfirmed()
        self.stdout.write(f"Sent {sent} digest(s); deleted {deleted} unconfirmed subscription(s).")
