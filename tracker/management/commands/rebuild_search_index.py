"""Write the search's documents again from the record (tracker/search.py).

The services and the import keep them in step; run this after writing around them (a
restored backup, data generated in bulk, an upgrade that changes what is searched).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from tracker import search


class Command(BaseCommand):
    help = "Rebuild the full-text search index from the record."

    def handle(self, *args, **options):
        with transaction.atomic():
            count = search.rebuild()
        self.stdout.write(f"Indexed {count:,} search documents.")
