"""`GET /api/v1/search/?q=…`: the search of every report (tracker/search.py), as the
readers' `/search/` page answers it, with the filters of the recommendation list (one
meaning everywhere). Drafts are found only by those who may see them (editors and
publishers); a read like the others: conditional, kept in the response cache under the
data's state and the audience, three queries whatever the size of the data (one more in
another language than English: the translations the results are shown in).
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from scorecard.api import docs, shapes
from scorecard.api.filters import filter_errors, recommendation_list_parameters
from scorecard.api.views import ApiViewSet
from tracker import roles, search
from tracker.filters import (
    EVERY_PARAMETER,
    SEARCH_PARAMETERS,
    InvalidFilters,
    RecommendationFilters,
    parse_filters,
)

Q_MISSING = _("Give the words to search for, e.g. `q=missile defense`.")


def search_filters(params: Any) -> RecommendationFilters:
    """The words and filters of a search, checked by the filters' one definition; `q` is
    required. Every bad parameter is named at once."""
    errors: dict[str, list[str]] = {}
    filters = RecommendationFilters()
    try:
        filters = parse_filters(params, accepted=SEARCH_PARAMETERS)
    except InvalidFilters as error:
        errors = dict(error.errors)
    if not str(params.get("q", "")).strip() and "\x00" not in str(params.get("q", "")):
        errors["q"] = [Q_MISSING]
    if errors:
        raise exceptions.ValidationError(
            {name: errors[name] for name in SEARCH_PARAMETERS if name in errors}
        )
    return filters


def _parameters() -> list[OpenApiParameter]:
    listed = {parameter.name: parameter for parameter in recommendation_list_parameters()}
    q = OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        required=True,
        description=search.Q_DESCRIPTION,
        pattern=r"\S",
        examples=[OpenApiExample("Two words", value="missile defense")],
    )
    return [q, *(listed[name] for name in SEARCH_PARAMETERS if name != "q")]


_EXAMPLE = {
    "kind": "recommendation",
    "id": 12,
    "recommendation": {"id": 12, "report": "armitage-nye-2000", "code": "SEC-7", "title": "…"},
    "evaluation": None,
    "title": "SEC-7 Broaden <mark>missile</mark> <mark>defense</mark> cooperation",
    "snippet": "Broadening the scope of U.S.-Japan <mark>missile</mark> <mark>defense</mark>…",
    "url": "/reports/armitage-nye-2000/sec-7/",
}

search_list = extend_schema(
    summary="Search every report",
    description=(
        "Recommendations, evaluations and evidence (with its source) of every report "
        "matching all the words of `q`, best first: those with every word in their title, "
        "then recommendations before evaluations before evidence, then by relevance. "
        "Only published evaluations and their evidence are found, unless the token may "
        "see drafts. The other filters are those of the recommendation list, with the "
        "same meaning: they keep the results about the recommendations they match (a "
        "`grade`: of recommendations whose current grade it is). Published translations "
        "are searched too; in an answer in another language (`lang`, `Accept-Language`), "
        "`title` and `snippet` are given in their published translation where there is "
        "one, and `translations` names each one's language, kind, whether it is outdated, "
        f"and the original (the English title or snippet). {EVERY_PARAMETER}"
    ),
    tags=["Search"],
    parameters=_parameters(),
    responses={
        200: OpenApiResponse(
            shapes.SearchResultShape.serializer(many=True),
            examples=[OpenApiExample("A page", value=[_EXAMPLE], response_only=True)],
        ),
        **docs.errors(*docs.READ_ERRORS),
    },
)


@extend_schema_view(list=search_list)
class SearchViewSet(ApiViewSet):
    noun = "search result"
    filter_backends: list = []
    shape = shapes.SearchResultShape

    def get_serializer_class(self) -> type:
        return self.shape.serializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = search_filters(request.query_params)
        size, number = self.paginator.size_and_number(request)
        with filter_errors():
            count, hits = search.page(
                filters,
                drafts_visible=roles.can_see_drafts(request.user),
                limit=size,
                offset=(number - 1) * size,
            )
        self.paginator.set_page(request, count=count, number=number, size=size)
        return self.get_paginated_response(shapes.body(self.shape, hits))
