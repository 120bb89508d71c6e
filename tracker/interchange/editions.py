"""Editions in the scorecard files, as the import writes them (the parsing is in
`parse`, the checks in `checks`): a published edition is frozen and left as it is; a draft
takes the entries its file names, or the grades current as of its date.
"""

from tracker import queries
from tracker.interchange.specs import EditionSpec, FileSpec, noon_utc
from tracker.interchange.yamlread import LateProblems, Problem, quoted
from tracker.models import Edition, EditionEntry, Evaluation, Report, Status


def write_edition(writer, f: FileSpec, spec: EditionSpec) -> None:  # writer: write.Writer
    """Write an edition of a file: a published one on file is left as it is (the checks
    found it identical); a draft gets the file's entries, or its grades frozen as of its
    date when it is new or published now."""
    report = writer.reports[f.report.slug]
    row = writer.db.editions.get(spec.slug)
    if row is not None and row.status == Status.PUBLISHED:
        writer.counts["editions"].unchanged += 1  # checked identical: editions are frozen
        return
    publishing = spec.status == Status.PUBLISHED
    values = {
        "name": spec.name,
        "description": spec.description,
        "as_of": spec.as_of,
        "status": spec.status,
        "published_at": (spec.published_at or noon_utc(spec.as_of)) if publishing else None,
    }
    if spec.entries is not None:
        ids = _evaluation_ids(writer, report, spec.entries)
        wanted = {
            writer.recommendations[(report.slug, e.recommendation)]: ids[e.key]
            for e in spec.entries
        }
    elif row is None or publishing:
        # Freezing: the grades current as of the edition's date, as publish_edition does.
        wanted = {rec: e.pk for rec, e in queries.current_grades(report, spec.as_of).items()}
        if not wanted and publishing:
            raise LateProblems(
                [
                    Problem(
                        spec.at["as_of"],
                        f"{quoted(report.short_name)} has no published grades as of "
                        f"{spec.as_of} to freeze",
                    )
                ]
            )
    else:
        wanted = None  # a draft kept as a draft, without entries in the file: keep its own
    current = {}
    if row is not None:
        current = dict(
            EditionEntry.objects.filter(edition=row).values_list(
                "recommendation_id", "evaluation_id"
            )
        )
    entries_change = wanted is not None and wanted != current
    if row is not None and not entries_change:
        _, wrote = writer.upsert_row("editions", Edition, row, {}, values)
        if wrote and publishing:
            _freeze_evaluators(writer, row)  # a draft published: frozen as things are now
            writer.published_editions.append(row.pk)
        return
    edition, wrote = writer.upsert_row(
        "editions", Edition, row, {"report": report, "slug": spec.slug}, values
    )
    if row is not None and not wrote:
        writer.counts["editions"].unchanged -= 1
        writer.counts["editions"].updated += 1
    # A draft's entries are what the file says (a published edition never gets here).
    keep = [r for r, e in wanted.items() if current.get(r) == e]
    EditionEntry.objects.filter(edition=edition).exclude(recommendation_id__in=keep).delete()
    EditionEntry.objects.bulk_create(
        EditionEntry(edition=edition, recommendation_id=r, evaluation_id=e)
        for r, e in sorted(wanted.items())
        if current.get(r) != e
    )
    _freeze_evaluators(writer, edition)
    if publishing:
        writer.published_editions.append(edition.pk)


def _evaluation_ids(writer, report: Report, entries: list) -> dict:
    """The ids of the evaluations entries name: (code, evaluator, as_of) → id. The new
    ones are read back (the write does not keep every row it made)."""
    slug = report.slug
    ids = {e.key: row.pk for e in entries if (row := writer.evaluations.get((slug, *e.key)))}
    missing = [e for e in entries if e.key not in ids]
    if missing:
        codes = {
            writer.recommendations[(slug, e.recommendation)]: e.recommendation for e in missing
        }
        evaluators = {writer.evaluators[e.evaluator].pk: e.evaluator for e in missing}
        rows = Evaluation.objects.filter(
            recommendation_id__in=codes, evaluator_id__in=evaluators
        ).values_list("recommendation_id", "evaluator_id", "as_of", "pk")
        for rec, evaluator, as_of, pk in rows:
            ids.setdefault((codes[rec], evaluators[evaluator], as_of), pk)
    return ids


def _freeze_evaluators(writer, edition: Edition) -> None:
    """Copy the evaluators, grades and recommendations onto the edition's entries, and
    move the edition's `updated_at` (entries deleted above leave no date of their own)."""
    EditionEntry.objects.filter(edition=edition).snapshot_shown()
    Edition.objects.filter(pk=edition.pk).update(updated_at=writer.now)
