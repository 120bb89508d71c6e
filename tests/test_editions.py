"""Editions (issue 13, item 10): names readers can tell apart, and a freeze that is read
before it is done.

A report's editions have different names on every path (the admin, the services, the
import, and the database itself), and freezing in the admin shows the name, the date and
the grades that will be frozen, and freezes only when the publisher confirms.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests import factories
from tests.editors_support import errors_of, form_data, logged_in
from tests.test_interchange import MINI, write
from tracker import services
from tracker.interchange import ScorecardFileError
from tracker.models import Edition, Status

APRIL_2004 = datetime.date(2004, 4, 26)
ADD = "/admin/tracker/edition/add/"


@pytest.fixture
def graded(report, recommendation):
    """The report with one published grade as of April 2004, and a 2004 edition."""
    factories.make_evaluation(recommendation, as_of=APRIL_2004)
    other = factories.make_recommendation(report)
    factories.make_evaluation(other, as_of=APRIL_2004)
    services.publish_edition(report=report, slug="card-2004", name="2004 card", as_of=APRIL_2004)
    return report


@pytest.fixture
def publisher(publisher_user):
    return logged_in(publisher_user)


def form(publisher, report, **changes) -> dict:
    data = form_data(publisher.get(f"{ADD}?report={report.pk}"))
    return data | {"name": "2008 card", "slug": "card-2008", "as_of": "2008-01-01"} | changes


def test_freezing_shows_what_will_be_frozen_and_waits_for_the_publisher(publisher, graded):
    page = publisher.post(ADD, form(publisher, graded))

    text = page.content.decode()
    assert page.status_code == 200
    assert page.templates[0].name == "admin/tracker/edition/confirm_freeze.html"
    assert (page.context["edition"]["name"], page.context["grade_count"]) == ("2008 card", 2)
    assert "2008 card" in text
    assert "1 Jan 2008" in text
    assert "Yes, freeze and publish 2 grades" in text
    assert [r.code for r, _ in page.context["rows"]] == ["SEC-1", "SEC-2"]
    assert list(Edition.objects.values_list("slug", flat=True)) == ["card-2004"]


def test_confirming_freezes_what_was_shown(publisher, publisher_user, graded):
    page = publisher.post(ADD, form(publisher, graded))
    posted = {**page.context["posted"], "_grades_seen": "2", "_confirmed": "yes"}

    response = publisher.post(ADD, posted)

    assert response.status_code == 302
    edition = Edition.objects.get(slug="card-2008")
    assert (edition.name, edition.status, edition.entries.count()) == (
        "2008 card",
        Status.PUBLISHED,
        2,
    )
    assert edition.history.get().history_user == publisher_user


def test_grades_that_changed_after_the_confirmation_page_are_not_frozen(publisher, graded):
    page = publisher.post(ADD, form(publisher, graded))
    factories.make_evaluation(factories.make_recommendation(graded), as_of=APRIL_2004)
    posted = {**page.context["posted"], "_grades_seen": "2", "_confirmed": "yes"}

    response = publisher.post(ADD, posted)

    assert response.status_code == 200
    assert errors_of(response) == {
        "as_of": [
            "The grades to freeze changed since you checked them (2 then, 3 now); nothing "
            "was frozen. Check them again."
        ]
    }
    assert not Edition.objects.filter(slug="card-2008").exists()


def test_the_admin_refuses_a_name_the_report_already_has(publisher, graded):
    response = publisher.post(ADD, form(publisher, graded, name="2004 card"))

    assert response.status_code == 200
    assert errors_of(response) == {
        "name": [
            f"{graded.short_name} already has an edition called “2004 card”; give this one a "
            f"name readers can tell apart."
        ]
    }
    assert Edition.objects.count() == 1


def test_the_services_refuse_a_name_the_report_already_has(graded):
    with pytest.raises(ValidationError) as refused:
        services.publish_edition(
            report=graded, slug="card-2004-again", name="2004 card", as_of=APRIL_2004
        )
    assert refused.value.message_dict == {
        "name": [
            f"{graded.short_name} already has an edition called “2004 card”; give this one a "
            f"name readers can tell apart."
        ]
    }


def test_another_report_may_use_the_same_name(graded):
    other = factories.make_report()
    factories.make_evaluation(factories.make_recommendation(other), as_of=APRIL_2004)

    edition = services.publish_edition(
        report=other, slug="other-2004", name="2004 card", as_of=APRIL_2004
    )

    assert Edition.objects.filter(name="2004 card").count() == 2
    assert edition.report == other


def test_the_database_holds_one_name_per_report(graded):
    with pytest.raises(IntegrityError), transaction.atomic():
        Edition.objects.create(report=graded, slug="sneaked-in", name="2004 card", as_of=APRIL_2004)


def test_the_import_refuses_two_editions_of_a_report_with_one_name(db, tmp_path):
    text = MINI + "  - slug: mini-2004-b\n    name: Mini 2004\n    as_of: 2004-04-26\n"

    with pytest.raises(ScorecardFileError) as refused:
        services.import_scorecard(files=[write(tmp_path, text)])

    assert [str(p).split(": ", 1)[1] for p in refused.value.problems] == [
        "editions[1].name: the edition “mini-2004” of this report is also called “Mini 2004”; "
        "give each edition of a report its own name"
    ]
    assert Edition.objects.count() == 0


def test_the_import_refuses_a_name_already_in_the_database(db, tmp_path):
    services.import_scorecard(files=[write(tmp_path, MINI)])
    text = MINI + "  - slug: mini-2004-b\n    name: Mini 2004\n    as_of: 2004-04-26\n"

    with pytest.raises(ScorecardFileError) as refused:
        services.import_scorecard(files=[write(tmp_path, text)])

    assert [str(p).split(": ", 1)[1] for p in refused.value.problems] == [
        "editions[1].name: the edition “mini-2004” of this report is also called “Mini 2004”; "
        "give each edition of a report its own name"
    ]
    assert list(Edition.objects.values_list("slug", flat=True)) == ["mini-2004"]
