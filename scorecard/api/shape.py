"""One declaration per API resource, and everything that follows from it.

A shape names each key of a resource's body once: where its value is read from and what
it is. From that one declaration come

- `build(instance)`: the body, a plain dict, made by getters compiled once per shape, so
  a page of fifty evaluations costs a few hundred attribute reads, not thousands of DRF
  field objects at work;
- `fetch(queryset)`: the joins, prefetches and columns the body reads (`select_related`,
  `prefetch_related`, `only`), so that building a page costs a fixed number of queries;
- `serializer`: a DRF serializer with the same keys, from which drf-spectacular writes
  the OpenAPI component (tests/test_api_shapes.py checks that every built body matches
  its component, so the two cannot drift apart).

In the spirit of Sentry's one serializer per type and healthchecks' `Check.to_dict()`.
Adding a key to a resource is one line here (and its test).

A shape's `translated` keys are texts with translations (issue 15): in an answer in another
language than the originals', each holds its published translation where there is one, and
the shape's `translations` key says which are translations, of what kind, whether outdated,
and gives the original, never replaced. Every body built inside `translated_bodies()` (a
list, a body with its nested ones) has its translations read in one query at the end.

A key's `source` is an attribute path from the instance (`"report.slug"`; `"*"` is the
instance itself); it defaults to the key. A path through a missing (None) object reads
None. Paths that are not model fields (annotations, properties, attributes a query sets,
such as `current_evaluation`) are read but not fetched: whoever makes the instance
provides them.
"""

import contextlib
import contextvars
import datetime
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Prefetch, QuerySet
from rest_framework import serializers

from tracker import translations
from tracker.translation_models import TranslationKind

# --- The kinds of key ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Key:
    """A key of a body whose value is read from the instance as it is (a scalar)."""

    drf: Callable[..., serializers.Field]  # the serializer field that documents it
    help_text: str = ""
    source: str | None = None
    nullable: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, label), as Django writes them

    def serializer_field(self) -> serializers.Field:
        options: dict[str, Any] = {"help_text": self.help_text or None}
        if self.nullable:
            options["allow_null"] = True
        if self.choices:
            options["choices"] = list(self.choices)
        return self.drf(**options)

    def reader(self, name: str) -> Callable[[Any], Any]:
        return _reader(self.source or name)


def Integer(help_text: str = "", **options: Any) -> Key:
    return Key(serializers.IntegerField, help_text, **options)


def Text(help_text: str = "", **options: Any) -> Key:
    return Key(serializers.CharField, help_text, **options)


def Slug(help_text: str = "", **options: Any) -> Key:
    return Key(serializers.SlugField, help_text, **options)


def Boolean(help_text: str = "", **options: Any) -> Key:
    return Key(serializers.BooleanField, help_text, **options)


def Date(help_text: str = "", **options: Any) -> Key:
    return Key(serializers.DateField, help_text, **options)


def DateTime(help_text: str = "", **options: Any) -> Key:
    return Key(serializers.DateTimeField, help_text, **options)


def Choice(choices: Iterable[str], help_text: str = "", **options: Any) -> Key:
    return Key(serializers.ChoiceField, help_text, choices=tuple(choices), **options)


@dataclass(frozen=True, eq=False)
class Constant(Key):
    """A key whose value is always the same (the one choice it documents)."""

    def reader(self, name: str) -> Callable[[Any], Any]:
        ((value, _),) = self.choices
        return lambda instance: value


def Always(value: str, help_text: str = "") -> Key:
    return Constant(serializers.ChoiceField, help_text, choices=((value, value),))


@dataclass(frozen=True, eq=False)
class Slugs(Key):
    """The slugs of a to-many relation (`recommendation.topics`), in its default order."""

    def serializer_field(self) -> serializers.Field:
        return serializers.ListField(
            child=serializers.SlugField(), help_text=self.help_text or None
        )

    def reader(self, name: str) -> Callable[[Any], Any]:
        read = _many_reader(self.source or name)
        return lambda instance: [item.slug for item in read(instance)]


def SlugList(help_text: str = "", **options: Any) -> Key:
    return Slugs(serializers.ListField, help_text, **options)


@dataclass(frozen=True, eq=False)
class Nested:
    """Another shape's body: of one object, or of each of many (`many=True`: a to-many
    relation, read in `order_by` order, or a list the instance holds)."""

    shape: type["Shape"]
    help_text: str = ""
    source: str | None = None
    nullable: bool = False
    many: bool = False
    order_by: tuple[str, ...] = ()
    # Where `fetch` reads from when `source` is a method's or property's answer built from
    # a relation (e.g. `EditionEntry.shown_evaluation` from `evaluation`).
    fetch_as: str | None = None

    def serializer_field(self) -> serializers.Field:
        options: dict[str, Any] = {"help_text": self.help_text or None}
        if self.many:
            options["many"] = True
        if self.nullable:
            options.update(allow_null=True, read_only=True)
        return self.shape.serializer(**options)

    def reader(self, name: str) -> Callable[[Any], Any]:
        build = self.shape.build
        if self.many:
            read_many = _many_reader(self.source or name)
            return lambda instance: [build(item) for item in read_many(instance)]
        read = _reader(self.source or name)

        def one(instance: Any) -> dict[str, Any] | None:
            value = read(instance)
            return None if value is None else build(value)

        return one


def _reader(path: str) -> Callable[[Any], Any]:
    """The value at an attribute path; None once the path meets None."""
    if path == "*":
        return lambda instance: instance
    steps = path.split(".")
    if len(steps) == 1:
        return operator.attrgetter(path)

    def read(instance: Any) -> Any:
        for step in steps:
            if instance is None:
                return None
            instance = getattr(instance, step)
        return instance

    return read


def fetched(relation: str) -> str:
    """The attribute `fetch` puts a to-many relation's rows in (a list, `Prefetch.to_attr`):
    prefetched into the relation's manager instead, Django makes a queryset per instance
    to hold them (100 clones for a page of 100, a third of building the page)."""
    return f"{relation}_fetched"


def _many_reader(path: str) -> Callable[[Any], Any]:
    """The items at a to-many path: the list `fetch` read (`fetched`), or else what the
    relation's manager (or a list the instance holds) gives."""
    *parent, last = path.split(".")
    read_parent = _reader(".".join(parent)) if parent else (lambda instance: instance)
    attribute = fetched(last)

    def read(instance: Any) -> Any:
        owner = read_parent(instance)
        items = getattr(owner, attribute, None)
        if items is None:
            items = getattr(owner, last)
            if hasattr(items, "all"):  # a related manager
                items = items.all()
        return items

    return read


# --- Translated texts --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TranslationNotes(Key):
    """Which of the body's texts are translations: key → note. Filled when the body's
    translations are read (`translated_bodies`); absent from bodies in the originals'
    language, which are what they always were (hence not a required key)."""

    def serializer_field(self) -> serializers.Field:
        return serializers.DictField(
            child=TranslationNoteShape.serializer(),
            help_text=self.help_text or None,
            required=False,
        )

    def reader(self, name: str) -> Callable[[Any], Any]:
        return lambda instance: {}


TRANSLATIONS_HELP = (
    "The texts of this body given in the answer's language (`lang` or `Accept-Language`), "
    "by key: each one's language, kind, whether it is outdated, and the original. A text "
    "without a translation is the original and is not listed. Only in answers in another "
    "language than English."
)

# The bodies being built inside `translated_bodies`: (body, instance, translated keys).
_collected: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "translated_bodies", default=None
)


@contextlib.contextmanager
def translated_bodies(*, published_before: datetime.datetime | None = None) -> Iterator[None]:
    """Give every body built inside its texts in the active language, all of them read in
    one query when the block ends (no query in the originals' language). With
    `published_before` (an edition's publication), the translations published by then:
    what the edition froze (tracker.translations)."""
    if _collected.get() is not None or translations.in_original_language():
        yield
        return
    collected: list = []
    token = _collected.set(collected)
    try:
        yield
    finally:
        _collected.reset(token)
    _translate(collected, published_before)


def translate_keys(body: dict[str, Any], instance: Model | None, keys: tuple[str, ...]) -> None:
    """Give a body that no shape builds (an export's own keys, each named as the field of
    `instance` it holds) its texts in the active language, as a shape's are: inside
    `translated_bodies`, a `translations` key last, filled with the others. Outside it (in
    the originals' language), the body is left as it is."""
    collected = _collected.get()
    if collected is None or instance is None:
        return
    body["translations"] = {}
    collected.append((body, instance, keys))


def _translate(collected: list, published_before: datetime.datetime | None = None) -> None:
    if not collected:
        return
    # Instances whose translations were read already (the search's hits) are not read again.
    translations.attach(
        (
            instance
            for _body, instance, _keys in collected
            if not translations.is_attached(instance)
        ),
        published_before=published_before,
    )
    # One note per translation and original, shared by the bodies that show them: a page of
    # a hundred recommendations names its area and each grade a hundred times. (Bodies are
    # rendered as they are, never changed after.)
    notes_made: dict[tuple[int, str], dict[str, Any]] = {}
    for body, instance, keys in collected:
        notes = body["translations"]
        for key in keys:
            found = translations.translation_of(instance, key)
            if found is None:
                continue
            original = body[key] or ""
            made = (id(found), original)
            if made not in notes_made:
                # `_body`, not `build`: a note has no translations of its own to collect.
                notes_made[made] = TranslationNoteShape._body(
                    _Note(found.language, found.kind, found.is_outdated(original), original)
                )
            notes[key] = notes_made[made]
            body[key] = found.text


# --- Shapes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchPlan:
    """What a queryset of a shape's model must read for `build`: joined relations,
    prefetched ones, and the columns (field paths for `only`)."""

    select_related: tuple[str, ...]
    prefetch: tuple[Prefetch, ...]
    only: tuple[str, ...]


class Shape:
    """Subclass to declare a resource: `model` (None for a body built from plain objects)
    and its keys as class attributes, in the order the body lists them. A subclass of
    another shape extends it with more keys."""

    model: ClassVar[type[Model] | None] = None
    # Keys (model fields of the instance) whose texts may be given in translation; a shape
    # with any gets a `translations` key last.
    translated: ClassVar[tuple[str, ...]] = ()
    # Columns a source that is not a field (a property) reads, fetched beside the keys'.
    also_fetch: ClassVar[tuple[str, ...]] = ()
    component: ClassVar[str]  # the OpenAPI component's name: the class name less "Shape"
    keys: ClassVar[dict[str, Key | Nested]]
    serializer: ClassVar[type[serializers.Serializer]]
    _plan: ClassVar[tuple[tuple[str, Callable[[Any], Any]], ...]]
    _plan_original: ClassVar[tuple[tuple[str, Callable[[Any], Any]], ...]]
    _fetch_plan: ClassVar[FetchPlan | None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inherited = getattr(cls, "keys", {})
        own = {name: key for name, key in vars(cls).items() if isinstance(key, Key | Nested)}
        keys = {**inherited, **own}
        if cls.translated:
            unknown = set(cls.translated) - set(keys)
            if unknown:
                raise TypeError(f"{cls.__name__}.translated names no key: {sorted(unknown)}")
            keys.pop("translations", None)
            keys["translations"] = TranslationNotes(serializers.DictField, TRANSLATIONS_HELP)
        cls.keys = keys
        cls.component = cls.__name__.removesuffix("Shape")
        cls._plan = ()  # compiled on first use: nested shapes may be declared later
        cls._fetch_plan = None
        cls.serializer = _serializer_class(cls)

    @classmethod
    def build(cls, instance: Any) -> dict[str, Any]:
        """The body of one instance (in the active language: `translated_bodies`)."""
        if _collected.get() is None and not translations.in_original_language():
            with translated_bodies():
                return cls._body(instance)
        return cls._body(instance)

    @classmethod
    def _body(cls, instance: Any) -> dict[str, Any]:
        if not cls._plan:
            cls._compile()
        collected = _collected.get() if cls.translated else None
        if collected is None:  # in English: the body as it always was, no `translations`
            return {name: read(instance) for name, read in cls._plan_original}
        body = {name: read(instance) for name, read in cls._plan}
        if isinstance(instance, Model):
            collected.append((body, instance, cls.translated))
        return body

    @classmethod
    def _compile(cls) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
        cls._plan = tuple((name, key.reader(name)) for name, key in cls.keys.items())
        cls._plan_original = tuple(step for step in cls._plan if step[0] != "translations")
        return cls._plan

    @classmethod
    def fetch_plan(cls) -> FetchPlan:
        if cls._fetch_plan is None:
            if cls.model is None:
                raise TypeError(f"{cls.__name__} has no model to fetch")
            select, prefetch, only = _plan_fetch(cls, cls.model, "")
            cls._fetch_plan = FetchPlan(tuple(select), tuple(prefetch), tuple(only))
        return cls._fetch_plan

    @classmethod
    def fetch(cls, queryset: QuerySet, *, also: Iterable[str] = ()) -> QuerySet:
        """`queryset` reading what `build` needs (and the columns `also`), no more, in a
        fixed number of queries."""
        plan = cls.fetch_plan()
        if plan.select_related:
            queryset = queryset.select_related(*plan.select_related)
        if plan.prefetch:
            queryset = queryset.prefetch_related(*plan.prefetch)
        return queryset.only(*plan.only, *also)


def _serializer_class(shape: type[Shape]) -> type[serializers.Serializer]:
    # Built lazily per field: a nested shape's serializer exists once its class does.
    class Declared(serializers.Serializer):
        def get_fields(self) -> dict[str, serializers.Field]:
            return {name: key.serializer_field() for name, key in shape.keys.items()}

        def to_representation(self, instance: Any) -> dict[str, Any]:
            return shape.build(instance)

    Declared.__name__ = Declared.__qualname__ = f"{shape.component}Serializer"
    # drf-spectacular shows a serializer's docstring as its component's description.
    Declared.__doc__ = vars(shape).get("__doc__")
    Declared.__module__ = shape.__module__
    return Declared


def _plan_fetch(
    shape: type[Shape], model: type[Model], prefix: str
) -> tuple[list[str], list[Prefetch], list[str]]:
    """The select_related paths, prefetches and `only` paths for `shape`'s keys read from
    `model`, each path starting with `prefix`."""
    select: list[str] = []
    prefetch: list[Prefetch] = []
    only: list[str] = [f"{prefix}{model._meta.pk.name}"]
    only += [f"{prefix}{column}" for column in shape.also_fetch]
    for name, key in shape.keys.items():
        if isinstance(key, Constant | TranslationNotes):
            continue
        source = (isinstance(key, Nested) and key.fetch_as) or key.source or name
        if source == "*":
            if isinstance(key, Nested):
                more = _plan_fetch(key.shape, model, prefix)
                select += more[0]
                prefetch += more[1]
                only += more[2]
            continue
        steps = source.split(".")
        target, path = model, prefix
        for number, step in enumerate(steps):
            try:
                field = target._meta.get_field(step)
            except FieldDoesNotExist:
                break  # an annotation, a property or an attribute someone else sets
            last = number == len(steps) - 1
            if field.many_to_many or field.one_to_many:
                prefetch.append(_prefetch(key, field, f"{path}{step}", last))
                break
            if not field.is_relation:
                only.append(f"{path}{step}")
                break
            # A forward foreign key: joined.
            only.append(f"{path}{step}")
            path = f"{path}{step}__"
            select.append(path.removesuffix("__"))
            target = field.related_model
            if last and isinstance(key, Nested):
                more = _plan_fetch(key.shape, target, path)
                select += more[0]
                prefetch += more[1]
                only += more[2]
    return select, prefetch, only


def _prefetch(key: Key | Nested, field: Any, path: str, last: bool) -> Prefetch:
    related = field.related_model
    if isinstance(key, Nested) and last:
        # A reverse foreign key's rows are matched to their owners by its column.
        owner = (field.field.attname,) if field.one_to_many else ()
        queryset = key.shape.fetch(related._default_manager.order_by(*key.order_by), also=owner)
        return Prefetch(path, queryset=queryset, to_attr=fetched(path.rsplit("__", 1)[-1]))
    if isinstance(key, Slugs):
        queryset = related._default_manager.only("pk", "slug")
        return Prefetch(path, queryset=queryset, to_attr=fetched(path.rsplit("__", 1)[-1]))
    return Prefetch(path)


class _Note(NamedTuple):
    language: str
    kind: str
    outdated: bool
    original: str


class TranslationNoteShape(Shape):
    """A text of the body given in translation (the values of a body's `translations`)."""

    language = Text("The language of the text in the body.")
    kind = Choice(
        TranslationKind.choices,
        "`official`, `editors` (the editors' unofficial translation) or `machine`.",
    )
    outdated = Boolean("Whether the original changed after this translation was made.")
    original = Text("The original text, as written.")
