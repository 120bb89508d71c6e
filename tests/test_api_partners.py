"""What partners asked of the API (issue 14): the feed's cursor as a field, the token first
in the docs, every problem of a change named at once, a day the calendar lacks named so."""

import pytest

from tests.api_support import client_as, etag_of, make_draft


@pytest.fixture
def schema(db) -> dict:
    return client_as("anonymous").get("/api/schema/?format=json").json()


def test_the_feed_gives_its_cursor_beside_next(demo):
    client = client_as("partner")
    first = client.get("/api/v1/evaluations/?page_size=2").json()
    by_cursor = client.get(f"/api/v1/evaluations/?page_size=2&cursor={first['cursor']}").json()
    by_link = client.get(first["next"]).json()

    assert list(first) == ["next", "cursor", "results"]
    assert f"cursor={first['cursor']}&" in first["next"]
    assert by_cursor == by_link
    last = client.get("/api/v1/evaluations/?page_size=200").json()
    assert (last["next"], last["cursor"]) == (None, None)


def test_the_docs_offer_the_token_first_and_the_session_for_reads_only(schema):
    assert list(schema["components"]["securitySchemes"]) == ["tokenAuth", "cookieAuth"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            expected = (
                [{"tokenAuth": []}, {"cookieAuth": []}, {}]
                if method == "get"
                else [{"tokenAuth": []}]
            )
            assert operation["security"] == expected, (method, path)


def test_a_patch_names_every_bad_field_at_once(demo):
    draft = make_draft(demo)
    client = client_as("editor")

    response = client.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        {"grade": "nonexistent", "as_of": "soon", "evaluator": "nobody"},
        format="json",
        HTTP_IF_MATCH=etag_of(client, draft),
    )

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["as_of", "evaluator", "grade"]
    assert response.json()["errors"]["grade"][0].startswith("“nonexistent” is not a grade of")


def test_a_day_the_calendar_lacks_is_named_so(demo):
    draft = make_draft(demo)
    client = client_as("editor")

    response = client.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        {"as_of": "2010-02-30"},
        format="json",
        HTTP_IF_MATCH=etag_of(client, draft),
    )
    malformed = client.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        {"as_of": "30/02/2010"},
        format="json",
        HTTP_IF_MATCH=etag_of(client, draft),
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "as_of": ["There is no 2010-02-30: that date does not exist."]
    }
    assert malformed.json()["errors"]["as_of"][0].startswith("Date has wrong format.")


# --- Look-up by code ---------------------------------------------------------------------


def test_a_recommendation_is_found_by_its_report_and_code_in_any_case(demo):
    client = client_as("partner")
    sec3 = demo.recommendations.get(code="SEC-3")

    by_id = client.get(f"/api/v1/recommendations/{sec3.pk}/")
    by_code = client.get("/api/v1/reports/armitage-nye-2000/recommendations/SEC-3/")
    lower = client.get("/api/v1/reports/armitage-nye-2000/recommendations/sec-3/")
    as_of = client.get("/api/v1/reports/armitage-nye-2000/recommendations/SEC-3/?as_of=2001-01-01")

    assert by_code.status_code == 200
    assert by_code.json() == by_id.json()
    assert lower.json() == by_id.json()
    assert as_of.json() == client.get(f"/api/v1/recommendations/{sec3.pk}/?as_of=2001-01-01").json()


def test_a_code_or_report_that_names_nothing_is_a_404_saying_which(demo):
    client = client_as("anonymous")

    no_code = client.get("/api/v1/reports/armitage-nye-2000/recommendations/SEC-99/")
    no_report = client.get("/api/v1/reports/nothing/recommendations/SEC-3/")

    assert (no_code.status_code, no_code.json()["detail"]) == (
        404,
        "There is no recommendation “SEC-99” in “armitage-nye-2000”.",
    )
    assert (no_report.status_code, no_report.json()["detail"]) == (
        404,
        "There is no report “nothing”.",
    )


def test_the_code_filter_matches_in_any_case_on_the_api_and_the_exports(demo, client):
    partner = client_as("partner")

    listed = partner.get("/api/v1/recommendations/?report=armitage-nye-2000&code=sec-3").json()
    exported = client.get("/reports/armitage-nye-2000/export.json?code=SEC-3").json()

    assert [row["code"] for row in listed["results"]] == ["SEC-3"]
    assert [row["code"] for row in exported["recommendations"]] == ["SEC-3"]


def test_an_unknown_code_in_the_filter_is_a_400_naming_it(demo):
    response = client_as("anonymous").get(
        "/api/v1/recommendations/?report=armitage-nye-2000&code=SEC-99&grade=nonexistent"
    )

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["code", "grade"]
    assert response.json()["errors"]["code"][0].startswith(
        "There is no recommendation code “SEC-99” here. Choose one of: "
    )
