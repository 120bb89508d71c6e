"""The grading side of an import checked: evaluations and editions, against the plan.

An evaluation must name a recommendation, an evaluator, a grade of its report's scale and
sources that exist; be dated within the report's bounds; meet what publishing needs; and
not differ from a row a published edition froze. An edition must hold published
evaluations as of its date, and a published one never changes. Apart from `checks` (the
definitions, reports and recommendations) because these rules are about grades and what
editions freeze, and read the evaluations as they will be after the import.
"""

from tracker import rules
from tracker.interchange.snapshot import Plan
from tracker.interchange.specs import EditionSpec, EvaluationSpec, FileSpec
from tracker.interchange.yamlread import Problems, quoted
from tracker.models import Evaluation, Report, Status


def collect_final_evaluations(plan: Plan) -> None:
    """The database's side of `plan.final`; each file's evaluations are added to it by
    `note_final_evaluation` as the checks go through them (only what editions read is kept:
    a file's evaluations are not all in memory at once)."""
    for key, row in plan.db.evaluations.items():
        plan.final[key] = (row.status, row)
    for f in plan.files:
        plan.listed[f.file] = {
            (f.report.slug, *entry.key) for edition in f.editions for entry in edition.entries or ()
        }
        plan.unreadable |= f.unreadable


def note_final_evaluation(plan: Plan, f: FileSpec, spec: EvaluationSpec) -> None:
    key = (f.report.slug, *spec.key)
    if key in plan.final or key in plan.listed[f.file]:
        plan.final[key] = (spec.status, None)
    elif spec.status == Status.PUBLISHED:
        first = plan.first_published.get(f.report.slug)
        if first is None or spec.as_of < first:
            plan.first_published[f.report.slug] = spec.as_of


def check_evaluation(
    plan: Plan,
    f: FileSpec,
    spec: EvaluationSpec,
    file_codes,
    problems: Problems,
) -> None:
    slug = f.report.slug
    before = len(problems)
    if (slug, spec.recommendation) not in file_codes and (
        slug,
        spec.recommendation,
    ) not in plan.db.recommendations:
        problems.add(
            spec.at["recommendation"],
            f"there is no recommendation {spec.recommendation} in the report {quoted(slug)}",
        )
    if spec.evaluator not in plan.evaluators and spec.evaluator not in plan.db.evaluators:
        problems.add(
            spec.at["evaluator"],
            f"there is no evaluator {quoted(spec.evaluator)} in the files or the database; "
            f"add it under “evaluators:”",
        )
    grades = _scale_grades(plan, f.report.grade_scale)
    if (
        spec.grade is not None
        and grades
        and spec.grade not in grades
        and ("grade", spec.grade) not in _unreadable(plan)
    ):
        problems.add(
            spec.at["grade"],
            f"{quoted(spec.grade)} is not a grade of scale {quoted(f.report.grade_scale)} "
            f"(choose one of: {', '.join(_grades_in_order(plan, f.report.grade_scale))})",
        )
    earliest, latest = rules.evaluation_date_bounds(f.report.published_on)
    if spec.as_of > latest:
        problems.add(
            spec.at["as_of"],
            f"{spec.as_of} is in the future; an evaluation speaks for a date that has come",
        )
    elif spec.as_of < earliest:
        problems.add(
            spec.at["as_of"],
            f"{spec.as_of} is before the report was published ({earliest}); an evaluation "
            f"speaks for a date since then",
        )
    for key, where in [(spec.publication, spec.at.get("publication"))] + [
        (item.source, item.at["source"]) for item in spec.evidence
    ]:
        if key and key not in plan.sources and key not in plan.db.sources:
            problems.add(
                where,
                f"there is no source {quoted(key)} in the files or the database; add it under "
                f"“sources:”",
            )
    row = plan.db.evaluations.get((slug, *spec.key))
    if spec.status == Status.PUBLISHED:
        evidence = len(spec.evidence) or len(plan.db.evidence.get(row.pk, {}) if row else {})
        # (A missing narrative is the file's own problem, found by parse.py.)
        missing = rules.missing_for_publication(narrative=spec.narrative, evidence_count=evidence)
        if "evidence" in missing:
            problems.add(
                spec.at.get("evidence", spec.at[""]),
                "a published evaluation needs evidence: cite at least one source under “evidence:”",
            )
    # An evaluation with problems of its own differs from the database for those; saying
    # so again as "frozen" would only repeat them.
    if (
        row is not None
        and row.pk in plan.db.frozen_evaluations
        and len(problems) == before
        and not problems.within(spec.at[""])
    ):
        changed = _evaluation_differences(plan, row, spec)
        if changed:
            edition = plan.db.frozen_evaluations[row.pk]
            problems.add(
                spec.at.get(changed[0], spec.at[""]),
                f"this evaluation is frozen in the published edition {quoted(edition)} and "
                f"cannot change ({_differ(changed)} from the database); log a new evaluation "
                f"to correct it",
            )


def _scale_grades(plan: Plan, scale_slug: str) -> set[str]:
    grades = set(plan.db.grades.get(scale_slug, {}))
    if scale_slug in plan.scales:
        grades |= {g.slug for g in plan.scales[scale_slug].grades}
    return grades


def _differ(names: list[str]) -> str:
    return f"{', '.join(names)} {'differs' if len(names) == 1 else 'differ'}"


def _unreadable(plan: Plan) -> set:
    return plan.unreadable


def _grades_in_order(plan: Plan, scale_slug: str) -> list[str]:
    scores = {g.slug: g.score for g in plan.db.grades.get(scale_slug, {}).values()}
    if scale_slug in plan.scales:
        scores |= {g.slug: g.score for g in plan.scales[scale_slug].grades}
    return sorted(scores, key=lambda slug: -scores[slug])


def _evaluation_differences(plan: Plan, row: Evaluation, spec: EvaluationSpec) -> list[str]:
    changed = []
    publication = plan.db.source_keys.get(row.publication_id)
    if plan.db.grade_slugs.get(row.grade_id) != spec.grade:
        changed.append("grade")
    for name in ("not_rateable_reason", "wording", "narrative", "status"):
        if getattr(row, name) != getattr(spec, name):
            changed.append(name)
    if publication != spec.publication:
        changed.append("publication")
    if spec.published_at is not None and row.published_at != spec.published_at:
        changed.append("published_at")
    evidence = plan.db.evidence.get(row.pk, {})
    for item in spec.evidence:
        link = evidence.get(item.source)
        if link is None or (link.stance, link.quote, link.page, link.position) != (
            item.stance,
            item.quote,
            item.page,
            item.position,
        ):
            changed.append("evidence")
            break
    return changed


def check_edition(plan: Plan, f: FileSpec, spec: EditionSpec, problems: Problems) -> None:
    slug = f.report.slug
    earliest, latest = rules.evaluation_date_bounds(f.report.published_on)
    if spec.as_of > latest:
        problems.add(
            spec.at["as_of"],
            f"{spec.as_of} is in the future; an edition freezes a date that has come",
        )
    elif spec.as_of < earliest:
        problems.add(
            spec.at["as_of"],
            f"{spec.as_of} is before the report was published ({earliest}); an edition "
            f"freezes a date since then",
        )
    row = plan.db.editions.get(spec.slug)
    if row is not None and row.report_id != plan.db.reports.get(slug, Report(pk=-1)).pk:
        problems.add(
            spec.at["slug"],
            f"the edition {quoted(spec.slug)} already exists for another report; choose "
            f"another slug",
        )
        return
    if spec.entries == [] and spec.status == Status.PUBLISHED:
        problems.add(
            spec.at["entries"],
            "a published edition freezes at least one grade; list its entries, or leave "
            "“entries” out to freeze the grades current at its date",
        )
    if spec.entries is not None:
        for entry in spec.entries:
            key = (slug, *entry.key)
            final = plan.final.get(key)
            if ("evaluation", *entry.key) in f.unreadable:
                continue
            if final is None:
                problems.add(
                    entry.at[""],
                    f"there is no evaluation of {entry.recommendation} by {entry.evaluator} as "
                    f"of {entry.as_of} in the files or the database",
                )
            elif final[0] != Status.PUBLISHED:
                problems.add(
                    entry.at[""],
                    f"the evaluation of {entry.recommendation} by {entry.evaluator} as of "
                    f"{entry.as_of} is a draft; an edition holds published evaluations only",
                )
            elif entry.as_of > spec.as_of:
                problems.add(
                    entry.at["as_of"],
                    f"{entry.as_of} is after the edition's date ({spec.as_of}); an edition "
                    f"holds the grades as of its date",
                )
    elif (
        row is None
        and spec.status == Status.PUBLISHED
        and not any(key[0] == "evaluation" for key in f.unreadable)
        and not any(
            key[0] == slug and status == Status.PUBLISHED and key[3] <= spec.as_of
            for key, (status, _) in plan.final.items()
        )
        and not (slug in plan.first_published and plan.first_published[slug] <= spec.as_of)
    ):
        problems.add(
            spec.at["as_of"],
            f"{f.report.short_name or slug} has no published grades as of {spec.as_of} to freeze",
        )
    if row is not None and row.status == Status.PUBLISHED and not problems.within(spec.at[""]):
        changed = [
            name
            for name in rules.EDITION_FIELDS_FROZEN
            if name not in ("published_at", "entries") and getattr(row, name) != getattr(spec, name)
        ]
        if spec.published_at is not None and row.published_at != spec.published_at:
            changed.append("published_at")
        if spec.entries is not None:
            frozen = plan.db.entries.get(row.pk, {})
            if {(slug, *e.key) for e in spec.entries} != set(frozen.values()):
                changed.append("entries")
        if changed:
            problems.add(
                spec.at.get(changed[0], spec.at[""]),
                f"the edition {quoted(spec.slug)} is published, and published editions never "
                f"change ({_differ(changed)} from the database); publish a new edition under "
                f"another slug",
            )


def check_edition_names(plan: Plan, problems: Problems) -> None:
    """A report's editions have names readers can tell apart (the database holds it too)."""
    for f in plan.files:
        report = plan.db.reports.get(f.report.slug)
        # The names after the import: the database's, then the files' (by slug).
        names = {
            e.slug: (e.name, None)
            for e in plan.db.editions.values()
            if report is not None and e.report_id == report.pk
        }
        for spec in f.editions:
            names[spec.slug] = (spec.name, spec)
        first: dict[str, str] = {}
        for slug, (name, _) in sorted(names.items(), key=lambda item: item[1][1] is not None):
            first.setdefault(name, slug)
        for slug, (name, spec) in names.items():
            if spec is not None and first[name] != slug:
                problems.add(
                    spec.at.get("name", spec.at[""]),
                    f"the edition {quoted(first[name])} of this report is also called "
                    f"{quoted(name)}; give each edition of a report its own name",
                )
