"""A real HTTP receiver on loopback for the webhook tests (tests/test_webhooks_*.py).

It records every request it gets (headers and body), and answers as told: 204, an error
status, a redirect, or not at all until released (a receiver that hangs). It can be
stopped and started again on the same port (a receiver that is down for a while).
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    def verified(self, secret: str) -> dict:
        """The payload as the Standard Webhooks reference library verifies it."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answered: list[Received] = []
        self.status = 204
        self.location = ""
        self.hang = threading.Event()  # set: requests wait until it is cleared
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks?source=scorecard"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                got = Received(
                    {name.lower(): value for name, value in self.headers.items()},
                    self.rfile.read(length),
                )
                with receiver.lock:
                    receiver.received.append(got)
                if receiver.hang.is_set():
                    receiver.released.wait(30)
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.lock:
                    receiver.answered.append(got)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, count: int, *, answered: bool = True, timeout: float = 20) -> list:
        """The first `count` requests (answered ones, unless told otherwise), waiting up to
        `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                seen = list(self.answered if answered else self.received)
            if len(seen) >= count:
                return seen
            time.sleep(0.05)
        raise AssertionError(f"{len(seen)} requests within {timeout} s, not {count}")
