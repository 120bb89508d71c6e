"""Bad requests get a 400 (or 404) that names the problem, in one JSON shape; never a 500.

Run on SQLite and PostgreSQL: NUL bytes and huge numbers fail differently in each.
"""

import pytest

from tests.api_support import client_as

BAD_QUERIES = [
    ("/api/v1/recommendations/?as_of=2004-13-01", "as_of"),
    ("/api/v1/recommendations/?as_of=26/04/2004", "as_of"),
    ("/api/v1/recommendations/?as_of=%00", "as_of"),
    ("/api/v1/recommendations/?grade=nonexistent", "grade"),
    ("/api/v1/recommendations/?grade=a%25sb", "grade"),
    ("/api/v1/recommendations/?report=nonexistent", "report"),
    ("/api/v1/recommendations/?report=a%00b", "report"),
    ("/api/v1/recommendations/?area=nowhere", "area"),
    ("/api/v1/recommendations/?topic=nothing", "topic"),
    ("/api/v1/recommendations/?actor=martians", "actor"),
    ("/api/v1/recommendations/?ordering=colour", "ordering"),
    ("/api/v1/recommendations/?q=%00", "q"),
    ("/api/v1/recommendations/?q=" + "x" * 201, "q"),
    ("/api/v1/recommendations/?page=0", "page"),
    ("/api/v1/recommendations/?page=abc", "page"),
    ("/api/v1/recommendations/?page=99999999999999999999", "page"),
    ("/api/v1/recommendations/?page_size=201", "page_size"),
    ("/api/v1/recommendations/?page_size=-1", "page_size"),
    ("/api/v1/recommendations/?page_size=1e3", "page_size"),
    ("/api/v1/evaluations/?updated_since=yesterday", "updated_since"),
    ("/api/v1/evaluations/?updated_since=0001-01-01T00:00:00%2B14:00", "updated_since"),
    ("/api/v1/evaluations/?updated_since=9999-12-31T23:59:59-14:00", "updated_since"),
    ("/api/v1/evaluations/?updated_since=%00", "updated_since"),
    ("/api/v1/evaluations/?recommendation=99999999999999999999", "recommendation"),
    ("/api/v1/evaluations/?recommendation=1.5", "recommendation"),
    ("/api/v1/evaluations/?recommendation=%00", "recommendation"),
    ("/api/v1/evaluations/?evaluator=%00", "evaluator"),
    ("/api/v1/evaluations/?status=lost", "status"),
    ("/api/v1/evaluations/?cursor=garbage", "cursor"),
    ("/api/v1/evaluations/?cursor=OTk5OS0xMi0zMVQyMzo1OTo1OS0xNDowMHwx", "cursor"),
    ("/api/v1/evaluations/?page_size=100000", "page_size"),
    ("/api/v1/sources/?kind=rumour", "kind"),
    ("/api/v1/areas/?report=%00", "report"),
    ("/api/v1/editions/?report=nothing", "report"),
]


@pytest.fixture
def anonymous(db):
    return client_as("anonymous")


@pytest.mark.parametrize(("url", "parameter"), BAD_QUERIES)
def test_a_bad_query_parameter_is_a_400_naming_it(demo, anonymous, url, parameter):
    response = anonymous.get(url)

    assert response.status_code == 400, response.content
    body = response.json()
    assert (list(body["errors"]), body["code"]) == ([parameter], "invalid")
    assert body["detail"].startswith(f"{parameter}: ")


NOT_FOUND = [
    "/api/v1/recommendations/99999999999999999999/",
    "/api/v1/recommendations/999999999999999999/",
    "/api/v1/recommendations/999999999999999999/timeline/",
    "/api/v1/recommendations/-1/",
    "/api/v1/evaluations/99999999999999999999/",
    "/api/v1/reports/nothing/",
    "/api/v1/editions/nothing/compare/2004-report-card/",
    "/api/v1/editions/2004-report-card/compare/nothing/",
    "/api/v1/recommendations/?page=3",
    "/api/v1/nothing/",
    "/api/nothing",
]


@pytest.mark.parametrize("url", NOT_FOUND)
def test_nothing_there_is_a_json_404(demo, anonymous, url):
    response = anonymous.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_page_past_the_last_says_which_is_last(demo, anonymous):
    response = anonymous.get("/api/v1/recommendations/?page=3")

    assert response.json()["detail"] == "Page 3 does not exist: the last page is 1."


def test_a_huge_id_in_a_write_is_a_404(demo):
    editor = client_as("editor")

    response = editor.patch(
        "/api/v1/evaluations/99999999999999999999/", {}, HTTP_IF_MATCH='"evaluation-1-v1"'
    )

    assert response.status_code == 404


def test_an_unsupported_method_is_a_json_405(demo, anonymous):
    response = anonymous.delete("/api/v1/reports/armitage-nye-2000/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_error_shape_is_the_same_everywhere(demo, anonymous):
    shapes = {
        tuple(sorted(anonymous.get(url).json()))
        for url in ("/api/v1/recommendations/?grade=x", "/api/v1/nothing/", "/api/v1/reports/x/")
    }

    assert shapes == {("code", "detail", "errors")}
