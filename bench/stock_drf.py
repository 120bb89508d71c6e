"""The stock DRF way: nested ModelSerializers on ModelViewSets, queries tuned as DRF advises.

What a careful first version of the API looks like: the same payloads as ours (the harness
checks), each view's queryset given the `select_related` / `prefetch_related` that the DRF
documentation asks for when serializers follow relations ("Serializer relations", and the
note on nested serializers and performance), so that a page costs a fixed handful of
queries, not one per row. The current evaluation of each recommendation is a sliced
`Prefetch` (the latest published one per row, in one query, as Django does it since 4.2).
Mounted only by the benchmark's own urlconf (bench/urls.py), under /bench-stock/; never by
the product. It inherits the project's DRF settings (pagination, rate limit, renderer), so
the two differ only in how the rows are read and turned into JSON.
"""

from django.db.models import Prefetch
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from scorecard.api.pagination import FeedPagination
from tracker.deadlines import due_state
from tracker.models import (
    Actor,
    Area,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    Judgment,
    Recommendation,
    Source,
    Status,
)
from tracker.response_models import Response as ActorResponse
from tracker.response_models import ResponseSource


class GradeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Grade
        fields = ["slug", "label", "score", "colour"]


class EvaluatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evaluator
        fields = ["slug", "name"]


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["slug", "name"]


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = [
            "key",
            "title",
            "author",
            "publisher",
            "published_on",
            "url",
            "archived_url",
            "kind",
            "citation",
        ]


class SourceSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["key", "title", "url"]


class EvidenceSerializer(serializers.ModelSerializer):
    source = SourceSerializer()

    class Meta:
        model = EvidenceLink
        fields = ["id", "source", "stance", "quote", "page"]


class RecommendationRefSerializer(serializers.ModelSerializer):
    report = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Recommendation
        fields = ["id", "report", "code", "title"]


class EvaluationSummarySerializer(serializers.ModelSerializer):
    evaluator = EvaluatorSerializer()

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "as_of",
            "evaluator",
            "not_rateable_reason",
            "wording",
            "narrative",
            "published_at",
        ]


class EvaluationSerializer(serializers.ModelSerializer):
    recommendation = RecommendationRefSerializer()
    evaluator = EvaluatorSerializer()
    grade = GradeSerializer(allow_null=True)
    publication = SourceSummarySerializer(allow_null=True)
    evidence = EvidenceSerializer(many=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "recommendation",
            "evaluator",
            "grade",
            "not_rateable_reason",
            "wording",
            "narrative",
            "as_of",
            "publication",
            "status",
            "published_at",
            "created_at",
            "updated_at",
            "version",
            "evidence",
        ]


class ActorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["slug", "name", "kind"]


class ResponseSourceSerializer(serializers.ModelSerializer):
    source = SourceSerializer()

    class Meta:
        model = ResponseSource
        fields = ["source", "quote", "page"]


class ResponseSerializer(serializers.ModelSerializer):
    recommendation = RecommendationRefSerializer()
    actor = ActorSerializer()
    sources = ResponseSourceSerializer(many=True)

    class Meta:
        model = ActorResponse
        fields = [
            "id",
            "recommendation",
            "actor",
            "position",
            "statement",
            "said_on",
            "status",
            "published_at",
            "updated_at",
            "version",
            "sources",
        ]


class RecommendationSerializer(serializers.ModelSerializer):
    report = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    area = AreaSerializer()
    actors = ActorSerializer(many=True, read_only=True)
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    due_state = serializers.SerializerMethodField()
    current_grade = serializers.SerializerMethodField()
    current_judgment = serializers.SerializerMethodField()
    current_grade_as_of = serializers.SerializerMethodField()
    current_evaluation = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "report",
            "area",
            "code",
            "position",
            "title",
            "text",
            "actors",
            "topics",
            "due_on",
            "due_set_by",
            "due_state",
            "current_grade",
            "current_judgment",
            "current_grade_as_of",
            "current_evaluation",
        ]

    @staticmethod
    def _current(recommendation: Recommendation) -> Evaluation | None:
        # The view's sliced Prefetch left at most one: the latest published evaluation.
        latest = recommendation.latest_published
        return latest[0] if latest else None

    def get_due_state(self, recommendation: Recommendation) -> str | None:
        current = self._current(recommendation)
        return due_state(recommendation.due_on, current.grade if current else None)

    def get_current_grade(self, recommendation: Recommendation) -> dict | None:
        current = self._current(recommendation)
        return GradeSerializer(current.grade).data if current and current.grade else None

    def get_current_judgment(self, recommendation: Recommendation) -> str:
        current = self._current(recommendation)
        if current is None:
            return Judgment.UNGRADED
        return Judgment.NOT_RATEABLE if current.is_not_rateable else Judgment.GRADED

    def get_current_grade_as_of(self, recommendation: Recommendation):
        current = self._current(recommendation)
        return serializers.DateField().to_representation(current.as_of) if current else None

    def get_current_evaluation(self, recommendation: Recommendation) -> dict | None:
        current = self._current(recommendation)
        return EvaluationSummarySerializer(current).data if current else None


def published_evaluations():
    """Published evaluations with everything EvaluationSerializer follows: one query for
    the rows and their single relations, one for the evidence of all of them."""
    evidence = EvidenceLink.objects.select_related("source").order_by("position", "id")
    return (
        Evaluation.objects.filter(status=Status.PUBLISHED)
        .select_related("recommendation__report", "evaluator", "grade", "publication")
        .prefetch_related(Prefetch("evidence", queryset=evidence))
    )


def published_responses():
    """Published responses, oldest first, with their actor, recommendation and sources."""
    sources = ResponseSource.objects.select_related("source").order_by("position", "id")
    return (
        ActorResponse.objects.filter(status=Status.PUBLISHED)
        .select_related("actor", "recommendation__report")
        .prefetch_related(Prefetch("sources", queryset=sources))
        .order_by("said_on", "published_at", "id")
    )


class RecommendationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RecommendationSerializer

    def get_queryset(self):
        latest_published = (
            Evaluation.objects.filter(status=Status.PUBLISHED)
            .select_related("grade", "evaluator")
            .order_by("-as_of", "-published_at", "-id")
        )
        recommendations = (
            Recommendation.objects.select_related("report", "area")
            .prefetch_related(
                "topics",
                Prefetch("actors", queryset=Actor.objects.order_by("name", "id")),
                Prefetch("evaluations", queryset=latest_published[:1], to_attr="latest_published"),
            )
            .order_by("report__published_on", "report_id", "position")
        )
        report = self.request.query_params.get("report")
        if report:
            recommendations = recommendations.filter(report__slug=report)
        return recommendations

    @action(detail=True, pagination_class=None)
    def timeline(self, request, pk=None):
        recommendation = get_object_or_404(Recommendation.objects.select_related("report"), pk=pk)
        evaluations = published_evaluations().filter(recommendation=recommendation)
        return Response(
            {
                "recommendation": RecommendationRefSerializer(recommendation).data,
                "evaluations": EvaluationSerializer(
                    evaluations.order_by("as_of", "published_at", "id"), many=True
                ).data,
                "responses": ResponseSerializer(
                    published_responses().filter(recommendation=recommendation), many=True
                ).data,
            }
        )


class EvaluationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EvaluationSerializer
    pagination_class = FeedPagination  # the same cursor pages as ours

    def get_queryset(self):
        evaluations = published_evaluations()
        since = self.request.query_params.get("updated_since")
        if since:
            evaluations = evaluations.filter(updated_at__gt=since)
        return evaluations


router = DefaultRouter()
router.register("recommendations", RecommendationViewSet, basename="stock-recommendation")
router.register("evaluations", EvaluationViewSet, basename="stock-evaluation")
