"""The API's responses: what the actor says (`/api/v1/responses/`), read-only.

Anonymous clients and partners see published responses only; editors and publishers also
the drafts (`tracker.roles.can_see_drafts`), as for evaluations. The evaluators' side is
`/api/v1/evaluations/` and `/recommendations/{id}/timeline/`: a response is never a grade.
"""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view

from scorecard.api import shapes
from scorecard.api.docs import READ_ERRORS, _path, _query, errors
from scorecard.api.filters import RecordFilter, StrictFilterSet
from scorecard.api.views import ReadOnlyViewSet
from tracker import roles
from tracker.models import Actor, Recommendation, Report
from tracker.models import Response as ActorResponse
from tracker.responses import published_responses

_TAGS = ["Responses"]


class ResponseFilter(StrictFilterSet):
    recommendation = RecordFilter(
        queryset=Recommendation.objects.all(), noun="recommendation", key="pk"
    )
    report = RecordFilter(
        queryset=Report.objects.all(), noun="report", field_name="recommendation__report"
    )
    actor = RecordFilter(queryset=Actor.objects.all(), noun="actor")

    class Meta:
        model = ActorResponse
        fields: list[str] = []


def responses_for(user) -> QuerySet[ActorResponse]:
    """The responses a client may see: published ones, and drafts for editors."""
    if roles.can_see_drafts(user):
        return ActorResponse.objects.order_by("said_on", "published_at", "id")
    return published_responses()


@extend_schema_view(
    list=extend_schema(
        summary="List responses",
        description=(
            "What the responsible parties say about recommendations: their position "
            "(accepted, partly accepted, noted, rejected), what they say they did, when and "
            "where. Oldest first. A claim, never a grade: set it beside the evaluations."
        ),
        tags=_TAGS,
        parameters=[
            _query("recommendation", "Only responses to this recommendation (its id)."),
            _query("report", "Only responses to recommendations of this report (its slug)."),
            _query("actor", "Only responses by this actor (its slug)."),
        ],
        responses={200: shapes.ResponseShape.serializer(many=True), **errors(*READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One response",
        tags=_TAGS,
        parameters=[_path("id", "The response's id.", 1, OpenApiTypes.INT)],
        responses={200: shapes.ResponseShape.serializer, **errors(*READ_ERRORS)},
    ),
)
class ResponseViewSet(ReadOnlyViewSet):
    noun = "response"
    shape = shapes.ResponseShape
    filterset_class = ResponseFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ActorResponse]:
        return responses_for(self.request.user)
