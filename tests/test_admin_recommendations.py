"""A recommendation's admin page: its grades so far, and every evaluation, newest first."""

import datetime

from tests import factories
from tests.editors_support import logged_in, text_of
from tracker import services
from tracker.models import Status


def test_the_page_shows_the_timeline_and_all_evaluations_newest_first(
    editor_user, publisher_user, recommendation
):
    old = factories.make_evaluation(recommendation, "none", as_of=datetime.date(2001, 1, 1))
    new = factories.make_evaluation(recommendation, "partial", as_of=datetime.date(2004, 4, 26))
    draft = services.record_evaluation(
        recommendation=recommendation,
        evaluator=factories.make_evaluator(),
        grade=factories.grade(recommendation.report.grade_scale, "done"),
        as_of=datetime.date(2008, 1, 15),
        author=editor_user,
    )

    page = logged_in(publisher_user).get(
        f"/admin/tracker/recommendation/{recommendation.pk}/change/"
    )

    assert page.status_code == 200
    inline = page.context["inline_admin_formsets"][0].formset
    assert [(f.instance, f.instance.status, f.instance.author) for f in inline.forms] == [
        (draft, Status.DRAFT, editor_user),
        (new, Status.PUBLISHED, None),
        (old, Status.PUBLISHED, None),
    ]
    text = text_of(page)
    assert "2001-01-01" in text
    assert text.index("No progress") < text.index("Partial")  # the timeline, oldest first
    assert (
        f'href="/admin/tracker/evaluation/add/?recommendation={recommendation.pk}" '
        f'class="addlink">Log an evaluation</a>' in text
    )


def test_the_list_shows_each_current_grade_and_how_many_drafts_wait(editor_user, report):
    graded = factories.make_recommendation(report)
    factories.make_evaluation(graded, "done")
    factories.make_evaluation(graded, "none", as_of=datetime.date(2008, 1, 1), status=Status.DRAFT)
    ungraded = factories.make_recommendation(report)

    page = logged_in(editor_user).get("/admin/tracker/recommendation/")

    rows = {r.pk: (r.current_grade_label, r.draft_count) for r in page.context["cl"].result_list}
    assert rows == {graded.pk: ("Done", 1), ungraded.pk: (None, 0)}
