"""Writing checked files to the database: create what is new, update only what differs.

Rows are matched by their natural keys, and a row is written only when a value differs, so
importing the same files again writes nothing: no history, no new version, no new
`updated_at`. Nothing is deleted. Evaluations and their evidence, the bulk of a large file,
are inserted in batches with their history.
"""

import gc
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import F, Model
from django.utils import timezone

from tracker.interchange.editions import write_edition
from tracker.interchange.responses import write_responses
from tracker.interchange.snapshot import Plan
from tracker.interchange.specs import EvaluationSpec, FileSpec, noon_utc
from tracker.interchange.translations import translated_items, write_translations
from tracker.interchange.yamlread import LateProblems, Problem
from tracker.models import (
    Actor,
    Area,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    GradeScale,
    Recommendation,
    RecommendationActor,
    RecommendationLink,
    Report,
    Source,
    Status,
    Topic,
)

KINDS = (
    "grade scales",
    "grades",
    "topics",
    "actors",
    "evaluators",
    "sources",
    "reports",
    "areas",
    "recommendations",
    "links",
    "evaluations",
    "evidence",
    "editions",
    "translations",
)
BATCH = 1000

Progress = Callable[[str, int, int], None]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class Writer:
    def __init__(self, plan: Plan, *, user=None, progress: Progress | None = None):
        self.plan, self.db, self.user = plan, plan.db, user
        self.progress = progress or (lambda step, done, total: None)
        self.counts = {kind: Counts() for kind in KINDS}
        self.now = timezone.now()
        self.scales = dict(self.db.scales)
        self.grades = {
            (scale, slug): grade
            for scale, grades in self.db.grades.items()
            for slug, grade in grades.items()
        }
        self.topics = dict(self.db.topics)
        self.actors = dict(self.db.actors)
        self.evaluators = dict(self.db.evaluators)
        self.sources = dict(self.db.sources)
        self.reports = dict(self.db.reports)
        # (report, code) → id: the rows themselves are let go once a batch is written.
        self.recommendations = {key: row.pk for key, row in self.db.recommendations.items()}
        self.evaluations = dict(self.db.evaluations)  # the database's; new ones are not kept
        # What the import makes public or changes in public, told as the publishing
        # services tell it (tracker/interchange/importing.py: events and e-mail).
        self.published: list[int] = []  # evaluations published (new, or drafts published)
        # Published ones changed: (evaluation, grade before, grade after).
        self.corrected: list[tuple[int, int | None, int | None]] = []
        self.withdrawn: list[int] = []  # published ones made drafts again
        self.published_editions: list[int] = []

    def run(self) -> dict[str, Counts]:
        self.write_scales()
        for kind, model, items, key, target in (
            ("topics", Topic, self.plan.topics, "slug", self.topics),
            ("evaluators", Evaluator, self.plan.evaluators, "slug", self.evaluators),
            ("sources", Source, self.plan.sources, "key", self.sources),
        ):
            for slug, spec in items.items():
                values = _fields(spec, exclude=(key,))
                target[slug] = self.upsert(kind, model, target.get(slug), {key: slug}, values)
        self.write_actors()
        for f in self.plan.files:
            self.write_report(f)
        for f in self.plan.files:
            self.write_links(f)
        self.write_evaluations()
        for f in self.plan.files:
            write_responses(self, f)
        for f in self.plan.files:
            for spec in f.editions:
                write_edition(self, f, spec)
        # Last: the items they translate are written, and the editions that freeze them.
        write_translations(self, [item for f in self.plan.files for item in translated_items(f)])
        return self.counts

    def upsert(self, kind: str, model: type[Model], row, key: dict, values: dict):
        """Create the row, or save the fields that differ; count which it was."""
        return self.upsert_row(kind, model, row, key, values)[0]

    def upsert_row(self, kind: str, model: type[Model], row, key: dict, values: dict):
        """`upsert`, also saying whether anything was written."""
        if row is None:
            row = model(**key, **values)
            row._history_user = self.user
            row.save()
            self.counts[kind].created += 1
            return row, True
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if not changed:
            self.counts[kind].unchanged += 1
            return row, False
        for name in changed:
            setattr(row, name, values[name])
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            changed.append("updated_at")
        row._history_user = self.user
        row.save(update_fields=changed)
        self.counts[kind].updated += 1
        return row, True

    def write_scales(self) -> None:
        for slug, spec in self.plan.scales.items():
            scale = self.upsert(
                "grade scales",
                GradeScale,
                self.scales.get(slug),
                {"slug": slug},
                {"name": spec.name, "description": spec.description},
            )
            self.scales[slug] = scale
            existing = self.db.grades.get(slug, {})
            moving = [
                g for g in spec.grades if g.slug in existing and existing[g.slug].score != g.score
            ]
            # Park moving grades on free scores first: (scale, score) is unique at every step.
            spare = max([0] + [g.score for g in existing.values()] + [g.score for g in spec.grades])
            spare += 1
            for offset, grade in enumerate(moving):
                row = existing[grade.slug]
                row.score = spare + offset
                Grade.objects.filter(pk=row.pk).update(score=row.score, updated_at=self.now)
            for grade in spec.grades:
                self.grades[(slug, grade.slug)] = self.upsert(
                    "grades",
                    Grade,
                    existing.get(grade.slug),
                    {"scale": scale, "slug": grade.slug},
                    _fields(grade, exclude=("slug",)),
                )

    def write_actors(self) -> None:
        """Every actor of the files, each after its parent (a loop was refused by checks)."""
        pending = dict(self.plan.actors)
        while pending:
            ready = [
                slug
                for slug, spec in pending.items()
                if spec.parent is None or spec.parent not in pending
            ]
            for slug in ready:
                spec = pending.pop(slug)
                parent = self.actors[spec.parent] if spec.parent else None
                values = {"name": spec.name, "kind": spec.kind, "parent_id": parent and parent.pk}
                self.actors[slug] = self.upsert(
                    "actors", Actor, self.actors.get(slug), {"slug": slug}, values
                )

    def write_report(self, f: FileSpec) -> None:
        spec = f.report
        values = _fields(spec, exclude=("slug", "grade_scale"))
        values["grade_scale_id"] = self.scales[spec.grade_scale].pk
        report = self.upsert(
            "reports", Report, self.reports.get(spec.slug), {"slug": spec.slug}, values
        )
        self.reports[spec.slug] = report

        existing = {slug: area for (r, slug), area in self.db.areas.items() if r == spec.slug}
        positions = {a.slug: a.position for a in f.areas}
        # Areas the file leaves out keep their place, unless a file's area takes it: then
        # they move after the file's areas ((report, position) is unique).
        taken = set(positions.values())
        rest = sorted(
            (a for a in existing.values() if a.slug not in positions), key=lambda a: a.position
        )
        free = (n for n in itertools.count(len(f.areas) + 1) if n not in taken)
        for area in rest:
            positions[area.slug] = next(free) if area.position in taken else area.position
            taken.add(positions[area.slug])
        moving = [a for a in existing.values() if a.position != positions[a.slug]]
        spare = max([a.position for a in existing.values()] + list(taken)) + 1
        for offset, area in enumerate(moving):
            area.position = spare + offset
            Area.objects.filter(pk=area.pk).update(position=area.position, updated_at=self.now)
        for area in rest:
            if area.position != positions[area.slug]:
                self.upsert("areas", Area, area, {}, {"position": positions[area.slug]})
        areas = dict(existing)
        for spec_area in f.areas:
            areas[spec_area.slug] = self.upsert(
                "areas",
                Area,
                existing.get(spec_area.slug),
                {"report": report, "slug": spec_area.slug},
                {"name": spec_area.name, "intro": spec_area.intro, "position": spec_area.position},
            )
        self.write_recommendations(f, report, areas)

    def write_recommendations(self, f: FileSpec, report: Report, areas: dict[str, Area]) -> None:
        slug = report.slug
        existing = {code: rec for (r, code), rec in self.db.recommendations.items() if r == slug}
        batch = _Recommendations()
        done, total = 0, len(f.recommendations)
        for spec in f.recommendations:
            values = {
                "area_id": areas[spec.area].pk,
                "position": spec.position,
                "title": spec.title,
                "text": spec.text,
                "due_on": spec.due_on,
                "due_set_by": spec.due_set_by,
            }
            topics = {self.topics[t].pk for t in spec.topics}
            actors = {self.actors[a].pk for a in spec.actors}
            row = existing.get(spec.code)
            done += 1
            if done % BATCH == 0:
                self.progress("recommendations", done, total)
            if row is None:
                row = Recommendation(report=report, code=spec.code, **values)
                batch.created.append((row, topics))
                batch.actors_of[id(row)] = actors
                self.counts["recommendations"].created += 1
                if len(batch.created) >= BATCH:
                    self._write_recommendation_batch(slug, batch)
                    batch = _Recommendations()
                continue
            changed = [name for name, value in values.items() if getattr(row, name) != value]
            current_topics = self.db.topics_of.get(row.pk, set())
            current_actors = self.db.actors_of.get(row.pk, set())
            if actors != current_actors:
                batch.changed_actors[row.pk] = (current_actors, actors)
            if not changed and topics == current_topics and actors == current_actors:
                self.counts["recommendations"].unchanged += 1
                continue
            for name in changed:
                setattr(row, name, values[name])
            # (UPDATE skips auto_now: the data state needs `updated_at` moved by hand.)
            Recommendation.objects.filter(pk=row.pk).update(
                **{n: values[n] for n in changed}, updated_at=self.now
            )
            row.updated_at = self.now
            if topics != current_topics:
                batch.changed_topics[row.pk] = (row, current_topics, topics)
            batch.touched.append(row)
            self.counts["recommendations"].updated += 1
        self._write_recommendation_batch(slug, batch)
        if total >= BATCH and done % BATCH:
            self.progress("recommendations", done, total)

    def _write_recommendation_batch(self, slug: str, batch: "_Recommendations") -> None:
        """New recommendations in bulk, with their topics, actors and history."""
        created = batch.created
        gc.collect()  # what the batch before left (tracker.interchange.importing, gc.freeze)
        Recommendation.objects.bulk_create([row for row, _ in created])
        for row, _ in created:
            self.recommendations[(slug, row.code)] = row.pk
        Through = Recommendation.topics.through
        new_links = [
            Through(recommendation_id=row.pk, topic_id=topic)
            for row, topics in created
            for topic in sorted(topics)
        ]
        for row, before, after in batch.changed_topics.values():
            Through.objects.filter(recommendation_id=row.pk, topic_id__in=before - after).delete()
            new_links += [
                Through(recommendation_id=row.pk, topic_id=t) for t in sorted(after - before)
            ]
        Through.objects.bulk_create(new_links)
        self._write_recommendation_actors(
            {row.pk: (set(), batch.actors_of[id(row)]) for row, _ in created} | batch.changed_actors
        )
        self._recommendation_history([row for row, _ in created], update=False)
        self._recommendation_history(batch.touched, update=True)

    def _write_recommendation_actors(self, changes: dict[int, tuple[set[int], set[int]]]) -> None:
        """Who each recommendation names: recommendation id → (actors before, after)."""
        for pk, (before, after) in changes.items():
            if before - after:
                RecommendationActor.objects.filter(
                    recommendation_id=pk, actor_id__in=before - after
                ).delete()
        RecommendationActor.objects.bulk_create(
            RecommendationActor(recommendation_id=pk, actor_id=actor)
            for pk, (before, after) in changes.items()
            for actor in sorted(after - before)
        )

    def _recommendation_history(self, rows: list[Recommendation], *, update: bool) -> None:
        """History rows, with the topics at that moment, for recommendations written in bulk."""
        if not rows:
            return
        history = Recommendation.history.bulk_history_create(
            rows, update=update, default_user=self.user
        )
        by_rec = {h.id: h for h in history}
        TopicsHistory = Recommendation.history.model.topics.model
        Through = Recommendation.topics.through
        TopicsHistory.objects.bulk_create(
            TopicsHistory(
                history=by_rec[link.recommendation_id],
                id=link.pk,
                recommendation_id=link.recommendation_id,
                topic_id=link.topic_id,
            )
            for link in Through.objects.filter(recommendation_id__in=list(by_rec)).order_by("pk")
        )
        ActorsHistory = Recommendation.history.model.actors.model
        ActorsHistory.objects.bulk_create(
            ActorsHistory(
                history=by_rec[link.recommendation_id],
                id=link.pk,
                recommendation_id=link.recommendation_id,
                actor_id=link.actor_id,
            )
            for link in RecommendationActor.objects.filter(
                recommendation_id__in=list(by_rec)
            ).order_by("pk")
        )

    def write_links(self, f: FileSpec) -> None:
        slug = f.report.slug
        for spec in f.links:
            source = self.recommendations[(slug, spec.source)]
            target = self.recommendations[(spec.target_report or slug, spec.target_code)]
            self.upsert(
                "links",
                RecommendationLink,
                self.db.links.get((source, target, spec.kind)),
                {"source_id": source, "target_id": target, "kind": spec.kind},
                {"note": spec.note},
            )

    def write_evaluations(self) -> None:
        pending: list[tuple[Evaluation, EvaluationSpec]] = []
        total = sum(len(f.evaluations) for f in self.plan.files)
        done = 0
        history: list[Evaluation] = []
        for f in self.plan.files:
            slug = f.report.slug
            for spec in f.evaluations:
                key = (slug, *spec.key)
                row = self.evaluations.get(key)
                values = self._evaluation_values(f, spec, row)
                if row is None:
                    row = Evaluation(
                        recommendation_id=self.recommendations[(slug, spec.recommendation)],
                        evaluator_id=self.evaluators[spec.evaluator].pk,
                        as_of=spec.as_of,
                        author_id=self.user.pk if self.user else None,
                        **values,
                    )
                    pending.append((row, spec))
                    if len(pending) >= BATCH:
                        done += self._create_evaluations(pending)
                        self.progress("evaluations", done, total)
                else:
                    if self._update_evaluation(row, spec, values):
                        history.append(row)
                    done += 1
                    if done % BATCH == 0:
                        self.progress("evaluations", done, total)
        reported = done
        done += self._create_evaluations(pending)
        Evaluation.history.bulk_history_create(history, update=True, default_user=self.user)
        if total and done != reported:
            self.progress("evaluations", done, total)

    def _evaluation_values(self, f: FileSpec, spec: EvaluationSpec, row: Evaluation | None) -> dict:
        published_at = None
        if spec.status == Status.PUBLISHED:
            published_at = spec.published_at
            if published_at is None and row is not None and row.status == Status.PUBLISHED:
                published_at = row.published_at  # not in the file: keep the recorded time
            if published_at is None:
                published_at = noon_utc(spec.as_of)
        return {
            "grade_id": self.grades[(f.report.grade_scale, spec.grade)].pk
            if spec.grade is not None
            else None,
            "not_rateable_reason": spec.not_rateable_reason,
            "wording": spec.wording,
            "narrative": spec.narrative,
            "publication_id": self.sources[spec.publication].pk if spec.publication else None,
            "status": spec.status,
            "published_at": published_at,
        }

    def _create_evaluations(self, pending: list[tuple[Evaluation, EvaluationSpec]]) -> int:
        if not pending:
            return 0
        gc.collect()  # what the batch before left (tracker.interchange.importing, gc.freeze)
        rows = Evaluation.objects.bulk_create([row for row, _ in pending])
        Evaluation.history.bulk_history_create(rows, default_user=self.user)
        self.published += [row.pk for row in rows if row.status == Status.PUBLISHED]
        links = [
            EvidenceLink(
                evaluation_id=row.pk,
                source_id=self.sources[item.source].pk,
                stance=item.stance,
                quote=item.quote,
                page=item.page,
                position=item.position,
            )
            for row, spec in pending
            for item in spec.evidence
        ]
        EvidenceLink.objects.bulk_create(links)
        EvidenceLink.history.bulk_history_create(links, default_user=self.user)
        self.counts["evaluations"].created += len(rows)
        self.counts["evidence"].created += len(links)
        count = len(pending)
        pending.clear()
        return count

    def _update_evaluation(self, row: Evaluation, spec: EvaluationSpec, values: dict) -> bool:
        """Write what differs; True when the evaluation (or its evidence) changed."""
        was_published, grade_before = row.status == Status.PUBLISHED, row.grade_id
        changed = {name: value for name, value in values.items() if getattr(row, name) != value}
        evidence_changed = self._write_evidence(row, spec)
        if not changed and not evidence_changed:
            self.counts["evaluations"].unchanged += 1
            return False
        # The version check and the write are one UPDATE, as in services.update_evaluation:
        # an editor saving this evaluation during the import makes the import fail whole.
        updated = Evaluation.objects.filter(pk=row.pk, version=row.version).update(
            **changed, version=F("version") + 1, updated_at=self.now
        )
        if updated == 0:
            raise LateProblems(
                [
                    Problem(
                        spec.at[""],
                        "someone changed this evaluation while the import ran; nothing was "
                        "imported, run the import again",
                    )
                ]
            )
        for name, value in changed.items():
            setattr(row, name, value)
        row.version += 1
        row.updated_at = self.now
        self.counts["evaluations"].updated += 1
        if row.status == Status.PUBLISHED:
            if was_published:
                self.corrected.append((row.pk, grade_before, row.grade_id))
            else:
                self.published.append(row.pk)
        elif was_published:
            self.withdrawn.append(row.pk)
        return True

    def _write_evidence(self, row: Evaluation, spec: EvaluationSpec) -> bool:
        existing = self.db.evidence.get(row.pk, {})
        changed = False
        for item in spec.evidence:
            values = {
                "stance": item.stance,
                "quote": item.quote,
                "page": item.page,
                "position": item.position,
            }
            _, wrote = self.upsert_row(
                "evidence",
                EvidenceLink,
                existing.get(item.source),
                {"evaluation": row, "source": self.sources[item.source]},
                values,
            )
            changed |= wrote
        return changed


@dataclass
class _Recommendations:
    """One batch of a file's recommendations, written together."""

    created: list = field(default_factory=list)  # (row, topic ids)
    actors_of: dict = field(default_factory=dict)  # id(row) → actor ids
    changed_topics: dict = field(default_factory=dict)  # pk → (row, before, after)
    changed_actors: dict = field(default_factory=dict)  # pk → (before, after)
    touched: list = field(default_factory=list)


def _fields(spec, exclude: tuple[str, ...] = ()) -> dict:
    """A spec's values as model fields (its places and nested lists left out)."""
    skip = {"at", "grades", "topic_at", *exclude}
    return {
        name: value
        for name, value in vars(spec).items()
        if name not in skip and not isinstance(value, list)
    }
