"""Query parameters of the lists. Every value is checked: one that cannot match anything
(an unknown grade, a malformed date, a NUL byte, an empty value) is a 400 naming the
parameter, never an empty list that looks like an answer and never a server error.

The recommendation list's filters are not defined here but in tracker/filters.py, which
the report pages and the exports share; this module turns its errors into the API's.
"""

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import django_filters as filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import exceptions

from scorecard.api import access
from scorecard.api.errors import NOUNS
from tracker import roles
from tracker.filters import (
    DESCRIPTIONS,
    ORDERING_VALUES,
    PARAMETERS,
    InvalidFilters,
    RecommendationFilters,
    empty_message,
    evaluation_grade_condition,
    known_evaluation_grades,
    parse_as_of,
    parse_filters,
    unknown_message,
)
from tracker.models import (
    Area,
    Edition,
    Evaluation,
    Evaluator,
    Recommendation,
    Report,
    Source,
    SourceKind,
    Status,
)


class IsoDateField(forms.DateField):
    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": _("Enter a date as YYYY-MM-DD, e.g. 2004-04-26.")}


class UtcDateTimeField(forms.CharField):
    """An ISO 8601 date and time; without a zone it is taken as UTC."""

    _SPACE_FOR_PLUS = re.compile(r" (\d{2}(?::?\d{2})?)$")
    invalid = _("Enter an ISO 8601 date and time, e.g. 2024-05-01T00:00:00Z.")

    def to_python(self, value: Any) -> datetime.datetime | None:
        text = super().to_python(value).strip()
        if not text:
            return None
        # A `+` typed into a URL unencoded arrives as a space: take it as the `+` meant.
        text = self._SPACE_FOR_PLUS.sub(r"+\1", text)
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            raise ValidationError(self.invalid, code="invalid")
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=datetime.UTC)
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(
                gettext("This date and time is outside the years 1 to 9999 in UTC."),
                code="invalid",
            ) from None


def unknown_slug_message(noun: str, slug: str, queryset: QuerySet) -> str:
    """That `slug` names no `noun` (a key of NOUNS), and which slugs would (in the
    filters' words)."""
    return unknown_message(NOUNS[noun], slug, queryset.values_list("slug", flat=True))


class ExistingSlugsField(forms.CharField):
    """A slug that must name at least one row; cleans to the ids of the rows it names."""

    def __init__(self, *, queryset: QuerySet, noun: str, **kwargs: Any):
        self.queryset = queryset
        self.noun = noun
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[int] | None:
        slug = super().clean(value)
        if not slug:
            return None
        ids = list(self.queryset.filter(slug=slug).values_list("pk", flat=True))
        if not ids:
            # Values go in params: the message is %-formatted later, and may contain a `%`.
            raise ValidationError(
                "%(message)s",
                code="invalid",
                params={"message": unknown_slug_message(self.noun, slug, self.queryset)},
            )
        return ids


class EvaluationGradeField(forms.CharField):
    """The evaluations' `grade`: a grade's slug or `not-rateable` (tracker.filters), checked
    to match something; cleans to the value."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str | None:
        slug = super().clean(value)
        if not slug:
            return None
        known = known_evaluation_grades()
        if slug not in known:
            raise ValidationError(
                "%(message)s",
                code="invalid",
                params={"message": unknown_message(NOUNS["grade"], slug, known)},
            )
        return slug


@extend_schema_field(OpenApiTypes.STR)
class EvaluationGradeFilter(filters.Filter):
    field_class = EvaluationGradeField

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        if not value:
            return qs
        return qs.filter(evaluation_grade_condition(value))


class DateParamFilter(filters.DateFilter):
    field_class = IsoDateField


class DateTimeParamFilter(filters.Filter):
    field_class = UtcDateTimeField


@extend_schema_field(OpenApiTypes.STR)
class SlugsFilter(filters.Filter):
    field_class = ExistingSlugsField

    def filter(self, qs: QuerySet, value: list[int] | None) -> QuerySet:
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field(OpenApiTypes.STR)
class RecordFilter(filters.ModelChoiceFilter):
    """A row named by a unique key; an unknown key is a 400. `noun` is a key of NOUNS."""

    def __init__(self, *args: Any, noun: str, key: str = "slug", **kwargs: Any):
        kwargs.setdefault("to_field_name", key)
        # Lazy: the form is built once (EvaluationFilter), the message made in each answer's
        # language. The key is named as the client sends it (`id`, `slug`), in every language.
        message = format_lazy(
            _("There is no {noun} with this {key}."),
            noun=NOUNS[noun],
            key="id" if key == "pk" else key,
        )
        kwargs.setdefault("error_messages", {"invalid_choice": message})
        kwargs.setdefault("null_label", None)
        super().__init__(*args, **kwargs)


class TextFilter(filters.CharFilter):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)


def _choice_message(choices: list[tuple[str, str]]) -> dict[str, str]:
    values = ", ".join(value for value, _label in choices)
    return {"invalid_choice": format_lazy(_("“%(value)s” is not one of: {values}."), values=values)}


@contextmanager
def filter_errors() -> Iterator[None]:
    """The recommendation filters' InvalidFilters (tracker.filters) as the API's 400."""
    try:
        yield
    except InvalidFilters as error:
        raise exceptions.ValidationError(error.errors) from None


def recommendation_filters(params: QueryDict) -> RecommendationFilters:
    """The recommendation list's parameters, checked by the one definition of the filters
    (tracker.filters), as the report page and the exports check them."""
    with filter_errors():
        return parse_filters(params)


def recommendation_as_of(params: QueryDict) -> datetime.date | None:
    """The `as_of` of one recommendation (the list's other filters do not apply to it)."""
    with filter_errors():
        return parse_as_of(params)


def recommendation_list_parameters() -> list[OpenApiParameter]:
    """The list's query parameters in the schema, in the filters' own words."""
    types = {"as_of": OpenApiTypes.DATE}
    enums = {"ordering": list(ORDERING_VALUES), "due": ["soon", "overdue"]}
    return [
        OpenApiParameter(
            name,
            types.get(name, OpenApiTypes.STR),
            OpenApiParameter.QUERY,
            description=DESCRIPTIONS[name],
            enum=enums.get(name),
            # An empty value is a 400, and so is one of nothing but spaces.
            pattern=r"\S" if name not in enums and name not in types else None,
        )
        for name in PARAMETERS
    ]


class StrictFilterSet(filters.FilterSet):
    """A filter set for which an empty value (`kind=`) is a 400 naming the parameter, as
    for the recommendation filters: it matches nothing, so it is a mistake to say so."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        blank = [
            name
            for name in self.filters
            if name in self.data and not str(self.data.get(name, "")).strip()
        ]
        for name in blank:
            self.form.errors.pop(name, None)  # what the field said of "  ": this says it better
            self.form.add_error(name, empty_message(name))
        return valid and not blank


def _visible_evaluators(request: HttpRequest | None) -> QuerySet[Evaluator]:
    # An evaluator known only from drafts must not be told apart from one that does not
    # exist: both are "no such evaluator" to those who cannot see drafts.
    return access.evaluators_for(request.user if request is not None else AnonymousUser())


class EvaluationFilter(StrictFilterSet):
    updated_since = DateTimeParamFilter(field_name="updated_at", lookup_expr="gt")
    recommendation = RecordFilter(
        queryset=Recommendation.objects.all(), noun="recommendation", key="pk"
    )
    report = RecordFilter(
        queryset=Report.objects.all(), noun="report", field_name="recommendation__report"
    )
    evaluator = RecordFilter(queryset=_visible_evaluators, noun="evaluator")
    grade = EvaluationGradeFilter()
    status = filters.ChoiceFilter(
        choices=Status.choices, error_messages=_choice_message(Status.choices)
    )

    class Meta:
        model = Evaluation
        fields: list[str] = []

    # Building the form class (a field per filter, and the evaluators a client may name)
    # cost more than the rest of a feed request's Python. It differs only by the drafts
    # rule, so it is built once for each side of it; each form still copies its fields.
    _form_classes: ClassVar[dict[bool, type[forms.Form]]] = {}

    def get_form_class(self) -> type[forms.Form]:
        user = self.request.user if self.request is not None else AnonymousUser()
        drafts_visible = roles.can_see_drafts(user)
        form_class = self._form_classes.get(drafts_visible)
        if form_class is None:
            form_class = self._form_classes[drafts_visible] = super().get_form_class()
        return form_class

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # A withdrawn evaluation is shown to the public only as a tombstone; filtering on
        # what it says now (a draft's grade or evaluator) would tell that draft apart.
        content = ("grade", "evaluator", "status")
        if not roles.can_see_drafts(self.request.user) and any(
            self.form.cleaned_data.get(name) for name in content
        ):
            queryset = queryset.filter(status=Status.PUBLISHED)
        return super().filter_queryset(queryset)


class AreaFilter(StrictFilterSet):
    report = RecordFilter(queryset=Report.objects.all(), noun="report")

    class Meta:
        model = Area
        fields: list[str] = []


class EditionFilter(StrictFilterSet):
    report = RecordFilter(queryset=Report.objects.all(), noun="report")

    class Meta:
        model = Edition
        fields: list[str] = []


class SourceFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(
        choices=SourceKind.choices, error_messages=_choice_message(SourceKind.choices)
    )
    q = TextFilter(method="search")

    class Meta:
        model = Source
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(author__icontains=value) | Q(publisher__icontains=value)
        )
