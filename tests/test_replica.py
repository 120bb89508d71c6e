"""DATABASE_REPLICA_URL: reads on a streaming replica, a client's own writes read back on the
primary, and reads going on (on the primary) while the replica is stopped
(scorecard/routers.py). On the PostgreSQL primary and replica of `bin/with-postgres
--replica` (make test's PostgreSQL pass); the requests are made by a process of their own
configured with the replica, as a node is."""

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.api_support import make_account, token_for

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("SCORECARD_PG_REPLICA_URL"),
        reason="needs the replica of bin/with-postgres --replica (make test's PostgreSQL pass)",
    ),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parent.parent
MARK = "Replicated-source-marker"

# A node: reads requests (JSON lines) on stdin, answers each with what it got and which
# server ran its queries. Clients keep their cookies, as browsers do.
NODE = """
import json, sys, time
import django
django.setup()
from django.db import connections
from django.test import Client

counts = {"default": 0, "replica": 0}
def counter(alias):
    def count(execute, sql, params, many, context):
        counts[alias] += 1
        return execute(sql, params, many, context)
    return count
for alias in counts:
    connections[alias].execute_wrappers.append(counter(alias))

def cut_once(execute, sql, params, many, context):
    # The replica's server ends this connection after its health check passed, as a replica
    # stopped in the middle of a request does.
    connections["replica"].execute_wrappers.remove(cut_once)
    import psycopg2
    pid = context["connection"].connection.info.backend_pid
    with psycopg2.connect(**connections["replica"].get_connection_params()) as other:
        other.cursor().execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)
    return execute(sql, params, many, context)

clients = {}
for line in sys.stdin:
    asked = json.loads(line)
    if asked.get("cut_replica"):
        connections["replica"].execute_wrappers.insert(0, cut_once)
    client = clients.setdefault(
        asked["client"], Client(raise_request_exception=False, **asked.get("headers", {}))
    )
    if asked.get("cookie"):
        client.cookies["scorecard_wrote"] = asked["cookie"]
    before = dict(counts)
    started = time.monotonic()
    if asked["method"] == "POST":
        answer = client.post(asked["path"], asked["data"], content_type="application/json")
    else:
        answer = client.get(asked["path"])
    print(json.dumps({
        "status": answer.status_code,
        "body": answer.content.decode(),
        "primary": counts["default"] - before["default"],
        "replica": counts["replica"] - before["replica"],
        "seconds": time.monotonic() - started,
    }), flush=True)
"""


def _database_url(url: str) -> str:
    """`url` with the test database's name (the replica holds every database)."""
    return url.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]


class Node:
    def __init__(self, **extra: str):
        s = connection.settings_dict
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DRF_"))}
        env.update(
            DATABASE_URL=f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
            DATABASE_REPLICA_URL=_database_url(os.environ["SCORECARD_PG_REPLICA_URL"]),
            DJANGO_SETTINGS_MODULE="scorecard.settings",
            DJANGO_SECRET_KEY="x" * 50,
            DJANGO_ALLOWED_HOSTS="testserver",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_SECURE_COOKIES="0",
            DRF_THROTTLE_ANON="1000000/minute",
            DRF_THROTTLE_PARTNER="1000000/minute",
            PYTHONPATH=str(ROOT),
        )
        env.update(extra)
        self.process = subprocess.Popen(
            [sys.executable, "-c", NODE],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, client: str, path: str, **more) -> dict:
        self.process.stdin.write(
            json.dumps({"client": client, "path": path, "method": "GET", **more}) + "\n"
        )
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the node process ended"
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0


@pytest.fixture
def node():
    nodes = []

    def start(**extra: str) -> Node:
        nodes.append(Node(**extra))
        return nodes[-1]

    yield start
    for started in nodes:
        started.close()


def _replica_sql(sql: str) -> list:
    with psycopg2.connect(_database_url(os.environ["SCORECARD_PG_REPLICA_URL"])) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []


def _wait_until(check, seconds: float) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started


def _replica_server():
    """bin/with-postgres's handle on the replica, to stop and start it with its options."""
    loader = importlib.machinery.SourceFileLoader("with_postgres", str(ROOT / "bin/with-postgres"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    server = module.Server(
        Path(os.environ["SCORECARD_PG_BIN"]),
        Path(os.environ["SCORECARD_PG_REPLICA_DATA"]),
        Path(os.environ["SCORECARD_PG_RUN_DIR"]),
        "replica.log",
    )
    server.port = int(os.environ["SCORECARD_PG_REPLICA_PORT"])
    return server


def test_reads_are_answered_by_the_replica_with_the_replicated_data(demo, node):
    assert _replica_sql("SELECT pg_is_in_recovery()") == [(True,)]
    _wait_until(lambda: _replica_sql("SELECT count(*) FROM tracker_report") == [(2,)], 5)

    answer = node().ask("reader", "/api/v1/reports/")

    assert answer["status"] == 200
    titles = sorted(report["short_name"] for report in json.loads(answer["body"])["results"])
    assert len(titles) == 2
    # On the primary only the writes: the rate limit's count and the kept response.
    assert (answer["primary"], answer["replica"] > 0) == (2, True)


def test_a_client_reads_its_own_writes_while_the_replica_lags(demo, node):
    token = token_for(make_account("editor"))
    writer = {"HTTP_AUTHORIZATION": f"Token {token}"}
    one = node(DATABASE_REPLICA_STICKY_SECONDS="2")
    one.ask("writer", "/api/v1/sources/", headers=writer)  # the client exists, no cookie yet
    _replica_sql("SELECT pg_wal_replay_pause()")
    try:
        wrote = one.ask("writer", "/api/v1/sources/", method="POST", data={"title": MARK})
        own = one.ask("writer", f"/api/v1/sources/?q={MARK}")
        other = one.ask("other", "/api/v1/sources/", headers=writer)
        forged = one.ask("forger", "/api/v1/sources/", headers=writer, cookie="1")
    finally:
        _replica_sql("SELECT pg_wal_replay_resume()")

    assert wrote["status"] == 201
    assert (own["status"], MARK in own["body"], own["replica"]) == (200, True, 0)
    # Others read the replica, which had not replayed the write; an unsigned cookie is ignored.
    assert (other["status"], MARK in other["body"], other["replica"] > 0) == (200, False, True)
    assert (forged["status"], MARK in forged["body"], forged["replica"] > 0) == (200, False, True)
    # Replayed, the write reaches every reader within the documented bound (2 s).
    _wait_until(lambda: MARK in one.ask("other", "/api/v1/sources/")["body"], 2)
    # And the writer is back on the replica once the sticky time is over.
    time.sleep(2.1)
    later = one.ask("writer", "/api/v1/sources/")
    assert (MARK in later["body"], later["replica"] > 0) == (True, True)


def test_reads_go_on_on_the_primary_while_the_replica_is_stopped(demo, node):
    one = node()
    before = one.ask("reader", "/api/v1/reports/")
    replica = _replica_server()
    replica.stop()
    try:
        during = [one.ask("reader", path) for path in ["/api/v1/reports/", "/", "/feed/"] * 3]
    finally:
        replica.start()

    assert (before["status"], before["replica"] > 0) == (200, True)
    assert [answer["status"] for answer in during] == [200] * 9
    assert during[0]["body"] == before["body"]
    assert all(answer["replica"] == 0 for answer in during)
    # The replica away costs one failed connection, not a timeout per request.
    assert sum(answer["seconds"] for answer in during) < 5
    # Tried again after REPLICA_RETRY_SECONDS (5 s): reads go back to it.
    time.sleep(5.2)
    back = one.ask("reader", "/api/v1/reports/")
    assert (back["status"], back["replica"] > 0) == (200, True)


def test_a_read_whose_replica_fails_midway_is_answered_on_the_primary(demo, node):
    one = node()
    before = one.ask("reader", "/api/v1/sources/")

    cut = one.ask("reader", "/api/v1/sources/", cut_replica=True)
    after = one.ask("reader", "/api/v1/sources/")

    assert (before["status"], before["replica"] > 0) == (200, True)
    # The replica's connection died after its health check: the same answer, from the primary.
    assert (cut["status"], cut["body"]) == (200, before["body"])
    assert cut["primary"] > 0
    # And the replica is left alone for a while rather than tried by every request.
    assert (after["status"], after["replica"]) == (200, 0)
