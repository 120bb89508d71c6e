"""What the API sends and accepts.

Read serializers declare their fields for the OpenAPI schema, but build the body with one
plain function per resource (`represent`): a page of fifty evaluations is a few hundred
dict entries, not thousands of field objects at work. The schema tests (schemathesis and
tests/test_api_schema.py) check that the two never drift apart.

Write serializers validate requests and hand the cleaned values to `tracker.services`.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from scorecard.api.pagination import MAX_ID
from tracker.models import (
    Actor,
    Area,
    Edition,
    Evaluation,
    Evaluator,
    EvaluatorKind,
    EvidenceLink,
    Grade,
    GradeScale,
    Recommendation,
    Report,
    Source,
    SourceKind,
    Stance,
    Status,
)
from tracker.queries import EditionDiff


# (No docstrings on these two bases: the schema would show them on every component.)
class ReadSerializer(serializers.Serializer):
    # Declared fields describe the body; `represent` builds it.

    @staticmethod
    def represent(instance: Any) -> dict[str, Any]:
        raise NotImplementedError

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.represent(instance)


def _nullable(serializer: type[serializers.Serializer], help_text: str) -> serializers.Field:
    return serializer(allow_null=True, read_only=True, help_text=help_text)


# --- Grades -----------------------------------------------------------------------------


class GradeSummarySerializer(ReadSerializer):
    slug = serializers.SlugField(help_text="Unique within the grade scale.")
    label = serializers.CharField()
    score = serializers.IntegerField(help_text="Orders the levels of the scale; higher is better.")
    colour = serializers.CharField(help_text="#RRGGBB, for charts (always shown with the label).")

    @staticmethod
    def represent(grade: Grade) -> dict[str, Any]:
        return {
            "slug": grade.slug,
            "label": grade.label,
            "score": grade.score,
            "colour": grade.colour,
        }


class GradeSerializer(GradeSummarySerializer):
    description = serializers.CharField(help_text="What this level means, so graders agree.")

    @staticmethod
    def represent(grade: Grade) -> dict[str, Any]:
        return {
            "slug": grade.slug,
            "label": grade.label,
            "score": grade.score,
            "colour": grade.colour,
            "description": grade.description,
        }


class GradeScaleSerializer(ReadSerializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    grades = GradeSerializer(many=True, help_text="The levels, best first.")

    @staticmethod
    def represent(scale: GradeScale) -> dict[str, Any]:
        return {
            "slug": scale.slug,
            "name": scale.name,
            "description": scale.description,
            "grades": [GradeSerializer.represent(grade) for grade in scale.grades.all()],
        }


# --- Reports, areas -----------------------------------------------------------------------


class ReportSerializer(ReadSerializer):
    slug = serializers.SlugField(help_text="The report's key in URLs and filters.")
    short_name = serializers.CharField()
    title = serializers.CharField()
    authors = serializers.CharField()
    institution = serializers.CharField()
    published_on = serializers.DateField()
    url = serializers.CharField(help_text="Where the report can be read; may be empty.")
    citation = serializers.CharField()
    description = serializers.CharField(help_text="Markdown.")
    grade_scale = serializers.SlugField(help_text="Slug of the scale its recommendations use.")
    recommendation_count = serializers.IntegerField()

    @staticmethod
    def represent(report: Report) -> dict[str, Any]:
        return {
            "slug": report.slug,
            "short_name": report.short_name,
            "title": report.title,
            "authors": report.authors,
            "institution": report.institution,
            "published_on": report.published_on,
            "url": report.url,
            "citation": report.citation,
            "description": report.description,
            "grade_scale": report.grade_scale.slug,
            "recommendation_count": report.recommendation_count,
        }


class AreaSerializer(ReadSerializer):
    id = serializers.IntegerField()
    report = serializers.SlugField()
    slug = serializers.SlugField(help_text="Unique within its report.")
    name = serializers.CharField()
    position = serializers.IntegerField(help_text="Order within the report.")
    intro = serializers.CharField(help_text="The area's introductory quote, verbatim.")

    @staticmethod
    def represent(area: Area) -> dict[str, Any]:
        return {
            "id": area.pk,
            "report": area.report.slug,
            "slug": area.slug,
            "name": area.name,
            "position": area.position,
            "intro": area.intro,
        }


class AreaSummarySerializer(ReadSerializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


# --- Evaluators, sources, evidence --------------------------------------------------------


class EvaluatorSummarySerializer(ReadSerializer):
    slug = serializers.SlugField()
    name = serializers.CharField()

    @staticmethod
    def represent(evaluator: Evaluator) -> dict[str, Any]:
        return {"slug": evaluator.slug, "name": evaluator.name}


class EvaluatorSerializer(EvaluatorSummarySerializer):
    kind = serializers.ChoiceField(choices=EvaluatorKind.choices)
    affiliation = serializers.CharField()
    url = serializers.CharField(help_text="May be empty.")

    @staticmethod
    def represent(evaluator: Evaluator) -> dict[str, Any]:
        return {
            "slug": evaluator.slug,
            "name": evaluator.name,
            "kind": evaluator.kind,
            "affiliation": evaluator.affiliation,
            "url": evaluator.url,
        }


class SourceSerializer(ReadSerializer):
    key = serializers.SlugField(help_text="A short stable name for the source.")
    title = serializers.CharField()
    author = serializers.CharField()
    publisher = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    url = serializers.CharField(help_text="May be empty.")
    archived_url = serializers.CharField(help_text="A copy in a web archive; may be empty.")
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    citation = serializers.CharField(help_text="The full citation, as printed.")

    @staticmethod
    def represent(source: Source) -> dict[str, Any]:
        return {
            "key": source.key,
            "title": source.title,
            "author": source.author,
            "publisher": source.publisher,
            "published_on": source.published_on,
            "url": source.url,
            "archived_url": source.archived_url,
            "kind": source.kind,
            "citation": source.citation,
        }


class SourceSummarySerializer(ReadSerializer):
    key = serializers.SlugField()
    title = serializers.CharField()
    url = serializers.CharField()

    @staticmethod
    def represent(source: Source) -> dict[str, Any]:
        return {"key": source.key, "title": source.title, "url": source.url}


class EvidenceSerializer(ReadSerializer):
    id = serializers.IntegerField()
    source = SourceSerializer()
    stance = serializers.ChoiceField(choices=Stance.choices)
    quote = serializers.CharField(help_text="The passage relied on; may be empty.")
    page = serializers.CharField(help_text="May be empty.")

    @staticmethod
    def represent(link: EvidenceLink) -> dict[str, Any]:
        return {
            "id": link.pk,
            "source": SourceSerializer.represent(link.source),
            "stance": link.stance,
            "quote": link.quote,
            "page": link.page,
        }

    @staticmethod
    def represent_values(link: Mapping[str, Any]) -> dict[str, Any]:
        """The same, from a dict keyed by `tracker.queries.EVIDENCE_FIELDS`."""
        return {
            "id": link["id"],
            "source": {
                "key": link["source__key"],
                "title": link["source__title"],
                "author": link["source__author"],
                "publisher": link["source__publisher"],
                "published_on": link["source__published_on"],
                "url": link["source__url"],
                "archived_url": link["source__archived_url"],
                "kind": link["source__kind"],
                "citation": link["source__citation"],
            },
            "stance": link["stance"],
            "quote": link["quote"],
            "page": link["page"],
        }


# --- Evaluations --------------------------------------------------------------------------


class RecommendationRefSerializer(ReadSerializer):
    id = serializers.IntegerField()
    report = serializers.SlugField()
    code = serializers.CharField()
    title = serializers.CharField()

    @staticmethod
    def represent(recommendation: Recommendation) -> dict[str, Any]:
        return {
            "id": recommendation.pk,
            "report": recommendation.report.slug,
            "code": recommendation.code,
            "title": recommendation.title,
        }


class EvaluationSerializer(ReadSerializer):
    id = serializers.IntegerField()
    recommendation = RecommendationRefSerializer()
    evaluator = EvaluatorSummarySerializer()
    grade = GradeSummarySerializer()
    wording = serializers.CharField(help_text="The evaluator's own grade wording, verbatim.")
    narrative = serializers.CharField(help_text="Why this grade, in Markdown.")
    as_of = serializers.DateField(help_text="The date this judgment speaks for.")
    publication = _nullable(SourceSummarySerializer, "The publication it appeared in, if any.")
    status = serializers.ChoiceField(
        choices=Status.choices,
        help_text="Always `published` for anonymous clients and partners.",
    )
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(
        help_text="The last change; the change feed is ordered by it (then by id)."
    )
    version = serializers.IntegerField(help_text="Goes up by one with every change.")
    evidence = EvidenceSerializer(many=True, help_text="The sources cited, in order.")

    @staticmethod
    def represent(evaluation: Evaluation) -> dict[str, Any]:
        publication = evaluation.publication
        return {
            "id": evaluation.pk,
            "recommendation": RecommendationRefSerializer.represent(evaluation.recommendation),
            "evaluator": EvaluatorSummarySerializer.represent(evaluation.evaluator),
            "grade": GradeSummarySerializer.represent(evaluation.grade),
            "wording": evaluation.wording,
            "narrative": evaluation.narrative,
            "as_of": evaluation.as_of,
            "publication": SourceSummarySerializer.represent(publication) if publication else None,
            "status": evaluation.status,
            "published_at": evaluation.published_at,
            "created_at": evaluation.created_at,
            "updated_at": evaluation.updated_at,
            "version": evaluation.version,
            "evidence": [EvidenceSerializer.represent(link) for link in evaluation.evidence.all()],
        }

    @staticmethod
    def represent_values(evaluation: Mapping[str, Any]) -> dict[str, Any]:
        """The same, from a dict keyed by `tracker.queries.TIMELINE_FIELDS` (with `evidence`):
        the busiest reads build no model instances (bench/README.md)."""
        return {
            "id": evaluation["id"],
            "recommendation": {
                "id": evaluation["recommendation_id"],
                "report": evaluation["recommendation__report__slug"],
                "code": evaluation["recommendation__code"],
                "title": evaluation["recommendation__title"],
            },
            "evaluator": {
                "slug": evaluation["evaluator__slug"],
                "name": evaluation["evaluator__name"],
            },
            "grade": {
                "slug": evaluation["grade__slug"],
                "label": evaluation["grade__label"],
                "score": evaluation["grade__score"],
                "colour": evaluation["grade__colour"],
            },
            "wording": evaluation["wording"],
            "narrative": evaluation["narrative"],
            "as_of": evaluation["as_of"],
            "publication": {
                "key": evaluation["publication__key"],
                "title": evaluation["publication__title"],
                "url": evaluation["publication__url"],
            }
            if evaluation["publication__key"] is not None
            else None,
            "status": evaluation["status"],
            "published_at": evaluation["published_at"],
            "created_at": evaluation["created_at"],
            "updated_at": evaluation["updated_at"],
            "version": evaluation["version"],
            "evidence": [
                EvidenceSerializer.represent_values(link) for link in evaluation["evidence"]
            ],
        }


class WithdrawnSerializer(ReadSerializer):
    """An evaluation withdrawn after publication, as the change feed shows it to the public:
    only that it is gone, never what it has become since."""

    id = serializers.IntegerField()
    recommendation = RecommendationRefSerializer()
    status = serializers.ChoiceField(choices=[("withdrawn", "withdrawn")])
    updated_at = serializers.DateTimeField(help_text="When it was withdrawn (or last changed).")

    @staticmethod
    def represent(evaluation: Evaluation) -> dict[str, Any]:
        return {
            "id": evaluation.pk,
            "recommendation": RecommendationRefSerializer.represent(evaluation.recommendation),
            "status": "withdrawn",
            "updated_at": evaluation.updated_at,
        }

    @staticmethod
    def represent_values(evaluation: Mapping[str, Any]) -> dict[str, Any]:
        """The same, from a dict keyed by `tracker.queries.TIMELINE_FIELDS`."""
        return {
            "id": evaluation["id"],
            "recommendation": {
                "id": evaluation["recommendation_id"],
                "report": evaluation["recommendation__report__slug"],
                "code": evaluation["recommendation__code"],
                "title": evaluation["recommendation__title"],
            },
            "status": "withdrawn",
            "updated_at": evaluation["updated_at"],
        }


class EvaluationSummarySerializer(ReadSerializer):
    id = serializers.IntegerField()
    as_of = serializers.DateField()
    evaluator = EvaluatorSummarySerializer()
    wording = serializers.CharField()
    narrative = serializers.CharField(help_text="Markdown.")
    published_at = serializers.DateTimeField()

    @staticmethod
    def represent(evaluation: Evaluation) -> dict[str, Any]:
        return {
            "id": evaluation.pk,
            "as_of": evaluation.as_of,
            "evaluator": EvaluatorSummarySerializer.represent(evaluation.evaluator),
            "wording": evaluation.wording,
            "narrative": evaluation.narrative,
            "published_at": evaluation.published_at,
        }


# --- Recommendations ----------------------------------------------------------------------


class RecommendationSerializer(ReadSerializer):
    id = serializers.IntegerField()
    report = serializers.SlugField()
    area = AreaSummarySerializer()
    code = serializers.CharField(help_text="Unique within the report, e.g. SEC-2.")
    position = serializers.IntegerField(help_text="Order within the report.")
    title = serializers.CharField(help_text="A short title, ours.")
    text = serializers.CharField(help_text="The recommendation, verbatim.")
    actor = serializers.ChoiceField(choices=Actor.choices, help_text="Who is asked to act.")
    topics = serializers.ListField(child=serializers.SlugField())
    current_grade = _nullable(
        GradeSummarySerializer,
        "The grade of its latest published evaluation (as of `as_of`, if given); "
        "null while it has none.",
    )
    current_grade_as_of = serializers.DateField(
        allow_null=True, help_text="The date the current grade speaks for."
    )
    current_evaluation = _nullable(
        EvaluationSummarySerializer, "The latest published evaluation, which gives that grade."
    )

    @staticmethod
    def represent(recommendation: Recommendation) -> dict[str, Any]:
        current = recommendation.current_evaluation
        return {
            "id": recommendation.pk,
            "report": recommendation.report.slug,
            "area": {"slug": recommendation.area.slug, "name": recommendation.area.name},
            "code": recommendation.code,
            "position": recommendation.position,
            "title": recommendation.title,
            "text": recommendation.text,
            "actor": recommendation.actor,
            "topics": [topic.slug for topic in recommendation.topics.all()],
            "current_grade": GradeSummarySerializer.represent(current.grade) if current else None,
            "current_grade_as_of": current.as_of if current else None,
            "current_evaluation": (
                EvaluationSummarySerializer.represent(current) if current else None
            ),
        }

    @staticmethod
    def represent_values(
        row: Mapping[str, Any], current: Mapping[str, Any] | None, topics: list[str]
    ) -> dict[str, Any]:
        """The same, from dicts keyed by `tracker.queries.RECOMMENDATION_FIELDS` and
        `EVALUATION_SUMMARY_FIELDS` (the current evaluation, or None)."""
        return {
            "id": row["id"],
            "report": row["report__slug"],
            "area": {"slug": row["area__slug"], "name": row["area__name"]},
            "code": row["code"],
            "position": row["position"],
            "title": row["title"],
            "text": row["text"],
            "actor": row["actor"],
            "topics": topics,
            "current_grade": {
                "slug": current["grade__slug"],
                "label": current["grade__label"],
                "score": current["grade__score"],
                "colour": current["grade__colour"],
            }
            if current
            else None,
            "current_grade_as_of": current["as_of"] if current else None,
            "current_evaluation": {
                "id": current["id"],
                "as_of": current["as_of"],
                "evaluator": {
                    "slug": current["evaluator__slug"],
                    "name": current["evaluator__name"],
                },
                "wording": current["wording"],
                "narrative": current["narrative"],
                "published_at": current["published_at"],
            }
            if current
            else None,
        }


class TimelineSerializer(ReadSerializer):
    recommendation = RecommendationRefSerializer()
    evaluations = EvaluationSerializer(
        many=True, help_text="Every published evaluation, oldest first, with its evidence."
    )

    @staticmethod
    def represent(timeline: tuple[Recommendation, list[Evaluation]]) -> dict[str, Any]:
        recommendation, evaluations = timeline
        return {
            "recommendation": RecommendationRefSerializer.represent(recommendation),
            "evaluations": [EvaluationSerializer.represent(e) for e in evaluations],
        }

    @staticmethod
    def represent_values(
        recommendation: dict[str, Any], evaluations: list[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """From `RecommendationRefSerializer`'s body and `tracker.queries.grade_timeline_values`."""
        return {
            "recommendation": recommendation,
            "evaluations": [EvaluationSerializer.represent_values(e) for e in evaluations],
        }


# --- Editions -----------------------------------------------------------------------------


class EditionSerializer(ReadSerializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    report = serializers.SlugField()
    as_of = serializers.DateField(help_text="The date whose grades the edition froze.")
    status = serializers.ChoiceField(choices=Status.choices)
    published_at = serializers.DateTimeField(allow_null=True)

    @staticmethod
    def represent(edition: Edition) -> dict[str, Any]:
        return {
            "slug": edition.slug,
            "name": edition.name,
            "description": edition.description,
            "report": edition.report.slug,
            "as_of": edition.as_of,
            "status": edition.status,
            "published_at": edition.published_at,
        }


class EvaluationRefSerializer(ReadSerializer):
    id = serializers.IntegerField()
    as_of = serializers.DateField()
    evaluator = EvaluatorSummarySerializer()
    wording = serializers.CharField()

    @staticmethod
    def represent(evaluation: Evaluation) -> dict[str, Any]:
        return {
            "id": evaluation.pk,
            "as_of": evaluation.as_of,
            "evaluator": EvaluatorSummarySerializer.represent(evaluation.evaluator),
            "wording": evaluation.wording,
        }


class FrozenGradeSerializer(ReadSerializer):
    grade = GradeSummarySerializer()
    evaluation = EvaluationRefSerializer()

    @staticmethod
    def represent(evaluation: Evaluation | None) -> dict[str, Any] | None:
        if evaluation is None:
            return None
        return {
            "grade": GradeSummarySerializer.represent(evaluation.grade),
            "evaluation": EvaluationRefSerializer.represent(evaluation),
        }


class EditionEntrySerializer(ReadSerializer):
    recommendation = RecommendationRefSerializer()
    grade = GradeSummarySerializer()
    evaluation = EvaluationRefSerializer()


class EditionDetailSerializer(EditionSerializer):
    entries = EditionEntrySerializer(
        many=True, help_text="Each graded recommendation's frozen grade, in report order."
    )

    @staticmethod
    def represent(edition: Edition) -> dict[str, Any]:
        body = EditionSerializer.represent(edition)
        body["entries"] = [
            {
                "recommendation": RecommendationRefSerializer.represent(recommendation),
                "grade": GradeSummarySerializer.represent(evaluation.grade),
                "evaluation": EvaluationRefSerializer.represent(evaluation),
            }
            for recommendation, evaluation in edition.frozen
        ]
        return body


CHANGE_KINDS = (
    "improved",
    "declined",
    "unchanged",
    "newly_graded",
    "no_longer_graded",
    "never_graded",
)


class GradeChangeSerializer(ReadSerializer):
    recommendation = RecommendationRefSerializer()
    change = serializers.ChoiceField(choices=[(k, k) for k in CHANGE_KINDS])
    steps = serializers.IntegerField(
        allow_null=True,
        help_text="Steps up (positive) or down the scale; null unless graded in both.",
    )
    before = _nullable(FrozenGradeSerializer, "The grade in `before`; null if it had none.")
    after = _nullable(FrozenGradeSerializer, "The grade in `after`; null if it had none.")


class ChangeCountsSerializer(serializers.Serializer):
    improved = serializers.IntegerField()
    declined = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    newly_graded = serializers.IntegerField()
    no_longer_graded = serializers.IntegerField()
    never_graded = serializers.IntegerField()


class EditionComparisonSerializer(ReadSerializer):
    before = EditionSerializer()
    after = EditionSerializer()
    counts = ChangeCountsSerializer(help_text="How many recommendations changed in each way.")
    changes = GradeChangeSerializer(many=True, help_text="Every recommendation, in report order.")

    @staticmethod
    def represent(diff: EditionDiff) -> dict[str, Any]:
        # Both editions are of one report: its slug is not looked up per recommendation.
        report = diff.before.report.slug
        changes = []
        for kind in CHANGE_KINDS:
            for change in getattr(diff, kind):
                recommendation = change.recommendation
                changes.append(
                    {
                        "recommendation": {
                            "id": recommendation.pk,
                            "report": report,
                            "code": recommendation.code,
                            "title": recommendation.title,
                        },
                        "change": kind,
                        "steps": change.delta,
                        "before": FrozenGradeSerializer.represent(change.before),
                        "after": FrozenGradeSerializer.represent(change.after),
                        "_position": recommendation.position,
                    }
                )
        changes.sort(key=lambda row: row.pop("_position"))
        return {
            "before": EditionSerializer.represent(diff.before),
            "after": EditionSerializer.represent(diff.after),
            "counts": {kind: len(getattr(diff, kind)) for kind in CHANGE_KINDS},
            "changes": changes,
        }


# --- Writes -------------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    # Refuses fields it does not know, so a typo is an error rather than ignored.

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            known = ", ".join(self.fields)
            unknown = {
                str(name): [f"Unknown field; the fields are: {known}."]
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
        "does_not_exist": "There is no recommendation {pk_value}.",
        "incorrect_type": "Give the recommendation's id, a whole number.",
    }

    def to_internal_value(self, data: Any) -> Recommendation:
        if isinstance(data, bool) or not (
            (isinstance(data, int) and 0 < data <= MAX_ID)
            or (isinstance(data, str) and data.isascii() and data.isdigit() and len(data) < 19)
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(int(data))


def _key_field(model: type, key: str, noun: str, **kwargs: Any) -> serializers.SlugRelatedField:
    messages = {
        "does_not_exist": f"There is no {noun} “{{value}}”.",
        "invalid": f"Give the {noun}'s {key}.",
    }
    return serializers.SlugRelatedField(
        slug_field=key, queryset=model.objects.all(), error_messages=messages, **kwargs
    )


class EvidenceWriteSerializer(StrictSerializer):
    source = _key_field(Source, "key", "source", help_text="The source's key.")
    stance = serializers.ChoiceField(choices=Stance.choices, default=Stance.SUPPORTS)
    quote = serializers.CharField(allow_blank=True, default="", trim_whitespace=False)
    page = serializers.CharField(allow_blank=True, default="", max_length=50)


class EvaluationChangeSerializer(StrictSerializer):
    """The editable fields: on PATCH any of them, on PUT all. Unknown fields are refused."""

    evaluator = _key_field(Evaluator, "slug", "evaluator", help_text="The evaluator's slug.")
    grade = serializers.SlugField(
        max_length=50, help_text="Slug of a grade on the report's grade scale."
    )
    as_of = serializers.DateField(help_text="The date the judgment speaks for; not in the future.")
    wording = serializers.CharField(
        allow_blank=True, max_length=500, help_text="The evaluator's own grade wording."
    )
    narrative = serializers.CharField(allow_blank=True, help_text="Why this grade, in Markdown.")
    publication = _key_field(
        Source,
        "key",
        "source",
        allow_null=True,
        help_text="Key of the source the evaluation appeared in, or null.",
    )

    def resolve_grade(self, recommendation: Recommendation, slug: str) -> Grade:
        scale = recommendation.report.grade_scale
        grade = Grade.objects.filter(scale=scale, slug=slug).first()
        if grade is None:
            known = ", ".join(scale.grades.values_list("slug", flat=True))
            raise serializers.ValidationError(
                {"grade": [f"“{slug}” is not a grade of “{scale.name}”; choose one of: {known}."]}
            )
        return grade


class EvaluationCreateSerializer(EvaluationChangeSerializer):
    """A new draft evaluation, with the sources it cites. Unknown fields are refused."""

    recommendation = RecommendationIdField(
        queryset=Recommendation.objects.select_related("report__grade_scale"),
        help_text="Id of the recommendation evaluated.",
    )
    wording = serializers.CharField(allow_blank=True, max_length=500, default="")
    narrative = serializers.CharField(allow_blank=True, default="")
    publication = _key_field(Source, "key", "source", allow_null=True, default=None)
    evidence = EvidenceWriteSerializer(many=True, default=list, help_text="Sources cited.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["grade"] = self.resolve_grade(attrs["recommendation"], attrs["grade"])
        return attrs
