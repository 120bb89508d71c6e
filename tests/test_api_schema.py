"""The API's contract: a valid OpenAPI schema documenting every operation, docs served
from the project itself, and CORS for reads only."""

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from tests.api_support import client_as


@pytest.fixture
def schema(db) -> dict:
    response = client_as("anonymous").get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_validates_without_warnings(tmp_path):
    out = StringIO()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
        stderr=out,
    )

    loaded = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    assert loaded["info"]["title"] == "Alliance Scorecard API"


def test_every_endpoint_is_in_the_schema(schema):
    assert set(schema["paths"]) == {
        "/api/v1/areas/",
        "/api/v1/areas/{id}/",
        "/api/v1/actors/",
        "/api/v1/actors/{slug}/",
        "/api/v1/editions/",
        "/api/v1/editions/{slug}/",
        "/api/v1/editions/{slug}/compare/{other}/",
        "/api/v1/evaluations/",
        "/api/v1/evaluations/{id}/",
        "/api/v1/evaluations/{id}/evidence/",
        "/api/v1/evaluations/{id}/publish/",
        "/api/v1/evaluators/",
        "/api/v1/evaluators/{slug}/",
        "/api/v1/grade-scales/",
        "/api/v1/grade-scales/{slug}/",
        "/api/v1/recommendations/",
        "/api/v1/recommendations/{id}/",
        "/api/v1/recommendations/{id}/timeline/",
        "/api/v1/reports/",
        "/api/v1/reports/{slug}/",
        "/api/v1/reports/{slug}/recommendations/{code}/",
        # What the actor says (issue 17).
        "/api/v1/responses/",
        "/api/v1/responses/{id}/",
        "/api/v1/search/",
        "/api/v1/sources/",
        "/api/v1/sources/{key}/",
        "/api/v1/webhooks/",
        "/api/v1/webhooks/{id}/",
        "/api/v1/webhooks/{id}/deliveries/",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/",
        "/api/v1/webhooks/{id}/rotate-secret/",
        "/api/v1/webhooks/{id}/test/",
    }


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", method, operation


def test_every_operation_is_described_with_its_errors(schema):
    problems = []
    for label, method, operation in operations(schema):
        responses = operation["responses"]
        expected = {"400", "401", "404", "429"} | (
            {"304"} if method == "get" else {"403", "412", "428"}
        )
        if label in ("POST /api/v1/evaluations/", "POST /api/v1/sources/"):
            expected = {"400", "401", "403", "429"}
        if label.startswith(("POST /api/v1/webhooks/", "DELETE /api/v1/webhooks/")):
            # One's own endpoints: no version to match (only PATCH changes what was read).
            expected = {"400", "401", "403", "404", "429"}
        if "/sources/" in label and method != "get":
            expected |= {"409"}  # a URL already on file: the answer is that source
        if not operation.get("summary") or not operation.get("tags"):
            problems.append(f"{label}: no summary or tags")
        if missing := expected - set(responses):
            problems.append(f"{label}: undocumented {sorted(missing)}")
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                content = response["content"]["application/json"]["schema"]
                shape = "SourceOnFile" if code == "409" else "Error"
                if content != {"$ref": f"#/components/schemas/{shape}"}:
                    problems.append(f"{label} {code}: not the Error shape")
    assert problems == []


def test_filters_are_documented(schema):
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/recommendations/"]["get"]["parameters"]
    }
    feed = {p["name"] for p in schema["paths"]["/api/v1/evaluations/"]["get"]["parameters"]}

    assert {"report", "area", "grade", "actor", "topic", "q", "as_of", "ordering"} <= set(
        parameters
    )
    assert parameters["as_of"]["schema"] == {"type": "string", "format": "date"}
    # Actors are records of their own (issue 17): any actor's slug, no fixed list.
    assert parameters["actor"]["schema"] == {"type": "string", "pattern": r"\S"}
    assert parameters["page_size"]["schema"]["maximum"] == 200
    assert {"updated_since", "cursor", "page_size", "status"} <= feed
    assert all(p.get("description") for p in parameters.values())


def test_writes_require_if_match(schema):
    for label, method, operation in operations(schema):
        if method in {"put", "patch"} or label.endswith(("/evidence/", "/publish/")):
            headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
            assert headers["If-Match"]["required"] is True, label


def test_the_guide_covers_what_a_partner_needs(schema):
    guide = schema["info"]["description"]

    for topic in ("Authorization: Token", "updated_since", "If-None-Match", "If-Match", "429"):
        assert topic in guide


def test_the_docs_page_loads_its_assets_from_this_server(db):
    client = client_as("anonymous")

    page = client.get("/api/docs/")

    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets != []
    # Served by this server (no CDN): static files, and the page's own start-up script.
    assert [a for a in assets if not a.startswith("/") or a.startswith("//")] == []
    loaded = {a: client.get(a) for a in assets}
    assert {a: r.status_code for a, r in loaded.items()} == dict.fromkeys(assets, 200)
    # The schema it shows is this server's (named in the page or its start-up script).
    script = client.get("/api/docs/?script=")
    assert "/api/schema/" in page.text + script.text


def test_cors_allows_reads_from_any_origin(db):
    client = client_as("anonymous")

    read = client.get("/api/v1/reports/", HTTP_ORIGIN="https://newsroom.example")
    preflight = client.options(
        "/api/v1/reports/",
        HTTP_ORIGIN="https://newsroom.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-none-match",
    )

    assert read["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in read["Access-Control-Expose-Headers"]
    assert "if-none-match" in preflight["Access-Control-Allow-Headers"]


def test_cors_does_not_allow_writes(db):
    preflight = client_as("anonymous").options(
        "/api/v1/evaluations/1/",
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
    )

    allowed = {m.strip() for m in preflight["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}


def test_cors_is_limited_to_the_api(db):
    page = client_as("anonymous").get("/", HTTP_ORIGIN="https://elsewhere.example")

    assert "Access-Control-Allow-Origin" not in page
