"""Write the search's documents again from the record (tracker/search.py).

The services and the import keep them in step; run this after writing around them (a
restored backup, data generated in bulk, an upgrade that changes what is searched).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from scorecard import response_cache
from tracker import search


class Command(BaseCommand):
    help = "Rebuild the full-text search index from the record."

    def handle(self, *args, **options):
        with transaction.atomic():
            count = search.rebuild()
        # Kept answers are keyed by the data's state, which the documents are not part of
        # (the services write both in one transaction): answers kept before would outlive
        # the rebuild until the next write.
        response_cache.clear()
        self.stdout.write(f"Indexed {count:,} search documents.")
