"""Following and webhooks (issue 16): publishing with followers costs what it costs without
(the e-mails and webhooks are only enqueued), and the worker's deliveries per second.

1. Publishing one evaluation (`tracker.services.publish_evaluation` on a draft of the scale
   report, in this process) with no followers, and with 1,000 confirmed e-mail subscribers
   of that report and 50 enabled webhook endpoints subscribed to every event. The two
   states take turns; before each timed publish, untimed, the followers are created or
   deleted for its state, and after it the evaluation is put back to a draft through the
   ORM, so every publish starts from the same draft.
2. The worker (`manage.py run_worker`, a process of its own) draining N pending webhook
   deliveries to a receiver on loopback (a threaded http.server answering 204): the time
   from enqueueing its sweep to the last delivery recorded as delivered.

What the part writes (followers, endpoints, events, deliveries, queued tasks) is deleted
afterwards; the draft is a draft again (its version and history moved on).
"""

import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.data import SCALE_REPORT
from bench.measure import Line, Timed

ROOT = Path(__file__).resolve().parent.parent

SUBSCRIBERS = 1_000
ENDPOINTS = 50
PUBLISH_RATIO_AT_MOST = 1.2  # publishing with the followers: at most this times without
WORKER_EVENTS = 100  # the worker part: this many events ...
WORKER_ENDPOINTS = 10  # ... each delivered to this many endpoints
WORKER_INTERVAL_SECONDS = "0.1"  # how often the idle worker looks for a task
WORKER_TIMEOUT_SECONDS = 300
BENCH_EMAIL_DOMAIN = "bench-followers.example.org"
BENCH_OWNER = "bench-webhooks"


def _owner():
    from django.contrib.auth import get_user_model

    owner, _ = get_user_model().objects.get_or_create(username=BENCH_OWNER)
    return owner


def _draft():
    from tracker.models import Evaluation, Status

    draft = (
        Evaluation.objects.filter(status=Status.DRAFT, recommendation__report__slug=SCALE_REPORT)
        .order_by("pk")
        .first()
    )
    if draft is None:
        raise SystemExit(f"The scale report {SCALE_REPORT} has no draft evaluation to publish.")
    return draft


class Followers:
    """The followers of the scale report, present or absent."""

    def __init__(self) -> None:
        from tracker.models import Report

        self.report = Report.objects.get(slug=SCALE_REPORT)
        self.owner = _owner()

    def add(self) -> None:
        from django.utils import timezone

        from tracker.subscription_models import Frequency, Subscription
        from tracker.webhook_delivery import new_secret
        from tracker.webhook_models import SUBSCRIBABLE, WebhookEndpoint

        now = timezone.now()
        Subscription.objects.bulk_create(
            Subscription(
                email=f"reader-{n}@{BENCH_EMAIL_DOMAIN}",
                report=self.report,
                frequency=Frequency.EACH_ROUND,
                confirmed_at=now,
            )
            for n in range(SUBSCRIBERS)
        )
        WebhookEndpoint.objects.bulk_create(
            WebhookEndpoint(
                owner=self.owner,
                url=f"https://hooks-{n}.example.com/scorecard",
                events=list(SUBSCRIBABLE),
                secret=new_secret(),
            )
            for n in range(ENDPOINTS)
        )

    def remove(self) -> None:
        from tracker.subscription_models import Subscription
        from tracker.webhook_models import WebhookEndpoint

        Subscription.objects.filter(email__endswith=f"@{BENCH_EMAIL_DOMAIN}").delete()
        WebhookEndpoint.objects.filter(owner=self.owner).delete()


def _cleanup(since) -> None:
    """Delete the events and queued tasks made since `since` (this part's)."""
    from django_tasks_db.models import DBTaskResult

    from tracker.webhook_models import WebhookEvent

    WebhookEvent.objects.filter(occurred_at__gte=since).delete()
    DBTaskResult.objects.filter(enqueued_at__gte=since).delete()


def publish_lines(reps: int, warmups: int = 3) -> list[Line]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tracker import services
    from tracker.models import Evaluation, Status

    started_at = timezone.now()
    followers = Followers()
    followers.remove()
    draft = _draft()
    states = {"none": followers.remove, "followed": followers.add}
    timed = {name: Timed() for name in states}
    queries: dict[str, int] = {}

    def publish() -> None:
        services.publish_evaluation(evaluation=Evaluation.objects.get(pk=draft.pk))

    def back_to_draft() -> None:
        Evaluation.objects.filter(pk=draft.pk).update(status=Status.DRAFT, published_at=None)

    try:
        for rep in range(warmups + reps + 1):
            for name, prepare in states.items():
                prepare()
                if rep == warmups + reps:  # the last turn: counted, not timed
                    with CaptureQueriesContext(connection) as captured:
                        publish()
                    queries[name] = len(captured)
                else:
                    began = time.perf_counter()
                    publish()
                    took = (time.perf_counter() - began) * 1000
                    if rep >= warmups:
                        timed[name].samples.append(took)
                back_to_draft()
    finally:
        back_to_draft()
        followers.remove()
        _cleanup(started_at)

    none, followed = timed["none"], timed["followed"]
    lines = [
        Line(
            "publishing an evaluation, no followers",
            median_ms=none.median,
            p95_ms=none.p95,
            queries=queries["none"],
        ),
        Line(
            f"publishing an evaluation, {SUBSCRIBERS:,} subscribers + {ENDPOINTS} webhooks",
            median_ms=followed.median,
            p95_ms=followed.p95,
            queries=queries["followed"],
        ),
    ]
    ratio = followed.median / none.median
    lines[1].check(
        f"≤ {PUBLISH_RATIO_AT_MOST:g}× publishing without followers",
        ratio <= PUBLISH_RATIO_AT_MOST,
        f"{ratio:.2f}×",
    )
    lines[1].check(
        "the same query count as without followers",
        queries["followed"] == queries["none"],
        f"{queries['none']} and {queries['followed']}",
    )
    return lines


# --- The worker -----------------------------------------------------------------------------


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver on loopback: reads each POST and answers 204."""

    daemon_threads = True

    def __init__(self) -> None:
        self.received = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)


class _ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()
        with self.server.lock:
            self.server.received += 1

    def log_message(self, format, *args) -> None:
        pass


def _wait(condition, what: str, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while not condition():
        if worker.poll() is not None:
            raise SystemExit(f"The worker exited ({worker.returncode}) while {what}.")
        if time.monotonic() > deadline:
            raise SystemExit(f"The worker took over {WORKER_TIMEOUT_SECONDS}s {what}.")
        time.sleep(0.02)


def worker_line() -> Line:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from tracker import webhook_delivery
    from tracker.webhook_delivery import new_message_id, new_secret
    from tracker.webhook_models import (
        DeliveryStatus,
        EventType,
        WebhookDelivery,
        WebhookEndpoint,
        WebhookEvent,
    )

    started_at = timezone.now()
    owner = _owner()
    WebhookEndpoint.objects.filter(owner=owner).delete()
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = receiver.server_address[1]
    environment = {**os.environ, "WEBHOOKS_ALLOW_LOOPBACK": "1"}
    worker = subprocess.Popen(  # noqa: S603 -- our own command
        [
            sys.executable,
            "manage.py",
            "run_worker",
            "--interval",
            WORKER_INTERVAL_SECONDS,
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The worker queues a sweep as it starts: wait until it has run it and is idle.
        tasks = DBTaskResult.objects.filter(enqueued_at__gte=started_at)
        _wait(
            lambda: tasks.exists() and not tasks.filter(status__in=("READY", "RUNNING")).exists(),
            "starting",
            worker,
        )
        endpoints = WebhookEndpoint.objects.bulk_create(
            WebhookEndpoint(
                owner=owner,
                url=f"http://127.0.0.1:{port}/hook/{n}",
                events=[EventType.EVALUATION_PUBLISHED],
                secret=new_secret(),
            )
            for n in range(WORKER_ENDPOINTS)
        )
        now = timezone.now()
        events = WebhookEvent.objects.bulk_create(
            WebhookEvent(
                type=EventType.EVALUATION_PUBLISHED,
                occurred_at=now,
                body='{"type":"evaluation.published","data":{"bench":%d}}' % n,  # noqa: UP031
                fanned_out=True,
            )
            for n in range(WORKER_EVENTS)
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                message_id=new_message_id(),
                event=event,
                endpoint=endpoint,
                next_attempt_at=now,
            )
            for event in events
            for endpoint in endpoints
        )
        total = len(deliveries)
        mine = WebhookDelivery.objects.filter(endpoint__owner=owner)
        began = time.perf_counter()
        webhook_delivery.send_due.enqueue()
        _wait(lambda: not mine.filter(status=DeliveryStatus.PENDING).exists(), "delivering", worker)
        took = time.perf_counter() - began
        delivered = mine.filter(status=DeliveryStatus.DELIVERED).count()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        receiver.shutdown()
        receiver.server_close()
        WebhookEndpoint.objects.filter(owner=owner).delete()
        _cleanup(started_at)
    line = Line(
        f"worker: {total:,} webhook deliveries to a loopback receiver",
        median_ms=took * 1000,
        deliveries_per_s=total / took,
        errors=total - delivered,
    )
    line.check(
        "every delivery delivered, and received once",
        delivered == total and receiver.received == total,
        f"{delivered:,} delivered, {receiver.received:,} received of {total:,}",
    )
    return line


def notify_lines(reps: int, step) -> list[Line]:
    step("Publishing with and without followers")
    lines = publish_lines(reps)
    step("The worker delivering webhooks")
    lines.append(worker_line())
    return lines
