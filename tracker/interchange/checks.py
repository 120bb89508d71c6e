"""Everything the files of one import refer to, checked against each other and the database.

`check` loads the database's side (`snapshot.Snapshot`), merges the definitions the files
share (grade scales, topics, evaluators, sources: one per slug or key, the same in every
file), and adds a problem for every reference that resolves nowhere and every change the
rules forbid, before anything is written. The checks of reports, areas, topics,
recommendations, links, grade scales and sources are here; those of evaluations and
editions, which read the evaluations as they will be after the import, are in
`evaluation_checks`.
"""

import dataclasses

from tracker import rules
from tracker.interchange.actor_checks import (
    check_actor_parents,
    check_recommendation_actors,
    recommendation_actor_slugs,
)
from tracker.interchange.evaluation_checks import (
    check_edition,
    check_edition_names,
    check_evaluation,
    collect_final_evaluations,
    note_final_evaluation,
)
from tracker.interchange.responses import check_responses
from tracker.interchange.snapshot import Plan, Snapshot
from tracker.interchange.specs import FileSpec
from tracker.interchange.yamlread import Problems, Where, quoted
from tracker.models import Evaluation

# What a published edition freezes comes from tracker.rules. A file names recommendations
# by code and sources by key, so those two cannot differ here; the other frozen fields can.
FROZEN_RECOMMENDATION_FIELDS = tuple(f for f in rules.RECOMMENDATION_FIELDS_FROZEN if f != "code")
FROZEN_SOURCE_FIELDS = tuple(f for f in rules.SOURCE_FIELDS_FROZEN if f != "key")


def _first_difference(a, b) -> str:
    for f in dataclasses.fields(a):
        if f.compare and getattr(a, f.name) != getattr(b, f.name):
            return f.name
    return ""


def _merge_definitions(plan: Plan, problems: Problems) -> None:
    """Topics, evaluators, sources and grade scales are shared by all reports, by slug."""
    sections = [
        ("grade_scale", "scales", "slug", "grade scale"),
        ("topics", "topics", "slug", "topic"),
        ("actors", "actors", "slug", "actor"),
        ("evaluators", "evaluators", "slug", "evaluator"),
        ("sources", "sources", "key", "source"),
    ]
    for section, target, key_name, noun in sections:
        merged = getattr(plan, target)
        for f in plan.files:
            items = getattr(f, section)
            for item in [items] if section == "grade_scale" else items:
                if item is None:
                    continue
                key = getattr(item, key_name)
                if key not in merged:
                    merged[key] = item
                    continue
                first = merged[key]
                if item != first:
                    difference = _first_difference(item, first)
                    verb = "differ" if difference == "grades" else "differs"
                    problems.add(
                        item.at.get(difference, item.at[""]),
                        f"the {noun} {quoted(key)} is defined differently in "
                        f"{first.at[''].file} (line {first.at[''].line}): its {difference} "
                        f"{verb}; a {noun} shared by several files must be the same in each",
                    )


class FileCodes:
    """Whether a (report, code) is a recommendation of the files: their codes, by report."""

    def __init__(self, files: list[FileSpec]):
        self.codes = {f.report.slug: f.recommendations.codes for f in files}

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key[1] in self.codes.get(key[0], ())


def check(files: list[FileSpec], problems: Problems) -> Plan:
    """Merge the files and add a problem for every reference or change that cannot be."""
    db = Snapshot.load(files)
    plan = Plan(files=files, db=db)
    reports_seen: dict[str, Where] = {}
    for f in files:
        where = f.report.at.get("slug", f.report.at[""])
        if f.report.slug in reports_seen:
            problems.add(
                where,
                f"the report {quoted(f.report.slug)} is also in "
                f"{reports_seen[f.report.slug].file}; give each report one file",
            )
        reports_seen.setdefault(f.report.slug, where)
    _merge_definitions(plan, problems)
    _check_scales(plan, problems)
    _check_sources(plan, problems)
    file_codes = FileCodes(files)
    # Each file's recommendations and evaluations are gone through once here (they are
    # read from the file again: tracker.interchange.stream), each check taking each item.
    for f in files:
        _check_report(plan, f, problems)
        _check_recommendations(plan, f, file_codes, problems)
    check_actor_parents(plan, problems)
    collect_final_evaluations(plan)
    for f in files:
        for evaluation in f.evaluations:
            check_evaluation(plan, f, evaluation, file_codes, problems)
            note_final_evaluation(plan, f, evaluation)
        check_responses(plan, f, problems)
    editions_seen: dict[str, Where] = {}
    for f in files:
        for edition in f.editions:
            where = edition.at.get("slug", edition.at[""])
            if edition.slug in editions_seen:
                problems.add(
                    where,
                    f"the edition slug {quoted(edition.slug)} is also used in "
                    f"{editions_seen[edition.slug].file}; edition slugs are unique",
                )
                continue
            editions_seen[edition.slug] = where
            check_edition(plan, f, edition, problems)
    check_edition_names(plan, problems)
    return plan


def _check_scales(plan: Plan, problems: Problems) -> None:
    for slug, spec in plan.scales.items():
        existing = plan.db.grades.get(slug, {})
        in_file = {g.slug for g in spec.grades}
        taken = {g.score: g.slug for g in existing.values() if g.slug not in in_file}
        for grade in spec.grades:
            if grade.score in taken:
                problems.add(
                    grade.at["score"],
                    f"score {grade.score} is taken by the grade {quoted(taken[grade.score])} "
                    f"of scale {quoted(slug)} in the database; scores are unique within a scale",
                )


def _check_sources(plan: Plan, problems: Problems) -> None:
    # A URL belongs to the source on file with it, else to the first source in the files.
    first_with_url: dict[str, str] = {}
    for key, spec in plan.sources.items():
        if spec.url:
            first_with_url.setdefault(rules.source_url_key(spec.url), key)
    for key, spec in plan.sources.items():
        if spec.url:
            bare = rules.source_url_key(spec.url)
            on_file = plan.db.sources_by_url.get(bare)
            if on_file is not None and on_file.key != key:
                problems.add(
                    spec.at["url"],
                    f"this URL is already on file as {quoted(on_file.title)} ({on_file.key}); "
                    f"cite that source instead of adding it again",
                )
            elif on_file is None and first_with_url[bare] != key:
                where = plan.sources[first_with_url[bare]].at["url"]
                problems.add(
                    spec.at["url"],
                    f"the source {quoted(first_with_url[bare])} ({where.file}, line "
                    f"{where.line}) has the same URL; describe a document once and cite it by "
                    f"one key",
                )
        frozen_in = plan.db.frozen_sources.get(key)
        row = plan.db.sources.get(key)
        if frozen_in and row is not None and not problems.within(spec.at[""]):
            for name in FROZEN_SOURCE_FIELDS:
                if getattr(row, name) != getattr(spec, name):
                    problems.add(
                        spec.at.get(name, spec.at[""]),
                        f"the source {quoted(key)} is cited in the published edition "
                        f"{quoted(frozen_in)}, which never changes; only its archived_url can "
                        f"still be added ({name} is {quoted(getattr(row, name) or '')} in the "
                        f"database)",
                    )
                    break


def _check_report(plan: Plan, f: FileSpec, problems: Problems) -> None:
    report = f.report
    scale = report.grade_scale
    if scale is not None and scale not in plan.scales and scale not in plan.db.scales:
        problems.add(
            report.at["grade_scale"],
            f"there is no grade scale {quoted(scale)} in the files or the database; add a "
            f"“grade_scale:” section describing it",
        )
    existing = plan.db.reports.get(report.slug)
    current_scale = plan.db.scale_slugs.get(existing.grade_scale_id) if existing else None
    if (
        existing is not None
        and current_scale != scale
        and Evaluation.objects.filter(recommendation__report=existing).exists()
    ):
        problems.add(
            report.at["grade_scale"],
            f"the report is graded on scale {quoted(current_scale)} in the database and has "
            f"evaluations on it; its scale cannot change",
        )
    areas = {a.slug for a in f.areas} | {
        slug for (report_slug, slug) in plan.db.areas if report_slug == report.slug
    }
    plan.areas_of[report.slug] = areas


def _check_recommendation_refs(plan: Plan, f: FileSpec, rec, problems: Problems) -> None:
    areas = plan.areas_of[f.report.slug]
    if rec.area is not None and rec.area not in areas:
        problems.add(
            rec.at["area"],
            f"there is no area {quoted(rec.area)} in this report (areas: "
            f"{', '.join(sorted(areas)) or 'none'})",
        )
    for slug, where in zip(rec.topics, rec.topic_at, strict=True):
        if slug not in plan.topics and slug not in plan.db.topics:
            problems.add(
                where,
                f"there is no topic {quoted(slug)} in the files or the database; add it "
                f"under “topics:”",
            )


def _check_recommendations(
    plan: Plan, f: FileSpec, file_codes: FileCodes, problems: Problems
) -> None:
    slug = f.report.slug
    for rec in f.recommendations:
        check_recommendation_actors(plan, rec, problems)
        _check_recommendation_refs(plan, f, rec, problems)
        row = plan.db.recommendations.get((slug, rec.code))
        if row is None or row.pk not in plan.db.frozen_recommendations:
            continue
        if problems.within(rec.at[""]):
            continue  # its own problems are reported; comparing it would repeat them
        area = plan.db.areas.get((slug, rec.area))
        wanted = {
            "area": area.pk if area else None,
            "position": rec.position,
            "title": rec.title,
            "text": rec.text,
            "actors": sorted(rec.actors),
        }
        current = {
            "area": row.area_id,
            "position": row.position,
            "title": row.title,
            "text": row.text,
            "actors": recommendation_actor_slugs(plan, row),
        }
        changed = [name for name in FROZEN_RECOMMENDATION_FIELDS if wanted[name] != current[name]]
        if changed:
            edition = plan.db.frozen_recommendations[row.pk]
            problems.add(
                rec.at.get(changed[0], rec.at[""]) if changed[0] != "position" else rec.at[""],
                f"{rec.code} is part of the published edition {quoted(edition)}, which never "
                f"changes; its {', '.join(changed)} cannot change (only its topics can)",
            )
    for link in f.links:
        if (slug, link.source) not in file_codes and (
            slug,
            link.source,
        ) not in plan.db.recommendations:
            problems.add(
                link.at["from"],
                f"there is no recommendation {link.source} in this report",
            )
        target = (link.target_report or slug, link.target_code)
        if target not in file_codes and target not in plan.db.recommendations:
            problems.add(
                link.at["to"],
                f"there is no recommendation {target[0]}/{target[1]} in the files or the database",
            )
