"""What the admin's history pages and dates look like to an editor."""

import datetime
import re

import pytest

from tests import factories
from tests.editors_support import logged_in, text_of
from tracker.models import Evaluation, Status

MOMENT = datetime.datetime(2026, 12, 1, 5, 52, tzinfo=datetime.UTC)
SHOWN = "1 Dec 2026, 05:52 UTC"


@pytest.fixture
def editor(editor_user):
    return logged_in(editor_user)


@pytest.fixture
def evaluation(recommendation):
    """Made outside the admin: its history has neither an author nor a reason."""
    evaluation = factories.make_evaluation(recommendation, published_at=MOMENT)
    Evaluation.objects.filter(pk=evaluation.pk).update(created_at=MOMENT, updated_at=MOMENT)
    evaluation.history.update(history_date=MOMENT)
    return evaluation


def history_rows(response) -> list[list[str]]:
    """The cells of the history table, as text."""
    table = re.search(r'<table id="change-history".*?</table>', response.content.decode(), re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def test_the_history_shows_a_dash_where_a_change_has_no_reason_or_author(editor, evaluation):
    response = editor.get(f"/admin/tracker/evaluation/{evaluation.pk}/history/")

    assert response.status_code == 200
    assert history_rows(response) == [[str(evaluation), SHOWN, "Created", "—", "—", ""]]
    assert "None" not in text_of(response)


def test_a_change_reason_is_shown_in_the_history(editor, publisher_user, recommendation):
    draft = factories.make_evaluation(recommendation, status=Status.DRAFT)
    publisher = logged_in(publisher_user)
    publisher.post(f"/admin/tracker/evaluation/{draft.pk}/publish/", {"version": draft.version})

    response = editor.get(f"/admin/tracker/evaluation/{draft.pk}/history/")

    assert [(row[3], row[4]) for row in history_rows(response)] == [
        ("paul", "Published"),
        ("—", "—"),
    ]


def test_every_admin_page_writes_dates_and_times_one_way(editor, evaluation):
    listed = text_of(editor.get("/admin/tracker/evaluation/"))
    page = text_of(editor.get(f"/admin/tracker/evaluation/{evaluation.pk}/change/"))
    sources = text_of(
        editor.get(f"/admin/tracker/source/{evaluation.evidence.get().source_id}/history/")
    )

    assert "26 Apr 2004" in listed  # as of
    assert SHOWN in listed  # updated
    # The status panel, then the record's created, updated and published.
    assert f"published {SHOWN}" in page
    assert page.count(SHOWN) == 4
    for text in (listed, page, sources):
        assert "a.m." not in text
        assert "Dec. 1" not in text
