"""The preview: the public recommendation page with a draft applied, for editors only."""

import datetime

import pytest

from tests import factories
from tests.editors_support import logged_in, text_of
from tracker.models import Status


@pytest.fixture
def draft(recommendation):
    factories.make_evaluation(recommendation, "partial", narrative="Published reasoning.")
    return factories.make_evaluation(
        recommendation,
        "done",
        as_of=datetime.date(2008, 1, 15),
        status=Status.DRAFT,
        narrative="Draft reasoning with *emphasis* and <script>alert(1)</script>.",
    )


def preview_url(evaluation) -> str:
    return f"/admin/tracker/evaluation/{evaluation.pk}/preview/"


def test_the_preview_is_the_public_page_with_the_draft_applied(editor_user, draft, report):
    response = logged_in(editor_user).get(preview_url(draft))

    assert response.status_code == 200
    assert response.templates[0].name == "scorecard/recommendation.html"
    page = text_of(response)
    assert "Preview — not published." in page
    assert "Draft reasoning with <em>emphasis</em> and &lt;script&gt;" in page
    assert "Published reasoning." in page
    assert response.context["current"] == draft
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))


def test_the_public_page_does_not_show_the_draft(client, draft, report):
    response = client.get(f"/reports/{report.slug}/sec-1/")
    assert response.status_code == 200
    assert "Draft reasoning" not in response.content.decode()


def test_partners_and_anonymous_visitors_get_no_preview(client, partner_user, draft):
    for visitor in (client, logged_in(partner_user)):
        response = visitor.get(preview_url(draft))
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert "Draft reasoning" not in response.content.decode()


def test_the_evaluation_page_links_to_its_preview(editor_user, draft):
    page = logged_in(editor_user).get(f"/admin/tracker/evaluation/{draft.pk}/change/")
    assert f'href="{preview_url(draft)}"' in page.content.decode()


def test_the_preview_counts_only_the_published_evaluations(editor_user, draft):
    page = text_of(logged_in(editor_user).get(preview_url(draft)))

    assert (
        "1 published evaluation and this draft, shown as it will appear once published, "
        "oldest first." in page
    )
    assert "2 published evaluations" not in page
    assert "The draft is shown as it will appear once published" in page


def test_the_preview_of_a_first_draft_says_nothing_is_published_yet(editor_user, recommendation):
    first = factories.make_evaluation(recommendation, "partial", status=Status.DRAFT)

    page = text_of(logged_in(editor_user).get(preview_url(first)))

    assert (
        "No published evaluation yet; this draft, shown as it will appear once published, "
        "oldest first." in page
    )


def test_the_public_page_counts_its_published_evaluations(client, draft, report):
    page = text_of(client.get(f"/reports/{report.slug}/sec-1/"))
    assert "1 published evaluation, oldest first." in page


def test_a_published_evaluation_is_not_previewed_but_shown_on_the_public_page(
    editor_user, draft, report
):
    published = draft.recommendation.evaluations.get(status=Status.PUBLISHED)
    editor = logged_in(editor_user)

    response = editor.get(preview_url(published))

    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.slug}/sec-1/#evaluation-{published.pk}"
    page = editor.get(f"/admin/tracker/evaluation/{published.pk}/change/").content.decode()
    assert f'href="{preview_url(published)}"' in page
    assert "See it on the public site" in page
