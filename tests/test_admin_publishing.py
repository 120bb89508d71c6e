"""Publishing, withdrawing and freezing editions in the admin; what an edition protects."""

import datetime

import pytest

from tests import factories
from tests.editors_support import errors_of, form_data, logged_in, messages_of, text_of
from tracker import services
from tracker.models import Edition, Evaluation, EvidenceLink, Source, Status, Topic

EVALUATIONS = "/admin/tracker/evaluation/"
APRIL_2004 = datetime.date(2004, 4, 26)


@pytest.fixture
def publisher(publisher_user):
    return logged_in(publisher_user)


@pytest.fixture
def draft(recommendation):
    return factories.make_evaluation(recommendation, status=Status.DRAFT)


def test_the_publish_button_publishes_the_version_the_publisher_read(
    publisher, publisher_user, draft
):
    response = publisher.post(f"{EVALUATIONS}{draft.pk}/publish/", {"version": "1"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (Status.PUBLISHED, 2)
    latest = draft.history.first()
    assert (latest.history_user, latest.history_change_reason, latest.status) == (
        publisher_user,
        "Published",
        Status.PUBLISHED,
    )
    assert messages_of(publisher.get(response["Location"])) == [
        "Published SEC-1 as of 2004-04-26 by " + str(draft.evaluator) + "."
    ]


def test_publishing_a_version_changed_since_it_was_read_is_refused(publisher, draft):
    services.update_evaluation(evaluation=draft, expected_version=1, changes={"wording": "new"})

    response = publisher.post(f"{EVALUATIONS}{draft.pk}/publish/", {"version": "1"}, follow=True)

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert messages_of(response) == [
        "Not published: someone changed this evaluation after you opened it. "
        "Read the current version below, then publish again."
    ]


def test_publishing_needs_evidence_and_says_so(publisher, recommendation):
    bare = factories.make_evaluation(recommendation, status=Status.DRAFT, with_evidence=False)

    page = publisher.get(f"{EVALUATIONS}{bare.pk}/change/")
    response = publisher.post(f"{EVALUATIONS}{bare.pk}/publish/", {"version": "1"}, follow=True)

    evidence_rule = (
        "Cite at least one source before publishing: every published grade shows the "
        "evidence behind it."
    )
    assert page.context["publication_problems"] == [evidence_rule]
    assert messages_of(response) == [f"Not published: {evidence_rule}"]
    bare.refresh_from_db()
    assert bare.status == Status.DRAFT


def test_publishing_needs_a_narrative(publisher, recommendation):
    silent = factories.make_evaluation(recommendation, status=Status.DRAFT, narrative="  ")
    response = publisher.post(f"{EVALUATIONS}{silent.pk}/publish/", {"version": "1"}, follow=True)
    assert messages_of(response) == [
        "Not published: Write the narrative before publishing: say why this grade."
    ]


def test_bulk_publish_publishes_the_ready_ones_and_names_each_refused_one(
    publisher, publisher_user, report
):
    recs = [factories.make_recommendation(report) for _ in range(3)]
    ready = [factories.make_evaluation(r, status=Status.DRAFT) for r in recs[:2]]
    bare = factories.make_evaluation(recs[2], status=Status.DRAFT, with_evidence=False)

    response = publisher.post(
        EVALUATIONS,
        {"action": "publish_selected", "_selected_action": [e.pk for e in [*ready, bare]]},
        follow=True,
    )

    assert messages_of(response) == [
        f"Not published: SEC-3 as of 2004-04-26 by {bare.evaluator} — Cite at least one "
        f"source before publishing: every published grade shows the evidence behind it.",
        "Published 2 evaluations.",
    ]
    for evaluation in [*ready, bare]:
        evaluation.refresh_from_db()
    assert [e.status for e in [*ready, bare]] == [Status.PUBLISHED] * 2 + [Status.DRAFT]
    assert [e.history.first().history_user for e in ready] == [publisher_user] * 2


def test_withdraw_to_draft_action_and_button(publisher, publisher_user, recommendation):
    one = factories.make_evaluation(recommendation)
    other = factories.make_evaluation(recommendation, as_of=datetime.date(2008, 1, 1))

    publisher.post(EVALUATIONS, {"action": "withdraw_selected", "_selected_action": [one.pk]})
    publisher.post(f"{EVALUATIONS}{other.pk}/withdraw/")

    for evaluation in (one, other):
        evaluation.refresh_from_db()
        latest = evaluation.history.first()
        assert (evaluation.status, latest.history_user, latest.history_change_reason) == (
            Status.DRAFT,
            publisher_user,
            "Withdrawn to draft",
        )


def freeze(publisher, report, **changes):
    """Fill in the form, read what will be frozen, confirm (the answer to the last step)."""
    page = publisher.get(f"/admin/tracker/edition/add/?report={report.pk}")
    data = form_data(page) | {
        "name": "2004 report card",
        "slug": "2004-report-card",
        "as_of": "2004-04-26",
        "description": "",
    }
    checked = publisher.post("/admin/tracker/edition/add/", data | changes)
    if checked.templates[0].name != "admin/tracker/edition/confirm_freeze.html":
        return checked  # the form again, with its errors
    return publisher.post("/admin/tracker/edition/add/", confirmation(checked))


def confirmation(page) -> dict[str, str]:
    """What the confirmation page's "Yes, freeze" button posts."""
    form = page.context
    return {
        **form["posted"],
        form["grades_seen"]: str(form["grade_count"]),
        form["confirmed"]: "yes",
    }


def test_a_publisher_freezes_an_edition_of_the_published_grades(
    publisher, publisher_user, report, recommendation
):
    graded = factories.make_evaluation(recommendation, as_of=APRIL_2004)
    factories.make_evaluation(
        recommendation, "done", as_of=datetime.date(2004, 1, 1), status=Status.DRAFT
    )

    response = freeze(publisher, report)

    assert response.status_code == 302
    edition = Edition.objects.get()
    assert (edition.slug, edition.status, edition.as_of, edition.report) == (
        "2004-report-card",
        Status.PUBLISHED,
        APRIL_2004,
        report,
    )
    assert [(e.recommendation, e.evaluation) for e in edition.entries.all()] == [
        (recommendation, graded)
    ]
    assert edition.history.get().history_user == publisher_user


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"as_of": "2999-01-01"}, "as_of", "An edition cannot speak for a date in the future."),
        (
            {"as_of": "2001-01-01"},
            "as_of",
            "Report 2 has no published grades as of 2001-01-01 to freeze.",
        ),
        ({"slug": "not a slug"}, "slug", None),
    ],
)
def test_freezing_refuses_bad_input_on_its_field(
    publisher, report, recommendation, changes, field, message
):
    factories.make_evaluation(recommendation, as_of=APRIL_2004)
    report.short_name = "Report 2"
    report.save()

    response = freeze(publisher, report, **changes)

    assert response.status_code == 200
    assert list(errors_of(response)) == [field]
    if message:
        assert errors_of(response)[field] == [message]
    assert Edition.objects.count() == 0


@pytest.fixture
def frozen(report, recommendation):
    """A published evaluation, frozen in a published edition."""
    evaluation = factories.make_evaluation(recommendation, as_of=APRIL_2004)
    edition = services.publish_edition(
        report=report, slug="2004-card", name="2004 card", as_of=APRIL_2004
    )
    return evaluation, edition


def test_a_published_edition_is_read_only_and_cannot_be_deleted(publisher, frozen):
    _, edition = frozen

    page = publisher.get(f"/admin/tracker/edition/{edition.pk}/change/")
    delete_page = publisher.get(f"/admin/tracker/edition/{edition.pk}/delete/", follow=True)
    delete_post = publisher.post(
        f"/admin/tracker/edition/{edition.pk}/delete/", {"post": "yes"}, follow=True
    )
    change_post = publisher.post(
        f"/admin/tracker/edition/{edition.pk}/change/", {"name": "Renamed"}
    )

    assert page.context["has_change_permission"] is False
    assert "A published edition never changes and cannot be deleted" in text_of(page)
    refusal = (
        "“2004 card” is published: published editions never change and cannot be deleted, "
        "because readers cite them. Freeze a new edition instead."
    )
    assert messages_of(delete_page) == [refusal]
    assert messages_of(delete_post) == [refusal]
    assert change_post.status_code == 403
    edition.refresh_from_db()
    assert edition.name == "2004 card"


def test_an_evaluation_frozen_in_an_edition_is_read_only_with_the_reason(publisher, frozen):
    evaluation, _ = frozen

    page = publisher.get(f"{EVALUATIONS}{evaluation.pk}/change/")
    change_post = publisher.post(f"{EVALUATIONS}{evaluation.pk}/change/", {"wording": "x"})
    withdraw = publisher.post(f"{EVALUATIONS}{evaluation.pk}/withdraw/", follow=True)
    delete = publisher.get(f"{EVALUATIONS}{evaluation.pk}/delete/", follow=True)

    reason = (
        "This evaluation is frozen in the published edition “2004 card”, which never "
        "changes. To correct it, log a new evaluation."
    )
    assert page.context["read_only_reason"] == reason
    assert reason in text_of(page)
    assert change_post.status_code == 403
    assert messages_of(withdraw) == [
        "Not withdrawn: This evaluation is frozen in the published edition “2004 card” "
        "and cannot be withdrawn."
    ]
    assert messages_of(delete) == [
        "A published evaluation cannot be deleted: readers may have cited it. Withdraw it "
        "to draft first, or log a new evaluation to correct it."
    ]
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.wording) == (Status.PUBLISHED, "")


def test_a_source_cited_in_an_edition_only_gains_an_archived_url(publisher, frozen):
    evaluation, _ = frozen
    source = evaluation.evidence.get().source
    url = f"/admin/tracker/source/{source.pk}/change/"
    data = form_data(publisher.get(url))

    refused = publisher.post(url, data | {"title": "Retitled"})
    archived = publisher.post(url, data | {"archived_url": "https://archive.example.org/x"})

    title = source.title
    assert refused.status_code == 302  # title is read-only here: the posted one is ignored
    assert archived.status_code == 302
    source.refresh_from_db()
    assert (source.title, source.archived_url) == (title, "https://archive.example.org/x")
    assert source.history.first().history_user.username == "paul"


def test_a_frozen_recommendations_words_are_fixed_but_topics_are_not(
    publisher, publisher_user, frozen
):
    evaluation, _ = frozen
    recommendation = evaluation.recommendation
    china = Topic.objects.create(slug="china", name="China")
    url = f"/admin/tracker/recommendation/{recommendation.pk}/change/"

    page = publisher.get(url)
    response = publisher.post(url, form_data(page) | {"topics": [str(china.pk)]})

    assert page.context["frozen_in"].name == "2004 card"
    # (Issue 17: a due date is not frozen; editors may still set one.)
    assert list(page.context["adminform"].form.fields) == ["topics", "due_on", "due_set_by"]
    assert response.status_code == 302
    assert list(recommendation.topics.all()) == [china]
    assert recommendation.history.first().history_user == publisher_user


def test_an_editor_deletes_a_draft_but_not_a_published_evaluation(editor_user, draft):
    editor = logged_in(editor_user)
    published = factories.make_evaluation(
        draft.recommendation, as_of=datetime.date(2008, 1, 1), with_evidence=False
    )

    refused = editor.get(f"{EVALUATIONS}{published.pk}/delete/", follow=True)
    deleted = editor.post(f"{EVALUATIONS}{draft.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 302
    assert [e.pk for e in Evaluation.objects.all()] == [published.pk]
    assert draft.history.filter(history_type="-").get().history_user == editor_user
    assert messages_of(refused)[0].startswith("A published evaluation cannot be deleted")
    assert (EvidenceLink.objects.count(), Source.objects.count()) == (0, 1)


def test_freezing_can_start_from_the_report(publisher, editor_user, report):
    response = publisher.post(
        "/admin/tracker/report/", {"action": "freeze_edition", "_selected_action": [report.pk]}
    )
    editors_list = logged_in(editor_user).get("/admin/tracker/report/")

    assert (response.status_code, response["Location"]) == (
        302,
        f"/admin/tracker/edition/add/?report={report.pk}",
    )
    assert editors_list.context["action_form"] is None


def test_a_publisher_cannot_strip_a_published_evaluation_of_its_evidence(publisher, recommendation):
    published = factories.make_evaluation(recommendation)
    url = f"{EVALUATIONS}{published.pk}/change/"
    data = form_data(publisher.get(url)) | {"evidence-0-DELETE": "on", "wording": "Changed"}

    response = publisher.post(url, data)

    assert response.status_code == 200
    assert errors_of(response) == {
        "__all__": [
            "Evidence: A published evaluation keeps at least one piece of evidence; cite "
            "another source before removing this one, or withdraw it to draft first."
        ]
    }
    published.refresh_from_db()
    assert (published.wording, published.version, published.evidence.count()) == ("", 1, 1)
