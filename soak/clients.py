"""Every exchange the soak's clients have with the server, recorded as an Outcome."""

import http.client
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REQUEST_TIMEOUT = 20  # seconds; a request still unanswered after this counts as failed
MARKER = re.compile(rb"SOAK-(DRAFT|PUB)-([0-9a-f]{32})")
TRACEBACK = re.compile(rb"Traceback \(most recent call last\)|File \"/[^\"]+\.py\", line")


@dataclass
class Outcome:
    kind: str  # page, feed, export, api, create, update, publish, throttle, hostile
    who: str  # anonymous, partner, editor, publisher, spoofer, hostile
    method: str
    path: str
    started: float  # seconds since the load began
    ended: float
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    expected: frozenset[int]
    error: str = ""
    retry_after: str | None = None
    content_type: str = ""
    markers: frozenset[tuple[str, str]] = frozenset()
    traceback: bool = False
    evaluation: int | None = None  # for reads of one evaluation made by the editors


class Clock:
    def __init__(self) -> None:
        self.origin = time.monotonic()
        self.wall_origin = time.time()  # the same moment on the clock the server counts by

    def __call__(self) -> float:
        return time.monotonic() - self.origin


class Client:
    """One HTTP/1.1 request per connection, from `source` (a loopback address of its own,
    so that the server sees this client as its own address)."""

    def __init__(
        self, port: int, clock: Clock, outcomes: list[Outcome], *, source: str = "127.0.0.1"
    ) -> None:
        self.port, self.clock, self.outcomes, self.source = port, clock, outcomes, source

    def call(
        self,
        kind: str,
        who: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        raw: bytes | Iterable[bytes] | None = None,
        headers: dict[str, str] | None = None,
        expected: frozenset[int] = frozenset({200}),
        evaluation: int | None = None,
    ) -> tuple[Outcome, dict[str, str], bytes]:
        """`body` goes as JSON; `raw` as given, chunked when it is not bytes."""
        send = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        send.update(headers or {})
        if token:
            send["Authorization"] = f"Token {token}"
        data: Any = raw
        if body is not None:
            data = json.dumps(body).encode()
            send["Content-Type"] = "application/json"
        started = self.clock()
        status, answer, content, error = None, {}, b"", ""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT, source_address=(self.source, 0)
        )
        try:
            chunked = data is not None and not isinstance(data, bytes)
            connection.request(method, path, body=data, headers=send, encode_chunked=chunked)
            response = connection.getresponse()
            content = response.read()
            status = response.status
            answer = {name.lower(): value for name, value in response.getheaders()}
        except (OSError, http.client.HTTPException) as failure:
            error = f"{type(failure).__name__}: {failure}"
        finally:
            connection.close()
        outcome = Outcome(
            kind=kind,
            who=who,
            method=method,
            path=path,
            started=started,
            ended=self.clock(),
            status=status,
            expected=expected,
            error=error,
            retry_after=answer.get("retry-after"),
            content_type=answer.get("content-type", ""),
            markers=frozenset(
                (m.group(1).decode(), m.group(2).decode()) for m in MARKER.finditer(content)
            ),
            traceback=bool(TRACEBACK.search(content)),
            evaluation=evaluation,
        )
        self.outcomes.append(outcome)  # list.append is atomic: threads share the list
        return outcome, answer, content


def answered(outcome: Outcome) -> bool:
    return outcome.status is not None and outcome.status < 500
