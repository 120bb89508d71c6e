"""The endpoints. Thin: access (`access`), reads (`tracker.queries`), writes
(`tracker.services`) and the HTTP rules (`conditional`, `errors`) live elsewhere.

Every list costs a fixed number of queries whatever the data size (tests/test_api_queries.py).
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from scorecard.api import access, conditional, docs, shapes
from scorecard.api import serializers as s
from scorecard.api.errors import no_such
from scorecard.api.filters import (
    AreaFilter,
    EditionFilter,
    EvaluationFilter,
    SourceFilter,
    filter_errors,
    recommendation_as_of,
    recommendation_filters,
)
from scorecard.api.pagination import FeedPagination
from scorecard.api.permissions import Publish, ReadOrEdit, ReadOrEditSources
from scorecard.api.renderers import JSONRenderer
from scorecard.api.shape import Shape, translated_bodies
from tracker import comparisons, deadlines, queries, roles, services
from tracker.models import (
    Area,
    Edition,
    Evaluation,
    GradeScale,
    Recommendation,
    Report,
    Source,
    Status,
)
from tracker.report_filters import parse_report_filters
from tracker.responses import attach_frozen_responses, published_responses

SLUG = r"[-a-zA-Z0-9_]+"
# Up to 18 digits: every id the database can hold, and nothing that overflows it.
ID = r"[0-9]{1,18}"
# A recommendation's code in a path (SEC-3); letters in any case.
CODE = r"[-a-zA-Z0-9_.]{1,50}"


class ApiViewSet(GenericViewSet):
    noun = "resource"

    def get_object(self) -> Any:
        try:
            return super().get_object()
        except Http404:
            value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
            raise exceptions.NotFound(no_such(self.noun, value)) from None

    def etag_for(self, response: Response) -> str | None:
        """A view's own ETag for a response (default: a hash of the body)."""
        return None

    # This read's key in the response cache, once known (check_throttles).
    response_cache_key: str | None = None
    answered_from_cache = False

    def check_throttles(self, request: Request) -> None:
        # A read's answer may be known before the view runs (conditional.py): a 304 is
        # given before the rate limit counts it, a kept body only after.
        entry = None
        json = isinstance(getattr(request, "accepted_renderer", None), JSONRenderer)
        if json and request.method in ("GET", "HEAD"):
            self.response_cache_key = conditional.cache_key(request)
            entry = conditional.kept_entry(request, self.response_cache_key)
        super().check_throttles(request)
        if entry is not None:
            raise conditional.AnsweredEarly(entry.response(), kept=True)

    def handle_exception(self, exc: Exception) -> HttpResponseBase:
        if isinstance(exc, conditional.AnsweredEarly):
            self.answered_from_cache = exc.kept
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.answered_from_cache:
            return conditional.add_validators(request, response)
        if (
            request.method in ("POST", "PUT", "PATCH")
            and response.status_code in (status.HTTP_200_OK, status.HTTP_201_CREATED)
            and isinstance(response, Response)
        ):
            # A write answers with what was saved and its ETag, for the next If-Match.
            etag = self.etag_for(response)
            if etag is not None:
                response["ETag"] = etag
            response["Cache-Control"] = "no-store"
            return response
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == status.HTTP_200_OK
            and isinstance(response, Response)
            and isinstance(getattr(response, "accepted_renderer", None), JSONRenderer)
        ):
            return conditional.add_validators(
                request, response, self.etag_for(response), key=self.response_cache_key
            )
        return response


class ReadOnlyViewSet(ApiViewSet):
    # A list and a detail of one shape: its rows read what the shape needs (`fetch`) and
    # their bodies are the shape's (`build`). (A docstring would show on every operation.)

    shape: type[Shape]

    def get_serializer_class(self) -> type:
        return self.shape.serializer

    def shown(self) -> QuerySet:
        return self.shape.fetch(self.filter_queryset(self.get_queryset()))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.shown())
        return self.get_paginated_response(shapes.body(self.shape, page))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.shape.build(self.get_object()))

    def get_object(self) -> Any:
        field = self.lookup_field
        value = self.kwargs[self.lookup_url_kwarg or field]
        try:
            instance = self.shape.fetch(self.get_queryset()).get(**{field: value})
        except ObjectDoesNotExist:
            raise exceptions.NotFound(no_such(self.noun, value)) from None
        self.check_object_permissions(self.request, instance)
        return instance


def _with_current_grade(
    request: Request, recommendations: QuerySet[Recommendation]
) -> Recommendation | None:
    """The one recommendation of `recommendations`, with its current grade as of `as_of`
    if given (the list's other filters do not apply to it); None if there is none."""
    as_of = recommendation_as_of(request.query_params)
    queryset = shapes.RecommendationShape.fetch(recommendations)
    found = queries.attach_current_evaluations(queries.with_current_grade(queryset, as_of))
    return found[0] if found else None


@extend_schema_view(
    list=docs.reports_list,
    retrieve=docs.reports_detail,
    recommendation=docs.reports_recommendation,
)
class ReportViewSet(ReadOnlyViewSet):
    noun = "report"
    shape = shapes.ReportShape
    lookup_field = "slug"
    lookup_value_regex = SLUG
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Report]:
        reports = Report.objects.annotate(recommendation_count=Count("recommendations"))
        return deadlines.with_due_counts(reports).order_by("published_on", "slug")

    def filter_queryset(self, queryset: QuerySet[Report]) -> QuerySet[Report]:
        # The home page's filters (tracker.report_filters.ReportFilters), with the same meaning.
        if self.action != "list":
            return queryset
        with filter_errors():
            filters = parse_report_filters(self.request.query_params)
        return queryset.filter(filters.condition())

    @action(
        detail=True,
        url_path=rf"recommendations/(?P<code>{CODE})",
        filter_backends=[],
        pagination_class=None,
    )
    def recommendation(self, request: Request, *args: Any, code: str, **kwargs: Any) -> Response:
        # The address a report's citation gives: its slug and the code, in any case. One
        # query when found; a second, only when not, tells a missing report from a code.
        slug = self.kwargs["slug"]
        cited = Recommendation.objects.filter(report__slug=slug, code__iexact=code)
        recommendation = _with_current_grade(request, cited)
        if recommendation is None:
            if not Report.objects.filter(slug=slug).exists():
                raise exceptions.NotFound(no_such("report", slug))
            raise exceptions.NotFound(
                gettext("There is no recommendation “%(code)s” in “%(report)s”.")
                % {"code": code, "report": slug}
            )
        return Response(shapes.RecommendationShape.build(recommendation))


@extend_schema_view(list=docs.areas_list, retrieve=docs.areas_detail)
class AreaViewSet(ReadOnlyViewSet):
    noun = "area"
    shape = shapes.AreaShape
    lookup_value_regex = ID
    filterset_class = AreaFilter

    def get_queryset(self) -> QuerySet[Area]:
        return Area.objects.order_by("report__published_on", "report_id", "position")


@extend_schema_view(list=docs.grade_scales_list, retrieve=docs.grade_scales_detail)
class GradeScaleViewSet(ReadOnlyViewSet):
    noun = "grade scale"
    shape = shapes.GradeScaleShape
    lookup_field = "slug"
    lookup_value_regex = SLUG
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[GradeScale]:
        return GradeScale.objects.order_by("name", "slug")


@extend_schema_view(list=docs.evaluators_list, retrieve=docs.evaluators_detail)
class EvaluatorViewSet(ReadOnlyViewSet):
    noun = "evaluator"
    shape = shapes.EvaluatorShape
    lookup_field = "slug"
    lookup_value_regex = SLUG
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        return access.evaluators_for(self.request.user).order_by("name", "slug")


@extend_schema_view(
    list=docs.sources_list,
    retrieve=docs.sources_detail,
    create=docs.sources_create,
    partial_update=docs.sources_partial_update,
)
class SourceViewSet(ReadOnlyViewSet):
    noun = "source"
    shape = shapes.SourceShape
    lookup_field = "key"
    lookup_value_regex = SLUG
    filterset_class = SourceFilter
    permission_classes = [ReadOrEditSources]
    http_method_names = ["get", "head", "options", "post", "patch"]
    shown_source: Source | None = None  # the one source a response shows (its ETag)

    def get_queryset(self) -> QuerySet:
        return access.sources_for(self.request.user).order_by("title", "key")

    def get_object(self) -> Source:
        key = self.kwargs["key"]
        try:
            source = self.shape.fetch(self.get_queryset(), also=["updated_at"]).get(key=key)
        except Source.DoesNotExist:
            raise exceptions.NotFound(no_such("source", key)) from None
        self.shown_source = source
        return source

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A URL already on file is answered with that source (409, errors.SourceOnFile).
        serializer = s.SourceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = services.create_source(**serializer.validated_data, user=request.user)
        self.shown_source = source
        response = Response(self.shape.build(source), status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:source-detail", args=[source.key])
        return response

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        source = self.get_object()
        expected = conditional.expected_updated_at(request, source)
        serializer = s.SourceChangeSerializer(
            data=request.data, partial=True, context={"source": source}
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        changes.pop("key", None)  # (sent as it is: the serializer refuses another)
        source = services.update_source(
            source=source, changes=changes, user=request.user, expected_updated_at=expected
        )
        self.shown_source = source
        return Response(self.shape.build(source))

    def etag_for(self, response: Response) -> str | None:
        if self.shown_source is None:
            return None
        response.render()
        return conditional.source_etag(
            self.shown_source.key, self.shown_source.updated_at, response.content
        )


@extend_schema_view(
    list=docs.recommendations_list,
    retrieve=docs.recommendations_detail,
    timeline=docs.recommendations_timeline,
)
class RecommendationViewSet(ReadOnlyViewSet):
    noun = "recommendation"
    shape = shapes.RecommendationShape
    lookup_value_regex = ID
    filter_backends: list = []  # the list reads its own parameters (recommendation_filters)

    def get_queryset(self) -> QuerySet[Recommendation]:
        return Recommendation.objects.all()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The filters' one definition (tracker.filters), as on the report page and the
        # exports; the page's rows through the ORM (tracker.queries.recommendation_page).
        filters = recommendation_filters(request.query_params)
        size, number = self.paginator.size_and_number(request)
        with filter_errors():
            count, page = queries.recommendation_page(
                filters, limit=size, offset=(number - 1) * size
            )
        self.paginator.set_page(request, count=count, number=number, size=size)
        return self.get_paginated_response(shapes.body(self.shape, page))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pk = self.kwargs["pk"]
        recommendation = _with_current_grade(request, self.get_queryset().filter(pk=pk))
        if recommendation is None:
            raise exceptions.NotFound(no_such("recommendation", pk))
        return Response(self.shape.build(recommendation))

    @action(detail=True, filter_backends=[], pagination_class=None)
    def timeline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The evaluations and their evidence: two queries. A third, only when there are
        # none, tells an ungraded recommendation from a missing one. Then the responses.
        published = queries.published_timeline(int(self.kwargs["pk"]))
        evaluations = list(shapes.EvaluationShape.fetch(published))
        recommendation = evaluations[0].recommendation if evaluations else self.get_object()
        # What the actors say, beside: one query more, two when there are some.
        responses = list(
            shapes.ResponseShape.fetch(
                published_responses().filter(recommendation_id=recommendation.pk)
            )
        )
        timeline = shapes.Timeline(recommendation, evaluations, responses)
        return Response(shapes.TimelineShape.build(timeline))

    def get_object(self) -> Recommendation:
        if self.action == "timeline":
            queryset = shapes.RecommendationRefShape.fetch(self.get_queryset())
            try:
                return queryset.get(pk=self.kwargs["pk"])
            except Recommendation.DoesNotExist:
                raise exceptions.NotFound(no_such("recommendation", self.kwargs["pk"])) from None
        return super().get_object()


@extend_schema_view(
    list=docs.evaluations_list,
    retrieve=docs.evaluations_detail,
    create=docs.evaluations_create,
    update=docs.evaluations_update,
    partial_update=docs.evaluations_partial_update,
    evidence=docs.evaluations_evidence,
    publish=docs.evaluations_publish,
)
class EvaluationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet
):
    noun = "evaluation"
    serializer_class = shapes.EvaluationShape.serializer
    lookup_value_regex = ID
    filterset_class = EvaluationFilter
    pagination_class = FeedPagination
    permission_classes = [ReadOrEdit]
    http_method_names = ["get", "head", "options", "post", "put", "patch"]

    def get_queryset(self) -> QuerySet[Evaluation]:
        visible = access.evaluations_for(self.request.user)
        if self.action == "retrieve":
            return shapes.EvaluationShape.fetch(visible)
        return visible.prefetch_related(queries.evidence_prefetch())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The change feed: a page of evaluations and their evidence, two queries.
        filterset = self.filterset_class(request.query_params, request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        size, after = self.paginator.position(request)
        since = filterset.form.cleaned_data.get("updated_since") or queries.FEED_START
        after_at, after_id = after or (since, queries.MAX_ID)
        visible = filterset.filter_queryset(access.feed_for(request.user))
        rows = queries.feed_page(
            shapes.EvaluationShape.fetch(visible),
            since=since,
            after_at=after_at,
            after_id=after_id,
            size=size + 1,
        )
        page = self.paginator.page_of(list(rows), size)
        drafts_visible = roles.can_see_drafts(request.user)
        return self.get_paginated_response(
            [
                shapes.EvaluationShape.build(evaluation)
                if drafts_visible or evaluation.status == Status.PUBLISHED
                # Withdrawn since it was published: a tombstone, without its evidence.
                else shapes.WithdrawnShape.build(evaluation)
                for evaluation in page
            ]
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(shapes.EvaluationShape.build(self.get_object()))

    def get_object(self) -> Evaluation:
        # Writes name the evaluation in the path only; list filters do not apply to it.
        if self.action != "retrieve":
            queryset = self.get_queryset()
            try:
                return queryset.get(pk=self.kwargs["pk"])
            except Evaluation.DoesNotExist:
                raise exceptions.NotFound(no_such("evaluation", self.kwargs["pk"])) from None
        return super().get_object()

    def _current(self, evaluation: Evaluation, status_code: int = 200) -> Response:
        visible = shapes.EvaluationShape.fetch(access.evaluations_for(self.request.user))
        body = shapes.EvaluationShape.build(visible.get(pk=evaluation.pk))
        return Response(body, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.EvaluationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evaluation = services.record_evaluation(
            recommendation=data["recommendation"],
            evaluator=data["evaluator"],
            grade=data["grade"],
            not_rateable_reason=data["not_rateable_reason"],
            as_of=data["as_of"],
            wording=data["wording"],
            narrative=data["narrative"],
            publication=data["publication"],
            author=request.user,
            evidence=data["evidence"],
        )
        response = self._current(evaluation, status.HTTP_201_CREATED)
        response["Location"] = reverse("api:evaluation-detail", args=[evaluation.pk])
        return response

    def _change(self, request: Request, *, partial: bool) -> Response:
        evaluation = self.get_object()
        version = conditional.expected_version(request, evaluation)
        serializer = s.EvaluationChangeSerializer(
            data=request.data,
            partial=partial,
            context={"recommendation": evaluation.recommendation},
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        services.update_evaluation(
            evaluation=evaluation, expected_version=version, changes=changes, user=request.user
        )
        return self._current(evaluation)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change(request, partial=False)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change(request, partial=True)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def evidence(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        evaluation = self.get_object()
        version = conditional.expected_version(request, evaluation)
        serializer = s.EvidenceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_evaluation(
            evaluation=evaluation,
            expected_version=version,
            changes={},
            new_evidence=[serializer.validated_data],
            user=request.user,
        )
        return self._current(evaluation)

    @action(
        detail=True,
        methods=["post"],
        permission_classes=[Publish],
        filter_backends=[],
        pagination_class=None,
    )
    def publish(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        evaluation = self.get_object()
        version = conditional.expected_version(request, evaluation)
        services.publish_evaluation(
            evaluation=evaluation, user=request.user, expected_version=version
        )
        return self._current(evaluation)

    def etag_for(self, response: Response) -> str | None:
        if self.action == "list":
            return None
        response.render()
        return conditional.evaluation_etag(
            response.data["id"], response.data["version"], response.content
        )


@extend_schema_view(
    list=docs.editions_list, retrieve=docs.editions_detail, compare=docs.editions_compare
)
class EditionViewSet(ReadOnlyViewSet):
    noun = "edition"
    shape = shapes.EditionShape
    lookup_field = "slug"
    lookup_value_regex = SLUG
    filterset_class = EditionFilter

    def get_queryset(self) -> QuerySet:
        return access.editions_for(self.request.user).order_by(
            "report__published_on", "report_id", "as_of", "published_at", "slug"
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # What it froze of responses, beside its entries (tracker.responses).
        (edition,) = attach_frozen_responses([self.get_object()])
        # Its texts in the answer's language as it froze them: the translations published
        # by the time it was (as its page shows them; tracker.translations).
        with translated_bodies(published_before=edition.published_at):
            body = shapes.EditionDetailShape.build(edition)
        return Response(body)

    def get_object(self) -> Edition:
        slug = self.kwargs["slug"]
        editions = self.get_queryset()
        if self.action == "retrieve":
            editions = shapes.EditionDetailShape.fetch(editions)
        try:
            return editions.get(slug=slug)
        except Edition.DoesNotExist:
            raise exceptions.NotFound(no_such("edition", slug)) from None

    @action(
        detail=True,
        url_path=rf"compare/(?P<other>{SLUG})",
        filter_backends=[],
        pagination_class=None,
    )
    def compare(self, request: Request, *args: Any, other: str, **kwargs: Any) -> Response:
        before = self.get_object()
        after = self.get_queryset().filter(slug=other).first()
        if after is None:
            raise exceptions.NotFound(no_such("edition", other))
        if after.report_id != before.report_id:
            raise exceptions.ValidationError(
                {
                    "other": [
                        gettext(
                            "“%(other)s” is an edition of %(report)s, not of %(compared)s; "
                            "compare editions of the same report."
                        )
                        % {
                            "other": after.slug,
                            "report": after.report.short_name,
                            "compared": before.report.short_name,
                        }
                    ]
                }
            )
        diff = comparisons.edition_diff(before, after)
        return Response(shapes.EditionComparisonShape.build(diff))
