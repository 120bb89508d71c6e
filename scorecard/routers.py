"""Reads on a PostgreSQL streaming replica, writes on the primary (DATABASE_REPLICA_URL).

Only with a replica configured (scorecard/settings.py adds the "replica" database, this
router and the middleware below). Which database a query goes to:

- Writes, migrations and everything in a transaction: the primary ("default"). A read in
  a transaction on the primary must see what that transaction wrote.
- Reads outside a request (management commands, shell, imports): the primary. Only
  requests are routed to the replica, so a command reads what it just wrote.
- Reads of a GET/HEAD/OPTIONS request: the replica, unless the client wrote a moment ago.
  Any other request (POST, PUT, PATCH, DELETE) reads on the primary throughout, and its
  response sets a signed cookie (READ_YOUR_WRITES_COOKIE) valid for
  DATABASE_REPLICA_STICKY_SECONDS (default 5): while it is valid, that client's reads go to
  the primary too, so it reads its own writes whatever node answers. The cookie is signed
  with the secret key and carries its time: a client can drop it (and read the replica),
  never forge or extend it. Other clients see a write once the replica has replayed it,
  normally within milliseconds (README, "Operating it": the documented bound is 2 s).
- The replica away: reads go to the primary. The replica's connect timeout is short
  (DATABASE_REPLICA_CONNECT_TIMEOUT_SECONDS, default 1), and a failed connection or health
  check marks it down in this process for REPLICA_RETRY_SECONDS: a dead replica costs one
  timeout per process every few seconds, not one per request. A replica that fails in the
  middle of a request (stopped after its health check passed) gets the same: the request,
  which only reads, is answered again on the primary, and the replica marked down.
"""

import contextvars
import logging
import time

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
READ_YOUR_WRITES_COOKIE = "scorecard_wrote"
_SALT = "scorecard.routers.read-your-writes"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# After a failed connection or health check, how long this process leaves the replica alone.
REPLICA_RETRY_SECONDS = 5.0

# Whether this request's reads may go to the replica (False outside requests).
_reads_on_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "reads_on_replica", default=False
)
_replica_down_until = 0.0


def sticky_seconds() -> int:
    return settings.DATABASE_REPLICA_STICKY_SECONDS


def mark_replica_down() -> None:
    global _replica_down_until
    _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS


def forget_replica_health() -> None:
    """Try the replica again on the next read (tests)."""
    global _replica_down_until
    _replica_down_until = 0.0


def replica_usable() -> bool:
    """Whether the replica answers: connected (or connecting now) and, for a kept
    connection, its health check passed in this request. A failure marks it down."""
    if time.monotonic() < _replica_down_until:
        return False
    replica = connections[REPLICA]
    try:
        replica.close_if_health_check_failed()
        replica.ensure_connection()
    except DatabaseError as error:
        mark_replica_down()
        logger.warning("Read replica unreachable, reading on the primary: %s", error)
        try:
            replica.close()
        except DatabaseError:
            replica.connection = None
        return False
    return True


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if not _reads_on_replica.get():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA if replica_usable() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two servers

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def wrote_recently(request: HttpRequest) -> bool:
    try:
        request.get_signed_cookie(READ_YOUR_WRITES_COOKIE, salt=_SALT, max_age=sticky_seconds())
    except (KeyError, signing.BadSignature):
        return False
    return True


class ReadYourWritesMiddleware:
    """Routes this request's reads (see the module's docstring) and, after a write, keeps
    the client on the primary for DATABASE_REPLICA_STICKY_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def _respond(self, request: HttpRequest, on_replica: bool) -> HttpResponse:
        token = _reads_on_replica.set(on_replica)
        try:
            return self.get_response(request)
        finally:
            _reads_on_replica.reset(token)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        safe = request.method in SAFE_METHODS
        on_replica = safe and not wrote_recently(request)
        if on_replica:
            # As Django does when a request starts (servers send request_started; the test
            # client does not): a kept connection is health-checked before its first query.
            connections[REPLICA].close_if_unusable_or_obsolete()
            connections[REPLICA].errors_occurred = False
        response = self._respond(request, on_replica)
        if on_replica and response.status_code == 503 and connections[REPLICA].errors_occurred:
            # The replica went away after its health check: mark it down and answer again,
            # on the primary (a safe request only reads, so answering twice changes nothing).
            mark_replica_down()
            logger.warning("Read replica failed during %s; answered on the primary", request.path)
            try:
                connections[REPLICA].close()
            except DatabaseError:
                connections[REPLICA].connection = None
            response = self._respond(request, False)
        if not safe:
            response.set_signed_cookie(
                READ_YOUR_WRITES_COOKIE,
                "1",
                salt=_SALT,
                max_age=sticky_seconds(),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
