"""What no request may carry, refused before anything reads it, on every route.

A body larger than DJANGO_MAX_REQUEST_BYTES is a 413, with or without Content-Length; a NUL
or another control character in the path, a parameter, a header or the text of a body is
a 400 naming where it is. On PostgreSQL a NUL reaching a query was a 500 ("A string literal
cannot contain NUL"); the API took bodies of any size. Under /api/ refusals have the API's
JSON error shape, elsewhere the site's error page; nothing is saved.
"""

import io

import orjson
import pytest
from django.test import Client

from tests.api_support import client_as, etag_of, make_draft
from tests.editors_support import logged_in
from tests.routes import every_address
from tracker.models import Evaluation, EvidenceLink

LIMIT = 1024 * 1024  # DJANGO_MAX_REQUEST_BYTES's default
MIB = 1024 * 1024
NUL_MESSAGE = "Contains the control character NUL (U+0000), which cannot be stored or shown."
TOO_LARGE_JSON = (
    "Nothing was saved: this site accepts requests of at most 1 MiB (1,048,576 bytes), and "
    "this one is {}."
)


@pytest.fixture
def browser() -> Client:
    # Like a real server: an exception is a 500 response, not a failed test.
    return Client(raise_request_exception=False)


def assert_refused(response, status: int, errors: dict | None = None) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Cache-Control"] == "no-store"
    if response.wsgi_request.path_info.startswith("/api/"):
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["code"] == ("invalid" if status == 400 else "request_too_large")
        if errors is not None:
            assert body["errors"] == errors
    else:
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert f"Error {status}" in response.text
        for field in errors or {}:
            assert field in response.text


def chunked(client: Client, method: str, path: str, body: bytes, **extra):
    """A request whose body comes chunked, without Content-Length (as the WSGI server hands
    it on: the stream ends where the body ends)."""
    return client.generic(
        method,
        path,
        b"",
        content_type="application/json",
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
        **extra,
    )


# --- Every route ------------------------------------------------------------------------------


def refusals(response, status: int, errors: dict | None) -> list[str]:
    """What is wrong with a refusal (nothing: []), for one route among many."""
    try:
        assert_refused(response, status, errors)
    except AssertionError as failure:
        return [f"{response.wsgi_request.get_full_path()}: {failure}"]
    return []


def test_a_nul_in_the_path_is_refused_on_every_route(db, browser):
    paths = every_address(suffix="%00")
    assert len(paths) > 150  # every route of the URLconf, the admin's included
    wrong = [problem for path in paths for problem in refusals(browser.get(path), 400, {})]
    assert wrong == []


def test_a_nul_in_a_parameter_or_a_header_is_refused_on_every_route(db, browser):
    wrong = []
    for path in every_address():
        wrong += refusals(browser.get(path, {"q": "a\x00b"}), 400, {"q": [NUL_MESSAGE]})
        wrong += refusals(
            browser.get(path, headers={"authorization": "Token \x00"}),
            400,
            {"Authorization": [NUL_MESSAGE]},
        )
        wrong += refusals(browser.post(path, {"text": "\x00"}), 400, {"text": [NUL_MESSAGE]})
    assert wrong == []


def test_a_body_over_the_limit_is_refused_on_every_route(db, browser):
    body = b" " * (LIMIT + 1)
    wrong = []
    for path in every_address():
        wrong += refusals(browser.post(path, body, content_type="application/json"), 413, {})
        wrong += refusals(chunked(browser, "POST", path, body), 413, {})
        wrong += refusals(chunked(browser, "PUT", path, body), 413, {})
    assert wrong == []


# --- NUL where it used to reach the database ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/reports/armitage-nye-2000/SEC%001/", None),
        ("/reports/armitage-nye-2000/sec-1%00/badge.svg", None),
        ("/reports/armitage-nye-2000/export.csv?edition=%00", "edition"),
        ("/reports/armitage-nye-2000/export.json?edition=%00", "edition"),
        ("/reports/armitage-nye-2000/?q=%00", "q"),
        ("/api/v1/recommendations/?report=armitage-nye-2000&q=%00", "q"),
    ],
)
def test_the_addresses_that_were_server_errors_are_refused(demo, browser, path, parameter):
    response = browser.get(path)
    assert_refused(response, 400, {parameter: [NUL_MESSAGE]} if parameter else {})
    assert b"\x00" not in response.content  # the search box no longer echoes it


def test_the_refusal_names_every_bad_parameter_and_each_character(db, browser):
    response = browser.get("/api/v1/recommendations/", {"q": "\x00\x1b", "area": "\x07", "ok": "x"})
    assert_refused(
        response,
        400,
        {
            "q": [
                "Contains the control characters NUL (U+0000), U+001B, which cannot be "
                "stored or shown."
            ],
            "area": ["Contains the control character U+0007, which cannot be stored or shown."],
        },
    )
    assert response.json()["detail"] == (
        "q: Contains the control characters NUL (U+0000), U+001B, which cannot be stored or "
        "shown. (and 1 more: area)"
    )


def test_tabs_and_line_breaks_in_a_search_are_still_searched(demo, browser):
    for words in ("missile\tdefense", "missile\r\ndefense"):
        assert browser.get("/reports/armitage-nye-2000/", {"q": words}).status_code == 200
        response = browser.get("/api/v1/recommendations/", {"q": words})
        assert response.status_code == 200


def test_an_api_write_with_a_nul_names_each_field_and_saves_nothing(demo, browser):
    from tests.test_api_writes import body_for

    editor = client_as("editor")
    before = (Evaluation.objects.count(), EvidenceLink.objects.count())
    evidence = [{"source": "api-source", "quote": "\x01"}]
    body = body_for(demo, narrative="Done.\x00", evidence=evidence)
    response = editor.post("/api/v1/evaluations/", body, format="json")
    assert_refused(
        response,
        400,
        {
            "narrative": [NUL_MESSAGE],
            "evidence.0.quote": [
                "Contains the control character U+0001, which cannot be stored or shown."
            ],
        },
    )
    assert (Evaluation.objects.count(), EvidenceLink.objects.count()) == before


def test_a_nul_in_a_json_key_is_named_as_it_can_be_shown(demo):
    draft = make_draft(demo)
    editor = client_as("editor")
    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        orjson.dumps({"narr\x00ative": "x"}),
        content_type="application/json",
        HTTP_IF_MATCH=etag_of(editor, draft),
    )
    assert_refused(response, 400, {"narr\\x00ative": [NUL_MESSAGE]})
    draft.refresh_from_db()
    assert draft.version == 1


def test_an_admin_form_with_a_nul_is_refused_naming_the_field(demo, editor_user):
    draft = make_draft(demo)
    browser = logged_in(editor_user)
    response = browser.post(
        f"/admin/tracker/evaluation/{draft.pk}/change/",
        {"narrative": "Changed\x00", "wording": "fine"},
    )
    assert_refused(response, 400, {"narrative": [NUL_MESSAGE]})
    assert "narrative: Contains the control character NUL (U+0000)" in response.text
    draft.refresh_from_db()
    assert draft.narrative == "Narrative DRAFT-MARKER-7f3a9c"


def test_an_admin_login_with_a_nul_is_refused(db, browser):
    response = browser.post("/admin/login/", {"username": "ed\x00na", "password": "x"})
    assert_refused(response, 400, {"username": [NUL_MESSAGE]})


# --- The size limit -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2 * MIB, 5 * MIB, 20 * MIB])
def test_api_posts_over_the_limit_are_refused_and_nothing_is_stored(demo, size):
    from tests.test_api_writes import body_for

    editor = client_as("editor")
    before = Evaluation.objects.count()
    body = orjson.dumps(body_for(demo, narrative="x" * size))
    response = editor.post("/api/v1/evaluations/", body, content_type="application/json")
    assert_refused(response, 413)
    assert response.json()["detail"] == TOO_LARGE_JSON.format(f"{len(body):,} bytes")
    assert Evaluation.objects.count() == before


def test_a_patch_over_the_limit_changes_nothing(demo):
    draft = make_draft(demo)
    editor = client_as("editor")
    body = orjson.dumps({"narrative": "x" * (3 * MIB)})
    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        body,
        content_type="application/json",
        HTTP_IF_MATCH=etag_of(editor, draft),
    )
    assert_refused(response, 413)
    draft.refresh_from_db()
    assert (draft.narrative, draft.version) == ("Narrative DRAFT-MARKER-7f3a9c", 1)


def test_a_chunked_body_over_the_limit_is_refused(demo):
    from tests.test_api_writes import body_for

    editor = client_as("editor")
    body = orjson.dumps(body_for(demo, narrative="x" * (2 * MIB)))
    response = chunked(editor, "POST", "/api/v1/evaluations/", body)
    assert_refused(response, 413)
    assert response.json()["detail"] == TOO_LARGE_JSON.format("larger than that")
    assert not Evaluation.objects.filter(narrative__startswith="xxx").exists()


def test_a_body_of_exactly_the_limit_is_accepted(demo):
    from tests.test_api_writes import body_for

    editor = client_as("editor")
    body = orjson.dumps(body_for(demo))
    padded = body[:-1] + b" " * (LIMIT - len(body)) + b"}"
    assert len(padded) == LIMIT
    response = editor.post("/api/v1/evaluations/", padded, content_type="application/json")
    assert response.status_code == 201
    over = body[:-1] + b" " * (LIMIT - len(body) + 1) + b"}"
    assert_refused(editor.post("/api/v1/evaluations/", over, content_type="application/json"), 413)


def test_a_chunked_body_within_the_limit_is_read(demo):
    """Django reads nothing of a body without Content-Length; it used to look empty."""
    from tests.test_api_writes import body_for

    editor = client_as("editor")
    response = chunked(editor, "POST", "/api/v1/evaluations/", orjson.dumps(body_for(demo)))
    assert response.status_code == 201
    assert Evaluation.objects.get(pk=response.json()["id"]).narrative == "Done."


def test_an_admin_form_over_the_limit_says_nothing_was_saved(demo, editor_user):
    draft = make_draft(demo)
    browser = logged_in(editor_user)
    response = browser.post(
        f"/admin/tracker/evaluation/{draft.pk}/change/", {"narrative": "x" * (2 * MIB)}
    )
    assert_refused(response, 413)
    assert "Nothing was saved" in response.text
    assert "your browser keeps what you typed" in response.text
    draft.refresh_from_db()
    assert draft.narrative == "Narrative DRAFT-MARKER-7f3a9c"


def test_the_limit_is_the_setting(demo, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    response = Client().post("/api/v1/evaluations/", b" " * 4097, content_type="text/plain")
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "Nothing was saved: this site accepts requests of at most 4 KiB (4,096 bytes), and this "
        "one is 4,097 bytes."
    )
