"""Django's PostgreSQL backend, bounded: no request waits on the database for long.

- Connecting: libpq's `connect_timeout` (OPTIONS, from DATABASE_CONNECT_TIMEOUT_SECONDS).
- Each statement: the server cancels it after `query_timeout` seconds (statement_timeout,
  sent with the connection's start-up options, so no extra round trip); that covers slow
  queries and lock waits and keeps the connection usable.
- A server that stopped answering altogether: the client gives up one second after that
  (deadlines.py) and closes the connection.
- The health check run before a kept connection is reused waits at most a second: a
  server that cannot answer `SELECT 1` by then is not worth waiting for.
- After an attempt to connect that got no answer (refused, timed out), the process does
  not try again for a second: during an outage each worker then spends its time answering
  503 rather than waiting to learn again that the database is away.

Every one of these ends in an OperationalError, which scorecard/errors.py answers with 503
and Retry-After. `query_timeout` 0 turns the statement and client bounds off.
"""

import time

from django.db.backends.postgresql import base

from scorecard.postgresql.deadlines import BoundedConnection, BoundedCursor

# Beyond the server's own statement_timeout, how long the client still waits for an answer.
CLIENT_GRACE_SECONDS = 1.0
HEALTH_CHECK_SECONDS = 1.0
RECONNECT_PAUSE_SECONDS = 1.0

# Per process and server (host, port): the monotonic time before which no connection to it
# is tried. Per server, so that a read replica that is away pauses only its own connections.
_unreachable_until: dict[tuple, float] = {}


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        seconds = float(params.pop("query_timeout", 0) or 0)
        self.query_timeout = seconds
        if seconds:
            timeout = f"-c statement_timeout={round(seconds * 1000)}"
            params["options"] = f"{params.get('options', '')} {timeout}".strip()
        params["connection_factory"] = BoundedConnection
        params["cursor_factory"] = BoundedCursor
        return params

    def get_new_connection(self, conn_params: dict) -> BoundedConnection:
        server = (conn_params.get("host"), conn_params.get("port"))
        if time.monotonic() < _unreachable_until.get(server, 0.0):
            raise base.Database.OperationalError(
                "The database could not be reached a moment ago; not trying again yet."
            )
        try:
            connection = super().get_new_connection(conn_params)
        except base.Database.OperationalError as error:
            # Only when the server did not answer: a refusal it sent (no such database, a
            # bad password, starting up) is worth no pause, and Django may try another
            # database at once (the test database's creation does).
            if "FATAL:" not in str(error):
                _unreachable_until[server] = time.monotonic() + RECONNECT_PAUSE_SECONDS
            raise
        if self.query_timeout:
            connection.deadline_seconds = self.query_timeout + CLIENT_GRACE_SECONDS
        return connection

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or not connection.deadline_seconds:
            return super().is_usable()
        kept = connection.deadline_seconds
        connection.deadline_seconds = min(kept, HEALTH_CHECK_SECONDS)
        try:
            return super().is_usable()
        finally:
            connection.deadline_seconds = kept
