"""The date a new evaluation or edition gets when the editor leaves it empty (issue 14).

Not today, but what an editor most often means: the date of the evaluation's publication,
else the date of the round the evaluator is logging, and for an edition the latest date of
the report's published evaluations (tracker.default_dates).
"""

import datetime

import pytest
from django.utils import timezone

from tests import factories
from tests.editors_support import errors_of, form_data, logged_in
from tests.test_admin_evaluations import ADD_URL, new_evaluation_data
from tracker.models import Edition, Evaluation, Source

APRIL_2004 = datetime.date(2004, 4, 26)
JANUARY_2008 = datetime.date(2008, 1, 15)
EDITION_ADD = "/admin/tracker/edition/add/"


@pytest.fixture
def editor(editor_user):
    return logged_in(editor_user)


@pytest.fixture
def evaluator(db):
    return factories.make_evaluator("heritage")


@pytest.fixture
def review(db):
    source = factories.make_source("hwang-2004")
    Source.objects.filter(pk=source.pk).update(published_on=APRIL_2004)
    source.refresh_from_db()
    return source


def logged_as_of(editor, recommendation, evaluator, **changes) -> datetime.date:
    """Log an evaluation with the date left empty; the date it was given."""
    data = new_evaluation_data(editor, recommendation, evaluator, as_of="", **changes)
    response = editor.post(ADD_URL, data)
    assert response.status_code == 302, errors_of(response)
    return Evaluation.objects.latest("created_at", "id").as_of


def test_the_date_of_a_new_evaluation_starts_empty_and_says_what_empty_means(
    editor, recommendation
):
    page = editor.get(f"{ADD_URL}?recommendation={recommendation.pk}")
    field = page.context["adminform"].form["as_of"]

    assert field.value() is None
    assert field.field.help_text == (
        "Left empty: the date of the publication chosen below, if it has one; otherwise "
        "the date of the evaluation of this report that the evaluator logged last; "
        "otherwise today. Not before the report was published, not in the future."
    )


def test_left_empty_an_evaluation_speaks_for_the_date_of_its_publication(
    editor, recommendation, evaluator, review
):
    # Even when the evaluator's last round was dated otherwise.
    other = factories.make_recommendation(recommendation.report)
    factories.make_evaluation(other, evaluator=evaluator, as_of=JANUARY_2008)
    assert logged_as_of(editor, recommendation, evaluator, publication=review.pk) == APRIL_2004


def test_left_empty_without_a_publication_it_takes_the_date_of_the_evaluators_round(
    editor, recommendation, evaluator
):
    report = recommendation.report
    # The evaluator's 2008 round was logged before its 2004 round is being filled in;
    # the round in progress is the one logged last, not the latest date.
    factories.make_evaluation(
        factories.make_recommendation(report), evaluator=evaluator, as_of=JANUARY_2008
    )
    factories.make_evaluation(
        factories.make_recommendation(report), evaluator=evaluator, as_of=APRIL_2004
    )
    # Another evaluator's, and another report's, logged later still, do not count.
    factories.make_evaluation(factories.make_recommendation(report), as_of=JANUARY_2008)
    other_report = factories.make_report(scale=report.grade_scale)
    factories.make_evaluation(
        factories.make_recommendation(other_report), evaluator=evaluator, as_of=JANUARY_2008
    )

    assert logged_as_of(editor, recommendation, evaluator) == APRIL_2004


def test_left_empty_with_nothing_to_go_by_it_is_today(editor, recommendation, evaluator):
    assert logged_as_of(editor, recommendation, evaluator) == timezone.localdate()


def test_a_date_typed_in_wins(editor, recommendation, evaluator, review):
    data = new_evaluation_data(
        editor, recommendation, evaluator, as_of="2008-01-15", publication=review.pk
    )
    assert editor.post(ADD_URL, data).status_code == 302
    assert Evaluation.objects.get().as_of == JANUARY_2008


def test_a_date_left_empty_that_is_refused_says_which_date_it_was(
    editor, recommendation, evaluator, review
):
    factories.make_evaluation(recommendation, evaluator=evaluator, as_of=APRIL_2004)
    data = new_evaluation_data(editor, recommendation, evaluator, as_of="", publication=review.pk)

    response = editor.post(ADD_URL, data)

    assert response.status_code == 200
    assert errors_of(response) == {
        "as_of": [
            f"Left empty, the date is 26 Apr 2004, the date of “{review.title}”: "
            f"{evaluator} already has an evaluation of SEC-1 as of 2004-04-26; edit that "
            f"one, or choose another date."
        ]
    }


def edition_form(publisher, report, **changes) -> dict:
    data = form_data(publisher.get(f"{EDITION_ADD}?report={report.pk}"))
    return data | {"name": "2008 card", "slug": "card-2008"} | changes


def test_left_empty_an_edition_freezes_the_latest_date_of_the_published_grades(
    publisher_user, report, recommendation
):
    factories.make_evaluation(recommendation, as_of=APRIL_2004)
    factories.make_evaluation(factories.make_recommendation(report), as_of=JANUARY_2008)
    factories.make_evaluation(recommendation, as_of=datetime.date(2010, 1, 1), status="draft")
    publisher = logged_in(publisher_user)
    assert publisher.get(EDITION_ADD).context["adminform"].form["as_of"].value() is None

    check = publisher.post(EDITION_ADD, edition_form(publisher, report, as_of=""))

    assert check.templates[0].name == "admin/tracker/edition/confirm_freeze.html"
    text = " ".join(check.content.decode().split())
    assert (
        f"15 Jan 2008</time> (the latest date of the published evaluations of {report.short_name})"
        in text
    )
    assert check.context["posted"]["as_of"] == "2008-01-15"
    confirmed = check.context["posted"] | {
        "_grades_seen": str(check.context["grade_count"]),
        "_confirmed": "yes",
    }
    assert publisher.post(EDITION_ADD, confirmed).status_code == 302
    assert Edition.objects.get(slug="card-2008").as_of == JANUARY_2008


def test_left_empty_an_edition_of_an_ungraded_report_is_dated_today(publisher_user, report):
    publisher = logged_in(publisher_user)
    check = publisher.post(EDITION_ADD, edition_form(publisher, report, as_of=""))
    assert check.context["posted"]["as_of"] == timezone.localdate().isoformat()
