"""The load: editors and a publisher writing through the API, readers of every kind, a
client that spoofs X-Forwarded-For, and one that sends what no request may carry."""

import datetime
import json
import queue
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from soak.clients import Client, answered
from soak.data import Catalogue
from soak.server import ANONYMOUS_LIMIT

# --- The writes, and what the database must hold afterwards ---------------------------------


@dataclass
class Written:
    """An evaluation the API accepted, as it must be in the database."""

    marker: str
    kind: str  # "DRAFT" stays a draft; "PUB" is handed to the publisher
    id: int
    fields: dict[str, Any]
    etag: str
    version: int = 1
    status: str = "draft"
    # A write that got no answer may or may not have happened: field → the other value.
    maybe: dict[str, Any] = field(default_factory=dict)
    publish_sent: float | None = None
    publish_acked: float | None = None


class Ledger:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.written: dict[str, Written] = {}
        self.unanswered: dict[str, dict[str, Any]] = {}  # creates without an answer: marker →
        self.days = 0
        self.to_publish: queue.Queue[Written] = queue.Queue()

    def next_date(self) -> str:
        # One evaluator, so every draft needs its own date (one evaluation per date).
        with self.lock:
            self.days += 1
            return (datetime.date(2009, 1, 1) + datetime.timedelta(days=self.days)).isoformat()

    def items(self) -> list[Written]:
        with self.lock:
            return list(self.written.values())


def editor(client: Client, catalogue: Catalogue, ledger: Ledger, until: float, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 -- picks a load pattern, no secret
    token = catalogue.tokens["editor"]
    while client.clock() < until:
        kind = rng.choice(("DRAFT", "PUB"))
        marker = f"SOAK-{kind}-{uuid.uuid4().hex}"
        fields = {
            "recommendation": rng.choice(catalogue.writable),
            "evaluator": catalogue.evaluator,
            "grade": rng.choice(catalogue.grades),
            "as_of": ledger.next_date(),
            "wording": f"{marker} wording",
            "narrative": f"{marker}\n\nA soak-test evaluation: *{kind.lower()}*.",
        }
        evidence = {"source": rng.choice(catalogue.sources), "quote": f"{marker} quoted"}
        outcome, headers, content = client.call(
            "create",
            "editor",
            "POST",
            "/api/v1/evaluations/",
            token=token,
            body={**fields, "evidence": [{**evidence, "stance": "supports"}]},
            expected=frozenset({201}),
        )
        fields["evidence"] = (evidence["source"], evidence["quote"])
        if outcome.status == 201:
            created = json.loads(content)
            item = Written(marker, kind, created["id"], fields, headers["etag"], created["version"])
            with ledger.lock:
                ledger.written[marker] = item
            if rng.random() < 0.4:
                revise(client, token, item)
            if kind == "PUB" and not item.maybe:
                ledger.to_publish.put(item)
        elif not answered(outcome):
            with ledger.lock:
                ledger.unanswered[marker] = fields
        if outcome.status == 503:
            time.sleep(0.2)


def revise(client: Client, token: str, item: Written) -> None:
    narrative = item.fields["narrative"] + "\n\nRevised."
    outcome, headers, content = client.call(
        "update",
        "editor",
        "PATCH",
        f"/api/v1/evaluations/{item.id}/",
        token=token,
        body={"narrative": narrative},
        headers={"If-Match": item.etag},
    )
    if outcome.status == 200:
        item.fields["narrative"] = narrative
        item.etag = headers["etag"]
        item.version = json.loads(content)["version"]
    elif not answered(outcome):
        item.maybe = {"narrative": narrative, "version": item.version + 1}


def publisher(client: Client, catalogue: Catalogue, ledger: Ledger, until: float) -> None:
    token = catalogue.tokens["publisher"]
    while client.clock() < until:
        try:
            item = ledger.to_publish.get(timeout=0.2)
        except queue.Empty:
            continue
        item.publish_sent = client.clock()
        outcome, _, content = client.call(
            "publish",
            "publisher",
            "POST",
            f"/api/v1/evaluations/{item.id}/publish/",
            token=token,
            headers={"If-Match": item.etag},
        )
        if outcome.status == 200:
            item.status = "published"
            item.version = json.loads(content)["version"]
            item.publish_acked = outcome.ended
        elif not answered(outcome):
            item.maybe = {"status": "published", "version": item.version + 1}
        if outcome.status == 503:
            time.sleep(0.2)


# --- Readers --------------------------------------------------------------------------------


def reader(
    client: Client,
    catalogue: Catalogue,
    ledger: Ledger,
    until: float,
    *,
    who: str,
    seed: int,
    since: str,
) -> None:
    rng = random.Random(seed)  # noqa: S311 -- picks a load pattern, no secret
    token = catalogue.tokens["partner"] if who == "partner" else None
    etags: dict[str, str] = {}
    # An anonymous reader keeps under the anonymous limit (a 429 for it is a failure).
    api_calls: deque[float] = deque()
    budget = ANONYMOUS_LIMIT - 10
    r, editions = catalogue.report, catalogue.editions

    def recommendation() -> tuple[int, str, str]:
        return rng.choice(catalogue.recommendations)

    def page() -> tuple[str, str, int | None]:
        _, report, code = recommendation()
        return rng.choice(
            [
                ("page", "/", None),
                ("page", f"/reports/{rng.choice(catalogue.reports)}/", None),
                ("page", f"/reports/{r}/?grade={rng.choice(catalogue.grades)}", None),
                ("page", f"/reports/{r}/?as_of=2006-01-01", None),
                ("page", f"/reports/{report}/{code}/", None),
                ("page", f"/reports/{report}/{code}/", None),
                ("page", f"/reports/{report}/{code}/badge.svg", None),
                ("page", "/editions/", None),
                ("page", f"/editions/{rng.choice(editions)}/", None),
                ("page", f"/editions/{editions[0]}/compare/{editions[-1]}/", None),
                ("feed", "/feed/", None),
                ("feed", f"/reports/{r}/feed/", None),
                ("export", f"/reports/{r}/export.csv", None),
                ("export", f"/reports/{r}/export.json", None),
                ("export", f"/reports/{r}/evaluations.csv", None),
                ("export", f"/reports/{r}/evidence.csv", None),
            ]
        )

    def api() -> tuple[str, str, int | None]:
        rec_id, _, _ = recommendation()
        written = ledger.items()
        new = rng.choice(written).id if written else rng.choice(catalogue.evaluations)
        return rng.choice(
            [
                ("api", "/api/v1/reports/", None),
                ("api", f"/api/v1/recommendations/?report={r}", None),
                (
                    "api",
                    f"/api/v1/recommendations/?report={r}&grade={rng.choice(catalogue.grades)}",
                    None,
                ),
                ("api", f"/api/v1/recommendations/{rec_id}/", None),
                ("api", f"/api/v1/recommendations/{rec_id}/timeline/", None),
                ("api", "/api/v1/evaluations/", None),
                ("api", f"/api/v1/evaluations/?updated_since={since}", None),
                ("api", f"/api/v1/evaluations/{rng.choice(catalogue.evaluations)}/", None),
                ("api", f"/api/v1/evaluations/{new}/", new),  # a draft: 404 until published
                ("api", f"/api/v1/evaluations/{new}/", new),
                ("api", "/api/v1/sources/", None),
                ("api", "/api/v1/evaluators/", None),
                ("api", "/api/v1/editions/", None),
                ("api", f"/api/v1/editions/{editions[0]}/compare/{editions[-1]}/", None),
                ("api", "/api/v1/grade-scales/", None),
            ]
        )

    while client.clock() < until:
        # Partners use the API (and the feed); anonymous readers everything.
        while api_calls and api_calls[0] < client.clock() - 61:
            api_calls.popleft()
        wants_api = who == "partner" or (rng.random() < 0.4 and len(api_calls) < budget)
        kind, path, evaluation = api() if wants_api else page()
        if who == "anonymous" and path.startswith("/api/"):
            api_calls.append(client.clock())
        if who == "partner" and rng.random() < 0.1:
            kind, path, evaluation = "feed", "/feed/", None
        headers, expected = {}, frozenset({200})
        if path in etags and rng.random() < 0.3 and evaluation is None:
            headers["If-None-Match"] = etags[path]
            expected = frozenset({200, 304})
        outcome, answer, _ = client.call(
            kind,
            who,
            "GET",
            path,
            token=token,
            headers=headers,
            expected=expected,
            evaluation=evaluation,
        )
        if outcome.status == 200 and "etag" in answer:
            etags[path] = answer["etag"]
        if outcome.status == 503:
            time.sleep(0.2)


# --- A client that spoofs X-Forwarded-For -------------------------------------------------------


def spoofer(client: Client, at: float, requests: int) -> None:
    """Anonymous API reads from one address, each claiming another in X-Forwarded-For: the
    limit must hold all the same (the header is trusted only from configured proxies)."""
    time.sleep(max(0.0, at - client.clock()))
    for _ in range(requests):
        client.call(
            "throttle",
            "spoofer",
            "GET",
            "/api/v1/reports/",
            headers={"X-Forwarded-For": f"203.0.113.{random.randrange(1, 255)}"},  # noqa: S311 -- no secret
            expected=frozenset({200, 429}),
        )


# --- A client that sends what no request may carry ----------------------------------------------

MIB = 1024 * 1024


def hostile(client: Client, catalogue: Catalogue, ledger: Ledger, at: float) -> None:
    """NUL bytes in addresses, parameters, headers and bodies (400), bodies over the limit
    with and without Content-Length (413), and an X-Forwarded-For longer than a cache key
    may be (a 500 on PostgreSQL once). Every body is a valid evaluation but for its fault,
    and carries SOAK-HOSTILE, so that one saved would be found in the database."""
    time.sleep(max(0.0, at - client.clock()))
    r, editor = catalogue.report, catalogue.tokens["editor"]
    bad, large = frozenset({400}), frozenset({413})

    def evaluation(narrative_size: int = 0, *, nul: bool = False) -> dict[str, Any]:
        marker = f"SOAK-HOSTILE-{uuid.uuid4().hex}"
        return {
            "recommendation": catalogue.writable[0],
            "evaluator": catalogue.evaluator,
            "grade": catalogue.grades[0],
            "as_of": ledger.next_date(),
            "wording": "hostile\x00" if nul else "hostile",
            "narrative": f"{marker} " + "x" * narrative_size,
            "evidence": [{"source": catalogue.sources[0], "stance": "supports"}],
        }

    def chunks(size: int) -> Any:
        body = evaluation(size)
        text = str(body).encode()  # not JSON: refused for its size before anything parses it
        for start in range(0, len(text), 64 * 1024):
            yield text[start : start + 64 * 1024]

    for path in (
        f"/reports/{r}/SEC%001/",
        f"/reports/{r}/sec-1%00/badge.svg",
        f"/reports/{r}/export.csv?edition=%00",
        f"/reports/{r}/export.json?edition=%00",
        f"/reports/{r}/?q=%00",
        "/api/v1/recommendations/?q=%00",
        "/admin/tracker/evaluation/?q=%00",
    ):
        client.call("hostile", "hostile", "GET", path, expected=bad)
    client.call(
        "hostile",
        "hostile",
        "GET",
        "/api/v1/reports/",
        headers={"Authorization": "Token \x00"},
        expected=bad,
    )
    client.call(
        "hostile",
        "hostile",
        "POST",
        "/api/v1/evaluations/",
        token=editor,
        body=evaluation(nul=True),
        expected=bad,
    )
    for size in (2 * MIB, 5 * MIB, 20 * MIB):
        client.call(
            "hostile",
            "hostile",
            "POST",
            "/api/v1/evaluations/",
            token=editor,
            body=evaluation(size),
            expected=large,
        )
    client.call(
        "hostile",
        "hostile",
        "POST",
        "/api/v1/evaluations/",
        token=editor,
        raw=chunks(5 * MIB),
        headers={"Content-Type": "application/json"},
        expected=large,
    )
    client.call(
        "hostile",
        "hostile",
        "PATCH",
        f"/api/v1/evaluations/{catalogue.evaluations[0]}/",
        token=editor,
        body={"narrative": "x" * (3 * MIB)},
        headers={"If-Match": '"x"'},
        expected=large,
    )
    client.call(
        "hostile",
        "hostile",
        "POST",
        "/admin/login/",
        raw=b"username=x&password=" + b"x" * (2 * MIB),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        expected=large,
    )
    client.call(
        "hostile",
        "hostile",
        "GET",
        "/api/v1/reports/",
        headers={"X-Forwarded-For": ", ".join(f"198.51.100.{n}" for n in range(1, 17))},
        expected=frozenset({200}),
    )
