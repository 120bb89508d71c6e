"""Import scorecard files: python manage.py import_scorecard FILE... [--if-empty] [--dry-run]

All files are checked completely before anything is written, then written in one
transaction; on any problem nothing is imported and every problem is listed as
`file:line: path: problem`. Importing the same files again changes nothing.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from tracker import services
from tracker.interchange import ImportConflict, ScorecardFileError
from tracker.models import Report

# Below this many items a step is quick, and progress would only be noise.
SHOW_PROGRESS_FROM = 1000
BIG_FILES_BYTES = 1_000_000


class ProgressDisplay:
    """Progress on stderr, as generate_scale_data shows it: a bar redrawn in place on a
    terminal; elsewhere (a log, CI) a line at each tenth of a step, so that the log stays
    short; nothing when `quiet` (--verbosity 0) or for a step of few items."""

    def __init__(self, stream: OutputWrapper, quiet: bool = False):
        self.stream, self.is_terminal, self.quiet = stream, stream.isatty(), quiet
        self.started = time.monotonic()
        self.step, self.tenths = None, 0

    def __call__(self, step: str, done: int, total: int) -> None:
        if self.quiet or total < SHOW_PROGRESS_FROM:
            return
        if step != self.step:
            # A step is first heard of after its first batch: its rate counts from the end
            # of the step before.
            self.step, self.tenths = step, 0
        now = time.monotonic()
        rate = done / max(now - self.started, 1e-6)
        if self.is_terminal:
            filled = 30 * done // total
            self.stream.write(
                f"\r{step:<12} [{'#' * filled}{'.' * (30 - filled)}] {done:>9,}/{total:,} "
                f"({rate:,.0f}/s)",
                ending="\n" if done >= total else "",
            )
        else:
            tenths = min(10, 10 * done // total)
            if tenths <= self.tenths:
                return
            self.tenths = tenths
            self.stream.write(f"{step}: {done:,} of {total:,}")
        self.stream.flush()
        if done >= total:
            self.started = now


class Command(BaseCommand):
    help = (
        "Import scorecard files (YAML, see docs/interchange-format.md). Checks every file "
        "completely first; writes all or nothing; importing the same files again changes "
        "nothing. Never deletes anything."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="scorecard files")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the database already holds a report (used on first start)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the files and report what would change, without writing anything",
        )

    def handle(self, *args, files: list[str], if_empty: bool, dry_run: bool, **options):
        if if_empty and Report.objects.exists():
            count = Report.objects.count()
            self.stdout.write(
                f"Skipped: the database already holds {count} report{'s' * (count != 1)}; "
                f"run without --if-empty to update it from the files."
            )
            return
        quiet = options.get("verbosity", 1) == 0
        size = sum(Path(f).stat().st_size for f in files if Path(f).is_file())
        if size >= BIG_FILES_BYTES and not quiet:
            self.stderr.write(f"Reading {len(files)} file(s), {size / 1e6:,.1f} MB ...")
        display = ProgressDisplay(self.stderr, quiet=quiet)
        try:
            result = services.import_scorecard(files=files, progress=display, dry_run=dry_run)
        except ImportConflict as error:
            raise CommandError(error.messages[0]) from None
        except ScorecardFileError as error:
            count = len(error.problems)
            raise CommandError(
                f"nothing was imported; {count} problem{'s' * (count != 1)} to fix:\n"
                + "\n".join(str(problem) for problem in error.problems)
            ) from None
        names = ", ".join(files)
        if dry_run:
            heading = f"Dry run, nothing written. Importing {names} would do this:"
        elif result.changed:
            heading = f"Imported {names} in {result.seconds:.1f}s:"
        else:
            heading = f"Nothing to change: the database already matches {names}."
        self.stdout.write(heading)
        self.stdout.write(result.summary())
