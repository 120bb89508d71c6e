"""An evaluation's date lies between its report's publication and today, on every path
(issue 13, item 5): the API (create and change), the admin, the services and the import.

Before, `as_of: 0001-01-01` was accepted (and, once published, broke the public chart), and
so was a date before the report existed (1999-01-01 for a report of 2000-10-11).
"""

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tests.api_support import client_as, etag_of, make_draft
from tests.editors_support import errors_of, logged_in
from tests.test_admin_evaluations import ADD_URL, new_evaluation_data
from tests.test_interchange import MINI, write
from tracker import services
from tracker.interchange import ScorecardFileError
from tracker.models import Evaluation

BEFORE_ARMITAGE_NYE = (
    "The date an evaluation speaks for cannot be before its report was published "
    "(Armitage-Nye Report, 2000-10-11)."
)


@pytest.fixture
def editor(db):
    return client_as("editor")


def new_body(demo) -> dict:
    return {
        "recommendation": demo.recommendations.get(code="SEC-1").pk,
        "evaluator": factories.make_evaluator().slug,
        "grade": "accomplished",
        "narrative": "Done.",
        "evidence": [{"source": factories.make_source().key}],
    }


@pytest.mark.parametrize("as_of", ["0001-01-01", "1999-01-01", "2000-10-10"])
def test_the_api_refuses_an_evaluation_dated_before_its_report(demo, editor, as_of):
    before = Evaluation.objects.count()

    response = editor.post("/api/v1/evaluations/", new_body(demo) | {"as_of": as_of})

    assert response.status_code == 400
    assert response.json()["errors"] == {"as_of": [BEFORE_ARMITAGE_NYE]}
    assert Evaluation.objects.count() == before


def test_the_api_accepts_the_day_the_report_was_published(demo, editor):
    response = editor.post("/api/v1/evaluations/", new_body(demo) | {"as_of": "2000-10-11"})

    assert response.status_code == 201


def test_the_api_refuses_moving_a_draft_before_its_report(demo, editor):
    draft = make_draft(demo)

    response = editor.patch(
        f"/api/v1/evaluations/{draft.pk}/",
        {"as_of": "0001-01-01"},
        HTTP_IF_MATCH=etag_of(editor, draft),
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"as_of": [BEFORE_ARMITAGE_NYE]}
    draft.refresh_from_db()
    assert draft.as_of == datetime.date(2020, 1, 1)


def test_the_services_refuse_a_date_before_the_report(recommendation):
    with pytest.raises(ValidationError) as refused:
        services.record_evaluation(
            recommendation=recommendation,
            evaluator=factories.make_evaluator(),
            grade=recommendation.report.grade_scale.grades.first(),
            as_of=datetime.date(1, 1, 1),
        )

    assert refused.value.message_dict == {
        "as_of": [
            f"The date an evaluation speaks for cannot be before its report was published "
            f"({recommendation.report.short_name}, 2000-10-11)."
        ]
    }


def test_the_admin_refuses_a_date_before_the_report(editor_user, recommendation):
    editor = logged_in(editor_user)
    source = factories.make_source()
    data = new_evaluation_data(
        editor,
        recommendation,
        factories.make_evaluator(),
        as_of="1999-01-01",
        **{"evidence-0-source": str(source.pk)},
    )

    response = editor.post(ADD_URL, data)

    assert response.status_code == 200
    assert errors_of(response) == {
        "as_of": [
            f"The date an evaluation speaks for cannot be before its report was published "
            f"({recommendation.report.short_name}, 2000-10-11)."
        ]
    }
    assert Evaluation.objects.count() == 0


def test_the_import_refuses_a_date_before_the_report(db, tmp_path):
    text = MINI.replace(
        "    as_of: 2004-04-26\n    grade: none", "    as_of: 0001-01-01\n    grade: none"
    )

    with pytest.raises(ScorecardFileError) as refused:
        services.import_scorecard(files=[write(tmp_path, text)])

    assert [str(p).split(": ", 1)[1] for p in refused.value.problems] == [
        "evaluations[1].as_of: 0001-01-01 is before the report was published (2001-02-03); "
        "an evaluation speaks for a date since then"
    ]
    assert Evaluation.objects.count() == 0


def test_the_import_refuses_a_published_evaluation_without_a_narrative(db, tmp_path):
    text = MINI.replace("    narrative: Some progress was made.\n", "")

    with pytest.raises(ScorecardFileError) as refused:
        services.import_scorecard(files=[write(tmp_path, text)])

    assert [str(p).split(": ", 1)[1] for p in refused.value.problems] == [
        "evaluations[0].narrative: a published evaluation needs a narrative: say why this grade"
    ]
