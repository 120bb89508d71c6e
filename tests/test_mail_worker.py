"""End to end with real parts: the worker process (`manage.py db_worker`) takes the e-mails
off the database queue and sends them to a real SMTP server on loopback (aiosmtpd), which
this test starts. A reader follows, confirms from the e-mail, a grade is published and a
draft is saved: the reader receives the confirmation and one e-mail about the grade, and
nothing about the draft.
"""

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SITE = "https://scorecard.example.org"

SETUP = """
import datetime, django
django.setup()
from tests import factories
from tracker import mail_tasks
from tracker.models import Status
scale = factories.make_scale("progress")
report = factories.make_report("armitage-nye-2000", scale)
recommendation = factories.make_recommendation(report, code="SEC-1")
factories.make_evaluation(recommendation, "partial", datetime.date(2004, 4, 26))
draft = factories.make_evaluation(
    recommendation, "done", datetime.date(2010, 1, 1), status=Status.DRAFT
)
mail_tasks.request_subscription(email="reader@example.org", recommendation=recommendation)
print(draft.pk)
"""

CONFIRM_AND_PUBLISH = """
import datetime, sys, django
django.setup()
from django.test import Client
from tests import factories
from tracker import services
from tracker.models import Evaluation, Recommendation, Status
confirmed = Client().post(sys.argv[1])
assert confirmed.status_code == 302, confirmed.status_code
services.publish_evaluation(evaluation=Evaluation.objects.get(pk=int(sys.argv[2])))
# A draft saved afterwards: it must never cause an e-mail.
factories.make_evaluation(
    Recommendation.objects.get(code="SEC-1"), "none", datetime.date(2011, 1, 1),
    status=Status.DRAFT, narrative="UNPUBLISHED-DRAFT-NARRATIVE",
)
"""


DIGEST_SETUP = """
import datetime, django
django.setup()
from django.utils import timezone
from tests import factories
from tracker import services
from tracker.models import Frequency, Status, Subscription
scale = factories.make_scale("progress")
report = factories.make_report("armitage-nye-2000", scale)
recommendation = factories.make_recommendation(report, code="SEC-1")
factories.make_evaluation(recommendation, "partial", datetime.date(2004, 4, 26))
draft = factories.make_evaluation(
    recommendation, "done", datetime.date(2010, 1, 1), status=Status.DRAFT
)
# A daily digest reader whose day ends in a few seconds.
day_ends = timezone.now() + datetime.timedelta(seconds=10)
Subscription.objects.create(
    email="daily@example.org",
    frequency=Frequency.DAILY,
    confirmed_at=day_ends - datetime.timedelta(days=1),
)
# Asked eight days ago, never confirmed: deleted by the worker.
stale = Subscription.objects.create(email="never@example.org")
eight_days_ago = timezone.now() - datetime.timedelta(days=8)
Subscription.objects.filter(pk=stale.pk).update(
    created_at=eight_days_ago, confirmation_sent_at=eight_days_ago
)
# Webhook deliveries of long ago: the delivered one is pruned, the failed one kept.
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
endpoint = WebhookEndpoint.objects.create(
    owner=factories.make_user("partner", role="partner"),
    url="https://hooks.example.org/",
    secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    events=["edition.published"],
)
long_ago = timezone.now() - datetime.timedelta(days=100)
for status in ("delivered", "failed"):
    event = WebhookEvent.objects.create(
        type="evaluation.published", occurred_at=long_ago, body="{}", fanned_out=True
    )
    delivery = WebhookDelivery.objects.create(
        message_id=f"msg_{status}", event=event, endpoint=endpoint, status=status
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=long_ago, delivered_at=long_ago if status == "delivered" else None
    )
services.publish_evaluation(evaluation=draft)
print(day_ends.timestamp())
"""

AFTERWARDS = """
import django
django.setup()
from django_tasks_db.models import DBTaskResult
from tracker import housekeeping
from tracker.models import Subscription
print(sorted(Subscription.objects.values_list("email", flat=True)))
print(DBTaskResult.objects.filter(task_path=housekeeping.run.module_path, status="READY").count())
from tracker.models import WebhookDelivery, WebhookEvent
print(sorted(WebhookDelivery.objects.values_list("message_id", flat=True)))
print(WebhookEvent.objects.filter(type="evaluation.published").count())
"""


class Inbox:
    """What the SMTP server received: (recipients, parsed message) in order."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.arrived: list[float] = []  # when each came (time.time())

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        self.arrived.append(time.time())
        return "250 Message accepted"

    def wait_for(self, count: int, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.received) >= count, f"{len(self.received)} e-mails, expected {count}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _database_url(tmp_path: Path, env: dict[str, str]) -> str:
    """The test database itself on PostgreSQL; a migrated SQLite file otherwise (the
    suite's SQLite database lives in memory, where another process cannot see it)."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url},
        check=True,
    )
    return url


def _environment(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="scorecard.settings",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SITE_URL=SITE,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        PYTHONPATH=str(ROOT),
    )
    return env


def _run(script: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_sends_the_confirmation_and_one_email_per_round(smtp_server, tmp_path):
    inbox, port = smtp_server
    env = _environment(port)
    env["DATABASE_URL"] = _database_url(tmp_path, env)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        draft_id = _run(SETUP, env)
        inbox.wait_for(1)
        recipients, confirmation = inbox.received[0]
        assert recipients == ["reader@example.org"]
        assert confirmation["Subject"] == "Confirm: follow grades on the Alliance Scorecard"
        text = confirmation.get_body(("plain",)).get_content()
        confirm = re.search(rf"{SITE}(/follow/confirm/\S+/)", text).group(1)

        _run(CONFIRM_AND_PUBLISH, env, confirm, draft_id)
        inbox.wait_for(2)
        time.sleep(3)  # time for anything else the worker might (wrongly) send
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=30)

    assert len(inbox.received) == 2, errors
    recipients, notice = inbox.received[1]
    assert recipients == ["reader@example.org"]
    assert notice["Subject"] == "SEC-1 Recommendation 1: Partial → Done"
    assert re.fullmatch(
        rf"<{SITE}/follow/unsubscribe/[^>\s]+/>", notice["List-Unsubscribe"].strip()
    )
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert notice.get_content_type() == "multipart/alternative"
    text = notice.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = notice.get_body(("html",)).get_content()
    assert "  Partial → Done\n" in text
    assert "  As of: January 1, 2010\n" in text
    assert f"{SITE}/reports/armitage-nye-2000/sec-1/#evaluation-{draft_id}" in text
    assert f"{SITE}/follow/manage/" in html
    assert all("UNPUBLISHED" not in m.as_string() for _, m in inbox.received)


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_a_digest_when_its_day_ends_and_cleans_up_with_no_cron(
    smtp_server, tmp_path
):
    """`manage.py run_worker` (what `make run` and docker-compose start), nothing else: the
    daily digest goes out when the reader's day is over, not before, the subscription
    left unconfirmed for a week is deleted, and a webhook delivered long ago is pruned."""
    inbox, port = smtp_server
    env = _environment(port)
    env["DATABASE_URL"] = _database_url(tmp_path, env)
    day_ends = float(_run(DIGEST_SETUP, env))
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_worker",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not inbox.received and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # time for anything else the worker might (wrongly) send
        emails, queued, deliveries, old_events = _run(AFTERWARDS, env).splitlines()
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=30)

    assert len(inbox.received) == 1, errors
    assert inbox.arrived[0] >= day_ends
    recipients, digest = inbox.received[0]
    assert recipients == ["daily@example.org"]
    assert digest["Subject"] == "Daily digest: 1 grade published on the Alliance Scorecard"
    assert "  Partial → Done\n" in digest.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert re.fullmatch(
        rf"<{SITE}/follow/unsubscribe/[^>\s]+/>", digest["List-Unsubscribe"].strip()
    )
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert emails == "['daily@example.org']"
    assert queued == "1"  # the next run, queued once
    # Pruned by the worker too: the delivery of long ago and its event; not the failed one.
    assert deliveries == "['msg_failed']"
    assert old_events == "2"  # the failed delivery's, and the one just published
