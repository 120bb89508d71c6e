"""The recommendation filters: one definition for the report page, the API list and the exports.

`parse_filters` reads a request's parameters into a `RecommendationFilters` of checked
values, or raises `InvalidFilters` naming every parameter that cannot match anything, each
with one message shared by every path. `RecommendationFilters.condition()` is the Q that
keeps the matching recommendations of a queryset annotated with their current grade
(`tracker.queries.with_current_grade`), and `order_by()` orders them.

Whether a slug names anything is asked only when nothing matched (`check_known`): a slug
that matched rows exists, so the common request pays no query for it.
"""

import datetime
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    F,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Length, StrIndex, Substr
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from tracker import actors, deadlines
from tracker.models import Area, Grade, Recommendation, Report, Topic, Translation

# Every parameter the definition reads, in the order messages name them.
PARAMETERS = (
    "report", "code", "area", "grade", "actor", "topic", "due", "q", "as_of", "ordering",
)  # fmt: skip
# What the report page and the exports read: their report is in the path, and their rows
# come in report order.
SCORECARD_PARAMETERS = ("code", "area", "grade", "actor", "topic", "due", "q", "as_of")
# What the search (/search/, /api/v1/search/) reads: the words, and the filters narrowing
# the recommendations whose documents it finds (tracker/search.py).
SEARCH_PARAMETERS = ("q", "report", "code", "area", "grade", "actor", "topic", "due", "as_of")

UNGRADED = "ungraded"  # the `grade` of recommendations without a published evaluation
# The `grade` of recommendations whose current evaluation judged them not rateable: neither
# a grade nor ungraded (also the key they are counted under, tracker.queries).
NOT_RATEABLE = "not-rateable"
Q_MAX_LENGTH = 200
SLUG_MAX_LENGTH = 100
ORDERINGS = ("position", "code", "grade", "date")
ORDERING_VALUES = tuple(value for name in ORDERINGS for value in (name, f"-{name}"))
KNOWN_SHOWN = 30  # slugs a message lists before "…"

# Documentation of each parameter, for the API schema and the README (one wording).
DESCRIPTIONS = {
    "report": "Slug of a report, e.g. `armitage-nye-2000`.",
    "code": (
        "A recommendation's code as its report cites it, e.g. `SEC-3`, in any case (`sec-3`). "
        "Codes are unique within a report: with `report`, at most one recommendation."
    ),
    "area": "Slug of an area, e.g. `security` (of the report, when one is given).",
    "grade": (
        "Slug of a grade (see /grade-scales/): only recommendations whose current grade it is; "
        f"`{UNGRADED}` for those without a published evaluation; `{NOT_RATEABLE}` for those "
        "whose current evaluation judged them not rateable (too vague, no information)."
    ),
    "actor": (
        "Slug of an actor (see /actors/): only recommendations addressed to it or to a body "
        "within it, at any depth (`japan` includes its Ministry of Defense); "
        f"`{actors.UNSPECIFIED}` for those that name no actor."
    ),
    "topic": "Slug of a topic.",
    "due": (
        "`overdue`: its due date has passed and its current grade does not count as done; "
        f"`soon`: due within {deadlines.DUE_SOON_DAYS} days (today included) and not done."
    ),
    "q": (
        "Words, separated by spaces: a recommendation matches when every word appears, in "
        "any order and in any case, in its code, its title or its verbatim text, or in a "
        "published translation of its title or text (each word may be in a different one; a "
        "word matches inside longer words, `defen` matches `defense`, `防衛` matches "
        "`ミサイル防衛協力の拡大`). `%`, `_` and `\\` are plain characters. Topics, grades, "
        f"narratives and draft translations are not searched. At most {Q_MAX_LENGTH} "
        "characters."
    ),
    "as_of": (
        "A date, YYYY-MM-DD, not after today: current grades as they stood at the end of "
        "that day (only evaluations speaking for that date or earlier count)."
    ),
    "ordering": (
        "`position` (report order, the default), `code` (SEC-2 before SEC-12), `grade` "
        "(lowest score first) or `date` (of the current grade); prefix `-` to reverse. "
        "Ungraded and not rateable recommendations come last either way (by `grade`); ties "
        "keep report order."
    ),
}
# The evaluations' `grade` (the API's evaluation list), worded as the recommendations' one.
EVALUATION_GRADE_DESCRIPTION = (
    "Slug of a grade (see /grade-scales/): only evaluations giving that grade; "
    f"`{NOT_RATEABLE}` for those judging their recommendation not rateable."
)
# Said once for every parameter (API schema and README).
EVERY_PARAMETER = (
    "Filters combine with AND. A value that cannot match anything (an unknown slug, a "
    "malformed or future date, an empty value such as `as_of=`) is a 400 naming the parameter."
)


class InvalidFilters(Exception):
    """Parameters that cannot match anything: each parameter's name → its messages."""

    def __init__(self, errors: Mapping[str, list[str]]):
        order = [*PARAMETERS, *(name for name in errors if name not in PARAMETERS)]
        self.errors = {name: errors[name] for name in order if name in errors}
        super().__init__("; ".join(f"{name}: {' '.join(m)}" for name, m in self.errors.items()))


def _listed(values: Iterable[str]) -> str:
    known = sorted(set(values))
    if not known:
        return gettext("none yet")
    return ", ".join(known[:KNOWN_SHOWN]) + (", …" if len(known) > KNOWN_SHOWN else "")


def unknown_message(noun: str, value: str, known: Iterable[str]) -> str:
    """That `value` names no `noun` here, and which would (the first KNOWN_SHOWN). In the
    active language; the slugs listed are the values to send, in every language."""
    return gettext("There is no %(noun)s “%(value)s” here. Choose one of: %(known)s.") % {
        "noun": noun,
        "value": value,
        "known": _listed(known),
    }


# What the messages call each thing a parameter names (lazy: in the answer's language).
NOUNS = {
    "report": pgettext_lazy("named by a parameter", "report"),
    "code": pgettext_lazy("named by a parameter", "recommendation code"),
    "area": pgettext_lazy("named by a parameter", "area"),
    "grade": pgettext_lazy("named by a parameter", "grade"),
    "actor": pgettext_lazy("named by a parameter", "responsible actor"),
    "topic": pgettext_lazy("named by a parameter", "topic"),
    "due": pgettext_lazy("named by a parameter", "due state"),
    "ordering": pgettext_lazy("named by a parameter", "ordering"),
}


# --- The slug filters -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlugFilter:
    """A filter naming one thing by its slug.

    `condition(slug)` keeps the recommendations it names; `known(report)` lists the slugs
    that can match something, among the recommendations of `report` (None: of every
    report), and `lookup` is how a value is looked for among them (a code in any case).
    `known_without_query`: `known` is a fixed list, checked while parsing.
    """

    noun: str  # for messages, translated when they are made (NOUNS)
    condition: Callable[[str], Q]
    known: Callable[[Report | None], Iterable[str]]
    known_without_query: bool = False
    lookup: str = "slug"


def _in_scope(queryset: QuerySet, report: Report | None, path: str = "report") -> QuerySet:
    return queryset if report is None else queryset.filter(**{path: report})


def _report_condition(slug: str) -> Q:
    return Q(report_id__in=Report.objects.filter(slug=slug).values("pk"))


def _area_condition(slug: str) -> Q:
    return Q(area_id__in=Area.objects.filter(slug=slug).values("pk"))


def _grade_condition(slug: str) -> Q:
    # On `current_evaluation_id` and `current_grade_id`, the annotations of
    # with_current_grade (or of an edition's grades): a not rateable evaluation has no grade.
    if slug == UNGRADED:
        return Q(current_evaluation_id__isnull=True)
    if slug == NOT_RATEABLE:
        return Q(current_evaluation_id__isnull=False, current_grade_id__isnull=True)
    return Q(current_grade_id__in=Grade.objects.filter(slug=slug).values("pk"))


def evaluation_grade_condition(slug: str) -> Q:
    """The `grade` filter on evaluations (the API's evaluation list), in the same words as
    on recommendations: a grade's slug keeps the evaluations giving that grade, and
    `not-rateable` those judging their recommendation not rateable. (`ungraded` says
    nothing of an evaluation: every evaluation is either a grade or not rateable.)"""
    if slug == NOT_RATEABLE:
        return Q(grade_id__isnull=True)
    return Q(grade_id__in=Grade.objects.filter(slug=slug).values("pk"))


def known_evaluation_grades() -> list[str]:
    """The values of the evaluations' `grade` filter that can match something."""
    return [*Grade.objects.values_list("slug", flat=True), NOT_RATEABLE]


def _topic_condition(slug: str) -> Q:
    tagged = Recommendation.topics.through.objects.filter(topic__slug=slug)
    return Q(pk__in=tagged.values("recommendation_id"))


def _known_grades(report: Report | None) -> list[str]:
    grades = (
        Grade.objects.all() if report is None else Grade.objects.filter(scale=report.grade_scale_id)
    )
    return [*grades.values_list("slug", flat=True), UNGRADED, NOT_RATEABLE]


def _known_topics(report: Report | None) -> QuerySet:
    # Topics that some recommendation (of the report) has: another cannot match anything.
    used = _in_scope(Recommendation.topics.through.objects, report, "recommendation__report")
    return Topic.objects.filter(pk__in=used.values("topic_id")).values_list("slug", flat=True)


def _known_codes(report: Report | None) -> QuerySet:
    return _in_scope(Recommendation.objects, report).values_list("code", flat=True)


SLUG_FILTERS: dict[str, SlugFilter] = {
    "report": SlugFilter(
        NOUNS["report"],
        _report_condition,
        lambda report: Report.objects.values_list("slug", flat=True),
    ),
    # Codes are written in capitals, and cited in any case: `sec-3` is SEC-3.
    "code": SlugFilter(
        NOUNS["code"],
        lambda code: Q(code__iexact=code),
        _known_codes,
        lookup="code__iexact",
    ),
    "area": SlugFilter(
        NOUNS["area"],
        _area_condition,
        lambda report: _in_scope(Area.objects, report).values_list("slug", flat=True),
    ),
    "grade": SlugFilter(NOUNS["grade"], _grade_condition, _known_grades),
    # Any actor of the record (tracker.actors): one with nothing here just matches nothing.
    "actor": SlugFilter(NOUNS["actor"], actors.addressed_to, actors.known_actor_slugs),
    "topic": SlugFilter(NOUNS["topic"], _topic_condition, _known_topics),
}


# --- Checked values -------------------------------------------------------------------------


def _words(q: str) -> tuple[str, ...]:
    """The words of `q`, each once whatever its case, in the order typed."""
    words: dict[str, str] = {}
    for word in q.split():
        words.setdefault(word.casefold(), word)
    return tuple(words.values())


def _translated_with(word: str) -> QuerySet:
    """The recommendations whose published translation of their title or text has `word`
    (in any language; a subquery of the list's own query, which costs no query more)."""
    return (
        Translation.objects.published()
        .filter(
            content_type__app_label="tracker",
            content_type__model="recommendation",
            field__in=("title", "text"),
            text__icontains=word,
        )
        .order_by()
        .values("object_id")
    )


@dataclass(frozen=True)
class RecommendationFilters:
    """Checked values of the recommendation filters (None or empty: not asked for)."""

    report: str | None = None  # slugs (and a code); see SLUG_FILTERS
    code: str | None = None
    area: str | None = None
    grade: str | None = None  # or UNGRADED, NOT_RATEABLE
    actor: str | None = None  # or actors.UNSPECIFIED
    topic: str | None = None
    due: str | None = None  # one of deadlines.DUE_VALUES
    q: str = ""  # as typed, trimmed; searched for `words`
    as_of: datetime.date | None = None  # current grades as of this date (default: today)
    ordering: str = "position"  # one of ORDERING_VALUES
    words: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", _words(self.q))

    @property
    def slugs(self) -> dict[str, str]:
        """The slug filters asked for: name → slug."""
        return {name: getattr(self, name) for name in SLUG_FILTERS if getattr(self, name)}

    @property
    def narrowing(self) -> bool:
        """Whether some recommendations may be left out (as_of and ordering leave none out)."""
        return bool(self.slugs or self.words or self.due)

    def params(self, names: Collection[str] = PARAMETERS) -> dict[str, str]:
        """The query parameters that ask for these filters (those of `names` set)."""
        params = {}
        for name in names:
            value = getattr(self, name)
            if value and not (name == "ordering" and value == "position"):
                params[name] = value.isoformat() if name == "as_of" else value
        return params

    def condition(self) -> Q:
        """What the matching recommendations satisfy, on a queryset of Recommendation
        annotated by `with_current_grade` (Q() when nothing narrows)."""
        condition = Q()
        for name, slug in self.slugs.items():
            condition &= SLUG_FILTERS[name].condition(slug)
        if self.due:
            condition &= deadlines.due_condition(self.due)
        for word in self.words:
            # icontains escapes `%`, `_` and `\`: each word is matched as typed.
            condition &= (
                Q(code__icontains=word)
                | Q(title__icontains=word)
                | Q(text__icontains=word)
                | Q(pk__in=_translated_with(word))
            )
        return condition

    def slug_condition(self) -> Q:
        """`condition()` without the words: what the search (tracker/search.py) narrows its
        documents' recommendations by, searching the words itself (the slugs and `due`)."""
        condition = Q()
        for name, slug in self.slugs.items():
            condition &= SLUG_FILTERS[name].condition(slug)
        if self.due:
            condition &= deadlines.due_condition(self.due)
        return condition

    def order_by(self) -> list[OrderBy]:
        """The list's order: the ordering's keys, then report order for ties. Ungraded
        recommendations (no current grade) come last either way."""
        name = self.ordering.lstrip("-")
        descending = self.ordering.startswith("-")
        keys: list = {
            "position": [F("report__published_on"), F("report_id"), F("position")],
            "code": [_code_prefix(), Length("code"), F("code"), F("report_id")],
            "grade": [_current_score()],
            "date": [F("current_as_of")],
        }[name]
        # Only the current grade's keys can be NULL (ungraded): last, whichever the direction.
        nulls_last = True if name in ("grade", "date") else None
        ordered = [
            key.desc(nulls_last=nulls_last) if descending else key.asc(nulls_last=nulls_last)
            for key in keys
        ]
        return [
            *ordered,
            F("report__published_on").asc(),
            F("report_id").asc(),
            F("position").asc(),
        ]

    def apply(self, recommendations: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
        """The matching recommendations of an annotated queryset, in the asked order."""
        return recommendations.filter(self.condition()).order_by(*self.order_by())

    def matched(self) -> Case | Value:
        """An annotation: True on the recommendations that match (for pages that show them
        among all the others)."""
        if not self.narrowing:
            return Value(True)
        return Case(When(self.condition(), then=Value(True)), default=Value(False))


def _code_prefix() -> Case:
    # A code's prefix ("SEC" of "SEC-12"); then its length and itself: SEC-2 before SEC-12.
    dash = StrIndex("code", Value("-"))
    return Case(When(Q(code__contains="-"), then=Substr("code", 1, dash - 1)), default=F("code"))


def _current_score() -> Subquery:
    return Subquery(Grade.objects.filter(pk=OuterRef("current_grade_id")).values("score")[:1])


# --- Parsing --------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def empty_message(name: str) -> str:
    """The message for `name=` with nothing after it (every list of the API says it so)."""
    return gettext("%(name)s is empty: give a value, or leave %(name)s out.") % {"name": name}


def _parse_as_of(value: str) -> datetime.date:
    try:
        if not _DATE.match(value):
            raise ValueError
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            gettext("“%(value)s” is not a date. Write the date as YYYY-MM-DD, e.g. 2004-04-26.")
            % {"value": value}
        ) from None
    if day > timezone.localdate():
        raise ValueError(
            gettext(
                "%(value)s is in the future; the scorecard can show how things stood up to today."
            )
            % {"value": value}
        )
    return day


def _parse_q(value: str) -> str:
    if len(value) > Q_MAX_LENGTH:
        raise ValueError(
            gettext("The search text is too long; use at most %(count)d characters.")
            % {"count": Q_MAX_LENGTH}
        )
    return value


def _parse_one(name: str, value: str) -> str | datetime.date:
    """A parameter's checked value, or ValueError with its message (no query)."""
    if "\x00" in value:
        raise ValueError(
            gettext("%(name)s contains a NUL character, which no value can hold.") % {"name": name}
        )
    value = value.strip()
    if not value:
        raise ValueError(empty_message(name))
    if name == "as_of":
        return _parse_as_of(value)
    if name == "q":
        return _parse_q(value)
    if name == "due":
        if value not in deadlines.DUE_VALUES:
            raise ValueError(unknown_message(NOUNS["due"], value, deadlines.DUE_VALUES))
        return value
    if name == "ordering":
        if value not in ORDERING_VALUES:
            raise ValueError(unknown_message(NOUNS["ordering"], value, ORDERING_VALUES))
        return value
    slug_filter = SLUG_FILTERS[name]
    if len(value) > SLUG_MAX_LENGTH:
        raise ValueError(
            gettext("There is no %(noun)s with a name that long here.") % {"noun": slug_filter.noun}
        )
    if slug_filter.known_without_query and value not in slug_filter.known(None):
        raise ValueError(unknown_message(slug_filter.noun, value, slug_filter.known(None)))
    return value


def parse_filters(
    params: Mapping[str, str],
    *,
    accepted: Collection[str] = PARAMETERS,
    report: Report | None = None,
) -> RecommendationFilters:
    """The `accepted` parameters of a request, checked; other parameters are not read.

    `report` is the report the request is about when its path names it (the page, the
    exports): slugs are then checked against what its recommendations have. Raises
    InvalidFilters naming every bad parameter, the unknown slugs among them.
    """
    values: dict[str, str | datetime.date] = {}
    errors: dict[str, list[str]] = {}
    for name in PARAMETERS:
        if name not in accepted or name not in params:
            continue
        try:
            values[name] = _parse_one(name, params[name])
        except ValueError as error:
            errors[name] = [str(error)]
    filters = RecommendationFilters(**values)
    if errors:
        # Every bad parameter at once: which of the others name nothing, too.
        errors.update(unknown_slugs(filters, report=report))
        raise InvalidFilters(errors)
    return filters


def parse_as_of(params: Mapping[str, str]) -> datetime.date | None:
    """Only the `as_of` parameter, checked as the filters check it."""
    return parse_filters(params, accepted=("as_of",)).as_of


def unknown_slugs(filters: RecommendationFilters, *, report: Report | None = None) -> dict:
    """The slug filters whose slug can match nothing, each with its message (a query per
    slug given; ask only when nothing matched). Within `report`, or the one asked for."""
    if report is None and filters.report:
        report = Report.objects.filter(slug=filters.report).first()
    errors = {}
    for name, slug in filters.slugs.items():
        slug_filter = SLUG_FILTERS[name]
        if slug_filter.known_without_query and slug in slug_filter.known(None):
            continue
        known = slug_filter.known(None if name == "report" else report)
        if isinstance(known, QuerySet):
            if known.filter(**{slug_filter.lookup: slug}).exists():
                continue
        elif slug in known:
            continue
        errors[name] = [unknown_message(slug_filter.noun, slug, known)]
    return errors


def check_known(filters: RecommendationFilters, *, report: Report | None = None) -> None:
    """Raise InvalidFilters if a slug filter names nothing. Call when nothing matched."""
    errors = unknown_slugs(filters, report=report)
    if errors:
        raise InvalidFilters(errors)
