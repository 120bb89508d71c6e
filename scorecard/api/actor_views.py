"""The API's actors: `/api/v1/actors/` (every actor, by name) and `/api/v1/actors/{slug}/`
(its record: the figures of its public page, tracker.actor_records)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from scorecard.api import shapes
from scorecard.api.docs import READ_ERRORS, errors
from scorecard.api.errors import no_such
from scorecard.api.views import SLUG, ReadOnlyViewSet
from tracker import actor_records
from tracker.models import Actor

_YEARS = OpenApiParameter(
    "years",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description=(
        "N for the implementation rate: only recommendations made at least N years ago "
        f"count (0 to {actor_records.MAX_YEARS}; default {actor_records.DEFAULT_YEARS})."
    ),
)


@extend_schema_view(
    list=extend_schema(
        summary="List actors",
        description="Who recommendations ask to act: governments and the bodies within them.",
        tags=["Reports"],
        responses={200: shapes.ActorShape.serializer(many=True), **errors(*READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One actor's record",
        description=(
            "Across every report, the recommendations addressed to the actor or to a body "
            "within it, at any depth: their current grades, how they stood at the end of each "
            "year, and the implementation rate. Its recommendations themselves: "
            "/api/v1/recommendations/?actor={slug}."
        ),
        tags=["Reports"],
        parameters=[_YEARS],
        responses={200: shapes.ActorRecordShape.serializer, **errors(*READ_ERRORS)},
    ),
)
class ActorViewSet(ReadOnlyViewSet):
    noun = "actor"
    shape = shapes.ActorShape
    lookup_field = "slug"
    lookup_value_regex = SLUG
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Actor]:
        return Actor.objects.order_by("name", "slug")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            years = actor_records.parse_years(request.query_params.get("years"))
        except ValueError as error:
            raise exceptions.ValidationError({"years": [str(error)]}) from None
        record = actor_records.actor_record(self.kwargs["slug"], years=years, listed=False)
        if record is None:
            raise exceptions.NotFound(no_such("actor", self.kwargs["slug"]))
        return Response(shapes.ActorRecordShape.build(record))
