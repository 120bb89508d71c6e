"""Announce the recommendations that became overdue (tracker/overdue.py): a
`recommendation.overdue` webhook event and an e-mail to followers, once per recommendation
and due date. Run it from cron once a day (or more often; a second run announces nothing
twice):

    5 0 * * *  cd /srv/scorecard && .venv/bin/python manage.py announce_overdue
"""

from django.core.management.base import BaseCommand

from tracker import overdue


class Command(BaseCommand):
    help = "Announce (webhooks, e-mails) the recommendations that became overdue, once each."

    def handle(self, *args, **options) -> None:
        announced, sent = overdue.announce()
        self.stdout.write(
            f"Announced {announced} overdue recommendation(s); sent {sent} e-mail(s)."
        )
