"""Sources in the admin: added once per URL, corrected with history."""

from tests import factories
from tests.editors_support import errors_of, form_data, logged_in
from tracker.models import Source

ADD_URL = "/admin/tracker/source/add/"


def test_an_editor_adds_a_source_and_its_key_is_made_from_the_title(editor_user):
    editor = logged_in(editor_user)
    data = form_data(editor.get(ADD_URL)) | {
        "title": "East Asian Strategic Review 2005",
        "url": "example.org/easr-2005",
        "kind": "report",
    }

    response = editor.post(ADD_URL, data)

    assert response.status_code == 302
    source = Source.objects.get()
    assert (source.key, source.url, source.kind) == (
        "east-asian-strategic-review-2005",
        "https://example.org/easr-2005",
        "report",
    )
    assert source.history.get().history_user == editor_user


def test_a_url_on_file_is_refused_on_the_url_field(editor_user):
    on_file = factories.make_source("easr", url="https://example.org/easr")
    editor = logged_in(editor_user)
    data = form_data(editor.get(ADD_URL)) | {"title": "Again", "url": "https://example.org/easr/"}

    response = editor.post(ADD_URL, data)

    assert errors_of(response) == {
        "url": [
            f"This URL is already on file as “{on_file.title}” (easr); use that source instead "
            f"of adding it again."
        ]
    }
    assert Source.objects.count() == 1


def test_a_malformed_url_is_refused(editor_user):
    editor = logged_in(editor_user)
    data = form_data(editor.get(ADD_URL)) | {"title": "Bad", "url": "http://exa mple"}
    assert errors_of(editor.post(ADD_URL, data)) == {"url": ["Enter a valid URL."]}


def test_correcting_a_source_is_recorded_with_who_did_it(editor_user):
    source = factories.make_source("easr")
    editor = logged_in(editor_user)
    url = f"/admin/tracker/source/{source.pk}/change/"

    response = editor.post(url, form_data(editor.get(url)) | {"publisher": "NIDS"})

    assert response.status_code == 302
    latest = source.history.first()
    assert (latest.publisher, latest.history_user, latest.history_type) == (
        "NIDS",
        editor_user,
        "~",
    )


def test_editors_cannot_delete_sources(editor_user):
    source = factories.make_source()
    response = logged_in(editor_user).post(
        f"/admin/tracker/source/{source.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Source.objects.count() == 1


def test_a_publisher_deletes_a_source_nothing_cites_and_an_editor_cannot(
    editor_user, publisher_user, recommendation
):
    loose = factories.make_source("loose")
    cited = factories.make_evaluation(recommendation).evidence.get().source

    by_editor = logged_in(editor_user).post(
        f"/admin/tracker/source/{loose.pk}/delete/", {"post": "yes"}
    )
    publisher = logged_in(publisher_user)
    refused = publisher.post(f"/admin/tracker/source/{cited.pk}/delete/", {"post": "yes"})
    deleted = publisher.post(f"/admin/tracker/source/{loose.pk}/delete/", {"post": "yes"})

    assert by_editor.status_code == 403
    assert refused.status_code == 200  # the page lists what cites it, and deletes nothing
    assert deleted.status_code == 302
    assert list(Source.objects.values_list("key", flat=True)) == [cited.key]
