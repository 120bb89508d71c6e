"""Translations in the scorecard files (docs/interchange-format.md), read, checked, written
and exported here, so the other modules only call in.

Each item with translatable texts (tracker.translation_models.TRANSLATABLE_FIELDS) may
carry a `translations:` mapping: language → its block, with the kind of translation and the
translated fields:

    translations:
      ja:
        kind: editors
        name: 安全保障
        made_from:          # only for an outdated translation: the digest of its original
          intro: 3f5a…

A field may also be a mapping `{text: …, kind: …}` when its kind differs from the block's.
The import writes them published (it acts as the operator, as it does for the file's
evaluations), each made from the original the file gives beside it unless `made_from` says
otherwise; the export writes the published ones back in the same place and order.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

import yaml
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q
from django.utils import timezone

from tracker import rules
from tracker.interchange.yamlread import LateProblems, Mapping, Places, Problem, quoted
from tracker.models import Status, Translation
from tracker.translation_models import (
    TRANSLATABLE_FIELDS,
    TranslationKind,
    digest,
    translation_languages,
)

KEY = "translations"
FIELD_KEYS = ("text", "kind")
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
# How many objects' translations one query reads back while writing.
CHUNK = 500


@dataclass
class TranslationSpec:
    language: str
    field: str
    text: str
    kind: str
    # The digest of the original it was made from: given (an outdated translation), or that
    # of the original the file gives beside it.
    original_digest: str
    at: Places | None = field(default=None, compare=False, repr=False)


def parse_translations(
    m: Mapping, model: type[Model], originals: dict[str, str]
) -> list[TranslationSpec]:
    """An item's `translations:`, each checked by tracker.rules (every problem is added)."""
    if not m.has(KEY):
        return []
    fields = TRANSLATABLE_FIELDS[model._meta.label_lower]
    languages = tuple(translation_languages())
    by_language = m.mapping(KEY, languages, "translations: a language, then its texts")
    if by_language is None:
        return []
    found = []
    for language in languages:
        if not by_language.has(language):
            continue
        block = by_language.mapping(
            language, ("kind", *fields, "made_from"), f"the texts translated into {language}"
        )
        if block is None:
            continue
        kind = block.choice("kind", TranslationKind.values, what="a kind of translation")
        made_from = _made_from(block, fields)
        for name in fields:
            if not block.has(name):
                if name in made_from:
                    block.problem("made_from", f"{name}: there is no translation of it here")
                continue
            text, own_kind, places = _text(block, name, kind)
            if own_kind is None or text is None:
                continue
            problems = rules.translation_problems(
                target=_stand_in(model, name, originals.get(name, "")),
                field=name,
                language=language,
                text=text,
                kind=own_kind,
            )
            for problem in problems.values():
                block.problem(name, _sentence(problem))
            if problems:
                continue
            found.append(
                TranslationSpec(
                    language=language,
                    field=name,
                    text=text,
                    kind=own_kind,
                    original_digest=made_from.get(name) or digest(originals[name]),
                    at=places,
                )
            )
    return found


def _text(block: Mapping, name: str, kind: str | None) -> tuple[str | None, str | None, Places]:
    """A field's text and kind: a plain text (of the block's kind) or `{text:, kind:}`."""
    if isinstance(block.values[name], yaml.MappingNode):
        item = block.mapping(name, FIELD_KEYS, "a translated text and its kind")
        if item is None:
            return None, None, Places(block)
        own = item.choice("kind", TranslationKind.values, what="a kind of translation", default="")
        return item.text("text", required=True), own or kind, Places(item)
    if kind is None and not block.has("kind"):
        return None, None, Places(block)
    return block.text(name), kind, Places(block)


def _made_from(block: Mapping, fields: tuple[str, ...]) -> dict[str, str]:
    if not block.has("made_from"):
        return {}
    digests = block.mapping("made_from", fields, "the digests of the originals translated")
    if digests is None:
        return {}
    found = {}
    for name in fields:
        if digests.has(name):
            value = digests.text(name, single_line=True)
            if DIGEST_RE.match(value):
                found[name] = value
            else:
                digests.problem(
                    name,
                    f"{quoted(value)} is not the digest of an original (64 hexadecimal "
                    f"digits, as the export writes it)",
                )
    return found


def _stand_in(model: type[Model], name: str, original: str) -> Model:
    """What tracker.rules checks a translation against: the item as the file writes it
    (the import writes the item before its translations, so it is never missing)."""
    stand_in = model(**{name: original})
    stand_in.pk = 0
    return stand_in


def _sentence(message: str) -> str:
    return message[:1].lower() + message[1:].removesuffix(".")


# --- Writing --------------------------------------------------------------------------------


def write_translations(writer, items: list[tuple[Model, list[TranslationSpec]]]) -> None:
    """Write each item's translations, published; only what differs. A published one that
    an edition froze cannot change (a late problem: the whole import rolls back)."""
    items = [(target, specs) for target, specs in items if specs]
    counts = writer.counts["translations"]
    problems: list[Problem] = []
    # A shared definition (a grade scale and its grades) comes with each file that uses it:
    # its translations must be the same in each, and are written once.
    seen: dict[tuple, TranslationSpec] = {}
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        existing = _existing([target for target, _ in chunk])
        created = []
        for target, specs in chunk:
            ct = ContentType.objects.get_for_model(target)
            for spec in specs:
                key = (ct.pk, target.pk, spec.field, spec.language)
                first = seen.setdefault(key, spec)
                if first is not spec:
                    if first != spec:
                        where = first.at[first.field]
                        problems.append(
                            Problem(
                                spec.at[spec.field],
                                f"translated differently in {where.file} (line {where.line}); "
                                f"a shared definition is the same in every file",
                            )
                        )
                    continue
                row = existing.get(key)
                if row is None:
                    created.append(_new(ct, target, spec, writer))
                    continue
                values = {
                    "text": spec.text,
                    "kind": spec.kind,
                    "original_digest": spec.original_digest,
                    "status": Status.PUBLISHED,
                }
                changed = [name for name, value in values.items() if getattr(row, name) != value]
                if not changed:
                    counts.unchanged += 1
                    continue
                row._target = target
                edition = rules.frozen_in(row, fresh=True)
                if edition is not None and ({"text", "kind"} & set(changed)):
                    problems.append(
                        Problem(
                            spec.at[spec.field],
                            f"this translation is frozen in the published edition "
                            f"{quoted(edition.name)} and cannot change",
                        )
                    )
                    continue
                for name in changed:
                    setattr(row, name, values[name])
                if row.published_at is None:
                    row.published_at = writer.now
                row.updated_by = _user(writer)
                row._history_user = writer.user
                row.save()
                counts.updated += 1
        Translation.objects.bulk_create(created)
        Translation.history.bulk_history_create(created, default_user=writer.user)
        counts.created += len(created)
    if problems:
        raise LateProblems(problems)


def _user(writer):
    return writer.user if getattr(writer.user, "pk", None) else None


def _new(ct: ContentType, target: Model, spec: TranslationSpec, writer) -> Translation:
    now = timezone.now()
    return Translation(
        content_type=ct,
        object_id=target.pk,
        field=spec.field,
        language=spec.language,
        text=spec.text,
        kind=spec.kind,
        original_digest=spec.original_digest,
        status=Status.PUBLISHED,
        published_at=writer.now,
        created_at=now,
        updated_at=now,
        updated_by=_user(writer),
    )


def _existing(targets: list[Model]) -> dict[tuple, Translation]:
    by_type: dict[int, list[int]] = defaultdict(list)
    for target in targets:
        by_type[ContentType.objects.get_for_model(target).pk].append(target.pk)
    which = Q()
    for ct, ids in by_type.items():
        which |= Q(content_type_id=ct, object_id__in=ids)
    return {
        (row.content_type_id, row.object_id, row.field, row.language): row
        for row in Translation.objects.select_for_update().filter(which)
    }


# --- Exporting ------------------------------------------------------------------------------


class Exported:
    """The published translations of a report's items, read in one query, for the export."""

    def __init__(self, querysets: list):
        which = Q()
        for queryset in querysets:
            ct = ContentType.objects.get_for_model(queryset.model)
            which |= Q(content_type=ct, object_id__in=queryset.values("pk"))
        self.rows: dict[tuple, list[Translation]] = defaultdict(list)
        for row in (
            Translation.objects.published()
            .filter(which)
            .order_by("content_type_id", "object_id", "language", "field")
        ):
            self.rows[(row.content_type_id, row.object_id)].append(row)

    def put(self, out: dict, target: Model) -> None:
        """The item's `translations:`, when it has any."""
        ct = ContentType.objects.get_for_model(target)
        rows = self.rows.get((ct.pk, target.pk))
        if not rows:
            return
        fields = TRANSLATABLE_FIELDS[target._meta.label_lower]
        by_language: dict[str, dict[str, Translation]] = defaultdict(dict)
        for row in rows:
            if row.field in fields:
                by_language[row.language][row.field] = row
        blocks = {}
        for language in translation_languages():
            texts = by_language.get(language)
            if not texts:
                continue
            ordered = [texts[name] for name in fields if name in texts]
            kind = ordered[0].kind
            block: dict = {"kind": kind}
            made_from = {}
            for row in ordered:
                if row.kind == kind:
                    block[row.field] = row.text
                else:
                    block[row.field] = {"text": row.text, "kind": row.kind}
                if row.original_digest != digest(getattr(target, row.field) or ""):
                    made_from[row.field] = row.original_digest
            if made_from:
                block["made_from"] = made_from
            blocks[language] = block
        if blocks:
            out[KEY] = blocks


def translated_items(f) -> list[tuple[Model, list[TranslationSpec]]]:
    """The file's items that carry translations, each with its row (written already): a
    query per kind of item that has some, none for a file without translations."""
    from tracker.models import (  # (tracker.models is complete by the time files are written)
        Area,
        Edition,
        Evaluation,
        EvidenceLink,
        Grade,
        GradeScale,
        Recommendation,
        Report,
    )

    slug = f.report.slug
    found: list[tuple[Model, list[TranslationSpec]]] = []
    if f.report.translations:
        found.append((Report.objects.get(slug=slug), f.report.translations))
    scale = f.grade_scale
    if scale is not None and scale.translations:
        found.append((GradeScale.objects.get(slug=scale.slug), scale.translations))
    if scale is not None and any(g.translations for g in scale.grades):
        grades = {g.slug: g for g in Grade.objects.filter(scale__slug=scale.slug)}
        found += [(grades[g.slug], g.translations) for g in scale.grades if g.translations]
    if any(a.translations for a in f.areas):
        areas = {a.slug: a for a in Area.objects.filter(report__slug=slug)}
        found += [(areas[a.slug], a.translations) for a in f.areas if a.translations]
    # (The recommendations and evaluations are read from the file again, so only when some
    # carry translations: f.recommendations.translated, counted when they were first read.)
    if f.recommendations.translated:
        recs = {r.code: r for r in Recommendation.objects.filter(report__slug=slug)}
        found += [(recs[r.code], r.translations) for r in f.recommendations if r.translations]
    evaluations = []
    if f.evaluations.translated:
        evaluations = [e for e in f.evaluations if e.translations or _evidence_translated(e)]
    if evaluations:
        rows = {
            (e.recommendation.code, e.evaluator.slug, e.as_of): e
            for e in Evaluation.objects.filter(recommendation__report__slug=slug).select_related(
                "recommendation", "evaluator"
            )
        }
        links = {
            (link.evaluation_id, link.source.key): link
            for link in EvidenceLink.objects.filter(
                evaluation__recommendation__report__slug=slug
            ).select_related("source")
        }
        for spec in evaluations:
            row = rows[spec.key]
            if spec.translations:
                found.append((row, spec.translations))
            found += [
                (links[(row.pk, item.source)], item.translations)
                for item in spec.evidence
                if item.translations
            ]
    if any(e.translations for e in f.editions):
        editions = {e.slug: e for e in Edition.objects.filter(report__slug=slug)}
        found += [(editions[e.slug], e.translations) for e in f.editions if e.translations]
    return found


def _evidence_translated(spec) -> bool:
    return any(item.translations for item in spec.evidence)
