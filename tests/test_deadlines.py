"""Due dates: "overdue" (date passed, current grade not done) and "due soon" (within
DUE_SOON_DAYS), on pages, the API and the filter `due`, counted per report and per actor."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests import factories
from tracker import services
from tracker.deadlines import DUE_SOON_DAYS
from tracker.models import Grade

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def dated(report):
    Grade.objects.filter(scale=report.grade_scale, slug="done").update(counts_as_done=True)
    japan = factories.make_actor("japan")
    late, late_done, soon, later, _undated = (
        factories.make_recommendation(report) for _ in "12345"
    )
    for rec, due in [
        (late, TODAY - DAY),
        (late_done, TODAY - DAY),
        (soon, TODAY + DAY * DUE_SOON_DAYS),
        (later, TODAY + DAY * (DUE_SOON_DAYS + 1)),
    ]:
        rec.due_on, rec.due_set_by = due, "editors"
        rec.save()
        rec.actors.set([japan])
    factories.make_evaluation(late, "partial", as_of=datetime.date(2004, 1, 1))
    factories.make_evaluation(late_done, "done", as_of=datetime.date(2004, 1, 1))
    return report, late, soon


def codes(client, query: str) -> list[str]:
    body = client.get(f"/api/v1/recommendations/?{query}").json()
    return [row["code"] for row in body["results"]]


def test_the_filter_and_the_api(dated, client):
    _report, late, soon = dated
    assert codes(client, "due=overdue") == [late.code]
    assert codes(client, "due=soon") == [soon.code]
    row = client.get(f"/api/v1/recommendations/{late.pk}/").json()
    assert (row["due_on"], row["due_set_by"], row["due_state"]) == (
        (TODAY - DAY).isoformat(),
        "editors",
        "overdue",
    )
    bad = client.get("/api/v1/recommendations/?due=late")
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["due"]


def test_pages_show_and_count_them(dated, client):
    report, late, _soon = dated
    page = client.get(f"/reports/{report.slug}/").content.decode()
    assert '<option value="overdue">Overdue (1)</option>' in page
    assert f'<option value="soon">Due within {DUE_SOON_DAYS} days (1)</option>' in page
    filtered = client.get(f"/reports/{report.slug}/?due=overdue").content.decode()
    assert f'<span class="code">{late.code}</span>' in filtered
    assert '<span class="code">SEC-3</span>' not in filtered
    rec_page = client.get(f"/reports/{report.slug}/{late.slug}/").content.decode()
    assert "(set by the editors) — <strong>overdue</strong>" in rec_page
    record = client.get("/api/v1/actors/japan/").json()
    assert (record["overdue"], record["due_soon"]) == (1, 1)


def test_a_due_date_says_whose_and_is_not_before_the_report(dated):
    _report, late, _ = dated
    with pytest.raises(ValidationError) as refused:
        services.update_recommendation(
            recommendation=late, changes={"due_on": datetime.date(1999, 1, 1), "due_set_by": ""}
        )
    assert refused.value.message_dict == {
        "due_set_by": ["Say whose date it is: the report's own deadline, or one the editors set."],
        "due_on": [
            "The report was published on 2000-10-11; nothing it asks can be due before that."
        ],
    }
