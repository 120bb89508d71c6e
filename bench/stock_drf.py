"""The stock DRF way: nested ModelSerializers on ModelViewSets, no query tuning.

What a first version of the API usually looks like: the same payloads as ours (the
harness checks), each related object loaded when a serializer touches it. Mounted only by
the benchmark's own urlconf (bench/urls.py), under /bench-stock/; never by the product.
It inherits the project's DRF settings (pagination, rate limit, renderer), so the two
differ only in how the rows are read and turned into JSON.
"""

from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from scorecard.api.pagination import FeedPagination
from tracker.models import (
    Area,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    Recommendation,
    Source,
    Status,
)


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
        fields = ["id", "as_of", "evaluator", "wording", "narrative", "published_at"]


class EvaluationSerializer(serializers.ModelSerializer):
    recommendation = RecommendationRefSerializer()
    evaluator = EvaluatorSerializer()
    grade = GradeSerializer()
    publication = SourceSummarySerializer(allow_null=True)
    evidence = EvidenceSerializer(many=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "recommendation",
            "evaluator",
            "grade",
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


class RecommendationSerializer(serializers.ModelSerializer):
    report = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    area = AreaSerializer()
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    current_grade = serializers.SerializerMethodField()
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
            "actor",
            "topics",
            "current_grade",
            "current_grade_as_of",
            "current_evaluation",
        ]

    def _current(self, recommendation: Recommendation) -> Evaluation | None:
        # Remembered per row, as anyone would write it: one query per row, not three.
        if not hasattr(recommendation, "_stock_current"):
            recommendation._stock_current = (
                recommendation.evaluations.filter(status=Status.PUBLISHED)
                .order_by("-as_of", "-published_at", "-id")
                .first()
            )
        return recommendation._stock_current

    def get_current_grade(self, recommendation: Recommendation) -> dict | None:
        current = self._current(recommendation)
        return GradeSerializer(current.grade).data if current else None

    def get_current_grade_as_of(self, recommendation: Recommendation):
        current = self._current(recommendation)
        return serializers.DateField().to_representation(current.as_of) if current else None

    def get_current_evaluation(self, recommendation: Recommendation) -> dict | None:
        current = self._current(recommendation)
        return EvaluationSummarySerializer(current).data if current else None


class RecommendationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RecommendationSerializer

    def get_queryset(self):
        recommendations = Recommendation.objects.order_by(
            "report__published_on", "report_id", "position"
        )
        report = self.request.query_params.get("report")
        if report:
            recommendations = recommendations.filter(report__slug=report)
        return recommendations

    @action(detail=True, pagination_class=None)
    def timeline(self, request, pk=None):
        recommendation = self.get_object()
        evaluations = recommendation.evaluations.filter(status=Status.PUBLISHED).order_by(
            "as_of", "published_at", "id"
        )
        return Response(
            {
                "recommendation": RecommendationRefSerializer(recommendation).data,
                "evaluations": EvaluationSerializer(evaluations, many=True).data,
            }
        )


class EvaluationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EvaluationSerializer
    pagination_class = FeedPagination  # the same cursor pages as ours

    def get_queryset(self):
        evaluations = Evaluation.objects.filter(status=Status.PUBLISHED)
        since = self.request.query_params.get("updated_since")
        if since:
            evaluations = evaluations.filter(updated_at__gt=since)
        return evaluations


router = DefaultRouter()
router.register("recommendations", RecommendationViewSet, basename="stock-recommendation")
router.register("evaluations", EvaluationViewSet, basename="stock-evaluation")
