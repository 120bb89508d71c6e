"""A client-side deadline on every call that waits for PostgreSQL.

A server that has stopped answering (paused, a frozen virtual machine, a network that drops
packets one way) leaves a live connection on which a query simply waits: the kernel still
acknowledges what is sent, so neither TCP keepalives nor tcp_user_timeout fire, and the
server's statement_timeout cannot fire either. Each call that waits for the server (run a
statement, fetch from a server-side cursor, commit, roll back, copy) is therefore watched:
one thread per process wakes at the earliest deadline and shuts down the socket of any call
still waiting past it. libpq then reports the connection lost, the call raises
`DeadlineExceeded` (an OperationalError, which Django turns into its own and
scorecard/errors.py into a 503 with Retry-After), and Django opens a new connection on the
next request. A COPY is watched for silence rather than length: the time its rows spend
with the reader does not count, so a long download is not cut.

Connecting is bounded by libpq itself (connect_timeout, set in scorecard/settings.py).
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions


class DeadlineExceeded(psycopg2.OperationalError):
    """The database did not answer in time; its connection was closed."""


class _Call:
    __slots__ = ("cut", "deadline", "fd", "seconds")

    def __init__(self, fd: int, seconds: float) -> None:
        self.fd = fd
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.cut = False

    def pause(self) -> None:
        self.deadline = float("inf")

    def resume(self) -> None:
        self.deadline = time.monotonic() + self.seconds


class _Watchdog:
    """The calls in progress in this process, and the thread that cuts the late ones."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # gunicorn forks its workers

    def _reset(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._calls: set[_Call] = set()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, fd: int, seconds: float) -> Iterator[_Call]:
        call = _Call(fd, seconds)
        with self._condition:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="database-deadlines", daemon=True
                )
                self._thread.start()
            self._calls.add(call)
            if len(self._calls) == 1:
                self._condition.notify()  # it sleeps without a timeout while nothing runs
        try:
            yield call
        finally:
            # Under the lock: once this returns the watchdog cannot touch the socket, which
            # may then be closed and its number reused.
            with self._condition:
                self._calls.discard(call)

    def _run(self) -> None:
        with self._condition:
            while True:
                if not self._calls:
                    self._condition.wait()
                    continue
                now = time.monotonic()
                late = [call for call in self._calls if call.deadline <= now]
                for call in late:
                    call.cut = True
                    self._calls.discard(call)
                    _shut_down(call.fd)
                earliest = min((call.deadline for call in self._calls), default=now + 3600)
                # A paused call has no deadline; look again now and then for its resumption.
                self._condition.wait(min(max(earliest - now, 0.01), 0.5))


def _shut_down(fd: int) -> None:
    """Wake whatever waits on the socket: it reads the end of the connection."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()  # the duplicate only; libpq closes its own


_watchdog = _Watchdog()


class BoundedConnection(psycopg2.extensions.connection):
    """A connection whose waits for the server end after `deadline_seconds` (0: never)."""

    deadline_seconds: float = 0.0

    @contextmanager
    def bounded(self) -> Iterator[_Call | None]:
        seconds = self.deadline_seconds
        if not seconds or self.closed:
            yield None
            return
        with _watchdog.watching(self.fileno(), seconds) as call:
            try:
                yield call
            except psycopg2.Error as error:
                if call.cut:
                    raise DeadlineExceeded(
                        f"The database did not answer within {seconds:g} seconds; the "
                        "connection to it was closed."
                    ) from error
                raise

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cursor_factory", BoundedCursor)
        return super().cursor(*args, **kwargs)

    def commit(self) -> None:
        with self.bounded():
            super().commit()

    def rollback(self) -> None:
        with self.bounded():
            super().rollback()


class _PausedWhileAway:
    """A COPY's file: the time spent in its reads and writes (our side) is not waiting for
    the server, so the deadline is paused meanwhile."""

    def __init__(self, file: Any, call: _Call | None) -> None:
        self._file, self._call = file, call

    def _paused(self, method: str, *args: Any) -> Any:
        if self._call is None:
            return getattr(self._file, method)(*args)
        self._call.pause()
        try:
            return getattr(self._file, method)(*args)
        finally:
            self._call.resume()

    def write(self, data: Any) -> Any:
        return self._paused("write", data)

    def read(self, *args: Any) -> Any:
        return self._paused("read", *args)

    def readline(self, *args: Any) -> Any:
        return self._paused("readline", *args)


class BoundedCursor(psycopg2.extensions.cursor):
    """Every call of a cursor that waits for the server, bounded by its connection."""

    def execute(self, query: Any, vars: Any = None) -> None:
        with self.connection.bounded():
            return super().execute(query, vars)

    def executemany(self, query: Any, vars_list: Any) -> None:
        with self.connection.bounded():
            return super().executemany(query, vars_list)

    def callproc(self, procname: Any, parameters: Any = None) -> Any:
        with self.connection.bounded():
            return super().callproc(procname, parameters)

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> None:
        with self.connection.bounded() as call:
            return super().copy_expert(sql, _PausedWhileAway(file, call), size)

    def copy_from(self, file: Any, table: str, *args: Any, **kwargs: Any) -> None:
        with self.connection.bounded() as call:
            return super().copy_from(_PausedWhileAway(file, call), table, *args, **kwargs)

    def copy_to(self, file: Any, table: str, *args: Any, **kwargs: Any) -> None:
        with self.connection.bounded() as call:
            return super().copy_to(_PausedWhileAway(file, call), table, *args, **kwargs)

    # A server-side (named) cursor asks the server for each batch of rows, and to close.

    def fetchone(self) -> Any:
        if not self.name:
            return super().fetchone()
        with self.connection.bounded():
            return super().fetchone()

    def fetchmany(self, size: int | None = None) -> Any:
        if not self.name:
            return super().fetchmany(self.arraysize if size is None else size)
        with self.connection.bounded():
            return super().fetchmany(self.arraysize if size is None else size)

    def fetchall(self) -> Any:
        if not self.name:
            return super().fetchall()
        with self.connection.bounded():
            return super().fetchall()

    def scroll(self, value: int, mode: str = "relative") -> None:
        if not self.name:
            return super().scroll(value, mode)
        with self.connection.bounded():
            return super().scroll(value, mode)

    def close(self) -> None:
        if not self.name or self.closed:
            return super().close()
        with self.connection.bounded():
            return super().close()

    def __iter__(self) -> Iterator[Any]:
        if not self.name:
            return super().__iter__()
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        while rows := self.fetchmany(self.itersize):
            yield from rows
