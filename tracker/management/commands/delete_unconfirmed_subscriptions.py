"""Delete e-mail subscriptions left unconfirmed for longer than their link works (a week).

`send_digests` does this too; this command is for sites that send no digests.
"""

from django.core.management.base import BaseCommand

from tracker import subscriptions


class Command(BaseCommand):
    help = "Delete e-mail subscriptions left unconfirmed for a week."

    def handle(self, *args, **options) -> None:
        deleted = subscriptions.delete_unconfirmed()
        self.stdout.write(f"Deleted {deleted} unconfirmed subscription(s).")
