"""How far a report is translated (issue 15, the editors' view): each of its texts in one
language, and whether it is missing, a draft, published, or outdated because the original
changed after the translation was made. Read by the admin's translation pages.
"""

from collections import Counter
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q

from tracker.models import (
    Area,
    Edition,
    Evaluation,
    EvidenceLink,
    Grade,
    Recommendation,
    Report,
    Translation,
)
from tracker.translation_models import TRANSLATABLE_FIELDS, digest

MISSING, DRAFT, PUBLISHED, OUTDATED = "missing", "draft", "published", "outdated"
STATES = (MISSING, DRAFT, OUTDATED, PUBLISHED)


@dataclass(frozen=True)
class Text:
    obj: Model
    field: str
    original: str
    translation: Translation | None

    @property
    def state(self) -> str:
        if self.translation is None:
            return MISSING
        if self.translation.original_digest != digest(self.original):
            return OUTDATED
        return PUBLISHED if self.translation.is_published else DRAFT


def translatable_objects(report: Report) -> list[Model]:
    """The report's objects with texts, in reading order: the report, its scale and grades,
    its areas, recommendations, evaluations and their evidence, its editions."""
    recommendations = list(Recommendation.objects.filter(report=report).order_by("position"))
    evaluations = list(
        Evaluation.objects.filter(recommendation__report=report).order_by(
            "recommendation__position", "as_of", "id"
        )
    )
    return [
        report,
        report.grade_scale,
        *Grade.objects.filter(scale=report.grade_scale_id).order_by("-score"),
        *Area.objects.filter(report=report).order_by("position"),
        *recommendations,
        *evaluations,
        *EvidenceLink.objects.filter(evaluation__recommendation__report=report).order_by(
            "evaluation__recommendation__position", "evaluation_id", "position", "id"
        ),
        *Edition.objects.filter(report=report).order_by("as_of", "id"),
    ]


def texts_of(objects: list[Model], language: str) -> list[Text]:
    """Every non-empty translatable text of `objects` with its translation (one query)."""
    by_type: dict[int, list[int]] = {}
    types = ContentType.objects.get_for_models(*{type(obj) for obj in objects})
    for obj in objects:
        by_type.setdefault(types[type(obj)].pk, []).append(obj.pk)
    found: dict[tuple[int, int, str], Translation] = {}
    if by_type:
        wanted = reduce(or_, (Q(content_type=ct, object_id__in=ids) for ct, ids in by_type.items()))
        for translation in Translation.objects.filter(wanted, language=language):
            found[translation.content_type_id, translation.object_id, translation.field] = (
                translation
            )
    texts = []
    for obj in objects:
        for field in TRANSLATABLE_FIELDS.get(obj._meta.label_lower, ()):
            original = getattr(obj, field) or ""
            if original.strip():
                key = (types[type(obj)].pk, obj.pk, field)
                texts.append(Text(obj, field, original, found.get(key)))
    return texts


def report_texts(report: Report, language: str) -> list[Text]:
    return texts_of(translatable_objects(report), language)


def counts(texts: list[Text]) -> dict[str, int]:
    """How many texts are in each state, and in all."""
    tally = Counter(text.state for text in texts)
    return {"total": len(texts), **{state: tally[state] for state in STATES}}
