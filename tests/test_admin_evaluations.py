"""Logging and editing evaluations in the admin, with their evidence, as an editor does."""

import datetime

import pytest

from tests import factories
from tests.editors_support import errors_of, evidence_errors, form_data, logged_in
from tracker.models import Evaluation, EvidenceLink, Source, Stance, Status

ADD_URL = "/admin/tracker/evaluation/add/"
APRIL_2004 = datetime.date(2004, 4, 26)


def change_url(evaluation: Evaluation) -> str:
    return f"/admin/tracker/evaluation/{evaluation.pk}/change/"


@pytest.fixture
def evaluator(db):
    return factories.make_evaluator("heritage")


@pytest.fixture
def editor(editor_user):
    return logged_in(editor_user)


def new_evaluation_data(editor, recommendation, evaluator, /, **changes) -> dict:
    """The "Log an evaluation" form, opened from the recommendation's page and filled in."""
    page = editor.get(f"{ADD_URL}?recommendation={recommendation.pk}")
    assert page.status_code == 200
    data = form_data(page)
    grade = recommendation.report.grade_scale.grades.get(slug="partial")
    data.update(
        {
            "grade": str(grade.pk),
            "wording": "Slow but steady",
            "narrative": "Japan *widened* its defense role.",
            "as_of": "2004-04-26",
            "evaluator": str(evaluator.pk),
        }
    )
    data.update(changes)
    return data


def test_an_editor_logs_a_draft_with_evidence_from_an_existing_source(
    editor, editor_user, recommendation, evaluator
):
    source = factories.make_source("nids-2004", url="https://example.org/nids")
    data = new_evaluation_data(
        editor,
        recommendation,
        evaluator,
        **{
            "evidence-0-source": str(source.pk),
            "evidence-0-quote": "The SDF deployed to Iraq.",
            "evidence-0-page": "12",
            "evidence-0-stance": Stance.SUPPORTS,
        },
    )

    response = editor.post(ADD_URL, data)

    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.status, evaluation.author, evaluation.version) == (
        Status.DRAFT,
        editor_user,
        1,
    )
    assert (evaluation.grade.slug, evaluation.wording, evaluation.as_of) == (
        "partial",
        "Slow but steady",
        APRIL_2004,
    )
    assert [(e.source, e.quote, e.page) for e in evaluation.evidence.all()] == [
        (source, "The SDF deployed to Iraq.", "12")
    ]
    assert [(h.history_type, h.history_user) for h in evaluation.history.all()] == [
        ("+", editor_user)
    ]
    assert [h.history_user for h in EvidenceLink.history.all()] == [editor_user]


def test_a_new_source_is_added_with_the_evidence(editor, editor_user, recommendation, evaluator):
    data = new_evaluation_data(
        editor,
        recommendation,
        evaluator,
        **{
            "evidence-0-new_source_title": "Defense of Japan 2004",
            "evidence-0-new_source_url": "https://example.org/dej-2004",
            "evidence-0-new_source_archived_url": "https://archive.example.org/dej-2004",
            "evidence-0-new_source_kind": "government",
            "evidence-0-quote": "Ballistic missile defense is being introduced.",
        },
    )

    response = editor.post(ADD_URL, data)

    assert response.status_code == 302
    source = Source.objects.get()
    assert (source.key, source.title, source.url, source.archived_url, source.kind) == (
        "defense-of-japan-2004",
        "Defense of Japan 2004",
        "https://example.org/dej-2004",
        "https://archive.example.org/dej-2004",
        "government",
    )
    assert [e.source for e in Evaluation.objects.get().evidence.all()] == [source]
    assert source.history.get().history_user == editor_user


def test_a_url_already_on_file_is_offered_instead_of_a_duplicate(editor, recommendation, evaluator):
    on_file = factories.make_source("dej", url="https://example.org/dej-2004")
    data = new_evaluation_data(
        editor,
        recommendation,
        evaluator,
        **{
            "evidence-0-new_source_title": "Defense of Japan, again",
            "evidence-0-new_source_url": "https://example.org/dej-2004/",
        },
    )

    response = editor.post(ADD_URL, data)

    assert response.status_code == 200
    row = evidence_errors(response)[0]
    assert row == {
        "new_source_url": [
            f"This URL is already on file as “{on_file.title}”. It is now selected as the "
            f"source above instead of adding a duplicate: check it and save again."
        ]
    }
    offered = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert (offered["source"].value(), offered["new_source_title"].value()) == (
        str(on_file.pk),
        "",
    )
    assert (Evaluation.objects.count(), Source.objects.count()) == (0, 1)

    # Saving the form as offered cites the source on file.
    assert editor.post(ADD_URL, form_data(response) | {"as_of": "2004-04-26"}).status_code == 302
    assert [e.source for e in Evaluation.objects.get().evidence.all()] == [on_file]


def test_only_the_grades_of_the_reports_scale_are_offered(editor, recommendation, evaluator):
    factories.make_scale("letters")

    page = editor.get(f"{ADD_URL}?recommendation={recommendation.pk}")

    choices = [label for _, label in page.context["adminform"].form.fields["grade"].choices]
    assert choices == ["---------", "Done", "Partial", "No progress"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"as_of": "2999-01-01"},
            "as_of",
            "The date an evaluation speaks for cannot be in the future.",
        ),
        ({"as_of": "26/04/2004x"}, "as_of", "Enter a valid date."),
        ({"evaluator": ""}, "evaluator", "This field is required."),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    editor, recommendation, evaluator, changes, field, message
):
    source = factories.make_source()
    data = new_evaluation_data(
        editor, recommendation, evaluator, **{"evidence-0-source": str(source.pk)}, **changes
    )

    response = editor.post(ADD_URL, data)

    assert response.status_code == 200
    assert errors_of(response) == {field: [message]}
    assert (Evaluation.objects.count(), EvidenceLink.objects.count()) == (0, 0)


def test_a_grade_of_another_scale_is_refused_by_name(editor, recommendation, evaluator, report):
    other = factories.grade(factories.make_scale("letters"), "done")
    data = new_evaluation_data(editor, recommendation, evaluator, grade=str(other.pk))

    response = editor.post(ADD_URL, data)

    assert errors_of(response) == {
        "grade": [
            f"“Done” is not on the grade scale of {report.short_name}; "
            f"choose a grade of “{report.grade_scale.name}”."
        ]
    }
    assert Evaluation.objects.count() == 0


def test_a_malformed_source_url_is_refused_and_nothing_is_saved(editor, recommendation, evaluator):
    data = new_evaluation_data(
        editor,
        recommendation,
        evaluator,
        **{
            "evidence-0-new_source_title": "A blog",
            "evidence-0-new_source_url": "http://exa mple/ not a url",
        },
    )

    response = editor.post(ADD_URL, data)

    assert response.status_code == 200
    assert evidence_errors(response)[0] == {"new_source_url": ["Enter a valid URL."]}
    assert (Evaluation.objects.count(), Source.objects.count()) == (0, 0)


def test_evidence_without_a_source_says_what_is_missing(editor, recommendation, evaluator):
    data = new_evaluation_data(
        editor, recommendation, evaluator, **{"evidence-0-quote": "A passage."}
    )

    response = editor.post(ADD_URL, data)

    assert evidence_errors(response)[0] == {
        "source": ["Choose a source, or add a new one below it."]
    }
    assert Evaluation.objects.count() == 0


def test_a_second_evaluation_by_the_same_evaluator_and_date_is_refused(
    editor, recommendation, evaluator
):
    factories.make_evaluation(recommendation, as_of=APRIL_2004, evaluator=evaluator)
    data = new_evaluation_data(editor, recommendation, evaluator)

    response = editor.post(ADD_URL, data)

    assert errors_of(response) == {
        "as_of": [
            f"{evaluator} already has an evaluation of SEC-1 as of 2004-04-26; edit that one, "
            f"or choose another date."
        ]
    }
    assert Evaluation.objects.count() == 1


def test_script_in_a_narrative_is_shown_as_text_never_run(editor, recommendation, evaluator):
    evaluation = factories.make_evaluation(
        recommendation,
        status=Status.DRAFT,
        narrative="Fine. <script>alert(1)</script> [x](javascript:alert(1))",
    )

    page = editor.get(change_url(evaluation))

    html = page.content.decode()
    assert "<script>alert(1)" not in html
    assert 'href="javascript' not in html.lower()
    assert (
        '<div class="narrative-preview"><p>Fine. &lt;script&gt;alert(1)&lt;/script&gt; '
        "x</p></div>" in html  # a javascript: link reads as its plain text (issue 14)
    )


def test_editing_a_draft_changes_fields_and_evidence_in_one_new_version(
    editor, editor_user, recommendation
):
    evaluation = factories.make_evaluation(recommendation, status=Status.DRAFT)
    kept_source = evaluation.evidence.get().source
    added = factories.make_source("added")
    page = editor.get(change_url(evaluation))
    data = form_data(page)
    done = recommendation.report.grade_scale.grades.get(slug="done")
    data.update(
        {
            "grade": str(done.pk),
            "evidence-0-stance": Stance.CONTEXT,
            "evidence-1-source": str(added.pk),
            "evidence-1-quote": "New passage.",
        }
    )

    response = editor.post(change_url(evaluation), data)

    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.grade.slug, evaluation.version) == ("done", 2)
    assert [(e.source, e.stance) for e in evaluation.evidence.all()] == [
        (kept_source, Stance.CONTEXT),
        (added, Stance.SUPPORTS),
    ]
    latest = evaluation.history.first()
    assert (latest.history_type, latest.history_user, latest.version) == ("~", editor_user, 2)


def test_removing_evidence(editor, recommendation):
    evaluation = factories.make_evaluation(recommendation, status=Status.DRAFT)
    data = form_data(editor.get(change_url(evaluation)))
    data["evidence-0-DELETE"] = "on"

    assert editor.post(change_url(evaluation), data).status_code == 302

    assert evaluation.evidence.count() == 0
    assert EvidenceLink.history.filter(history_type="-").count() == 1


def test_two_editors_the_second_save_is_refused_and_shows_what_changed(recommendation):
    first = logged_in(factories.make_user("ann", role="editor"))
    second = logged_in(factories.make_user("ben", role="editor"))
    evaluation = factories.make_evaluation(
        recommendation, status=Status.DRAFT, narrative="Original words."
    )
    first_data = form_data(first.get(change_url(evaluation)))
    second_data = form_data(second.get(change_url(evaluation)))

    first_data["narrative"] = "Ann's words."
    assert first.post(change_url(evaluation), first_data).status_code == 302

    second_data["narrative"] = "Ben's words."
    second_data["wording"] = "Ben's wording"
    response = second.post(change_url(evaluation), second_data)

    assert response.status_code == 200
    assert errors_of(response) == {
        "__all__": [
            "Someone else changed this evaluation since you opened it (you had version 1, "
            "it is now version 2). Nothing was saved; reload to see their changes."
        ]
    }
    conflict = response.context["conflict"]
    assert (conflict["by"].username, conflict["version"], conflict["expected_version"]) == (
        "ann",
        2,
        1,
    )
    assert conflict["rows"] == [
        {"field": "Narrative", "was": "Original words.", "now": "Ann's words."}
    ]
    assert "Not saved: ann changed this evaluation" in response.content.decode()
    # Ben's input is still in the form, and nothing of it was written.
    assert response.context["adminform"].form["narrative"].value() == "Ben's words."
    evaluation.refresh_from_db()
    assert (evaluation.narrative, evaluation.wording, evaluation.version) == (
        "Ann's words.",
        "",
        2,
    )
    assert [h.history_user.username for h in evaluation.history.filter(history_type="~")] == ["ann"]


def test_the_conflict_also_catches_evidence_changed_by_the_other_editor(recommendation):
    first = logged_in(factories.make_user("ann", role="editor"))
    second = logged_in(factories.make_user("ben", role="editor"))
    evaluation = factories.make_evaluation(recommendation, status=Status.DRAFT)
    first_data = form_data(first.get(change_url(evaluation)))
    second_data = form_data(second.get(change_url(evaluation)))

    first_data["evidence-0-quote"] = "Ann's quote."
    assert first.post(change_url(evaluation), first_data).status_code == 302
    second_data["narrative"] = "Ben's narrative."
    response = second.post(change_url(evaluation), second_data)

    assert response.status_code == 200
    assert [(r.history_type, r.quote) for r in response.context["conflict"]["evidence"]] == [
        ("~", "Ann's quote.")
    ]
    evaluation.refresh_from_db()
    assert (evaluation.narrative, evaluation.evidence.get().quote) == (
        "Progress was made.",
        "Ann's quote.",
    )


def test_history_of_an_evaluation_shows_who_changed_what_including_evidence(
    editor, editor_user, recommendation
):
    evaluation = factories.make_evaluation(recommendation, status=Status.DRAFT)
    data = form_data(editor.get(change_url(evaluation)))
    data["wording"] = "Some progress"
    data["evidence-0-quote"] = "Quoted."
    editor.post(change_url(evaluation), data)

    page = editor.get(f"/admin/tracker/evaluation/{evaluation.pk}/history/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Some progress" in html
    assert [(r.history_type, r.quote) for r in page.context["evidence_history"]] == [
        ("~", "Quoted."),
        ("+", ""),
    ]
    assert page.context["evidence_history"][0].history_user == editor_user
