"""The OpenAPI description of each operation: what it does, its parameters, its answers.

Kept apart from the views so they stay readable; `scorecard.api.schema` adds what every
operation shares (conditional-request headers, 304 and 429, the partner guide).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)

from scorecard.api import serializers as s
from scorecard.api import shapes
from scorecard.api.errors import ErrorSerializer, SourceOnFileSerializer
from scorecard.api.filters import recommendation_list_parameters
from tracker.filters import EVALUATION_GRADE_DESCRIPTION, EVERY_PARAMETER
from tracker.models import SourceKind, Status
from tracker.report_filters import REPORT_DESCRIPTIONS, REPORT_PARAMETERS

_ERRORS = {
    400: "A query parameter, body field or header is invalid; `errors` names each one.",
    401: "The token is not valid (reads), or a write was tried without a token.",
    403: "The account may not do this (partners cannot write; editors cannot publish, nor "
    "change a published evaluation); `detail` says why, as the editors' workspace does.",
    404: "Nothing visible to you has this id, slug or key (or the page is past the last).",
    412: "If-Match does not name the evaluation's current version: someone changed it "
    "since you read it. Nothing was saved; read it again.",
    428: "If-Match is missing: send the ETag of the evaluation you read.",
}
_SOURCE_ERRORS = {
    **_ERRORS,
    403: "Partners and anonymous clients only read sources; `detail` says why.",
    412: "If-Match does not name the source as it is now: someone changed it since you read "
    "it. Nothing was saved; read it again.",
    428: "If-Match is missing: send the ETag of the source you read.",
}


def source_errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(ErrorSerializer, description=_SOURCE_ERRORS[code]) for code in codes
    }


SOURCE_ON_FILE = {
    409: OpenApiResponse(
        SourceOnFileSerializer,
        description="The URL is already on file (one source per URL, as in the editors' "
        "workspace): nothing was saved, and the answer is the source on file, in `source` and "
        "in `Location`. Cite it by its key.",
    )
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(
            ErrorSerializer,
            description=_ERRORS[code],
            examples=[_ERROR_EXAMPLES[code]] if code in _ERROR_EXAMPLES else [],
        )
        for code in codes
    }


_ERROR_EXAMPLES = {
    400: OpenApiExample(
        "A malformed date",
        value={
            "detail": "as_of: Enter a date as YYYY-MM-DD, e.g. 2004-04-26.",
            "code": "invalid",
            "errors": {"as_of": ["Enter a date as YYYY-MM-DD, e.g. 2004-04-26."]},
        },
        response_only=True,
        status_codes=["400"],
    ),
    404: OpenApiExample(
        "Nothing there",
        value={"detail": "There is no recommendation “9999”.", "code": "not_found", "errors": {}},
        response_only=True,
        status_codes=["404"],
    ),
    412: OpenApiExample(
        "Changed since read",
        value={
            "detail": "version: Someone else changed this evaluation since you opened it (you "
            "had version 2, it is now version 3). Nothing was saved; reload to see their changes.",
            "code": "precondition_failed",
            "errors": {"version": ["Someone else changed this evaluation since you opened it …"]},
        },
        response_only=True,
        status_codes=["412"],
    ),
}

READ_ERRORS = (400, 401, 404)
WRITE_ERRORS = (400, 401, 403, 404, 412, 428)

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "The `ETag` of the evaluation as you last read it, e.g. "
        '`"evaluation-12-v3-5f0c…"` (`"evaluation-12-v3"`, built from the `id` and '
        "`version` in the body, is accepted too). Missing: 428; stale: 412."
    ),
)


def _path(
    name: str, description: str, example: str | int, type_: OpenApiTypes = OpenApiTypes.STR
) -> OpenApiParameter:
    """A path parameter, with a value from the demo data that `make run` loads."""
    return OpenApiParameter(
        name,
        type_,
        OpenApiParameter.PATH,
        description=description,
        examples=[OpenApiExample("In the demo data", value=example)],
    )


def _query(name: str, description: str, type_=OpenApiTypes.STR, **kwargs) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description, **kwargs)


REPORT_FILTER = _query(
    "report", "Slug of a report, e.g. `armitage-nye-2000`. An unknown slug is a 400."
)

# --- Reports, areas, grade scales, evaluators, sources ----------------------------------

reports_list = extend_schema(
    summary="List reports",
    description=(
        "The reports whose recommendations are tracked, oldest first. The filters are those "
        f"of the home page, with the same meaning. {EVERY_PARAMETER}"
    ),
    tags=["Reports"],
    parameters=[
        OpenApiParameter(
            name,
            OpenApiTypes.INT if name == "year" else OpenApiTypes.STR,
            OpenApiParameter.QUERY,
            description=REPORT_DESCRIPTIONS[name],
            pattern=r"\S" if name == "q" else None,
        )
        for name in REPORT_PARAMETERS
    ],
    responses={200: shapes.ReportShape.serializer(many=True), **errors(*READ_ERRORS)},
)
reports_detail = extend_schema(
    summary="One report",
    tags=["Reports"],
    parameters=[_path("slug", "The report's slug.", "armitage-nye-2000")],
    responses={200: shapes.ReportShape.serializer, **errors(*READ_ERRORS)},
)
areas_list = extend_schema(
    summary="List areas",
    description="The sections of the reports (Security, Economics, …), in report order.",
    tags=["Reports"],
    parameters=[REPORT_FILTER],
    responses={200: shapes.AreaShape.serializer(many=True), **errors(*READ_ERRORS)},
)
areas_detail = extend_schema(
    summary="One area",
    tags=["Reports"],
    parameters=[_path("id", "The area's id.", 1, OpenApiTypes.INT)],
    responses={200: shapes.AreaShape.serializer, **errors(*READ_ERRORS)},
)
grade_scales_list = extend_schema(
    summary="List grade scales",
    description="Each scale with its levels, best first. A report grades on one scale.",
    tags=["Reports"],
    responses={200: shapes.GradeScaleShape.serializer(many=True), **errors(*READ_ERRORS)},
)
grade_scales_detail = extend_schema(
    summary="One grade scale",
    tags=["Reports"],
    parameters=[_path("slug", "The scale's slug.", "progress")],
    responses={200: shapes.GradeScaleShape.serializer, **errors(*READ_ERRORS)},
)
evaluators_list = extend_schema(
    summary="List evaluators",
    description="The people and organizations whose judgments are recorded, by name.",
    tags=["Evaluations"],
    responses={200: shapes.EvaluatorShape.serializer(many=True), **errors(*READ_ERRORS)},
)
evaluators_detail = extend_schema(
    summary="One evaluator",
    tags=["Evaluations"],
    parameters=[_path("slug", "The evaluator's slug.", "hwang-heritage-2004")],
    responses={200: shapes.EvaluatorShape.serializer, **errors(*READ_ERRORS)},
)
sources_list = extend_schema(
    summary="List sources",
    description="The documents cited as evidence, by title.",
    tags=["Evaluations"],
    parameters=[
        _query("kind", "Only sources of this kind.", enum=SourceKind.values),
        _query("q", "Words in the title, author or publisher (at most 200 characters)."),
    ],
    responses={200: shapes.SourceShape.serializer(many=True), **errors(*READ_ERRORS)},
)
sources_detail = extend_schema(
    summary="One source",
    tags=["Evaluations"],
    parameters=[_path("key", "The source's key.", "hwang-2004-new-security-agenda")],
    responses={200: shapes.SourceShape.serializer, **errors(*READ_ERRORS)},
)

SOURCE_IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "The `ETag` of the source as you last read it, e.g. "
        '`"source-hwang-2004-new-security-agenda-1714521600000000-5f0c…"` (the part before '
        "the last `-` is accepted too). Missing: 428; stale: 412."
    ),
)
sources_create = extend_schema(
    summary="Add a source",
    description="Editors and publishers only. A title at least; the key is made from the "
    "title unless given. One source per URL, by the same rule as the editors' workspace (the "
    "case of the scheme and host and a trailing `/` do not count): a URL already on file is "
    "a 409 whose body carries that source. The response carries the new source's `ETag` "
    "and its address in `Location`.",
    tags=["Editing"],
    request=s.SourceCreateSerializer,
    responses={
        201: shapes.SourceShape.serializer,
        **SOURCE_ON_FILE,
        **source_errors(400, 401, 403),
    },
    examples=[
        OpenApiExample(
            "A new source",
            value={
                "title": "The U.S.-Japan Alliance in 2020",
                "author": "Richard L. Armitage, Joseph S. Nye",
                "publisher": "CSIS",
                "published_on": "2012-08-15",
                "url": "https://www.csis.org/analysis/us-japan-alliance",
                "kind": "report",
            },
            request_only=True,
        )
    ],
)
sources_partial_update = extend_schema(
    summary="Correct a source",
    description="Editors and publishers only. Send only the fields to correct; the key "
    "never changes. A source cited in a published edition only gains an archived URL (a "
    "400 names each frozen field). A URL already on file as another source is a 409 with "
    "that source.",
    tags=["Editing"],
    parameters=[
        _path("key", "The source's key.", "hwang-2004-new-security-agenda"),
        SOURCE_IF_MATCH,
    ],
    request=s.SourceChangeSerializer,
    responses={
        200: shapes.SourceShape.serializer,
        **SOURCE_ON_FILE,
        **source_errors(*WRITE_ERRORS),
    },
    examples=[
        OpenApiExample(
            "An archived copy",
            value={"archived_url": "https://web.archive.org/web/2004/https://example.org/"},
            request_only=True,
        )
    ],
)

# --- Recommendations --------------------------------------------------------------------

AS_OF = _query(
    "as_of",
    "Show current grades as they stood at the end of this date (YYYY-MM-DD): only "
    "evaluations speaking for that date or earlier count.",
    OpenApiTypes.DATE,
)

_RECOMMENDATION_EXAMPLE = {
    "id": 7,
    "report": "armitage-nye-2000",
    "area": {"slug": "security", "name": "Security"},
    "code": "SEC-2",
    "position": 7,
    "title": "Revise the defense guidelines",
    "text": "The allies should …",
    "actors": [
        {"slug": "japan", "name": "Japan", "kind": "government"},
        {"slug": "united-states", "name": "United States", "kind": "government"},
    ],
    "topics": ["defense-cooperation"],
    "current_grade": {
        "slug": "substantial-progress",
        "label": "Substantial progress",
        "score": 4,
        "colour": "#2e7d32",
    },
    "current_grade_as_of": "2004-04-26",
    "current_evaluation": {
        "id": 31,
        "as_of": "2004-04-26",
        "evaluator": {"slug": "hwang-heritage-2004", "name": "Balbina Hwang"},
        "wording": "Solid progress",
        "narrative": "…",
        "published_at": "2004-04-26T12:00:00Z",
    },
}

recommendations_list = extend_schema(
    summary="List recommendations with their current grades",
    description=(
        "Every recommendation with its current grade: the grade of its latest published "
        "evaluation (by the date it speaks for; ties go to the later publication). "
        "`as_of` shows the scorecard as it stood on a date. The filters are those of the "
        f"report pages and the exports, with the same meaning. {EVERY_PARAMETER}"
    ),
    tags=["Recommendations"],
    parameters=recommendation_list_parameters(),
    responses={
        200: OpenApiResponse(
            shapes.RecommendationShape.serializer(many=True),
            examples=[
                OpenApiExample(
                    "A page",
                    value=_RECOMMENDATION_EXAMPLE,
                    response_only=True,
                )
            ],
        ),
        **errors(*READ_ERRORS),
    },
)
recommendations_detail = extend_schema(
    summary="One recommendation with its current grade",
    tags=["Recommendations"],
    parameters=[_path("id", "The recommendation's id.", 7, OpenApiTypes.INT), AS_OF],
    responses={200: shapes.RecommendationShape.serializer, **errors(*READ_ERRORS)},
)
reports_recommendation = extend_schema(
    summary="One recommendation, by its report and code",
    description=(
        "The stable address of a recommendation as its report cites it: the report's slug "
        "and the code, in any case (`SEC-3` or `sec-3`). The same body as "
        "`/recommendations/{id}/`, with its current grade (as of `as_of`, if given). "
        "To look codes up in bulk, filter the list: `/recommendations/?code=SEC-3`."
    ),
    tags=["Recommendations"],
    parameters=[
        _path("slug", "The report's slug.", "armitage-nye-2000"),
        _path("code", "The recommendation's code, in any case.", "SEC-3"),
        AS_OF,
    ],
    responses={200: shapes.RecommendationShape.serializer, **errors(*READ_ERRORS)},
)
recommendations_timeline = extend_schema(
    summary="A recommendation's grade history",
    description="All its published evaluations, oldest first, each with its evidence.",
    tags=["Recommendations"],
    parameters=[_path("id", "The recommendation's id.", 7, OpenApiTypes.INT)],
    responses={200: shapes.TimelineShape.serializer, **errors(*READ_ERRORS)},
)

# --- Evaluations ------------------------------------------------------------------------

evaluations_list = extend_schema(
    summary="The change feed: evaluations by time of last change",
    description=(
        "Published evaluations (editors and publishers also see drafts), ordered by "
        "`updated_at`, then `id`, with their evidence. With `updated_since` this is the "
        "change feed: everything changed after that moment, oldest change first.\n\n"
        "Polling: ask `?updated_since=<the updated_at of the last evaluation you "
        "processed>`, follow `next` until it is null, store the `updated_at` of the last "
        "result, and ask again later. Pages are cursor-based, so page 1000 is as fast as "
        "page 1 and a page never repeats or skips an evaluation while others change.\n\n"
        "An evaluation withdrawn after publication appears once more, as "
        '`{"id": …, "status": "withdrawn", …}` with nothing else: drop your copy. '
        "(Filtering by `grade`, `evaluator` or `status` leaves withdrawals out.)"
    ),
    tags=["Evaluations"],
    parameters=[
        _query(
            "updated_since",
            "Only evaluations changed strictly after this moment (ISO 8601; without a zone, "
            "UTC; a date alone is its midnight), e.g. `2024-05-01T00:00:00Z`.",
            OpenApiTypes.DATETIME,
        ),
        _query("recommendation", "Id of a recommendation.", OpenApiTypes.INT),
        REPORT_FILTER,
        _query("evaluator", "Slug of an evaluator."),
        _query("grade", EVALUATION_GRADE_DESCRIPTION),
        _query(
            "status",
            "`published` or `draft` (drafts exist only for editors and publishers).",
            enum=Status.values,
        ),
    ],
    responses={
        200: PolymorphicProxySerializer(
            component_name="FeedItem",
            serializers={
                "published": shapes.EvaluationShape.serializer,
                "draft": shapes.EvaluationShape.serializer,
                "withdrawn": shapes.WithdrawnShape.serializer,
            },
            resource_type_field_name="status",
            many=True,
        ),
        **errors(*READ_ERRORS),
    },
)
evaluations_detail = extend_schema(
    summary="One evaluation",
    description="Its `ETag` names its version: send it back in `If-Match` to change it.",
    tags=["Evaluations"],
    parameters=[_path("id", "The evaluation's id.", 1, OpenApiTypes.INT)],
    responses={200: shapes.EvaluationShape.serializer, **errors(*READ_ERRORS)},
)
_WRITE = "Editors and publishers only. "
evaluations_create = extend_schema(
    summary="Log a draft evaluation",
    description=_WRITE + "Creates a draft, with evidence if given. The response carries "
    "the new evaluation's `ETag` and its address in `Location`.",
    tags=["Editing"],
    request=s.EvaluationCreateSerializer,
    responses={201: shapes.EvaluationShape.serializer, **errors(400, 401, 403)},
    examples=[
        OpenApiExample(
            "A new draft",
            value={
                "recommendation": 7,
                "evaluator": "hwang-heritage-2004",
                "grade": "ongoing-progress",
                "as_of": "2024-05-01",
                "wording": "Steady progress",
                "narrative": "The guidelines were revised in 2015 …",
                "publication": None,
                "evidence": [{"source": "hwang-2004-new-security-agenda", "stance": "supports"}],
            },
            request_only=True,
        )
    ],
)
evaluations_update = extend_schema(
    summary="Replace an evaluation's editable fields",
    description=_WRITE + "All of `evaluator`, `grade`, `as_of`, `wording`, `narrative` and "
    "`publication` are required. Evaluations frozen in a published edition cannot change.",
    tags=["Editing"],
    parameters=[_path("id", "The evaluation's id.", 1, OpenApiTypes.INT), IF_MATCH],
    request=s.EvaluationChangeSerializer,
    responses={200: shapes.EvaluationShape.serializer, **errors(*WRITE_ERRORS)},
)
evaluations_partial_update = extend_schema(
    summary="Change some of an evaluation's fields",
    description=_WRITE + "Send only the fields to change. Evaluations frozen in a published "
    "edition cannot change.",
    tags=["Editing"],
    parameters=[_path("id", "The evaluation's id.", 1, OpenApiTypes.INT), IF_MATCH],
    request=s.EvaluationChangeSerializer,
    responses={200: shapes.EvaluationShape.serializer, **errors(*WRITE_ERRORS)},
    examples=[OpenApiExample("Regrade", value={"grade": "accomplished"}, request_only=True)],
)
evaluations_evidence = extend_schema(
    summary="Cite another source",
    description=_WRITE + "Adds one piece of evidence; answers with the whole evaluation "
    "(and its new `ETag`).",
    tags=["Editing"],
    parameters=[_path("id", "The evaluation's id.", 1, OpenApiTypes.INT), IF_MATCH],
    request=s.EvidenceWriteSerializer,
    responses={200: shapes.EvaluationShape.serializer, **errors(*WRITE_ERRORS)},
)
evaluations_publish = extend_schema(
    summary="Publish a draft",
    description="Publishers only. Needs a narrative and at least one piece of evidence "
    "(otherwise a 400 naming what is missing). No request body.",
    tags=["Editing"],
    parameters=[_path("id", "The evaluation's id.", 1, OpenApiTypes.INT), IF_MATCH],
    request=None,
    responses={200: shapes.EvaluationShape.serializer, **errors(*WRITE_ERRORS)},
)

# --- Editions ---------------------------------------------------------------------------

editions_list = extend_schema(
    summary="List editions",
    description="Named, dated snapshots of a report's scorecard, frozen once published.",
    tags=["Editions"],
    parameters=[REPORT_FILTER],
    responses={200: shapes.EditionShape.serializer(many=True), **errors(*READ_ERRORS)},
)
editions_detail = extend_schema(
    summary="One edition with its frozen grades",
    tags=["Editions"],
    parameters=[_path("slug", "The edition's slug.", "2004-report-card")],
    responses={200: shapes.EditionDetailShape.serializer, **errors(*READ_ERRORS)},
)
editions_compare = extend_schema(
    summary="Compare two editions",
    description=(
        "Every recommendation of the report with its grade in edition `slug` (`before`) "
        "and in edition `other` (`after`), and how it changed. Both must be editions of "
        "the same report (otherwise a 400)."
    ),
    tags=["Editions"],
    parameters=[
        _path("slug", "The earlier edition.", "2004-report-card"),
        _path("other", "The later edition.", "2008-evidence-review"),
    ],
    responses={200: shapes.EditionComparisonShape.serializer, **errors(*READ_ERRORS)},
)
