"""A recommendation becoming overdue is an event (issue 17): an entry in its report's feed and
the site's, dated the day after its due date, with a permanent id; and since it happens by
the passing of a day, not by a write, the day moves the pages' data state (ETag)."""

import datetime

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tracker import deadlines, search
from tracker.models import Evaluation, Grade, Status

TODAY = deadlines.current_date()
DAY = datetime.timedelta(days=1)


def read(client, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo is False
    return parsed


def set_due(recommendation, due_on: datetime.date, set_by: str = "editors") -> None:
    recommendation.due_on, recommendation.due_set_by = due_on, set_by
    recommendation.save()


@pytest.fixture
def late(report):
    """SEC-1 overdue (graded, not done) since yesterday; SEC-2 past due but done; SEC-3 due
    today (due soon, not yet overdue)."""
    Grade.objects.filter(scale=report.grade_scale, slug="done").update(counts_as_done=True)
    late, done, due_today = (factories.make_recommendation(report) for _ in "123")
    set_due(late, TODAY - 2 * DAY, "report")
    set_due(done, TODAY - 2 * DAY)
    set_due(due_today, TODAY)
    factories.make_evaluation(late, "partial", as_of=datetime.date(2004, 1, 1))
    factories.make_evaluation(done, "done", as_of=datetime.date(2004, 1, 1))
    return late


@pytest.mark.parametrize("url", ["/feed/", "/reports/{slug}/feed/"])
def test_an_overdue_recommendation_is_an_entry_of_the_feeds(late, client, url):
    parsed = read(client, url.format(slug=late.report.slug))

    overdue = [entry for entry in parsed.entries if "overdue" in entry.title]
    assert [entry.title for entry in overdue] == [
        f"SEC-1 overdue (due {(TODAY - 2 * DAY).isoformat()}, not done)"
    ]
    entry = overdue[0]
    assert entry.id == f"tag:localhost,2026:recommendation/{late.pk}/overdue/{late.due_on}"
    became = (TODAY - DAY).isoformat() + "T00:00:00+00:00"
    assert (entry.updated, entry.published) == (became, became)
    assert entry.link == f"http://testserver/reports/{late.report.slug}/{late.slug}/"
    assert entry.author == "Alliance Scorecard"
    assert [tag.term for tag in entry.tags] == ["overdue", late.report.short_name]
    due = late.due_on.strftime("%B %-d, %Y")
    assert entry.summary == (
        f"<p>Recommendation 1</p><p>Due on {due} (the report&#x27;s date); its grade on that "
        "date, Partial, did not count as done.</p>"
    )


def test_the_entry_stays_once_a_later_grade_counts_as_done(late, client):
    overdue_id = f"tag:localhost,2026:recommendation/{late.pk}/overdue/{late.due_on}"
    # Done by the evaluator's judgment of yesterday, after the date had passed.
    factories.make_evaluation(late, "done", as_of=TODAY - DAY)

    feed = read(client, f"/reports/{late.report.slug}/feed/")

    assert [entry.id for entry in feed.entries if "/overdue/" in entry.id] == [overdue_id]
    api = client.get(f"/api/v1/recommendations/{late.pk}/").json()
    assert api["due_state"] is None  # no longer overdue today: the event stays all the same


def test_done_by_the_due_date_is_no_event(late, client):
    # An evaluation speaking for the due date itself: the record says it was done in time.
    factories.make_evaluation(late, "done", as_of=late.due_on)

    feed = read(client, f"/reports/{late.report.slug}/feed/")

    assert [entry.id for entry in feed.entries if "/overdue/" in entry.id] == []


def test_a_draft_done_by_the_due_date_does_not_count(late, client):
    factories.make_evaluation(late, "done", as_of=late.due_on, status=Status.DRAFT)

    feed = read(client, f"/reports/{late.report.slug}/feed/")

    assert [entry.title for entry in feed.entries if "/overdue/" in entry.id] == [
        f"SEC-1 overdue (due {late.due_on.isoformat()}, not done)"
    ]
    assert "its grade on that date, Partial, did not count" in feed.entries[-1].summary


def test_the_entry_is_dated_by_the_data_not_the_request(late, client):
    first = read(client, "/feed/")
    second = read(client, "/feed/")

    assert [e.updated for e in first.entries] == [e.updated for e in second.entries]
    assert first.feed.updated == second.feed.updated
    # The two grades published just now, then SEC-1's becoming overdue yesterday.
    assert [entry.title.split(" ")[1] for entry in first.entries][-1] == "overdue"
    assert len(first.entries) == 3


def test_a_new_due_date_missed_is_a_new_entry(late, client):
    before = read(client, "/feed/")
    set_due(late, TODAY - DAY)
    after = read(client, "/feed/")

    old_id = f"tag:localhost,2026:recommendation/{late.pk}/overdue/{TODAY - 2 * DAY}"
    new_id = f"tag:localhost,2026:recommendation/{late.pk}/overdue/{TODAY - DAY}"
    assert old_id in [entry.id for entry in before.entries]
    assert [entry.id for entry in after.entries if "/overdue/" in entry.id] == [new_id]


def test_a_day_that_makes_a_recommendation_overdue_changes_the_page_and_its_etag(
    report, client, monkeypatch
):
    recommendation = factories.make_recommendation(report)
    set_due(recommendation, TODAY)
    page_url = f"/reports/{report.slug}/{recommendation.slug}/"
    feed_url = f"/reports/{report.slug}/feed/"

    today_page = client.get(page_url)
    today_feed = client.get(feed_url)
    assert "— due soon" in today_page.text
    assert "overdue" not in today_page.text
    assert feedparser.parse(today_feed.content).entries == []

    monkeypatch.setattr(deadlines, "current_date", lambda: TODAY + DAY)
    revalidated = client.get(page_url, HTTP_IF_NONE_MATCH=today_page["ETag"])
    assert revalidated.status_code == 200
    assert revalidated["ETag"] != today_page["ETag"]
    assert "— <strong>overdue</strong>" in revalidated.text
    feed = client.get(feed_url, HTTP_IF_NONE_MATCH=today_feed["ETag"])
    assert feed.status_code == 200
    assert [entry.title for entry in feedparser.parse(feed.content).entries] == [
        f"{recommendation.code} overdue (due {TODAY.isoformat()}, not done)"
    ]


def test_a_day_that_changes_no_due_state_keeps_the_etag(report, client, monkeypatch):
    recommendation = factories.make_recommendation(report)
    set_due(recommendation, TODAY + 10 * DAY)
    page_url = f"/reports/{report.slug}/{recommendation.slug}/"
    etag = client.get(page_url)["ETag"]

    monkeypatch.setattr(deadlines, "current_date", lambda: TODAY + DAY)
    assert client.get(page_url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_day_that_brings_a_due_date_within_the_window_changes_the_etag(
    report, client, monkeypatch
):
    recommendation = factories.make_recommendation(report)
    set_due(recommendation, TODAY + (deadlines.DUE_SOON_DAYS + 1) * DAY)
    page_url = f"/reports/{report.slug}/{recommendation.slug}/"
    first = client.get(page_url)
    assert "due soon" not in first.text

    monkeypatch.setattr(deadlines, "current_date", lambda: TODAY + DAY)
    later = client.get(page_url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert later.status_code == 200
    assert "— due soon" in later.text


def test_the_feeds_query_counts_do_not_grow_with_overdue_recommendations(
    late, client, django_assert_num_queries
):
    urls = {"/feed/": 6, f"/reports/{late.report.slug}/feed/": 7}
    for url, expected in urls.items():
        with django_assert_num_queries(expected, info=url):
            client.get(url)

    with factories.unbounded_setup():
        factories.make_many_recommendations(late.report, 200)
        type(late).objects.filter(code__startswith="GEN-").update(
            due_on=TODAY - 3 * DAY, due_set_by="report", updated_at=timezone.now()
        )
        # Their grades were published long before: the newest events are the overdue ones.
        Evaluation.objects.filter(recommendation__code__startswith="GEN-").update(
            published_at=datetime.datetime(2008, 2, 1, tzinfo=datetime.UTC)
        )
    for url, expected in urls.items():
        with django_assert_num_queries(expected, info=url):
            entries = read(client, url).entries
        assert len(entries) == 50, url
        # After the two grades published just now (SEC-1's and SEC-2's).
        assert sum("/overdue/" in entry.id for entry in entries[2:]) == 48, url


# --- Counts per report in the API, as on the report page ------------------------------------


def test_the_report_resource_counts_overdue_and_due_soon_as_the_report_page(late, client):
    other = factories.make_report()
    factories.make_recommendation(other)

    listed = {row["slug"]: row for row in client.get("/api/v1/reports/").json()["results"]}
    one = client.get(f"/api/v1/reports/{late.report.slug}/").json()

    assert (one["overdue"], one["due_soon"]) == (1, 1)
    assert (listed[late.report.slug]["overdue"], listed[late.report.slug]["due_soon"]) == (1, 1)
    assert (listed[other.slug]["overdue"], listed[other.slug]["due_soon"]) == (0, 0)
    page = client.get(f"/reports/{late.report.slug}/").text
    assert '<option value="overdue">Overdue (1)</option>' in page
    assert f'<option value="soon">Due within {deadlines.DUE_SOON_DAYS} days (1)</option>' in page


def test_the_report_counts_move_with_the_day(late, client, monkeypatch):
    monkeypatch.setattr(deadlines, "current_date", lambda: TODAY + DAY)

    one = client.get(f"/api/v1/reports/{late.report.slug}/").json()

    # SEC-3, due today, is overdue tomorrow.
    assert (one["overdue"], one["due_soon"]) == (2, 0)


def test_the_report_resources_query_count_does_not_grow_with_the_data(
    late, client, django_assert_num_queries
):
    urls = ("/api/v1/reports/", f"/api/v1/reports/{late.report.slug}/")
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as small:
            assert client.get(url).status_code == 200
        counts[url] = len(small)

    factories.make_many_recommendations(late.report, 200)
    type(late).objects.filter(code__startswith="GEN-").update(
        due_on=TODAY - 3 * DAY, due_set_by="report", updated_at=timezone.now()
    )
    for url in urls:
        with django_assert_num_queries(counts[url], info=url):
            body = client.get(url).json()
    # Their latest grades (2008) that do not count as done, and SEC-1; SEC-3 still due soon.
    not_done = Evaluation.objects.filter(
        recommendation__code__startswith="GEN-", as_of="2008-01-15", grade__counts_as_done=False
    ).count()
    assert 0 < not_done < 200
    assert (body["overdue"], body["due_soon"]) == (1 + not_done, 1)


def test_the_search_filters_by_due_as_the_lists_do(late, client):
    search.rebuild()

    def found(due: str) -> list[str]:
        body = client.get(f"/api/v1/search/?q=recommendation&due={due}").json()
        return [row["recommendation"]["code"] for row in body["results"]]

    assert found("overdue") == ["SEC-1"]
    assert found("soon") == ["SEC-3"]
