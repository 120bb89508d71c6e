"""Reading the published translations a page shows (issue 15): one query for all of them.

A page gathers the objects whose texts it shows (its report, areas, recommendations,
grades, evaluations, evidence, editions) and calls `attach(objects, language)` once: it
reads the published translations of all those objects into that language in one query and
keeps them on each object, so `translation_of(obj, field)` and the `translated` template tag
ask nothing more. Pages in the original language ask nothing at all. Each process keeps what
it read while the translations are unchanged (see "What a process keeps"): a page whose
objects were all shown before asks nothing either.

What an edition froze is read with `published_before`: the translations published by the
time the edition was (rules.frozen_in freezes those; later ones are not the edition's).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, PositiveBigIntegerField, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language

from tracker import freshness
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
    """Read the published translations into `language` of every text of `objects` (at most
    one query; none for the original language, nor when all of them are kept already) and
    keep them on each object. The same row given twice (two instances of one grade) gets
    them on both."""
    language = language_of_page(language)
    if language == original_language():
        return
    # By content type id (ContentType's cache answers without a query), not by a join on
    # the model's name: then each kind's ids are looked up in the (content type, object)
    # index, instead of every translation of the kind being read and filtered.
    wanted: dict[int, dict[int, list[Model]]] = defaultdict(lambda: defaultdict(list))
    type_ids: dict[type, int | None] = {}  # a class's content type, if it has texts
    for obj in objects:
        if obj is None:
            continue
        cls = type(obj)
        if cls not in type_ids:
            translatable = obj._meta.label_lower in TRANSLATABLE_FIELDS
            type_ids[cls] = ContentType.objects.get_for_model(obj).pk if translatable else None
        type_id = type_ids[cls]
        if type_id is None:
            continue
        obj.__dict__[ATTACHED] = _NONE
        if obj.pk is not None:
            wanted[type_id][obj.pk].append(obj)
    if not wanted:
        return
    kept = _kept(language, published_before)
    missing = wanted
    if kept is not None:
        missing = {
            type_id: {pk: objs for pk, objs in by_pk.items() if (type_id, pk) not in kept.texts}
            for type_id, by_pk in wanted.items()
        }
        missing = {type_id: by_pk for type_id, by_pk in missing.items() if by_pk}
    read = _read(missing, language, published_before) if missing else {}
    # Taken before `add`, which may start its keeping afresh (a new dict): the kept ones
    # this call found stay found.
    known = kept.texts if kept is not None else {}
    if kept is not None:
        kept.add(read, ((type_id, pk) for type_id, by_pk in missing.items() for pk in by_pk))
    for type_id, by_pk in wanted.items():
        for pk, instances in by_pk.items():
            key = (type_id, pk)
            texts = read.get(key) or known.get(key, _NONE)
            for obj in instances:
                obj.__dict__[ATTACHED] = texts


def _read(
    wanted: dict[int, dict[int, list[Model]]],
    language: str,
    published_before: datetime.datetime | None,
) -> dict[tuple[int, int], Mapping[str, "Shown"]]:
    """The published translations into `language` of the objects `wanted` names (by content
    type id, then id), in one query: (content type id, id) → field → translation."""
    which = Q()
    for type_id, by_pk in wanted.items():
        if len(by_pk) > MANY:
            # Past a few hundred ids the list costs more than it saves (and SQLite caps a
            # query's parameters): every translation of the kind, the unwanted ones skipped.
            which |= Q(content_type_id=type_id)
        else:
            which |= Q(content_type_id=type_id, object_id__in=_listed(by_pk))
    rows = Translation.objects.published().filter(which, language=language)
    if published_before is not None:
        rows = rows.filter(published_at__lte=published_before)
    read: dict[tuple[int, int], dict[str, Shown]] = defaultdict(dict)
    for type_id, object_id, field, *shown in rows.order_by().values_list(
        "content_type_id", "object_id", "field", "language", "text", "kind", "original_digest"
    ):
        if object_id in wanted[type_id]:
            read[type_id, object_id][field] = Shown(field, *shown)
    # Read-only from here: kept, they are shared by the requests that show the same object.
    return {key: MappingProxyType(texts) for key, texts in read.items()}


# --- What a process keeps -----------------------------------------------------------------
# Translations change seldom and are shown all day: each process keeps those it read, per
# language (and per edition's moment), keyed by the translations' state that the request
# being answered read for its ETag (tracker.freshness), so keeping them costs no query and a
# change of any translation (a write, a publication, a deletion) replaces them all. An
# object without translations is kept too, as having none. Outside a request (or before
# it read its state) nothing is kept: every call reads.

_NONE: Mapping[str, "Shown"] = MappingProxyType({})
KEPT_OBJECTS = 20_000  # per language and moment; past it, what was kept is dropped
KEPT_MOMENTS = 8  # the languages and editions' moments kept at once


@dataclass
class _Kept:
    state: str
    texts: dict[tuple[int, int], Mapping[str, "Shown"]]

    def add(self, read: dict, asked: Iterable[tuple[int, int]]) -> None:
        if len(self.texts) > KEPT_OBJECTS:
            self.texts = {}
        for key in asked:
            self.texts[key] = read.get(key, _NONE)


_kept_by: dict[tuple[str, datetime.datetime | None], _Kept] = {}


def _kept(language: str, published_before: datetime.datetime | None) -> _Kept | None:
    state = freshness.state_read_by_serving()
    if state is None:
        return None
    key = (language, published_before)
    kept = _kept_by.get(key)
    if kept is None or kept.state != state.translations:
        if key not in _kept_by and len(_kept_by) >= KEPT_MOMENTS:
            _kept_by.clear()
        kept = _kept_by[key] = _Kept(state.translations, {})
    return kept


def forget_kept() -> None:
    """Drop what this process keeps (tests set timestamps by hand; production never needs
    to: a change of the translations changes their state)."""
    _kept_by.clear()


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
