"""Everything the files of one import refer to, checked against each other and the database.

`Snapshot` loads, in a fixed number of queries, the rows the files name (by their natural
keys) and the rows whose rules an import must respect (published editions freeze their
evaluations, recommendations and cited sources). `check` adds a problem for every
reference that resolves nowhere and every change the rules forbid, before anything is
written.
"""

import dataclasses
import datetime
from dataclasses import dataclass, field

from django.db.models import Q

from tracker import rules
from tracker.interchange.parse import (
    EditionSpec,
    EvaluationSpec,
    FileSpec,
    ScaleSpec,
)
from tracker.interchange.yamlread import Problems, Where, quoted
from tracker.models import (
    Area,
    Edition,
    EditionEntry,
    Evaluation,
    Evaluator,
    EvidenceLink,
    GradeScale,
    Recommendation,
    RecommendationLink,
    Report,
    Source,
    Status,
    Topic,
)

# What a published edition freezes comes from tracker.rules. A file names recommendations
# by code and sources by key, so those two cannot differ here; the other frozen fields can.
FROZEN_RECOMMENDATION_FIELDS = tuple(f for f in rules.RECOMMENDATION_FIELDS_FROZEN if f != "code")
FROZEN_SOURCE_FIELDS = tuple(f for f in rules.SOURCE_FIELDS_FROZEN if f != "key")

EvaluationKey = tuple[str, str, str, datetime.date]  # report, code, evaluator, as_of


@dataclass
class Snapshot:
    """The database rows an import reads or may change, by natural key."""

    scales: dict[str, GradeScale] = field(default_factory=dict)
    grades: dict[str, dict] = field(default_factory=dict)  # scale slug → grade slug → Grade
    scale_slugs: dict[int, str] = field(default_factory=dict)  # id → slug
    grade_slugs: dict[int, str] = field(default_factory=dict)  # id → slug
    topics: dict[str, Topic] = field(default_factory=dict)
    evaluators: dict[str, Evaluator] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    source_keys: dict[int, str] = field(default_factory=dict)  # id → key
    sources_by_url: dict[str, Source] = field(default_factory=dict)  # by rules.source_url_key
    reports: dict[str, Report] = field(default_factory=dict)
    areas: dict[tuple[str, str], Area] = field(default_factory=dict)
    recommendations: dict[tuple[str, str], Recommendation] = field(default_factory=dict)
    topics_of: dict[int, set[int]] = field(default_factory=dict)  # recommendation → topic ids
    links: dict[tuple[int, int, str], RecommendationLink] = field(default_factory=dict)
    evaluations: dict[EvaluationKey, Evaluation] = field(default_factory=dict)
    evidence: dict[int, dict[str, EvidenceLink]] = field(default_factory=dict)
    editions: dict[str, Edition] = field(default_factory=dict)
    entries: dict[int, dict[str, EvaluationKey]] = field(default_factory=dict)
    frozen_evaluations: dict[int, str] = field(default_factory=dict)  # id → edition name
    frozen_recommendations: dict[int, str] = field(default_factory=dict)
    frozen_sources: dict[str, str] = field(default_factory=dict)  # key → edition name

    @classmethod
    def load(cls, files: list[FileSpec]) -> "Snapshot":
        snap = cls()
        own = {f.report.slug for f in files}
        targets = {link.target_report for f in files for link in f.links if link.target_report}
        snap.reports = {r.slug: r for r in Report.objects.filter(slug__in=own | targets)}
        own_reports = [r for slug, r in snap.reports.items() if slug in own]
        slug_of_report = {r.pk: r.slug for r in snap.reports.values()}

        for area in Area.objects.filter(report__in=own_reports):
            snap.areas[(slug_of_report[area.report_id], area.slug)] = area
        recommendations = {}
        for rec in Recommendation.objects.filter(report__in=snap.reports.values()):
            recommendations[rec.pk] = rec
            snap.recommendations[(slug_of_report[rec.report_id], rec.code)] = rec
        through = Recommendation.topics.through.objects.filter(
            recommendation__report__in=own_reports
        )
        snap.topics_of = {
            rec.pk: set()
            for rec in recommendations.values()
            if slug_of_report[rec.report_id] in own
        }
        for rec_id, topic_id in through.values_list("recommendation_id", "topic_id"):
            snap.topics_of.setdefault(rec_id, set()).add(topic_id)
        for link in RecommendationLink.objects.filter(source__report__in=own_reports):
            snap.links[(link.source_id, link.target_id, link.kind)] = link

        evaluations = list(Evaluation.objects.filter(recommendation__report__in=own_reports))
        evidence = list(EvidenceLink.objects.filter(evaluation__in=[e.pk for e in evaluations]))

        evaluator_slugs = {e.slug for f in files for e in f.evaluators}
        evaluator_slugs |= {e.evaluator for f in files for e in f.evaluations}
        evaluator_slugs |= {
            n.evaluator for f in files for ed in f.editions for n in (ed.entries or [])
        }
        evaluators = Evaluator.objects.filter(
            Q(slug__in=evaluator_slugs) | Q(pk__in={e.evaluator_id for e in evaluations})
        )
        evaluator_slug = {}
        for evaluator in evaluators:
            snap.evaluators[evaluator.slug] = evaluator
            evaluator_slug[evaluator.pk] = evaluator.slug

        source_keys = {s.key for f in files for s in f.sources}
        for f in files:
            for evaluation in f.evaluations:
                source_keys |= {item.source for item in evaluation.evidence}
                if evaluation.publication:
                    source_keys.add(evaluation.publication)
        source_ids = {link.source_id for link in evidence}
        source_ids |= {e.publication_id for e in evaluations if e.publication_id}
        url_keys = {rules.source_url_key(s.url) for f in files for s in f.sources} - {""}
        sources = Source.objects.filter(
            Q(key__in=source_keys) | Q(pk__in=source_ids) | Q(url_key__in=url_keys)
        ).order_by("pk")
        source_key = snap.source_keys
        for source in sources:
            snap.sources[source.key] = source
            source_key[source.pk] = source.key
            if source.url_key:
                snap.sources_by_url.setdefault(source.url_key, source)

        for evaluation in evaluations:
            rec = recommendations[evaluation.recommendation_id]
            key = (
                slug_of_report[rec.report_id],
                rec.code,
                evaluator_slug[evaluation.evaluator_id],
                evaluation.as_of,
            )
            snap.evaluations[key] = evaluation
            snap.evidence[evaluation.pk] = {}
        evaluation_by_id = {e.pk: key for key, e in snap.evaluations.items()}
        for link in sorted(evidence, key=lambda link: (link.position, link.pk)):
            snap.evidence[link.evaluation_id][source_key[link.source_id]] = link

        scale_slugs = {f.grade_scale.slug for f in files if f.grade_scale}
        scale_slugs |= {f.report.grade_scale for f in files}
        scales = GradeScale.objects.filter(
            Q(slug__in=scale_slugs) | Q(pk__in={r.grade_scale_id for r in snap.reports.values()})
        ).prefetch_related("grades")
        for scale in scales:
            snap.scales[scale.slug] = scale
            snap.grades[scale.slug] = {grade.slug: grade for grade in scale.grades.all()}
            snap.scale_slugs[scale.pk] = scale.slug
            for grade in scale.grades.all():
                snap.grade_slugs[grade.pk] = grade.slug

        topic_slugs = {t.slug for f in files for t in f.topics}
        topic_slugs |= {slug for f in files for r in f.recommendations for slug in r.topics}
        snap.topics = {t.slug: t for t in Topic.objects.filter(slug__in=topic_slugs)}

        edition_slugs = {e.slug for f in files for e in f.editions}
        editions = Edition.objects.filter(Q(slug__in=edition_slugs) | Q(report__in=own_reports))
        snap.editions = {e.slug: e for e in editions}
        entries = EditionEntry.objects.filter(edition__in=list(snap.editions.values()))
        for edition_id, evaluation_id in entries.values_list("edition_id", "evaluation_id"):
            key = evaluation_by_id.get(evaluation_id)
            if key is not None:
                snap.entries.setdefault(edition_id, {})[key[1]] = key

        frozen = (
            EditionEntry.objects.filter(
                edition__status=Status.PUBLISHED,
                evaluation__recommendation__report__in=own_reports,
            )
            .order_by("edition__published_at", "edition_id")
            .values_list("evaluation_id", "recommendation_id", "edition__name")
        )
        for evaluation_id, rec_id, name in frozen:
            snap.frozen_evaluations.setdefault(evaluation_id, name)
            snap.frozen_recommendations.setdefault(rec_id, name)
        defined = {s.key for f in files for s in f.sources}
        published = Q(edition_entries__edition__status=Status.PUBLISHED)
        cited = (
            Evaluation.objects.filter(published)
            .filter(Q(evidence__source__key__in=defined) | Q(publication__key__in=defined))
            .values_list(
                "evidence__source__key", "publication__key", "edition_entries__edition__name"
            )
        )
        for evidence_key, publication_key, name in cited:
            for key in (evidence_key, publication_key):
                if key in defined:
                    snap.frozen_sources.setdefault(key, name)
        return snap


@dataclass
class Plan:
    """The files of one import, merged, with the database rows they touch."""

    files: list[FileSpec]
    db: Snapshot
    scales: dict[str, ScaleSpec] = field(default_factory=dict)
    topics: dict = field(default_factory=dict)
    evaluators: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    # The evaluations as they will be after the import: key → (status, in file, spec or row)
    final: dict[EvaluationKey, tuple[str, Evaluation | EvaluationSpec]] = field(
        default_factory=dict
    )


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
    file_codes = {(f.report.slug, r.code): r for f in files for r in f.recommendations}
    for f in files:
        _check_report(plan, f, problems)
        _check_recommendations(plan, f, file_codes, problems)
    _collect_final_evaluations(plan)
    for f in files:
        for evaluation in f.evaluations:
            _check_evaluation(plan, f, evaluation, file_codes, problems)
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
            _check_edition(plan, f, edition, problems)
    _check_edition_names(plan, problems)
    return plan


def _check_edition_names(plan: Plan, problems: Problems) -> None:
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


def _scale_grades(plan: Plan, scale_slug: str) -> set[str]:
    grades = set(plan.db.grades.get(scale_slug, {}))
    if scale_slug in plan.scales:
        grades |= {g.slug for g in plan.scales[scale_slug].grades}
    return grades


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
    for rec in f.recommendations:
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


def _check_recommendations(plan: Plan, f: FileSpec, file_codes: dict, problems: Problems) -> None:
    slug = f.report.slug
    for rec in f.recommendations:
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
            "actor": rec.actor,
        }
        current = {
            "area": row.area_id,
            "position": row.position,
            "title": row.title,
            "text": row.text,
            "actor": row.actor,
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


def _collect_final_evaluations(plan: Plan) -> None:
    for key, row in plan.db.evaluations.items():
        plan.final[key] = (row.status, row)
    for f in plan.files:
        for spec in f.evaluations:
            plan.final[(f.report.slug, *spec.key)] = (spec.status, spec)


def _check_evaluation(
    plan: Plan,
    f: FileSpec,
    spec: EvaluationSpec,
    file_codes: dict,
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
    if grades and spec.grade not in grades and ("grade", spec.grade) not in _unreadable(plan):
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


def _differ(names: list[str]) -> str:
    return f"{', '.join(names)} {'differs' if len(names) == 1 else 'differ'}"


def _unreadable(plan: Plan) -> set:
    return set().union(*(f.unreadable for f in plan.files))


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
    for name in ("wording", "narrative", "status"):
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


def _check_edition(plan: Plan, f: FileSpec, spec: EditionSpec, problems: Problems) -> None:
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
