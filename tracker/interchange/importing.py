"""Importing scorecard files: read all, check all, then write all in one transaction."""

import contextlib
import gc
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from os import PathLike

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from tracker import events, mail_tasks, search, search_bulk
from tracker.interchange.checks import check
from tracker.interchange.parse import parse_file
from tracker.interchange.write import KINDS, Counts, Progress, Writer
from tracker.interchange.yamlread import LateProblems, Problem, Problems
from tracker.models import NoticeKind, Report, Source

# One import at a time: each reads the database, then writes what differs from it. A second
# one waits for the first to commit and then finds its rows there (PostgreSQL: this advisory
# lock; SQLite: every write transaction begins with the database's write lock).
IMPORT_LOCK = 0x5C0EC4D
# Events built and written at once (each a payload in the API's shape): a large import's
# thousands are told in rounds of this many, so their rows never pile up.
EVENTS_AT_ONCE = 2000


class ImportConflict(ValidationError):
    """Another writer changed the same rows while the import ran; nothing was imported."""

    def __init__(self, detail: str):
        super().__init__(
            "another import or editor wrote the same rows at the same moment "
            f"({detail}); nothing was imported, run the import again",
            code="conflict",
        )


class ScorecardFileError(ValidationError):
    """The files cannot be imported; `problems` says where and why. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__([str(problem) for problem in problems], code="invalid")

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


@dataclass
class ImportResult:
    files: list[str]
    counts: dict[str, Counts] = field(default_factory=dict)
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def summary(self) -> str:
        """A small table: what was created, updated and left unchanged, per kind."""
        width = max(len(kind) for kind in KINDS)
        lines = [f"{'':<{width}}  {'created':>8}  {'updated':>8}  {'unchanged':>9}"]
        for kind in KINDS:
            c = self.counts[kind]
            if c.created or c.updated or c.unchanged:
                lines.append(
                    f"{kind:<{width}}  {c.created:>8,}  {c.updated:>8,}  {c.unchanged:>9,}"
                )
        return "\n".join(lines)


class _DryRun(Exception):
    pass


@contextlib.contextmanager
def _without_gc_pauses() -> Iterator[None]:
    """The cycle collector leaves alone what existed before the import (Django, the modules:
    hundreds of thousands of objects it would rescan again and again, more than doubling an
    import's time), and collects what the import leaves behind batch by batch (the ORM's
    rows refer to each other: left uncollected, they would pile up with the file)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _sorted(problems: Problems, order: dict[str, int]) -> list[Problem]:
    return sorted(
        problems.items,
        key=lambda p: (order.get(p.where.file, len(order)), p.where.line or 0),
    )


def import_files(
    *,
    files: Iterable[str | PathLike],
    user=None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import scorecard files, all or nothing. Raises ScorecardFileError listing every problem.

    Every file is read and checked completely (against the others and the database) before
    anything is written; then everything is written in one transaction. Importing the same
    files again changes nothing. With `dry_run`, the write runs and is rolled back, so the
    counts say exactly what an import would do.
    """
    started = time.monotonic()
    with _without_gc_pauses():
        result = _import(files=files, user=user, progress=progress, dry_run=dry_run)
    result.seconds = time.monotonic() - started
    return result


def _import(*, files, user, progress, dry_run) -> ImportResult:
    paths = [str(path) for path in files]
    order = {path: index for index, path in enumerate(paths)}
    problems = Problems()
    specs, read = [], []
    try:
        for index, path in enumerate(paths):
            spec = parse_file(path, problems)
            if spec is not None:
                read.append(spec)
            if spec is not None and spec.report is not None:
                specs.append(spec)
            if progress:
                progress("reading files", index + 1, len(paths))
        return _check_and_write(specs, problems, paths, order, user, progress, dry_run)
    finally:
        for spec in read:  # (their lists' specs, written aside: tracker.interchange.sections)
            spec.recommendations.close()
            spec.evaluations.close()


def _check_and_write(specs, problems, paths, order, user, progress, dry_run) -> ImportResult:
    if len(specs) < len(paths):
        # A file that could not be read at all (its problems are listed): references into
        # it cannot be checked, so checking the others would only report its absence.
        raise ScorecardFileError(_sorted(problems, order))
    result = ImportResult(files=paths, dry_run=dry_run)
    try:
        with transaction.atomic():
            _wait_for_other_imports()
            plan = check(specs, problems)
            if problems:
                raise ScorecardFileError(_sorted(problems, order))
            writer = Writer(plan, user=user, progress=progress)
            try:
                result.counts = writer.run()
            except LateProblems as error:
                raise ScorecardFileError(error.problems) from None
            except IntegrityError as error:
                # A row the checks found free was taken meanwhile by a writer that does not
                # take the import's lock (an editor in the admin, the API).
                raise ImportConflict(_first_line(error)) from None
            _index_for_search(specs)
            _tell(writer)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


def _tell(writer: Writer) -> None:
    """The events and e-mail of what the import made public, as the publishing services
    make them (drafts tell no one): events in the import's transaction, and when it
    commits, one publishing round for every grade it published or changed."""
    for tell, ids in (
        (events.evaluations_published, writer.published),
        (events.evaluations_changed, [pk for pk, _, _ in writer.corrected]),
        (events.evaluations_withdrawn, writer.withdrawn),
        (events.editions_published, writer.published_editions),
    ):
        for start in range(0, len(ids), EVENTS_AT_ONCE):
            tell(ids[start : start + EVENTS_AT_ONCE])
            gc.collect()  # (the payloads' rows refer to each other: see _without_gc_pauses)
    releases = [(pk, str(NoticeKind.PUBLISHED), None) for pk in writer.published] + [
        (pk, str(NoticeKind.CHANGED), before)
        for pk, before, after in writer.corrected
        if before != after
    ]
    if releases:
        transaction.on_commit(lambda: mail_tasks.released_together(releases))


def _index_for_search(specs: list) -> None:
    """The search's documents of the imported reports, and of evidence elsewhere citing
    the sources the files describe (tracker.search), in the import's transaction."""
    slugs = [spec.report.slug for spec in specs]
    keys = [source.key for spec in specs for source in spec.sources]
    search_bulk.renew_source_statistics()
    search.index(
        reports=Report.objects.filter(slug__in=slugs).values_list("pk", flat=True),
        sources=Source.objects.filter(key__in=keys).values_list("pk", flat=True),
    )


def _wait_for_other_imports() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def _first_line(error: DatabaseError) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
