"""What each role may see and do in the admin: anonymous, partner, editor, publisher."""

import pytest

from tests import factories
from tests.editors_support import logged_in
from tracker.models import Evaluation, Evaluator, Status

EVALUATIONS = "/admin/tracker/evaluation/"


@pytest.fixture
def draft(recommendation):
    return factories.make_evaluation(recommendation, status=Status.DRAFT)


@pytest.fixture
def published(recommendation):
    return factories.make_evaluation(recommendation, as_of=factories.datetime.date(2008, 1, 1))


def admin_pages(evaluation: Evaluation) -> list[str]:
    return [
        "/admin/",
        EVALUATIONS,
        f"{EVALUATIONS}add/",
        f"{EVALUATIONS}{evaluation.pk}/change/",
        f"{EVALUATIONS}{evaluation.pk}/preview/",
        f"{EVALUATIONS}{evaluation.pk}/history/",
        "/admin/tracker/source/",
        "/admin/tracker/recommendation/",
    ]


def test_anonymous_visitors_are_sent_to_log_in_everywhere(client, draft):
    for url in admin_pages(draft):
        response = client.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (
            302,
            "/admin/login/",
        ), url


def test_anonymous_visitors_cannot_publish(client, draft):
    response = client.post(f"{EVALUATIONS}{draft.pk}/publish/", {"version": draft.version})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_partner_cannot_log_in_to_the_admin(client, partner_user):
    response = client.post(
        "/admin/login/", {"username": "parker", "password": factories.PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 200
    assert (
        "Please enter the correct username and password for a staff account."
        in response.content.decode()
    )


def test_a_partner_with_a_session_still_sees_nothing_of_the_admin(partner_user, draft):
    partner = logged_in(partner_user)
    for url in admin_pages(draft):
        response = partner.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (
            302,
            "/admin/login/",
        ), url


def test_an_editor_works_on_evaluations_sources_and_recommendations(editor_user, draft):
    editor = logged_in(editor_user)

    index = editor.get("/admin/")

    models = {
        model["object_name"]: (model["perms"]["add"], model["perms"]["change"])
        for app in index.context["app_list"]
        for model in app["models"]
    }
    assert models["Evaluation"] == (True, True)
    assert models["Source"] == (True, True)
    assert models["Recommendation"] == (False, True)
    assert models["Edition"] == (False, False)
    assert models["Report"] == (False, False)
    assert "User" not in models
    assert "Group" not in models
    for url in admin_pages(draft):
        assert editor.get(url).status_code == 200, url


def test_an_editor_sees_drafts(editor_user, draft):
    page = logged_in(editor_user).get(EVALUATIONS)
    assert [e.pk for e in page.context["cl"].result_list] == [draft.pk]


def test_an_editor_cannot_publish(editor_user, draft):
    editor = logged_in(editor_user)

    changelist = editor.get(EVALUATIONS)
    button = editor.post(f"{EVALUATIONS}{draft.pk}/publish/", {"version": draft.version})
    action = editor.post(
        EVALUATIONS, {"action": "publish_selected", "_selected_action": [draft.pk]}
    )

    assert changelist.context["action_form"] is None  # no actions for editors at all
    assert button.status_code == 403
    assert action.status_code == 200  # the list again: nothing was done
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_an_editor_cannot_change_a_published_evaluation(editor_user, published):
    editor = logged_in(editor_user)

    page = editor.get(f"{EVALUATIONS}{published.pk}/change/")
    refused = editor.post(f"{EVALUATIONS}{published.pk}/change/", {"narrative": "Rewritten."})

    assert page.context["read_only_reason"] == (
        "This evaluation is published: only a publisher can change it, or withdraw it "
        "to draft so that you can."
    )
    assert page.context["has_change_permission"] is False
    assert refused.status_code == 403
    published.refresh_from_db()
    assert published.narrative == "Progress was made."


def test_an_editor_cannot_freeze_an_edition(editor_user, report):
    editor = logged_in(editor_user)
    assert editor.get("/admin/tracker/edition/add/").status_code == 403
    assert "Freeze an edition" not in editor.get("/admin/tracker/edition/").content.decode()


def test_a_publisher_may_publish_and_freeze(publisher_user, draft):
    publisher = logged_in(publisher_user)

    changelist = publisher.get(EVALUATIONS)
    actions = [name for name, _ in changelist.context["action_form"].fields["action"].choices]
    page = publisher.get(f"{EVALUATIONS}{draft.pk}/change/")

    assert actions == ["", "publish_selected", "withdraw_selected"]
    assert page.context["can_publish"] is True
    assert publisher.get("/admin/tracker/edition/add/").status_code == 200
    assert "Freeze an edition" in publisher.get("/admin/tracker/edition/").content.decode()


def test_a_publisher_may_change_a_published_evaluation(publisher_user, published):
    page = logged_in(publisher_user).get(f"{EVALUATIONS}{published.pk}/change/")
    assert (page.context["has_change_permission"], page.context["read_only_reason"]) == (
        True,
        None,
    )


def test_reference_data_is_read_only_for_everyone_in_the_admin(publisher_user, report):
    publisher = logged_in(publisher_user)
    assert publisher.get(f"/admin/tracker/report/{report.pk}/change/").status_code == 200
    assert publisher.get("/admin/tracker/report/add/").status_code == 403
    assert publisher.get(f"/admin/tracker/report/{report.pk}/delete/").status_code == 403


def test_nobody_reverts_through_the_history_pages(publisher_user, draft):
    record = draft.history.get()
    response = logged_in(publisher_user).post(
        f"{EVALUATIONS}{draft.pk}/history/{record.history_id}/", {"narrative": "Reverted"}
    )
    assert response.status_code == 405
    draft.refresh_from_db()
    assert draft.narrative == "Progress was made."


def test_an_editor_adds_an_evaluator_when_a_new_one_grades(editor_user):
    editor = logged_in(editor_user)
    response = editor.post(
        "/admin/tracker/evaluator/add/",
        {"slug": "cfr-2012", "name": "Council on Foreign Relations", "kind": "organization"},
    )
    assert response.status_code == 302
    assert list(Evaluator.objects.values_list("slug", "name")) == [
        ("cfr-2012", "Council on Foreign Relations")
    ]
