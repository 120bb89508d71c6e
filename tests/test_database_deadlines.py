"""A database that stops answering is a 503 within seconds, and the service recovers alone.

PostgreSQL only: these tests pause the private server of bin/with-postgres (SIGSTOP to the
postmaster and every backend, as a frozen machine would be) and always resume it. A paused
server still has the kernel acknowledge what is sent to it, so only the client-side
deadline (scorecard/postgresql/) can end the wait. Before it, requests waited until
gunicorn killed its workers.
"""

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg2
import pytest
from django.db import OperationalError, close_old_connections, connection, connections
from django.test import Client

from scorecard.postgresql import base as bounded
from soak.outages import Pause
from tests import factories

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("SCORECARD_PG_DATA")
        or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="pauses the private PostgreSQL of bin/with-postgres (make test's PostgreSQL pass)",
    ),
    pytest.mark.django_db(transaction=True),  # the test's connection is the one cut
]

QUERY_TIMEOUT = 1  # seconds: statement_timeout; the client waits one second more
CONNECT_TIMEOUT = 2  # libpq's least


@contextmanager
def paused_database() -> Iterator[None]:
    processes = Pause.processes()  # the soak's own list of PostgreSQL's processes
    stopped = []
    try:
        for pid in processes:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield
    finally:
        for pid in reversed(stopped):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


@pytest.fixture
def short_timeouts():
    """Shorter bounds than the defaults (5 s, 3 s), so the test takes seconds; the next
    connection is made with them."""
    options = connection.settings_dict["OPTIONS"]
    kept = dict(options)
    options.update(query_timeout=QUERY_TIMEOUT, connect_timeout=CONNECT_TIMEOUT)
    connection.close()
    bounded._unreachable_until.clear()
    yield
    connection.close()
    options.clear()
    options.update(kept)
    bounded._unreachable_until.clear()


def served(client: Client, path: str) -> tuple[int, float, str | None]:
    """A request as a server handles it: connections checked before it and closed after
    if broken (the test client skips both)."""
    started = time.monotonic()
    close_old_connections()
    response = client.get(path)
    close_old_connections()
    return response.status_code, time.monotonic() - started, response.get("Retry-After")


def test_requests_to_a_paused_database_get_503_within_seconds_and_then_recover(short_timeouts):
    factories.make_report("armitage-nye-2000", factories.make_scale("progress"))
    client = Client(raise_request_exception=False)
    connection.settings_dict["CONN_MAX_AGE"], kept_age = (
        60,
        connection.settings_dict["CONN_MAX_AGE"],
    )
    try:
        assert served(client, "/api/v1/reports/")[0] == 200  # a kept, healthy connection
        with paused_database():
            # The kept connection fails its health check (1 s); connecting anew times out.
            status, took, retry = served(client, "/api/v1/reports/")
            assert (status, retry) == (503, "5")
            assert took < bounded.HEALTH_CHECK_SECONDS + CONNECT_TIMEOUT + 1.5
            # Right after a failed connection the worker answers at once.
            status, took, retry = served(client, "/reports/armitage-nye-2000/")
            assert (status, retry) == (503, "5")
            assert took < 0.5
            time.sleep(bounded.RECONNECT_PAUSE_SECONDS)
            status, took, retry = served(client, "/api/v1/reports/")
            assert (status, retry) == (503, "5")
            assert took < CONNECT_TIMEOUT + 1.5
        time.sleep(bounded.RECONNECT_PAUSE_SECONDS)
        status, took, _ = served(client, "/api/v1/reports/")
        assert status == 200
        assert took < 2
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = kept_age


def test_a_query_on_a_live_connection_is_cut_at_its_deadline(short_timeouts):
    connection.ensure_connection()
    with paused_database():
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tracker_report")
        took = time.monotonic() - started
    assert QUERY_TIMEOUT + 1 <= took < QUERY_TIMEOUT + 2
    assert str(raised.value) == (
        "The database did not answer within 2 seconds; the connection to it was closed."
    )
    connection.close()
    with connection.cursor() as cursor:  # and the next connection works
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_lock_wait_is_cancelled_by_the_server_and_the_connection_stays(short_timeouts):
    report = factories.make_report("armitage-nye-2000", factories.make_scale("progress"))
    settings = connection.settings_dict
    holder = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT 1 FROM tracker_report WHERE id = %s FOR UPDATE", [report.pk])
        connection.close()
        started = time.monotonic()
        cancelled = pytest.raises(OperationalError, match="canceling statement due to statement")
        with cancelled, connection.cursor() as cursor:
            cursor.execute("UPDATE tracker_report SET title = 'x' WHERE id = %s", [report.pk])
        assert QUERY_TIMEOUT <= time.monotonic() - started < QUERY_TIMEOUT + 1
        assert connection.is_usable()
    finally:
        holder.close()


def test_a_long_copy_is_not_cut_while_its_rows_keep_coming(short_timeouts):
    """The client-side deadline is for silence: a COPY whose reader is slow, or which runs
    longer than the deadline, goes on (CSV exports stream through COPY)."""
    connection.ensure_connection()
    rows = []

    class SlowReader:
        def write(self, row: str) -> None:
            rows.append(row)
            time.sleep(0.25)  # 12 rows: 3 s with the reader, twice the client's deadline

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        cursor.copy_expert("COPY (SELECT generate_series(1, 12)) TO STDOUT", SlowReader())
    assert len(rows) == 12
    assert connection.is_usable()


def test_after_a_connection_got_no_answer_the_next_attempt_waits_a_moment(short_timeouts):
    settings = connection.settings_dict
    away = {**settings, "PORT": str(_closed_port())}
    with pytest.raises(OperationalError, match="Connection refused"):
        _wrapper()(dict(away), alias="elsewhere").ensure_connection()
    started = time.monotonic()
    with pytest.raises(OperationalError, match="could not be reached a moment ago"):
        _wrapper()(dict(away), alias="again").ensure_connection()
    assert time.monotonic() - started < 0.1
    # The pause is that server's only: another one (the primary, beside a read replica
    # that is away) is connected to at once.
    working = _wrapper()(dict(settings), alias="other")
    working.ensure_connection()
    working.close()
    time.sleep(bounded.RECONNECT_PAUSE_SECONDS)
    with pytest.raises(OperationalError, match="Connection refused"):
        _wrapper()(dict(away), alias="later").ensure_connection()


def test_a_refusal_from_the_server_itself_is_no_reason_to_wait(short_timeouts):
    settings = connection.settings_dict
    missing = _wrapper()({**settings, "NAME": "no_such_database"}, alias="missing")
    with pytest.raises(OperationalError, match="does not exist"):
        missing.ensure_connection()
    working = _wrapper()(dict(settings), alias="again")
    working.ensure_connection()  # at once: the server answered, it is there
    working.close()


def _wrapper() -> type:
    """The backend's class, for connections of one test's own (other names, ports)."""
    return type(connections["default"])


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
