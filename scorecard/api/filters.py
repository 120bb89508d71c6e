"""Query parameters of the lists. Every value is checked: one that cannot match anything
(an unknown grade, a malformed date, a NUL byte) is a 400 naming the parameter, never an
empty list that looks like an answer and never a server error.
"""

import datetime
import re
from typing import Any, ClassVar

import django_filters as filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Left, Length, StrIndex
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from scorecard.api import access
from tracker import queries, roles
from tracker.models import (
    Actor,
    Area,
    Edition,
    Evaluation,
    Evaluator,
    Grade,
    Recommendation,
    Report,
    Source,
    SourceKind,
    Status,
    Topic,
)


class IsoDateField(forms.DateField):
    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD, e.g. 2004-04-26."}


class UtcDateTimeField(forms.CharField):
    """An ISO 8601 date and time; without a zone it is taken as UTC."""

    _SPACE_FOR_PLUS = re.compile(r" (\d{2}(?::?\d{2})?)$")
    invalid = "Enter an ISO 8601 date and time, e.g. 2024-05-01T00:00:00Z."

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
                "This date and time is outside the years 1 to 9999 in UTC.", code="invalid"
            ) from None


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
            known = sorted(set(self.queryset.values_list("slug", flat=True)))
            shown = ", ".join(known[:30]) + (", …" if len(known) > 30 else "")
            # Values go in params: the message is %-formatted later, and may contain a `%`.
            raise ValidationError(
                "There is no %(noun)s “%(slug)s”. Known: %(known)s.",
                code="invalid",
                params={"noun": self.noun, "slug": slug, "known": shown or "none yet"},
            )
        return ids


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
    """A row named by a unique key; an unknown key is a 400."""

    def __init__(self, *args: Any, noun: str, key: str = "slug", **kwargs: Any):
        kwargs.setdefault("to_field_name", key)
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": f"There is no {noun} with this {'id' if key == 'pk' else key}."},
        )
        kwargs.setdefault("null_label", None)
        super().__init__(*args, **kwargs)


class TextFilter(filters.CharFilter):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)


def _choice_message(choices: list[tuple[str, str]]) -> dict[str, str]:
    values = ", ".join(value for value, _ in choices)
    return {"invalid_choice": f"“%(value)s” is not one of: {values}."}


class RecommendationFilter(filters.FilterSet):
    report = RecordFilter(queryset=Report.objects.all(), noun="report")
    area = SlugsFilter(queryset=Area.objects.all(), noun="area", field_name="area")
    grade = SlugsFilter(queryset=Grade.objects.all(), noun="grade", field_name="current_grade_id")
    actor = filters.ChoiceFilter(
        choices=Actor.choices, error_messages=_choice_message(Actor.choices)
    )
    topic = RecordFilter(queryset=Topic.objects.all(), noun="topic", field_name="topics")
    q = TextFilter(method="search")
    as_of = DateParamFilter(method="keep")
    ORDERINGS = ["position", "code", "grade", "date"]
    ordering = filters.ChoiceFilter(
        choices=[(o, o) for name in ORDERINGS for o in (name, f"-{name}")],
        method="order",
        error_messages=_choice_message([(o, o) for name in ORDERINGS for o in (name, f"-{name}")]),
    )

    class Meta:
        model = Recommendation
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The current grade (as of a date, if asked) is needed by the grade filter and the
        # orderings, so it is annotated before they run.
        queryset = queries.with_current_grade(queryset, self.form.cleaned_data.get("as_of"))
        queryset = queryset.order_by("report__published_on", "report_id", "position")
        return super().filter_queryset(queryset)

    def keep(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(title__icontains=value) | Q(text__icontains=value)
        )

    def order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        descending = value.startswith("-")
        key = value.lstrip("-")
        if key == "position":
            keys = [F("report__published_on"), F("report_id"), F("position")]
        elif key == "code":
            prefix = Left("code", StrIndex("code", Value("-")) - 1)
            keys = [prefix, Length("code"), F("code"), F("report_id")]
        elif key == "grade":
            score = Grade.objects.filter(pk=OuterRef("current_grade_id")).values("score")[:1]
            queryset = queryset.annotate(current_grade_score=Subquery(score))
            keys = [F("current_grade_score")]
        else:
            keys = [F("current_as_of")]
        ordered = [
            (k.desc(nulls_last=True) if descending else k.asc(nulls_last=True)) for k in keys
        ]
        return queryset.order_by(*ordered, "report_id", "position")


def _visible_evaluators(request: HttpRequest | None) -> QuerySet[Evaluator]:
    # An evaluator known only from drafts must not be told apart from one that does not
    # exist: both are "no such evaluator" to those who cannot see drafts.
    return access.evaluators_for(request.user if request is not None else AnonymousUser())


class EvaluationFilter(filters.FilterSet):
    updated_since = DateTimeParamFilter(field_name="updated_at", lookup_expr="gt")
    recommendation = RecordFilter(
        queryset=Recommendation.objects.all(), noun="recommendation", key="pk"
    )
    report = RecordFilter(
        queryset=Report.objects.all(), noun="report", field_name="recommendation__report"
    )
    evaluator = RecordFilter(queryset=_visible_evaluators, noun="evaluator")
    grade = SlugsFilter(queryset=Grade.objects.all(), noun="grade", field_name="grade_id")
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


class AreaFilter(filters.FilterSet):
    report = RecordFilter(queryset=Report.objects.all(), noun="report")

    class Meta:
        model = Area
        fields: list[str] = []


class EditionFilter(filters.FilterSet):
    report = RecordFilter(queryset=Report.objects.all(), noun="report")

    class Meta:
        model = Edition
        fields: list[str] = []


class SourceFilter(filters.FilterSet):
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
