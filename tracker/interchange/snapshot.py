"""The database side of an import: the rows the files name, loaded once, and the plan.

`Snapshot` loads, in a fixed number of queries, the rows the files name (by their natural
keys) and the rows whose rules an import must respect (published editions freeze their
evaluations, recommendations and cited sources). `Plan` pairs it with the files' merged
definitions; the checks (`checks`, `evaluation_checks`) read both, and `write` turns the
plan into rows. Apart from the checks so that how the rows are fetched (and how many
queries that takes) is in one place.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q

from tracker import rules
from tracker.interchange.specs import EvaluationSpec, FileSpec, ScaleSpec
from tracker.models import (
    Actor,
    Area,
    Edition,
    EditionEntry,
    Evaluation,
    Evaluator,
    EvidenceLink,
    GradeScale,
    Recommendation,
    RecommendationActor,
    RecommendationLink,
    Report,
    Source,
    Status,
    Topic,
)

EvaluationKey = tuple[str, str, str, datetime.date]  # report, code, evaluator, as_of


@dataclass
class Snapshot:
    """The database rows an import reads or may change, by natural key."""

    scales: dict[str, GradeScale] = field(default_factory=dict)
    grades: dict[str, dict] = field(default_factory=dict)  # scale slug → grade slug → Grade
    scale_slugs: dict[int, str] = field(default_factory=dict)  # id → slug
    grade_slugs: dict[int, str] = field(default_factory=dict)  # id → slug
    topics: dict[str, Topic] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)  # every actor, by slug
    actors_of: dict[int, set[int]] = field(default_factory=dict)  # recommendation → actor ids
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
        # Every actor (a short list): parents are checked for loops across the whole tree.
        snap.actors = {actor.slug: actor for actor in Actor.objects.all()}
        named = RecommendationActor.objects.filter(recommendation__report__in=own_reports)
        for rec_id, actor_id in named.values_list("recommendation_id", "actor_id"):
            snap.actors_of.setdefault(rec_id, set()).add(actor_id)
        for link in RecommendationLink.objects.filter(source__report__in=own_reports):
            snap.links[(link.source_id, link.target_id, link.kind)] = link

        evaluations = list(Evaluation.objects.filter(recommendation__report__in=own_reports))
        evidence = list(EvidenceLink.objects.filter(evaluation__in=[e.pk for e in evaluations]))

        evaluator_slugs = {e.slug for f in files for e in f.evaluators}
        evaluator_slugs |= {slug for f in files for slug in f.evaluations.evaluators}
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
            source_keys |= f.evaluations.sources
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
        topic_slugs |= {slug for f in files for slug in f.recommendations.topics}
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
    actors: dict = field(default_factory=dict)
    evaluators: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    # The evaluations as they will be after the import, as far as editions need them: the
    # database's (key → status, and the row), overridden by the files' and, of the files'
    # new ones, those an edition of their file lists (tracker.interchange.evaluation_checks).
    final: dict[EvaluationKey, tuple[str, Evaluation | EvaluationSpec | None]] = field(
        default_factory=dict
    )
    # Of each report, the earliest `as_of` of the files' new published evaluations.
    first_published: dict[str, datetime.date] = field(default_factory=dict)
    # Each file's entries (keys) its editions list, and each report's areas after the import.
    listed: dict[str, set] = field(default_factory=dict)
    areas_of: dict[str, set[str]] = field(default_factory=dict)
    # Of all files, the items named but unreadable (FileSpec.unreadable).
    unreadable: set = field(default_factory=set)
