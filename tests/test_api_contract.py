"""The OpenAPI schema says what the service does: real responses of every operation, and
the body every shape builds, validate strictly against it (OpenAPI 3.1, openapi-core and
openapi-schema-validator)."""

import datetime
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import orjson
import pytest
from django.db.models import Count
from django.utils import translation
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS31Validator

from scorecard.api import shape as shape_module
from scorecard.api import shapes
from scorecard.api.renderers import JSONRenderer
from tests import factories
from tests.api_support import client_as, make_draft, publish_new
from tracker import actor_records, comparisons, deadlines, queries, search, services, webhooks
from tracker import responses as actor_responses
from tracker.filters import parse_filters
from tracker.models import (
    Actor,
    Area,
    Edition,
    EditionEntry,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    GradeScale,
    Recommendation,
    Report,
    ResponseSource,
    Source,
    WebhookDelivery,
    WebhookEndpoint,
)
from tracker.models import Response as ActorResponse


@pytest.fixture
def schema(db) -> dict:
    response = client_as("anonymous").get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_strict_openapi_3_1(schema):
    # OpenAPI.from_dict checks the whole document against the 3.1 specification.
    assert OpenAPI.from_dict(schema).version.minor == "1"
    text = json.dumps(schema)
    assert '"nullable"' not in text  # not a 3.1 keyword: a validator would ignore it


# --- Real responses --------------------------------------------------------------------------


@dataclass
class Call:
    role: str
    method: str
    pattern: str  # the schema's path, e.g. /api/v1/evaluations/{id}/
    values: dict = field(default_factory=dict)  # its path parameters
    query: str = ""
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    status: int = 200


def _send(clients: dict, call: Call):
    path = call.pattern.format(**call.values)
    url = f"{path}?{call.query}" if call.query else path
    client = clients[call.role]
    send = getattr(client, call.method)
    extra = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in call.headers.items()
    }
    if call.body is not None:
        return send(url, data=call.body, format="json", **extra)
    return send(url, **extra)


def _check(openapi: OpenAPI, call: Call, response) -> None:
    path = call.pattern.format(**call.values)
    headers = dict(call.headers)
    if call.role != "anonymous":
        headers["Authorization"] = "Token …"  # (the schema needs to see one is sent)
    request = MockRequest(
        "http://testserver",
        call.method,
        path,
        path_pattern=call.pattern,
        args=dict(parse_qsl(call.query, keep_blank_values=True)),
        view_args={name: str(value) for name, value in call.values.items()},
        headers=headers,
        data=orjson.dumps(call.body) if call.body is not None else None,
    )
    if call.status < 400:
        openapi.validate_request(request)  # the sample itself is a request the schema allows
    content_type = response.get("Content-Type", "application/json").split(";")[0]
    openapi.validate_response(
        request,
        MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=content_type if response.content else "application/json",
        ),
    )


@pytest.fixture
def world(demo):
    """The demo, plus what makes every kind of answer appear: a draft, an evaluation
    withdrawn after publication, a source without a date, an ungraded recommendation."""
    make_draft(demo)
    withdrawn = services.unpublish_evaluation(
        evaluation=publish_new(demo.recommendations.get(code="SEC-1"))
    )
    factories.make_recommendation(demo, code="NEW-1")
    evaluation = Evaluation.objects.published().filter(evidence__isnull=False).first()
    # A published response and a draft one (issue 17: what the actor says).
    japan = Actor.objects.get_or_create(slug="japan", defaults={"name": "Japan"})[0]
    said = actor_responses.record_response(
        recommendation=evaluation.recommendation,
        actor=japan,
        position="accepted",
        said_on=datetime.date(2001, 6, 30),
        statement="It says it did it.",
        sources=[{"source": factories.make_source("contract-response-source"), "quote": "did"}],
    )
    actor_responses.publish_response(response=said)
    actor_responses.record_response(
        recommendation=evaluation.recommendation,
        actor=japan,
        position="noted",
        said_on=datetime.date(2002, 6, 30),
    )
    return {
        "response": said,
        "report": demo,
        "evaluation": evaluation,
        "withdrawn": withdrawn,
        "ungraded": demo.recommendations.get(code="NEW-1"),
        "editions": list(demo.editions.order_by("as_of").values_list("slug", flat=True)),
        "new_source": factories.make_source("contract-new-source"),
        "webhook_delivery": webhooks.send_test_event(user=None, endpoint=_webhook_endpoint()),
    }


def _webhook_endpoint() -> WebhookEndpoint:
    owner = factories.make_user("webhook-owner", role="partner")
    return webhooks.create_endpoint(
        user=owner, url="https://hooks.example.org/x", events=["evaluation.published"]
    )


def _reads(world: dict) -> list[Call]:
    report = world["report"]
    evaluation = world["evaluation"]
    recommendation = evaluation.recommendation
    before, after = world["editions"][:2]
    source = evaluation.evidence.first().source
    calls = []
    for role in ("anonymous", "partner", "editor"):
        calls += [
            Call(role, "get", "/api/v1/reports/"),
            Call(role, "get", "/api/v1/reports/{slug}/", {"slug": report.slug}),
            Call(
                role,
                "get",
                "/api/v1/reports/{slug}/recommendations/{code}/",
                {"slug": report.slug, "code": recommendation.code.lower()},
            ),
            Call(role, "get", "/api/v1/areas/", query=f"report={report.slug}"),
            Call(role, "get", "/api/v1/areas/{id}/", {"id": recommendation.area_id}),
            Call(role, "get", "/api/v1/grade-scales/"),
            Call(role, "get", "/api/v1/grade-scales/{slug}/", {"slug": report.grade_scale.slug}),
            Call(role, "get", "/api/v1/actors/"),
            Call(role, "get", "/api/v1/actors/{slug}/", {"slug": "united-states"}),
            Call(role, "get", "/api/v1/evaluators/"),
            Call(role, "get", "/api/v1/evaluators/{slug}/", {"slug": evaluation.evaluator.slug}),
            Call(role, "get", "/api/v1/sources/", query="page_size=200"),
            Call(role, "get", "/api/v1/sources/{key}/", {"key": source.key}),
            Call(role, "get", "/api/v1/recommendations/", query="page_size=200"),
            Call(role, "get", "/api/v1/recommendations/", query="as_of=2001-01-01&page=1"),
            Call(role, "get", "/api/v1/recommendations/", query="ordering=-grade&page_size=5"),
            Call(role, "get", "/api/v1/recommendations/{id}/", {"id": recommendation.pk}),
            Call(role, "get", "/api/v1/recommendations/{id}/", {"id": world["ungraded"].pk}),
            Call(role, "get", "/api/v1/recommendations/{id}/timeline/", {"id": recommendation.pk}),
            Call(
                role,
                "get",
                "/api/v1/recommendations/{id}/timeline/",
                {"id": world["ungraded"].pk},
            ),
            Call(role, "get", "/api/v1/evaluations/", query="page_size=200"),
            Call(role, "get", "/api/v1/evaluations/", query="page_size=3"),
            Call(role, "get", "/api/v1/evaluations/", query="updated_since=2000-01-01T00:00:00Z"),
            Call(role, "get", "/api/v1/evaluations/{id}/", {"id": evaluation.pk}),
            Call(role, "get", "/api/v1/editions/"),
            Call(role, "get", "/api/v1/responses/"),
            Call(role, "get", "/api/v1/responses/{id}/", {"id": world["response"].pk}),
            Call(role, "get", "/api/v1/search/", query="q=missile+defense&page_size=200"),
            Call(role, "get", "/api/v1/search/", query=f"q=progress&report={report.slug}"),
            Call(role, "get", "/api/v1/editions/{slug}/", {"slug": before}),
            Call(
                role,
                "get",
                "/api/v1/editions/{slug}/compare/{other}/",
                {"slug": before, "other": after},
            ),
        ]
    # Refusals, each as the schema documents it.
    calls += [
        Call("anonymous", "get", "/api/v1/recommendations/", query="grade=nonexistent", status=400),
        Call("anonymous", "get", "/api/v1/recommendations/", query="page=", status=400),
        Call("anonymous", "get", "/api/v1/search/", query="grade=nonexistent", status=400),
        Call("anonymous", "get", "/api/v1/search/", query="q=progress&page=9999", status=404),
        Call("anonymous", "get", "/api/v1/recommendations/", query="page=9999", status=404),
        Call("anonymous", "get", "/api/v1/evaluations/", query="cursor=nonsense", status=400),
        Call("anonymous", "get", "/api/v1/reports/{slug}/", {"slug": "nothing"}, status=404),
        Call(
            "anonymous",
            "get",
            "/api/v1/reports/{slug}/recommendations/{code}/",
            {"slug": report.slug, "code": "SEC-99"},
            status=404,
        ),
        Call("anonymous", "get", "/api/v1/recommendations/", query="code=SEC-99", status=400),
        Call("anonymous", "get", "/api/v1/evaluations/{id}/", {"id": 999999}, status=404),
        Call(
            "anonymous",
            "get",
            "/api/v1/editions/{slug}/compare/{other}/",
            {"slug": before, "other": "nothing"},
            status=404,
        ),
    ]
    return calls


def test_real_responses_of_every_operation_validate_strictly(schema, world):
    openapi = OpenAPI.from_dict(schema)
    clients = {role: client_as(role) for role in ("anonymous", "partner", "editor", "publisher")}
    calls = _reads(world)
    seen: set[tuple[str, str]] = set()
    for call in calls:
        response = _send(clients, call)
        assert response.status_code == call.status, (call, response.content)
        _check(openapi, call, response)
        seen.add((call.method, call.pattern))

    # Not modified: a conditional read.
    reports = Call("anonymous", "get", "/api/v1/reports/")
    etag = _send(clients, reports)["ETag"]
    again = Call(
        "anonymous", "get", "/api/v1/reports/", headers={"If-None-Match": etag}, status=304
    )
    response = _send(clients, again)
    assert response.status_code == 304
    _check(openapi, again, response)

    # Writes: an editor logs, replaces, changes and cites; a publisher publishes.
    recommendation = world["evaluation"].recommendation
    created = Call(
        "editor",
        "post",
        "/api/v1/evaluations/",
        body={
            "recommendation": recommendation.pk,
            "evaluator": world["evaluation"].evaluator.slug,
            "grade": world["evaluation"].grade.slug,
            "as_of": "2024-05-01",
            "narrative": "Progress since.",
            "evidence": [{"source": world["evaluation"].evidence.first().source.key}],
        },
        status=201,
    )
    response = _send(clients, created)
    assert response.status_code == 201, response.content
    _check(openapi, created, response)
    new = {"id": response.json()["id"]}
    writes = [
        Call("editor", "patch", "/api/v1/evaluations/{id}/", new, body={"wording": "x"}),
        Call(
            "editor",
            "put",
            "/api/v1/evaluations/{id}/",
            new,
            body={
                "evaluator": world["evaluation"].evaluator.slug,
                "grade": world["evaluation"].grade.slug,
                "as_of": "2024-05-02",
                "wording": "Steady",
                "narrative": "Progress since, again.",
                "publication": None,
            },
        ),
        Call(
            "editor",
            "post",
            "/api/v1/evaluations/{id}/evidence/",
            new,
            body={"source": world["new_source"].key},
        ),
        Call("publisher", "post", "/api/v1/evaluations/{id}/publish/", new),
    ]
    for call in writes:
        call.headers = {
            "If-Match": clients["editor"].get(f"/api/v1/evaluations/{new['id']}/")["ETag"]
        }
        response = _send(clients, call)
        assert response.status_code == call.status, (call, response.content)
        _check(openapi, call, response)
        seen.add((call.method, call.pattern))
    refusals = [
        Call("editor", "patch", "/api/v1/evaluations/{id}/", new, body={"grade": "x"}, status=428),
        Call(
            "editor",
            "patch",
            "/api/v1/evaluations/{id}/",
            new,
            body={"wording": "y"},
            headers={"If-Match": '"evaluation-1-v1"'},
            status=412,
        ),
        Call("partner", "post", "/api/v1/evaluations/", body={}, status=403),
        Call("editor", "post", "/api/v1/evaluations/", body={"grade": 1}, status=400),
        Call("anonymous", "post", "/api/v1/evaluations/", body={}, status=401),
    ]
    for call in refusals:
        response = _send(clients, call)
        assert response.status_code == call.status, (call, response.content)
        _check(openapi, call, response)
    seen.add(("post", "/api/v1/evaluations/"))

    # Sources: an editor adds one and corrects it; a URL on file is answered with its source.
    added = Call(
        "editor",
        "post",
        "/api/v1/sources/",
        body={"title": "Contract source", "url": "https://example.org/contract", "kind": "news"},
        status=201,
    )
    response = _send(clients, added)
    assert response.status_code == 201, response.content
    _check(openapi, added, response)
    key = {"key": response.json()["key"]}
    corrected = Call(
        "editor",
        "patch",
        "/api/v1/sources/{key}/",
        key,
        body={"author": "A. Author", "published_on": None},
        headers={"If-Match": response["ETag"]},
    )
    response = _send(clients, corrected)
    assert response.status_code == 200, response.content
    _check(openapi, corrected, response)
    seen |= {("post", "/api/v1/sources/"), ("patch", "/api/v1/sources/{key}/")}
    stale = corrected.headers["If-Match"]
    source_refusals = [
        Call(
            "editor",
            "post",
            "/api/v1/sources/",
            body={"title": "Again", "url": "https://EXAMPLE.org/contract/"},
            status=409,
        ),
        Call(
            "editor",
            "patch",
            "/api/v1/sources/{key}/",
            {"key": world["new_source"].key},
            body={"url": "https://example.org/contract"},
            headers={
                "If-Match": clients["editor"].get(f"/api/v1/sources/{world['new_source'].key}/")[
                    "ETag"
                ]
            },
            status=409,
        ),
        Call("editor", "post", "/api/v1/sources/", body={"kind": "poem"}, status=400),
        Call("editor", "patch", "/api/v1/sources/{key}/", key, body={"title": "x"}, status=428),
        Call(
            "editor",
            "patch",
            "/api/v1/sources/{key}/",
            key,
            body={"title": "x"},
            headers={"If-Match": stale},
            status=412,
        ),
        Call("editor", "patch", "/api/v1/sources/{key}/", {"key": "nothing"}, body={}, status=404),
        Call("partner", "post", "/api/v1/sources/", body={"title": "x"}, status=403),
        Call("anonymous", "patch", "/api/v1/sources/{key}/", key, body={}, status=401),
    ]
    for call in source_refusals:
        response = _send(clients, call)
        assert response.status_code == call.status, (call, response.content)
        _check(openapi, call, response)

    seen |= _webhook_calls(openapi, clients)

    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert seen == operations


def _webhook_calls(openapi: OpenAPI, clients: dict) -> set[tuple[str, str]]:
    """A partner adds an endpoint, reads and changes it, rotates its secret, sends a test
    event, reads the log, redelivers and deletes; and the refusals on the way."""
    seen: set[tuple[str, str]] = set()

    def send(call: Call):
        response = _send(clients, call)
        assert response.status_code == call.status, (call, response.content)
        _check(openapi, call, response)
        seen.add((call.method, call.pattern))
        return response

    created = send(
        Call(
            "partner",
            "post",
            "/api/v1/webhooks/",
            body={"url": "https://hooks.example.org/contract", "events": ["edition.published"]},
            status=201,
        )
    )
    one = {"id": created.json()["id"]}
    send(Call("partner", "get", "/api/v1/webhooks/"))
    read = send(Call("partner", "get", "/api/v1/webhooks/{id}/", one))
    send(
        Call(
            "partner",
            "patch",
            "/api/v1/webhooks/{id}/",
            one,
            body={"description": "Contract"},
            headers={"If-Match": read["ETag"]},
        )
    )
    send(Call("partner", "post", "/api/v1/webhooks/{id}/rotate-secret/", one))
    tested = send(Call("partner", "post", "/api/v1/webhooks/{id}/test/", one, status=202))
    send(Call("partner", "get", "/api/v1/webhooks/{id}/deliveries/", one))
    send(
        Call(
            "partner",
            "post",
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/",
            {**one, "delivery_id": tested.json()["id"]},
            status=202,
        )
    )
    for refused in (
        Call("partner", "post", "/api/v1/webhooks/", body={"url": "x", "events": []}, status=400),
        Call("anonymous", "get", "/api/v1/webhooks/", status=401),
        Call("anonymous", "post", "/api/v1/webhooks/", body={}, status=401),
        Call("editor", "get", "/api/v1/webhooks/{id}/", one, status=404),
        Call("partner", "patch", "/api/v1/webhooks/{id}/", one, body={}, status=428),
        Call(
            "partner",
            "patch",
            "/api/v1/webhooks/{id}/",
            one,
            body={},
            headers={"If-Match": read["ETag"]},
            status=412,
        ),
    ):
        send(refused)
    send(Call("partner", "delete", "/api/v1/webhooks/{id}/", one, status=204))
    return seen


def test_reads_are_declared_open_to_anonymous_clients(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            anonymous = {} in operation["security"]
            assert anonymous == (method == "get"), (method, path)


def test_page_numbers_are_bounded_and_an_empty_one_is_refused(schema, demo):
    client = client_as("anonymous")
    (page,) = [
        p
        for p in schema["paths"]["/api/v1/recommendations/"]["get"]["parameters"]
        if p["name"] == "page"
    ]
    largest = page["schema"]["maximum"]

    beyond = client.get(f"/api/v1/recommendations/?page={largest + 1}")
    last = client.get(f"/api/v1/recommendations/?page={largest}")
    empty = client.get("/api/v1/recommendations/?page=")
    empty_size = client.get("/api/v1/sources/?page_size=")

    assert beyond.status_code == 400
    assert beyond.json()["errors"] == {"page": [f"Must be at most {largest}."]}
    assert last.status_code == 404
    assert empty.status_code == 400
    assert empty.json()["errors"] == {"page": ["Give a whole number, or leave it out."]}
    assert empty_size.json()["errors"] == {"page_size": ["Give a whole number, or leave it out."]}


# --- The shapes' bodies against their components ------------------------------------------------


def _instances(report: Report) -> dict[type[shapes.Shape], list]:
    """Real instances of every shape, read as the API reads them (`fetch`)."""
    first, second = report.editions.order_by("as_of")[:2]
    recommendation = report.recommendations.get(code="SEC-7")
    evaluations = list(shapes.EvaluationShape.fetch(Evaluation.objects.all()))
    diff = comparisons.edition_diff(first, second)
    endpoints = WebhookEndpoint.objects.all()
    record = actor_records.actor_record("united-states")
    return {
        shapes.GradeSummaryShape: list(shapes.GradeSummaryShape.fetch(Grade.objects.all())),
        shapes.GradeShape: list(shapes.GradeShape.fetch(Grade.objects.all())),
        shapes.GradeScaleShape: list(shapes.GradeScaleShape.fetch(GradeScale.objects.all())),
        shapes.ReportShape: list(
            shapes.ReportShape.fetch(
                deadlines.with_due_counts(
                    Report.objects.annotate(recommendation_count=Count("recommendations"))
                )
            )
        ),
        shapes.AreaShape: list(shapes.AreaShape.fetch(Area.objects.all())),
        shapes.AreaSummaryShape: list(shapes.AreaSummaryShape.fetch(Area.objects.all())),
        shapes.ActorSummaryShape: list(shapes.ActorSummaryShape.fetch(Actor.objects.all())),
        shapes.ActorShape: list(shapes.ActorShape.fetch(Actor.objects.all())),
        shapes.ActorRecordShape: [record],
        shapes.GradeCountShape: record.distribution,
        shapes.YearCountShape: record.years,
        shapes.ImplementationRateShape: [record.implementation],
        shapes.EvaluatorSummaryShape: list(
            shapes.EvaluatorSummaryShape.fetch(Evaluator.objects.all())
        ),
        shapes.EvaluatorShape: list(shapes.EvaluatorShape.fetch(Evaluator.objects.all())),
        shapes.SourceShape: list(shapes.SourceShape.fetch(Source.objects.all())),
        shapes.SourceSummaryShape: list(shapes.SourceSummaryShape.fetch(Source.objects.all())),
        shapes.EvidenceShape: list(shapes.EvidenceShape.fetch(EvidenceLink.objects.all())),
        shapes.RecommendationRefShape: list(
            shapes.RecommendationRefShape.fetch(Recommendation.objects.all())
        ),
        shapes.EvaluationShape: evaluations,
        shapes.WithdrawnShape: list(shapes.WithdrawnShape.fetch(Evaluation.objects.all())),
        shapes.EvaluationSummaryShape: list(
            shapes.EvaluationSummaryShape.fetch(Evaluation.objects.published())
        ),
        shapes.RecommendationShape: queries.attach_current_evaluations(
            queries.with_current_grade(
                shapes.RecommendationShape.fetch(Recommendation.objects.all())
            )
        ),
        shapes.ResponseSourceShape: list(
            shapes.ResponseSourceShape.fetch(ResponseSource.objects.all())
        ),
        shapes.ResponseShape: list(shapes.ResponseShape.fetch(ActorResponse.objects.all())),
        shapes.TimelineShape: [
            shapes.Timeline(
                recommendation,
                queries.grade_timeline(recommendation),
                list(shapes.ResponseShape.fetch(ActorResponse.objects.all())),
            ),
            shapes.Timeline(report.recommendations.get(code="NEW-1"), []),
        ],
        shapes.EditionShape: list(shapes.EditionShape.fetch(Edition.objects.all())),
        shapes.EvaluationRefShape: list(shapes.EvaluationRefShape.fetch(Evaluation.objects.all())),
        shapes.EditionEntryShape: list(shapes.EditionEntryShape.fetch(EditionEntry.objects.all())),
        shapes.EditionDetailShape: actor_responses.attach_frozen_responses(
            shapes.EditionDetailShape.fetch(Edition.objects.all())
        ),
        shapes.FrozenGradeShape: list(shapes.FrozenGradeShape.fetch(Evaluation.objects.all())),
        shapes.GradeChangeShape: diff.changes,
        shapes.ChangeCountsShape: [diff.counts],
        shapes.EditionComparisonShape: [diff],
        shapes.WebhookEndpointShape: list(shapes.WebhookEndpointShape.fetch(endpoints)),
        shapes.WebhookEndpointWithSecretShape: list(
            shapes.WebhookEndpointWithSecretShape.fetch(endpoints)
        ),
        shapes.WebhookDeliveryShape: list(
            shapes.WebhookDeliveryShape.fetch(WebhookDelivery.objects.all())
        ),
        # Every kind of result (the word `e` is in nearly everything).
        shapes.SearchResultShape: search.page(
            parse_filters({"q": "e"}, accepted=("q",)), drafts_visible=True, limit=200, offset=0
        )[1],
        shapes.TranslationNoteShape: [
            shape_module._Note("ja", "editors", False, "The original"),
            shape_module._Note("ja", "machine", True, "The original"),
        ],
    }


def test_every_shape_builds_exactly_its_openapi_component(schema, world, django_assert_num_queries):
    components = schema["components"]
    instances = _instances(world["report"])
    assert set(instances) == set(shapes.RESOURCES)
    for shape, items in instances.items():
        component = components["schemas"][shape.component]
        validator = OAS31Validator(
            {"$ref": f"#/components/schemas/{shape.component}", "components": components},
            format_checker=OAS31Validator.FORMAT_CHECKER,
        )
        assert items, shape
        # Everything a body reads was fetched with the rows: building costs no query.
        with django_assert_num_queries(0):
            bodies = [shape.build(item) for item in items]
        # In another language, a body with translatable texts also says which are
        # translations (`translations`, the one key that is not required).
        with translation.override("ja"):
            japanese = shapes.body(shape, items)
        optional = {"translations"} if shape.translated else set()
        for body in orjson.loads(JSONRenderer().render(bodies)):
            assert set(body) == set(component["properties"]) - optional, shape
            assert set(component["required"]) == set(body), shape
            validator.validate(body)
        for body in orjson.loads(JSONRenderer().render(japanese)):
            assert set(body) == set(component["properties"]), shape
            validator.validate(body)


def test_every_body_the_api_sends_is_a_shape(schema):
    # Components other than requests, pages, enums and errors are the shapes'.
    sent = {
        name
        for name in schema["components"]["schemas"]
        if not name.endswith(("Request", "Enum"))
        and not name.startswith("Paginated")
        and name not in {"Error", "SourceOnFile", "FeedItem"}  # (409: an Error with a Source)
    }
    assert sent == {shape.component for shape in shapes.RESOURCES}


def test_a_nullable_reference_is_one_of_the_reference_and_null(schema):
    schemas = schema["components"]["schemas"]
    nullable = {
        "Evaluation": ["publication"],
        "Recommendation": ["current_grade", "current_evaluation"],
        "GradeChange": ["before", "after"],
    }
    for component, names in nullable.items():
        for name in names:
            (reference, null) = schemas[component]["properties"][name]["oneOf"]
            assert null == {"type": "null"}
            assert set(reference) == {"$ref"} or list(reference) == ["allOf"]


def test_the_recommendation_shape_fetches_what_the_list_interface_promises():
    # tracker.queries.recommendation_page returns recommendations with report and area
    # joined and topics prefetched: what the shape reads (its own fetch puts topics in a
    # list, `topics_fetched`; its reader takes the prefetched manager too).
    plan = shapes.RecommendationShape.fetch_plan()
    assert set(plan.select_related) == {"report", "area"}
    assert [(prefetch.prefetch_through, prefetch.to_attr) for prefetch in plan.prefetch] == [
        ("actors", "actors_fetched"),
        ("topics", "topics_fetched"),
    ]


def test_a_date_in_a_body_is_written_as_iso_8601(world):
    body = shapes.EditionShape.build(Edition.objects.select_related("report").first())
    assert isinstance(body["as_of"], datetime.date)
    assert orjson.loads(JSONRenderer().render(body))["as_of"] == body["as_of"].isoformat()
