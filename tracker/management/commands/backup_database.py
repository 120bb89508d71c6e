from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write a consistent backup of the whole database (pg_dump, or SQLite's backup API)."

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            help="file to write (default: backups/scorecard-<vendor>-<UTC time>.<ext>)",
        )

    def handle(self, *args, **options):
        from django.db import connection

        extension = "dump" if connection.vendor == "postgresql" else "sqlite3"
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        path = Path(
            options["output"] or f"backups/scorecard-{connection.vendor}-{stamp}.{extension}"
        )
        try:
            backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up the {connection.vendor} database to {path}")
