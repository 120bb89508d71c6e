"""Nothing is lost: the real worker process (`manage.py run_worker`) against a real HTTP
receiver on loopback. Short retry and timeout settings keep each test to seconds: the
receiver is down for a few retries rather than two minutes, which is the same path."""

import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests import factories
from tests.api_support import make_draft, publish_new
from tests.webhook_support import Receiver
from tracker import services, webhooks
from tracker.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = ["evaluation.published", "evaluation.changed", "evaluation.withdrawn"]


@pytest.fixture
def worker_env(transactional_db, tmp_path, settings) -> Iterator[dict[str, str]]:
    """The environment of a worker process that shares this test's database.

    PostgreSQL: the test database, by name. SQLite: the test database lives in memory, where
    no other process reaches it, so this test moves to a file copy of it (and back after).
    """
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "WEBHOOKS_ALLOW_LOOPBACK": "1",
        "WEBHOOKS_RETRY_FIRST_SECONDS": "1",
        "WEBHOOKS_TIMEOUT_SECONDS": "1",
    }
    database = connection.settings_dict
    if connection.vendor != "sqlite":
        url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = url._replace(path=f"/{database['NAME']}").geturl()
        yield env
        return
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    in_memory, name = connection.connection, database["NAME"]
    # Closing the in-memory database would drop it: keep its connection aside.
    connection.connection = None
    database["NAME"] = str(path)
    env["DATABASE_URL"] = f"sqlite:///{path}"
    try:
        yield env
    finally:
        connection.close()
        database["NAME"] = name
        connection.connection = in_memory


@pytest.fixture
def start_worker(worker_env, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(started)}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_worker",
                "--interval=0.1",
                "--no-startup-delay",
                "--no-reload",
            ],
            cwd=Path(django_settings.BASE_DIR),
            env={**worker_env, **overrides},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.released.set()
    receiver.stop()


def _world(receiver: Receiver):
    report = factories.make_report("worker-report")
    recommendations = [factories.make_recommendation(report) for _ in range(4)]
    owner = factories.make_user("hooked", role="partner")
    endpoint = webhooks.create_endpoint(user=owner, url=receiver.url, events=EVENTS)
    return report, recommendations, endpoint


def _until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.05)


def test_every_event_is_delivered_once_the_receiver_is_back(start_worker, receiver):
    _, recommendations, endpoint = _world(receiver)
    receiver.stop()  # down
    start_worker()
    published = [publish_new(recommendation) for recommendation in recommendations[:3]]
    # Every delivery was tried and failed (connection refused), and is waiting to retry.
    _until(lambda: WebhookDelivery.objects.filter(attempts__gte=2).count() == 3)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}

    receiver.start()  # back, on the same port
    got = receiver.wait_for(3)
    _until(lambda: WebhookDelivery.objects.filter(status="delivered").count() == 3)

    payloads = [item.verified(endpoint.secret) for item in got]
    assert sorted(payload["data"]["id"] for payload in payloads) == sorted(
        evaluation.pk for evaluation in published
    )
    assert sorted(item.message_id for item in got) == sorted(
        WebhookDelivery.objects.values_list("message_id", flat=True)
    )
    time.sleep(0.5)
    assert len(receiver.received) == 3  # each once


def test_a_worker_killed_mid_delivery_delivers_after_it_restarts(start_worker, receiver):
    _, recommendations, endpoint = _world(receiver)
    receiver.hang.set()
    worker = start_worker(WEBHOOKS_TIMEOUT_SECONDS="2")
    evaluation = publish_new(recommendations[0])
    receiver.wait_for(1, answered=False)
    worker.send_signal(signal.SIGKILL)  # in the middle of the request
    worker.wait(10)
    receiver.hang.clear()
    receiver.released.set()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 0)

    start_worker(WEBHOOKS_TIMEOUT_SECONDS="1")
    _until(lambda: WebhookDelivery.objects.get().status == "delivered")

    delivery.refresh_from_db()
    assert delivery.attempts == 1
    # The same message both times: the receiver de-duplicates on webhook-id.
    assert [item.message_id for item in receiver.received] == [delivery.message_id] * 2
    assert receiver.received[-1].verified(endpoint.secret)["data"]["id"] == evaluation.pk


def test_a_hanging_receiver_does_not_slow_publishing(start_worker, receiver):
    _, recommendations, _ = _world(receiver)
    receiver.hang.set()
    start_worker(WEBHOOKS_TIMEOUT_SECONDS="5")
    first = publish_new(recommendations[0])
    receiver.wait_for(1, answered=False)  # the worker is stuck in a request now

    times = []
    for recommendation in recommendations[1:]:
        started = time.monotonic()
        evaluation = publish_new(recommendation)
        services.unpublish_evaluation(evaluation=evaluation)
        times.append(time.monotonic() - started)
    # Sending in the request would have waited for the receiver's timeout (5 s) each time.
    assert max(times) < 2, times
    assert WebhookEvent.objects.count() == 1 + 2 * len(times)
    assert receiver.received[0].payload["data"]["id"] == first.pk


def test_a_draft_never_causes_a_webhook(start_worker, receiver):
    report, recommendations, endpoint = _world(receiver)
    start_worker()
    draft = make_draft(report)
    services.update_evaluation(
        evaluation=draft, expected_version=draft.version, changes={"wording": "Draft again"}
    )
    services.add_evidence(evaluation=draft, evidence=[{"source": factories.make_source()}])
    services.delete_evaluation(evaluation=draft)
    published = publish_new(recommendations[1])

    (got,) = receiver.wait_for(1)
    time.sleep(0.5)
    assert len(receiver.received) == 1
    payload = got.verified(endpoint.secret)
    assert (payload["type"], payload["data"]["id"]) == ("evaluation.published", published.pk)
    assert "DRAFT-MARKER" not in got.body.decode()
    assert list(WebhookEvent.objects.values_list("type", flat=True)) == ["evaluation.published"]
    assert datetime.datetime.fromisoformat(payload["timestamp"]) <= datetime.datetime.now(
        datetime.UTC
    )
