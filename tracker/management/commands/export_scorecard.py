"""Export scorecards: python manage.py export_scorecard [--report SLUG] [-o FILE|DIRECTORY]

One report goes to standard output, or to FILE. With several reports and no --report,
-o names a directory, which gets one SLUG.yaml per report. The same data always gives
the same bytes, and the files import back as they are.
"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker import services
from tracker.models import Report


def write_atomically(path: Path, text: str) -> None:
    """Replace the file whole, so a reader never sees half an export."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Export scorecards in the interchange format (YAML). One report goes to standard "
        "output or -o FILE; several reports need -o DIRECTORY (one SLUG.yaml each)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--report", metavar="SLUG", help="the report to export")
        parser.add_argument(
            "-o",
            "--output",
            metavar="PATH",
            help="a file (one report) or a directory (one SLUG.yaml per report)",
        )

    def handle(self, *args, report: str | None, output: str | None, **options):
        if report is not None:
            found = Report.objects.filter(slug=report).first()
            if found is None:
                known = ", ".join(Report.objects.order_by("slug").values_list("slug", flat=True))
                raise CommandError(f"there is no report “{report}” (reports: {known or 'none'})")
            reports = [found]
        else:
            reports = list(Report.objects.order_by("slug"))
            if not reports:
                raise CommandError("there are no reports to export")
        target = Path(output) if output else None
        if len(reports) > 1 and (target is None or target.is_file()):
            raise CommandError(
                f"there are {len(reports)} reports; give --report SLUG for one, or "
                f"-o DIRECTORY to write one SLUG.yaml per report"
            )
        if target is None:
            self.stdout.write(services.export_scorecard(report=reports[0]), ending="")
            return
        as_directory = len(reports) > 1 or target.is_dir() or output.endswith(("/", os.sep))
        for item in reports:
            path = target / f"{item.slug}.yaml" if as_directory else target
            write_atomically(path, services.export_scorecard(report=item))
            self.stderr.write(f"Wrote {item.slug} to {path}")
