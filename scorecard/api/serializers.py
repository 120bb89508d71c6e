"""What the API accepts: write serializers validate requests and hand the cleaned values
to `tracker.services`. (What it sends is declared in `scorecard.api.shapes`.)"""

import datetime
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from scorecard.api.pagination import MAX_ID
from tracker.models import Evaluator, Grade, Recommendation, Source, SourceKind, Stance

# --- Writes -------------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    # Refuses fields it does not know, so a typo is an error rather than ignored.

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            known = ", ".join(self.fields)
            unknown = {
                str(name): [gettext("Unknown field; the fields are: %(known)s.") % {"known": known}]
                for name in sorted(set(data) - set(self.fields), key=str)
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class RecommendationIdField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("There is no recommendation {pk_value}."),
        "incorrect_type": _("Give the recommendation's id, a whole number."),
    }

    def to_internal_value(self, data: Any) -> Recommendation:
        if isinstance(data, bool) or not (
            (isinstance(data, int) and 0 < data <= MAX_ID)
            or (isinstance(data, str) and data.isascii() and data.isdigit() and len(data) < 19)
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(int(data))


# What a field naming a row by its key says of a key that names none (lazy: DRF formats
# them in the answer's language).
_KEY_MESSAGES = {
    Source: {
        "does_not_exist": _("There is no source “{value}”."),
        "invalid": _("Give the source's key."),
    },
    Evaluator: {
        "does_not_exist": _("There is no evaluator “{value}”."),
        "invalid": _("Give the evaluator's slug."),
    },
}


def _key_field(model: type, key: str, **kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field=key, queryset=model.objects.all(), error_messages=_KEY_MESSAGES[model], **kwargs
    )


class EvidenceWriteSerializer(StrictSerializer):
    source = _key_field(Source, "key", help_text="The source's key.")
    stance = serializers.ChoiceField(choices=Stance.choices, default=Stance.SUPPORTS)
    quote = serializers.CharField(allow_blank=True, default="", trim_whitespace=False)
    page = serializers.CharField(allow_blank=True, default="", max_length=50)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DayField(serializers.DateField):
    """A date as YYYY-MM-DD; a well-formed day that the calendar lacks (2010-02-30) is
    named as such rather than as a format error."""

    def to_internal_value(self, value: Any) -> datetime.date:
        if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                raise serializers.ValidationError(
                    gettext("There is no %(day)s: that date does not exist.")
                    % {"day": value.strip()}
                ) from None
        return super().to_internal_value(value)


class EvaluationChangeSerializer(StrictSerializer):
    """The editable fields: on PATCH any of them, on PUT all. Unknown fields are refused.

    Give the evaluation's recommendation in the context (`recommendation`): the grade is
    then checked against its scale with the other fields, so every problem is named at
    once."""

    evaluator = _key_field(Evaluator, "slug", help_text="The evaluator's slug.")
    grade = serializers.SlugField(
        max_length=50,
        allow_null=True,
        help_text="Slug of a grade on the report's grade scale; null when the evaluation "
        "judges the recommendation not rateable (then give `not_rateable_reason`).",
    )
    not_rateable_reason = serializers.CharField(
        allow_blank=True,
        default="",
        help_text="Only with a null grade: why the recommendation cannot be graded (too "
        "vague, no information).",
    )
    as_of = DayField(help_text="The date the judgment speaks for; not in the future.")
    wording = serializers.CharField(
        allow_blank=True, max_length=500, help_text="The evaluator's own grade wording."
    )
    narrative = serializers.CharField(allow_blank=True, help_text="Why this grade, in Markdown.")
    publication = _key_field(
        Source,
        "key",
        allow_null=True,
        help_text="Key of the source the evaluation appeared in, or null.",
    )

    def validate_grade(self, slug: str | None) -> str | Grade | None:
        recommendation = self.context.get("recommendation")
        if recommendation is None or slug is None:  # (a new evaluation's: in `validate`)
            return slug
        return self.resolve_grade(recommendation, slug)["grade"]

    def resolve_grade(
        self, recommendation: Recommendation, slug: str | None
    ) -> dict[str, Grade | None]:
        if slug is None:
            return {"grade": None}
        scale = recommendation.report.grade_scale
        grade = Grade.objects.filter(scale=scale, slug=slug).first()
        if grade is None:
            known = ", ".join(scale.grades.values_list("slug", flat=True))
            raise serializers.ValidationError(
                gettext("“%(slug)s” is not a grade of “%(scale)s”; choose one of: %(known)s.")
                % {"slug": slug, "scale": scale.name, "known": known}
            )
        return {"grade": grade}


class EvaluationCreateSerializer(EvaluationChangeSerializer):
    """A new draft evaluation, with the sources it cites. Unknown fields are refused."""

    recommendation = RecommendationIdField(
        queryset=Recommendation.objects.select_related("report__grade_scale"),
        help_text="Id of the recommendation evaluated.",
    )
    grade = serializers.SlugField(
        max_length=50,
        allow_null=True,
        default=None,
        help_text="Slug of a grade on the report's grade scale; null (or left out) when the "
        "evaluation judges the recommendation not rateable (then give `not_rateable_reason`).",
    )
    wording = serializers.CharField(allow_blank=True, max_length=500, default="")
    narrative = serializers.CharField(allow_blank=True, default="")
    publication = _key_field(Source, "key", allow_null=True, default=None)
    evidence = EvidenceWriteSerializer(many=True, default=list, help_text="Sources cited.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            attrs.update(self.resolve_grade(attrs["recommendation"], attrs.get("grade")))
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"grade": error.detail}) from None
        return attrs


class SourceChangeSerializer(StrictSerializer):
    """A source's fields to correct (PATCH: any of them). Unknown fields are refused.

    Give the source in the context (`source`): its key may be sent as it is, never changed."""

    key = serializers.SlugField(
        max_length=100,
        help_text="A short stable name, the one evidence cites; it never changes once given.",
    )
    title = serializers.CharField(max_length=500)
    author = serializers.CharField(allow_blank=True, max_length=300)
    publisher = serializers.CharField(allow_blank=True, max_length=300)
    published_on = DayField(allow_null=True, help_text="YYYY-MM-DD, or null.")
    url = serializers.URLField(
        allow_blank=True,
        max_length=1000,
        help_text="Where the source is. One source per URL: a URL on file is answered 409 "
        "with that source.",
    )
    archived_url = serializers.URLField(
        allow_blank=True, max_length=1000, help_text="A copy in a web archive."
    )
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    citation = serializers.CharField(allow_blank=True, help_text="The full citation, as printed.")

    def validate_key(self, key: str) -> str:
        source = self.context["source"]
        if key != source.key:
            raise serializers.ValidationError(
                gettext(
                    "A source's key never changes (evidence and partners cite it): this one "
                    "stays “%(key)s”."
                )
                % {"key": source.key}
            )
        return key


class SourceCreateSerializer(SourceChangeSerializer):
    """A new source: a title at least. Unknown fields are refused."""

    key = serializers.SlugField(
        max_length=100,
        required=False,
        help_text="A short stable name, the one evidence cites; by default made from the title.",
    )
    author = serializers.CharField(allow_blank=True, max_length=300, default="")
    publisher = serializers.CharField(allow_blank=True, max_length=300, default="")
    published_on = DayField(allow_null=True, default=None, help_text="YYYY-MM-DD, or null.")
    url = serializers.URLField(
        allow_blank=True,
        max_length=1000,
        default="",
        help_text="Where the source is. One source per URL: a URL on file is answered 409 "
        "with that source.",
    )
    archived_url = serializers.URLField(allow_blank=True, max_length=1000, default="")
    kind = serializers.ChoiceField(choices=SourceKind.choices, default=SourceKind.OTHER)
    citation = serializers.CharField(allow_blank=True, default="")

    def validate_key(self, key: str) -> str:
        # Whether it is taken is the service's to say, after the URL: a POST sent again is
        # answered with the source it added (409), not with its key.
        return key
