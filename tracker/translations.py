"""Reading the published translations a page shows (issue 15): one query for all of them.

A page gathers the objects whose texts it shows (its report, areas, recommendations,
grades, evaluations, evidence, editions) and calls `attach(objects, language)` once: it
reads the published translations of all those objects into that language in one query and
keeps them on each object, so `translation_of(obj, field)` and the `translated` template tag
ask nothing more. Pages in the original language ask nothing at all.

What an edition froze is read with `published_before`: the translations published by the
time the edition was (rules.frozen_in freezes those; later ones are not the edition's).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, PositiveBigIntegerField, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language

from tracker.translation_models import (
    TRANSLATABLE_FIELDS,
    Translation,
    TranslationKind,
    digest,
    original_language,
)

# Where `attach` keeps an object's translations: field → Translation (published ones only).
ATTACHED = "_translations"
# How many objects of one kind a page names by id; past it, it reads all of that kind.
MANY = 500


def language_of_page(language: str | None = None) -> str:
    """The language a page is in (the request's), as `settings.LANGUAGES` names it."""
    return (language or get_language() or original_language()).split("-")[0]


def in_original_language(language: str | None = None) -> bool:
    return language_of_page(language) == original_language()


def attach(
    objects: Iterable[Model | None],
    language: str | None = None,
    *,
    published_before: datetime.datetime | None = None,
) -> None:
    """Read the published translations into `language` of every text of `objects` (one
    query; none for the original language) and keep them on each object. The same row
    given twice (two instances of one grade) gets them on both."""
    language = language_of_page(language)
    if language == original_language():
        return
    wanted: dict[str, dict[int, list[Model]]] = defaultdict(lambda: defaultdict(list))
    translatable: dict[type, str | None] = {}  # a class's model name, if it has texts
    for obj in objects:
        if obj is None:
            continue
        cls = type(obj)
        if cls not in translatable:
            meta = obj._meta
            translatable[cls] = meta.model_name if meta.label_lower in TRANSLATABLE_FIELDS else None
        model_name = translatable[cls]
        if model_name is None:
            continue
        obj.__dict__[ATTACHED] = {}
        if obj.pk is not None:
            wanted[model_name][obj.pk].append(obj)
    if not wanted:
        return
    # By content type id (ContentType's cache answers without a query), not by a join on
    # the model's name: then each kind's ids are looked up in the (content type, object)
    # index, instead of every translation of the kind being read and filtered.
    models_by_type = {
        ContentType.objects.get_for_model(objs[0]).pk: model_name
        for model_name, by_pk in wanted.items()
        for objs in list(by_pk.values())[:1]
    }
    which = Q()
    for type_id, model_name in models_by_type.items():
        by_pk = wanted[model_name]
        if len(by_pk) > MANY:
            # Past a few hundred ids the list costs more than it saves (and SQLite caps a
            # query's parameters): every translation of the kind, the unwanted ones skipped.
            which |= Q(content_type_id=type_id)
        else:
            which |= Q(content_type_id=type_id, object_id__in=_listed(by_pk))
    rows = Translation.objects.published().filter(which, language=language)
    if published_before is not None:
        rows = rows.filter(published_at__lte=published_before)
    for type_id, object_id, field, *shown in rows.order_by().values_list(
        "content_type_id", "object_id", "field", "language", "text", "kind", "original_digest"
    ):
        instances = wanted[models_by_type[type_id]].get(object_id, ())
        if instances:
            found = Shown(field, *shown)  # frozen: the instances of one row share it
            for obj in instances:
                obj.__dict__[ATTACHED][field] = found


def _listed(ids: Iterable[int]) -> RawSQL:
    """Ids for an IN list as placeholders, their values passed as they are: the ORM would
    prepare each value through the field (a Japanese page of a hundred recommendations
    names some two hundred ids, and that preparing was a third of its translations' time).
    The ids are the primary keys of loaded instances, integers already."""
    ids = list(ids)
    return RawSQL(", ".join(["%s"] * len(ids)), ids, output_field=PositiveBigIntegerField())  # noqa: S611 -- placeholders only; the ids are parameters


@dataclass(frozen=True, slots=True)
class Shown:
    """A published translation as a page or a body shows it (what `attach` reads of it:
    a few columns, not a model instance, since a page may show hundreds)."""

    field: str
    language: str
    text: str
    kind: str
    original_digest: str
    is_published = True

    def is_outdated(self, original: str) -> bool:
        """Whether the original changed since this translation was made."""
        return digest(original) != self.original_digest


def is_attached(obj: Model) -> bool:
    return hasattr(obj, ATTACHED)


def translation_of(obj: Model | None, field: str) -> Shown | None:
    """The published translation of `obj.field` that `attach` read, if there is one."""
    if obj is None:
        return None
    return getattr(obj, ATTACHED, {}).get(field)


def text_of(obj: Model | None, field: str) -> str:
    """The text a reader of this page reads: the translation if there is one, else the
    original (for attributes and plain-text places, where no marker fits)."""
    translation = translation_of(obj, field)
    if translation is not None:
        return translation.text
    return getattr(obj, field, "") if obj is not None else ""


def kind_label(kind: str) -> str:
    return TranslationKind(kind).label
