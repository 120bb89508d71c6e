"""Editors add and correct sources through the API (issue 14), by the admin's rules: one
source per URL (a URL on file is answered 409 with that source), If-Match on changes, the
fields a published edition froze kept, partners and anonymous clients reading only."""

import pytest

from tests import factories
from tests.api_support import client_as
from tests.test_races import threaded, together
from tracker import rules
from tracker.models import Source

NEW = {
    "title": "The U.S.-Japan Alliance in 2020",
    "publisher": "CSIS",
    "published_on": "2012-08-15",
    "url": "https://www.csis.org/analysis/us-japan-alliance",
    "kind": "report",
}


def etag_of(client, key: str) -> str:
    return client.get(f"/api/v1/sources/{key}/")["ETag"]


def test_an_editor_adds_a_source_and_reads_it_back(db):
    editor = client_as("editor")

    response = editor.post("/api/v1/sources/", NEW, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "key": "the-us-japan-alliance-in-2020",
        "title": "The U.S.-Japan Alliance in 2020",
        "author": "",
        "publisher": "CSIS",
        "published_on": "2012-08-15",
        "url": "https://www.csis.org/analysis/us-japan-alliance",
        "archived_url": "",
        "kind": "report",
        "citation": "",
    }
    assert response["Location"] == "/api/v1/sources/the-us-japan-alliance-in-2020/"
    assert response["Cache-Control"] == "no-store"
    read = editor.get(response["Location"])
    assert read.json() == body
    assert read["ETag"] == response["ETag"]
    assert response["ETag"].startswith('"source-the-us-japan-alliance-in-2020-')


def test_a_url_on_file_is_answered_with_that_source(db):
    on_file = factories.make_source("on-file", url="https://example.org/report")
    editor = client_as("editor")

    # The same page: the case of the host and a trailing slash do not count (tracker.rules).
    response = editor.post(
        "/api/v1/sources/",
        {"title": "Again", "url": "https://EXAMPLE.org/report/"},
        format="json",
    )

    message = (
        f"This URL is already on file as “{on_file.title}” (on-file); cite that source "
        "instead of adding it again."
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"url: {message}",
        "code": "duplicate",
        "errors": {"url": [message]},
        "source": editor.get("/api/v1/sources/on-file/").json(),
    }
    assert response["Location"] == "/api/v1/sources/on-file/"
    assert Source.objects.count() == 1


def test_every_bad_field_of_a_new_source_is_named_at_once(db):
    response = client_as("editor").post(
        "/api/v1/sources/",
        {"url": "not a url", "kind": "poem", "published_on": "2010-02-30", "colour": "red"},
        format="json",
    )

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["colour", "kind", "published_on", "title", "url"]
    assert response.json()["errors"]["published_on"] == [
        "There is no 2010-02-30: that date does not exist."
    ]


def test_an_editor_corrects_a_source_with_the_etag_read(db):
    source = factories.make_source("to-correct")
    editor = client_as("editor")
    etag = etag_of(editor, "to-correct")

    response = editor.patch(
        "/api/v1/sources/to-correct/",
        {"title": "Corrected", "author": "A. Author", "key": "to-correct"},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["author"]) == ("Corrected", "A. Author")
    source.refresh_from_db()
    assert (source.title, source.author) == ("Corrected", "A. Author")
    assert response["ETag"] != etag
    assert response["ETag"] == etag_of(editor, "to-correct")
    assert source.history.first().history_user.username == response.wsgi_request.user.username


def test_a_change_without_if_match_or_with_a_stale_one_saves_nothing(db):
    factories.make_source("contested")
    editor = client_as("editor")
    stale = etag_of(editor, "contested")
    first = editor.patch(
        "/api/v1/sources/contested/", {"title": "First"}, format="json", HTTP_IF_MATCH=stale
    )

    missing = editor.patch("/api/v1/sources/contested/", {"title": "Second"}, format="json")
    late = editor.patch(
        "/api/v1/sources/contested/", {"title": "Second"}, format="json", HTTP_IF_MATCH=stale
    )
    other = editor.patch(
        "/api/v1/sources/contested/",
        {"title": "Second"},
        format="json",
        HTTP_IF_MATCH='"source-another-1714521600000000"',
    )

    assert first.status_code == 200
    assert missing.status_code == 428
    assert missing.json()["errors"] == {
        "If-Match": [
            "Send If-Match with the ETag of the source you read, so you cannot overwrite a "
            "change you have not seen."
        ]
    }
    assert late.status_code == 412
    assert late.json()["errors"] == {
        "If-Match": ["Someone else changed this source since you read it. Nothing was saved."]
    }
    assert other.status_code == 412
    assert other.json()["errors"] == {
        "If-Match": [
            "This is not an ETag of the source “contested”. Read it again (GET "
            "/api/v1/sources/contested/) and send the ETag you get."
        ]
    }
    assert Source.objects.get(key="contested").title == "First"


def test_a_correction_to_a_url_on_file_is_answered_with_that_source(db):
    factories.make_source("first", url="https://example.org/a")
    factories.make_source("second", url="https://example.org/b")
    editor = client_as("editor")

    response = editor.patch(
        "/api/v1/sources/second/",
        {"url": "https://example.org/a/"},
        format="json",
        HTTP_IF_MATCH=etag_of(editor, "second"),
    )

    assert response.status_code == 409
    assert response.json()["source"]["key"] == "first"
    assert Source.objects.get(key="second").url == "https://example.org/b"


def test_a_key_never_changes(db):
    factories.make_source("stable")
    editor = client_as("editor")

    response = editor.patch(
        "/api/v1/sources/stable/",
        {"key": "renamed"},
        format="json",
        HTTP_IF_MATCH=etag_of(editor, "stable"),
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "key": [
            "A source's key never changes (evidence and partners cite it): this one stays “stable”."
        ]
    }


def test_a_source_a_published_edition_froze_only_gains_an_archived_url(demo):
    frozen = next(s for s in Source.objects.order_by("key") if rules.frozen_in(s) is not None)
    editor = client_as("editor")

    refused = editor.patch(
        f"/api/v1/sources/{frozen.key}/",
        {"title": "Rewritten", "url": "https://example.org/elsewhere"},
        format="json",
        HTTP_IF_MATCH=etag_of(editor, frozen.key),
    )
    archived = editor.patch(
        f"/api/v1/sources/{frozen.key}/",
        {"archived_url": "https://web.archive.org/web/2004/https://example.org/"},
        format="json",
        HTTP_IF_MATCH=etag_of(editor, frozen.key),
    )

    assert refused.status_code == 400
    assert sorted(refused.json()["errors"]) == ["title", "url"]
    assert archived.status_code == 200
    assert (
        archived.json()["archived_url"] == "https://web.archive.org/web/2004/https://example.org/"
    )
    assert Source.objects.get(pk=frozen.pk).title == frozen.title


@pytest.mark.parametrize(
    ("role", "status", "detail"),
    [
        ("anonymous", 401, "Authentication credentials were not provided."),
        ("partner", 403, "Only editors and publishers can add sources."),
    ],
)
def test_partners_and_anonymous_clients_only_read_sources(db, role, status, detail):
    source = factories.make_source("read-only")
    client = client_as(role)

    created = client.post("/api/v1/sources/", NEW, format="json")
    changed = client.patch(
        "/api/v1/sources/read-only/", {"title": "x"}, format="json", HTTP_IF_MATCH="*"
    )

    assert (created.status_code, created.json()["detail"]) == (status, detail)
    assert changed.status_code == status
    if role == "partner":
        assert changed.json()["detail"] == "Only editors and publishers can correct sources."
    assert list(Source.objects.values_list("key", "title")) == [("read-only", source.title)]


def test_a_source_saved_through_the_api_moves_the_cached_reads(db):
    factories.make_source("cached")
    editor = client_as("editor")
    before = editor.get("/api/v1/sources/")

    editor.patch(
        "/api/v1/sources/cached/",
        {"title": "Renamed"},
        format="json",
        HTTP_IF_MATCH=etag_of(editor, "cached"),
    )
    after = editor.get("/api/v1/sources/", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert [row["title"] for row in after.json()["results"]] == ["Renamed"]


# --- At the same moment (PostgreSQL; see tests/test_races.py) ----------------------------


@threaded
@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_url_at_once_give_one_source_and_one_409():
    clients = [client_as("editor"), client_as("editor")]

    answers = together(
        *(lambda c=c: c.post("/api/v1/sources/", NEW, format="json") for c in clients)
    )

    assert sorted(a.status_code for a in answers) == [201, 409]
    (created,) = [a.json() for a in answers if a.status_code == 201]
    (refused,) = [a.json() for a in answers if a.status_code == 409]
    assert refused["source"] == created
    assert Source.objects.count() == 1


@threaded
@pytest.mark.django_db(transaction=True)
def test_two_changes_from_one_etag_at_once_save_one_and_refuse_the_other():
    factories.make_source("contested")
    clients = [client_as("editor"), client_as("editor")]
    etag = etag_of(clients[0], "contested")

    answers = together(
        *(
            lambda c=c, title=title: c.patch(
                "/api/v1/sources/contested/", {"title": title}, format="json", HTTP_IF_MATCH=etag
            )
            for c, title in zip(clients, ("First", "Second"), strict=True)
        )
    )

    assert sorted(a.status_code for a in answers) == [200, 412]
    (saved,) = [a.json()["title"] for a in answers if a.status_code == 200]
    assert Source.objects.get(key="contested").title == saved
