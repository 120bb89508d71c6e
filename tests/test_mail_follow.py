"""Readers follow grades by e-mail: the form, confirmation, what each publishing round sends,
digests, one-click unsubscribe, managing subscriptions, and the limits that keep it from
being abused.

E-mails are sent by the worker's tasks; here the tasks are queued in memory and run
in-process when a test says so (`run_worker`), and mail lands in Django's test outbox.
tests/test_mail_worker.py runs the real worker process over the database queue, sending to
a real SMTP server.
"""

import datetime
import json
import re
import time
from io import StringIO

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from tests import factories
from tracker import housekeeping, services, subscriptions
from tracker.models import Evaluation, Frequency, GradeNotice, Status, Subscription

SITE = "https://scorecard.example.org"


@pytest.fixture(autouse=True)
def _site_and_queue(settings):
    settings.SITE_URL = SITE
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def run_worker() -> None:
    """Run every task in the queue whose time has come, as the worker would, in the order
    they were queued; a task queued for later (`run_after`) stays queued."""
    backend = task_backends["default"]
    while True:
        now = timezone.now()
        due = [r for r in backend.results if r.task.run_after is None or r.task.run_after <= now]
        if not due:
            return
        backend.results = [r for r in backend.results if all(r is not d for d in due)]
        for result in due:
            result.task.call(*result.args, **result.kwargs)


def follow(client, email, **scope):
    return client.post("/follow/", {"email": email, **scope})


def links(message) -> list[str]:
    return re.findall(r"https://\S+", message.body)


def confirmed(email, **scope) -> Subscription:
    return Subscription.objects.create(email=email, confirmed_at=timezone.now(), **scope)


def draft(recommendation, grade="done", as_of=datetime.date(2010, 1, 1)):
    return factories.make_evaluation(recommendation, grade, as_of, status=Status.DRAFT)


@pytest.fixture
def graded(recommendation):
    """SEC-1 graded Partial as of 2004; a draft regrading it Done as of 2010."""
    factories.make_evaluation(recommendation, "partial", datetime.date(2004, 4, 26))
    return draft(recommendation)


# --- The form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        ("/", ""),
        ("/reports/armitage-nye-2000/", 'type="hidden" name="report" value="{slug}"'),
        ("/reports/armitage-nye-2000/sec-1/", 'type="hidden" name="recommendation" value="{pk}"'),
    ],
)
def test_home_report_and_recommendation_pages_have_a_follow_form(
    client, recommendation, url, hidden
):
    page = client.get(url).content.decode()
    form = page[page.index('<form method="post" action="/follow/"') :]
    form = form[: form.index("</form>")]
    assert '<input id="follow-email" name="email" type="email"' in form
    assert form.count("<input") == (2 if hidden else 1)
    if hidden:
        assert hidden.format(pk=recommendation.pk, slug=recommendation.report.slug) in form


def test_following_sends_one_confirmation_and_nothing_else_until_confirmed(
    client, graded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = follow(client, "Reader@Example.org", recommendation=graded.recommendation_id)
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert mail.outbox == []  # the request sends nothing itself: the worker does
    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reader@example.org"]
    assert message.subject == "Confirm: follow grades on the Alliance Scorecard"
    assert "SEC-1 Recommendation 1" in message.body
    assert [kind for _, kind in message.alternatives] == ["text/html"]
    confirm = next(link for link in links(message) if "/follow/confirm/" in link)
    assert confirm.startswith(f"{SITE}/follow/confirm/")

    # Not confirmed: publishing sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=graded)
    run_worker()
    assert len(mail.outbox) == 1

    # Opening the link asks; pressing the button confirms.
    path = confirm.removeprefix(SITE)
    assert "Confirm" in client.get(path).content.decode()
    assert Subscription.objects.get().confirmed_at is None
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/follow/manage/")
    assert Subscription.objects.get().confirmed_at is not None


def test_a_confirmation_link_expires_after_a_week(client, db):
    subscription = Subscription.objects.create(email="late@example.org")
    salt = "tracker.subscriptions.confirm"
    payload = signing.b64_encode(
        json.dumps(
            {"e": "late@example.org", "s": [subscription.pk]}, separators=(",", ":")
        ).encode()
    ).decode()
    signed_at = int(time.time() - subscriptions.CONFIRMATION_MAX_AGE.total_seconds() - 60)
    expired = signing.Signer(salt=salt).sign(f"{payload}:{signing.b62_encode(signed_at)}")
    assert subscriptions.read_confirmation_token(expired) is None
    response = client.post(f"/follow/confirm/{expired}/")
    assert response.status_code == 400
    assert "it has expired" in response.content.decode()
    assert Subscription.objects.get().confirmed_at is None
    # The same, signed now, works.
    fresh = subscriptions.confirmation_token("late@example.org", [subscription.pk])
    assert client.post(f"/follow/confirm/{fresh}/").status_code == 302
    assert Subscription.objects.get().confirmed_at is not None


def test_the_answer_is_the_same_whether_or_not_the_address_follows(client, report):
    new = follow(client, "same@example.org", report=report.slug)
    pending = follow(client, "same@example.org", report=report.slug)
    Subscription.objects.filter(email="same@example.org").update(confirmed_at=timezone.now())
    already = follow(client, "same@example.org", report=report.slug)
    assert new.status_code == pending.status_code == already.status_code == 200
    assert new.content == pending.content == already.content


def test_at_most_one_confirmation_per_address_per_hour(
    client, report, recommendation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        follow(client, "hourly@example.org", report=report.slug)
        follow(client, "hourly@example.org", recommendation=recommendation.pk)
        follow(client, "hourly@example.org")
    run_worker()
    assert len(mail.outbox) == 1
    # An hour later, one more, which confirms all three.
    Subscription.objects.update(
        confirmation_sent_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    with django_capture_on_commit_callbacks(execute=True):
        follow(client, "hourly@example.org")
    run_worker()
    assert len(mail.outbox) == 2
    confirm = next(link for link in links(mail.outbox[1]) if "/follow/confirm/" in link)
    client.post(confirm.removeprefix(SITE))
    assert Subscription.objects.filter(confirmed_at__isnull=False).count() == 3


def test_bad_input_names_every_bad_field(client, db):
    response = client.post("/follow/", {"email": "not-an-address", "report": "no-such-report"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "E-mail address: Enter a valid email address." in page
    assert "Report: There is no report “no-such-report” to follow." in page
    assert Subscription.objects.count() == 0


def test_following_is_rate_limited_per_address_and_per_client(client, report, settings):
    settings.FOLLOW_RATE_ADDRESS = "2/hour"
    settings.FOLLOW_RATE_CLIENT = "3/hour"
    assert [follow(client, "many@example.org").status_code for _ in range(3)] == [200, 200, 429]
    other = Client(REMOTE_ADDR="192.0.2.7")
    codes = [follow(other, f"reader{n}@example.org").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


# --- What followers are sent ----------------------------------------------------------------


def test_publishing_tells_followers_what_changed_once_per_round(
    graded, django_capture_on_commit_callbacks
):
    recommendation = graded.recommendation
    confirmed("all@example.org")
    confirmed("report@example.org", report=recommendation.report)
    confirmed("rec@example.org", recommendation=recommendation)
    confirmed("other@example.org", report=factories.make_report())
    Subscription.objects.create(email="pending@example.org", recommendation=recommendation)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=graded)
    assert mail.outbox == []
    run_worker()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "all@example.org",
        "rec@example.org",
        "report@example.org",
    ]
    message = mail.outbox[0]
    assert message.subject == "SEC-1 Recommendation 1: Partial → Done"
    url = f"{SITE}/reports/armitage-nye-2000/sec-1/#evaluation-{graded.pk}"
    assert "SEC-1 Recommendation 1 (Report " in message.body
    assert "  Partial → Done\n" in message.body
    assert f"  Evaluator: {graded.evaluator.name}\n" in message.body
    assert "  As of: January 1, 2010\n" in message.body
    assert url in message.body
    html = message.alternatives[0][0]
    assert f'<a href="{url}">SEC-1 Recommendation 1</a>' in html
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(rf"<{SITE}/follow/unsubscribe/[^>\s]+/>", unsubscribe)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert any("/follow/manage/" in link for link in links(message))
    assert GradeNotice.objects.count() == 1


# Committed for real: each publish commits inside the action, as in production.
@pytest.mark.django_db(transaction=True)
def test_one_admin_action_publishing_several_grades_is_one_email(
    client, recommendation, publisher_user
):
    second = factories.make_recommendation(recommendation.report, code="SEC-2")
    drafts = [draft(recommendation, "done"), draft(second, "none")]
    confirmed("all@example.org")
    client.force_login(publisher_user)
    response = client.post(
        "/admin/tracker/evaluation/",
        {"action": "publish_selected", "_selected_action": [d.pk for d in drafts]},
    )
    assert response.status_code == 302
    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "2 grades published on the Alliance Scorecard"
    assert "  graded Done\n" in message.body
    assert "  graded No progress\n" in message.body


def test_a_corrected_grade_is_told_from_and_to(graded, django_capture_on_commit_callbacks):
    services.publish_evaluation(evaluation=graded)
    confirmed("rec@example.org", recommendation=graded.recommendation)
    graded.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_evaluation(
            evaluation=graded,
            expected_version=graded.version,
            changes={"narrative": "Reworded."},
        )
    run_worker()
    assert mail.outbox == []  # the grade did not change
    graded.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_evaluation(
            evaluation=graded,
            expected_version=graded.version,
            changes={"grade": factories.grade(graded.recommendation.report.grade_scale, "none")},
        )
    run_worker()
    assert [message.subject for message in mail.outbox] == [
        "SEC-1 Recommendation 1: Done → No progress"
    ]
    assert "  Corrected: Done → No progress\n" in mail.outbox[0].body


def test_a_published_not_rateable_evaluation_is_told_as_the_pages_tell_it(
    recommendation, django_capture_on_commit_callbacks
):
    confirmed("all@example.org")
    evaluation = draft(recommendation)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        grade=None, not_rateable_reason="The goal was never defined."
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=evaluation)
    run_worker()
    assert [m.subject for m in mail.outbox] == ["SEC-1 Recommendation 1: graded Not rateable"]


def test_a_grade_withdrawn_before_the_worker_runs_is_not_sent(
    graded, django_capture_on_commit_callbacks
):
    confirmed("all@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=graded)
    services.unpublish_evaluation(evaluation=graded)
    run_worker()
    assert mail.outbox == []


def test_digests_collect_what_was_published_in_their_period(
    graded, django_capture_on_commit_callbacks
):
    week_ago = timezone.now() - datetime.timedelta(days=8)
    daily = confirmed("daily@example.org")
    Subscription.objects.filter(pk=daily.pk).update(
        frequency=Frequency.DAILY, confirmed_at=timezone.now() - datetime.timedelta(hours=23)
    )
    weekly = confirmed("weekly@example.org", recommendation=graded.recommendation)
    Subscription.objects.filter(pk=weekly.pk).update(frequency=Frequency.WEEKLY)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=graded)
    run_worker()
    assert mail.outbox == []  # digest readers are not sent each round

    # The day is over (from cron here; tests/test_mail_worker.py: the worker on its own).
    Subscription.objects.filter(pk=daily.pk).update(confirmed_at=week_ago)
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert out.getvalue() == "Sent 1 digest(s); deleted 0 unconfirmed subscription(s).\n"
    assert [m.to for m in mail.outbox] == [["daily@example.org"]]
    assert mail.outbox[0].subject == "Daily digest: 1 grade published on the Alliance Scorecard"
    assert "  Partial → Done\n" in mail.outbox[0].body
    assert "List-Unsubscribe" in mail.outbox[0].extra_headers
    # Not due again for a day; the weekly one is due a week after confirmation.
    call_command("send_digests", stdout=StringIO())
    assert len(mail.outbox) == 1
    Subscription.objects.filter(pk=weekly.pk).update(confirmed_at=week_ago)
    call_command("send_digests", stdout=StringIO())
    assert [m.to for m in mail.outbox] == [["daily@example.org"], ["weekly@example.org"]]


def test_a_digest_claimed_by_one_sender_is_not_sent_by_another(
    graded, django_capture_on_commit_callbacks
):
    daily = confirmed("daily@example.org")
    week_ago = timezone.now() - datetime.timedelta(days=8)
    Subscription.objects.filter(pk=daily.pk).update(
        frequency=Frequency.DAILY, confirmed_at=week_ago
    )
    read_by_cron = subscriptions.due_digests(timezone.now())["daily@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=graded)
    run_worker()  # the worker's housekeeping: the day is over, the digest goes out
    assert [m.subject for m in mail.outbox] == [
        "Daily digest: 1 grade published on the Alliance Scorecard"
    ]
    # Cron, which read the digest as due before the worker sent it, cannot claim it.
    claimed = subscriptions.claim_digests(due=[s for s, _ in read_by_cron], now=timezone.now())
    assert claimed == []
    call_command("send_digests", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_housekeeping_is_queued_once_however_often_it_is_asked(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    queued = DBTaskResult.objects.filter(task_path="tracker.housekeeping.run", status="READY")
    housekeeping.schedule()
    housekeeping.schedule()
    assert queued.count() == 1
    in_an_hour = queued.get().run_after
    assert in_an_hour - timezone.now() > datetime.timedelta(minutes=59)
    # Asked for sooner (as a starting worker asks): one more, for now; then none again.
    housekeeping.schedule(at_most=timezone.now())
    housekeeping.schedule(at_most=timezone.now())
    assert queued.count() == 2
    assert queued.order_by("run_after").first().run_after <= timezone.now()


def test_unconfirmed_subscriptions_are_deleted_after_a_week(db):
    old = Subscription.objects.create(email="old@example.org")
    Subscription.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8),
        confirmation_sent_at=timezone.now() - datetime.timedelta(days=8),
    )
    Subscription.objects.create(email="new@example.org")
    kept = confirmed("kept@example.org")
    Subscription.objects.filter(pk=kept.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=30)
    )
    out = StringIO()
    call_command("delete_unconfirmed_subscriptions", stdout=out)
    assert out.getvalue() == "Deleted 1 unconfirmed subscription(s).\n"
    assert sorted(Subscription.objects.values_list("email", flat=True)) == [
        "kept@example.org",
        "new@example.org",
    ]


# --- Unsubscribing and managing -------------------------------------------------------------


def test_one_click_unsubscribe_is_a_post_without_csrf_token_but_with_the_signed_one(report):
    confirmed("leaving@example.org")
    confirmed("leaving@example.org", report=report)
    confirmed("staying@example.org")
    browserless = Client(enforce_csrf_checks=True)
    token = subscriptions.unsubscribe_token("leaving@example.org")
    # A mail scanner opening the link unsubscribes nobody.
    assert browserless.get(f"/follow/unsubscribe/{token}/").status_code == 200
    assert Subscription.objects.count() == 3
    forged = browserless.post(
        "/follow/unsubscribe/bGVhdmluZ0BleGFtcGxlLm9yZw:forged/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert forged.status_code == 400
    response = browserless.post(
        f"/follow/unsubscribe/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert list(Subscription.objects.values_list("email", flat=True)) == ["staying@example.org"]


def test_the_manage_page_changes_frequency_and_unsubscribes_each(client, report, recommendation):
    everything = confirmed("me@example.org")
    one = confirmed("me@example.org", recommendation=recommendation)
    confirmed("someone-else@example.org", report=report)
    path = f"/follow/manage/{subscriptions.manage_token('me@example.org')}/"
    page = client.get(path).content.decode()
    assert "me@example.org" in page
    assert "someone-else" not in page
    assert page.count('name="action" value="unsubscribe"') == 2
    change = {"action": "frequency", "subscription": one.pk, "frequency": "weekly"}
    assert client.post(path, change).status_code == 302
    assert Subscription.objects.get(pk=one.pk).frequency == Frequency.WEEKLY
    # Another address's subscription cannot be touched with this link.
    other = Subscription.objects.get(email="someone-else@example.org")
    client.post(path, {"action": "unsubscribe", "subscription": other.pk})
    assert Subscription.objects.filter(pk=other.pk).exists()
    client.post(path, {"action": "unsubscribe", "subscription": everything.pk})
    assert list(Subscription.objects.filter(email="me@example.org")) == [one]
    assert client.post(path, {**change, "frequency": "hourly"}).status_code == 400
    assert client.get("/follow/manage/not-a-token/").status_code == 400


# --- Privacy --------------------------------------------------------------------------------


def test_only_superusers_see_addresses_in_the_admin(client, editor_user, publisher_user, db):
    confirmed("private@example.org")
    for user in (editor_user, publisher_user):
        client.force_login(user)
        assert client.get("/admin/tracker/subscription/").status_code == 403
        assert "private@example.org" not in client.get("/admin/").content.decode()
    admin = factories.make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert "private@example.org" in client.get("/admin/tracker/subscription/").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/reports/armitage-nye-2000/export.csv",
        "/reports/armitage-nye-2000/export.json",
        "/reports/armitage-nye-2000/evaluations.csv",
        "/api/v1/reports/",
        "/api/v1/recommendations/",
        "/api/v1/evaluations/",
        "/api/schema/",
    ],
)
def test_addresses_appear_in_no_export_or_api_response(client, graded, url):
    confirmed("private@example.org", recommendation=graded.recommendation)
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"private@example.org" not in body
    assert b"subscription" not in body.lower()


def test_publishing_costs_the_same_queries_with_a_thousand_followers(
    recommendation, settings, django_capture_on_commit_callbacks
):
    """Publishing only enqueues (one row in the worker's queue): the followers are the
    worker's business, not the publisher's request's."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def queries_to_publish(as_of: datetime.date) -> list[str]:
        evaluation = draft(recommendation, as_of=as_of)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.publish_evaluation(evaluation=evaluation)
        return [query["sql"] for query in queries]

    with_none = queries_to_publish(datetime.date(2010, 1, 1))
    Subscription.objects.bulk_create(
        Subscription(email=f"reader{n}@example.org", confirmed_at=timezone.now())
        for n in range(1000)
    )
    with_a_thousand = queries_to_publish(datetime.date(2011, 1, 1))
    assert len(with_a_thousand) == len(with_none)
    assert DBTaskResult.objects.filter(task_path="tracker.mail_tasks.send_round").count() == 2
