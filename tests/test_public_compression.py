"""Responses go out compressed where that is safe; static files under hashed names, cached
for a year."""

import gzip
import re

import pytest

from tests.api_support import client_as
from tracker.models import Evaluation, Status

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/", "text/html"),
        ("/reports/armitage-nye-2000/", "text/html"),
        ("/reports/armitage-nye-2000/export.csv", "text/csv"),
        ("/reports/armitage-nye-2000/evaluations.csv", "text/csv"),
        ("/reports/armitage-nye-2000/export.json", "application/json"),
        ("/feed/", "application/atom+xml"),
        ("/api/v1/recommendations/?report=armitage-nye-2000", "application/json"),
    ],
)
def test_public_responses_are_compressed_for_clients_that_accept_it(
    demo, client, url, content_type
):
    plain = client.get(url)
    compressed = client.get(url, **GZIP)

    assert compressed.status_code == 200
    assert compressed["Content-Type"].startswith(content_type)
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(body(compressed)) == body(plain)
    assert not plain.has_header("Content-Encoding")


def test_the_report_page_shrinks_to_a_fraction(demo, client):
    plain = client.get("/reports/armitage-nye-2000/")
    compressed = client.get("/reports/armitage-nye-2000/", **GZIP)
    assert len(compressed.content) * 4 < len(plain.content)


def test_a_compressed_page_still_answers_conditional_requests(demo, client):
    first = client.get("/reports/armitage-nye-2000/", **GZIP)
    again = client.get("/reports/armitage-nye-2000/", HTTP_IF_NONE_MATCH=first["ETag"], **GZIP)
    assert first["ETag"].startswith('W/"')
    assert again.status_code == 304


def test_pages_carrying_a_csrf_token_are_never_compressed(db, client):
    # The admin's login form holds a CSRF token beside what the visitor typed (BREACH).
    response = client.get("/admin/login/", **GZIP)
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.text
    assert not response.has_header("Content-Encoding")


def test_the_admin_is_never_compressed(editor_user, client):
    client.force_login(editor_user)
    response = client.get("/admin/", **GZIP)
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")


def test_a_resource_written_with_if_match_keeps_its_strong_etag(demo, client):
    evaluation = Evaluation.objects.filter(status=Status.PUBLISHED).order_by("pk").first()
    response = client_as("anonymous").get(f"/api/v1/evaluations/{evaluation.pk}/", **GZIP)

    assert response.status_code == 200
    assert "PATCH" in response["Allow"]
    assert not response.has_header("Content-Encoding")
    assert response["ETag"].startswith('"evaluation-')


def test_static_files_have_hashed_names_and_are_cached_for_a_year(demo, client):
    html = client.get("/").text
    stylesheet = re.search(
        r'<link rel="stylesheet" href="(/static/scorecard/site\.[0-9a-f]{12}\.css)"', html
    )
    assert stylesheet is not None

    response = client.get(stylesheet.group(1), **GZIP)

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response["Content-Encoding"] in ("gzip", "br")
