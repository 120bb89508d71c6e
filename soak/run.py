"""Soak: the site under gunicorn on PostgreSQL, read and written for a minute, with the
database restarted in the middle. `make soak` runs it inside bin/with-postgres.

    bin/with-postgres -- .venv/bin/python soak/run.py [--seconds 60] [--outage-at 25]

Readers (anonymous, and a partner with a token) fetch pages, feeds, exports and the API
while editors create draft evaluations through the API and a publisher publishes some of
them. Each draft carries a unique marker in its wording, narrative and evidence quote:
`SOAK-DRAFT-…` on drafts that stay drafts, `SOAK-PUB-…` on those handed to the publisher.
Every response is recorded (status, timing, markers found), and afterwards:

- no 5xx but 503s while the database was down, every 503 with Retry-After, and no stack
  trace in any response;
- requests made while the database was down got 503, and once it was back the service
  answered again within seconds without being restarted;
- every write the API accepted is in the database with exactly the content sent;
- no draft marker in any anonymous or partner response, and no `SOAK-PUB` marker before
  its publish was even sent (while published ones do show up, so the check can see).

The last line is `soak: N passed, M failed`; the exit status is 1 if anything failed.
Everything runs on loopback and stops by itself: gunicorn is stopped however this ends.
"""

import argparse
import contextlib
import datetime
import http.client
import importlib.machinery
import importlib.util
import io
import json
import os
import queue
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKERS = 2
ANONYMOUS_READERS = 4
PARTNER_READERS = 2
EDITORS = 2
REQUEST_TIMEOUT = 20  # seconds; a request still unanswered after this counts as failed
RECOVERY_LIMIT = 10.0  # seconds after the database is back by which requests must succeed
MARKER = re.compile(rb"SOAK-(DRAFT|PUB)-([0-9a-f]{32})")
TRACEBACK = re.compile(rb"Traceback \(most recent call last\)|File \"/[^\"]+\.py\", line")

# --- Environment: production settings, on loopback, with rate limits out of the way --------


def soak_environment() -> dict[str, str]:
    missing = [
        name
        for name in (
            "DATABASE_URL",
            "SCORECARD_PG_DATA",
            "SCORECARD_PG_BIN",
            "SCORECARD_PG_PORT",
            "SCORECARD_PG_RUN_DIR",
        )
        if not os.environ.get(name)
    ]
    if missing or not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit(
            "soak: needs the private PostgreSQL of bin/with-postgres (it restarts it): "
            "run `make soak`, or bin/with-postgres -- .venv/bin/python soak/run.py"
        )
    return {
        "DJANGO_SETTINGS_MODULE": "scorecard.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        # Throttling is tested elsewhere (tests/test_api_throttling.py); a 429 here would
        # only hide what this run looks for.
        "DRF_THROTTLE_ANON": "1000000/minute",
        "DRF_THROTTLE_PARTNER": "1000000/minute",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- The data: migrate, import the demo, accounts, and what there is to read ------------------


@dataclass
class Catalogue:
    report: str  # the report whose recommendations the editors evaluate
    reports: list[str]
    recommendations: list[tuple[int, str, str]]  # id, report slug, URL code
    writable: list[int]  # recommendation ids of `report`
    grades: list[str]
    evaluator: str
    sources: list[str]
    editions: list[str]
    evaluations: list[int]  # published demo evaluations
    tokens: dict[str, str]


def prepare() -> Catalogue:
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connections

    from tracker.models import Edition, Evaluation, Recommendation, Report, Status

    call_command("migrate", verbosity=0, interactive=False)
    call_command("import_scorecard", *sorted(str(p) for p in (ROOT / "fixtures").glob("*.yaml")))
    tokens = {}
    for role in ("partner", "editor", "publisher"):
        out = io.StringIO()
        call_command("create_account", f"soak-{role}", role=role, stdout=out)
        tokens[role] = out.getvalue().strip().splitlines()[-1]

    report = Report.objects.get(slug="armitage-nye-2000")
    published = Evaluation.objects.filter(status=Status.PUBLISHED)
    catalogue = Catalogue(
        report=report.slug,
        reports=list(Report.objects.values_list("slug", flat=True)),
        recommendations=[
            (r.pk, r.report.slug, r.slug) for r in Recommendation.objects.select_related("report")
        ],
        writable=list(report.recommendations.values_list("pk", flat=True)),
        grades=list(report.grade_scale.grades.values_list("slug", flat=True)),
        evaluator="scorecard-editors-sample",
        sources=sorted(set(published.values_list("evidence__source__key", flat=True)) - {None}),
        editions=list(
            Edition.objects.filter(report=report, status=Status.PUBLISHED)
            .order_by("as_of")
            .values_list("slug", flat=True)
        ),
        evaluations=list(published.values_list("pk", flat=True)),
        tokens=tokens,
    )
    connections.close_all()  # the database is restarted later; reconnect afterwards
    return catalogue


# --- Recording every exchange --------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # page, feed, export, api, create, update, publish
    who: str  # anonymous, partner, editor, publisher
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

    def __call__(self) -> float:
        return time.monotonic() - self.origin


class Client:
    def __init__(self, port: int, clock: Clock, outcomes: list[Outcome]) -> None:
        self.port, self.clock, self.outcomes = port, clock, outcomes

    def call(
        self,
        kind: str,
        who: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        expected: frozenset[int] = frozenset({200}),
        evaluation: int | None = None,
    ) -> tuple[Outcome, dict[str, str], bytes]:
        send = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        send.update(headers or {})
        if token:
            send["Authorization"] = f"Token {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            send["Content-Type"] = "application/json"
        started = self.clock()
        status, answer, content, error = None, {}, b"", ""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=data, headers=send)
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


def answered(outcome: Outcome) -> bool:
    return outcome.status is not None and outcome.status < 500


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
        kind, path, evaluation = api() if who == "partner" or rng.random() < 0.4 else page()
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


# --- The outage -----------------------------------------------------------------------------


def database_server() -> Any:
    """bin/with-postgres's own server handle, so the restart uses exactly its options."""
    # The script has no .py name to import it by.
    loader = importlib.machinery.SourceFileLoader("with_postgres", str(ROOT / "bin/with-postgres"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    server = module.Server(
        Path(os.environ["SCORECARD_PG_BIN"]),
        Path(os.environ["SCORECARD_PG_DATA"]),
        Path(os.environ["SCORECARD_PG_RUN_DIR"]),
    )
    server.port = int(os.environ["SCORECARD_PG_PORT"])
    return server


def restart_database(clock: Clock, at: float, down_for: float, timeline: dict[str, Any]) -> None:
    server = database_server()
    time.sleep(max(0.0, at - clock()))
    timeline["stop"] = clock()
    print(f"soak: {clock():5.1f} s  stopping PostgreSQL", flush=True)
    server.stop()
    timeline["down"] = clock()
    timeline["was_down"] = not port_open(server.port)
    time.sleep(down_for)
    timeline["start"] = clock()
    print(f"soak: {clock():5.1f} s  starting PostgreSQL", flush=True)
    try:
        server.start()
    except SystemExit as failure:  # with-postgres reports a failed start so
        timeline["error"] = str(failure)
    timeline["up"] = clock()
    timeline["is_up"] = port_open(server.port)
    print(f"soak: {clock():5.1f} s  PostgreSQL accepts connections again", flush=True)


# --- gunicorn -------------------------------------------------------------------------------


def start_gunicorn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 -- the project's own server, fixed arguments
            [
                str(gunicorn),
                "scorecard.wsgi",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one below
        )


def wait_until_serving(process: subprocess.Popen, port: int, limit: float = 30.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/reports/", headers={"Accept": "application/json"})
            if connection.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    return False


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Ask gunicorn to stop (it stops its workers); kill its process group if it will not."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- Checks ---------------------------------------------------------------------------------


class Checks:
    def __init__(self) -> None:
        self.results: list[tuple[bool, str]] = []

    def __call__(self, ok: bool, message: str) -> bool:
        self.results.append((bool(ok), message))
        print(f"{'PASS' if ok else 'FAIL'}  {message}", flush=True)
        return bool(ok)

    def summary(self) -> int:
        passed = sum(ok for ok, _ in self.results)
        failed = len(self.results) - passed
        print(f"soak: {passed} passed, {failed} failed", flush=True)
        return 1 if failed else 0


def examples(outcomes: list[Outcome], limit: int = 3) -> str:
    shown = [f"{o.method} {o.path} → {o.status or o.error} at {o.started:.1f} s" for o in outcomes]
    return "; ".join(shown[:limit]) + (f"; … ({len(shown)} in all)" if len(shown) > limit else "")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report_traffic(outcomes: list[Outcome]) -> None:
    print("soak: requests by kind (status: count; latency p50 / p95)")
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_kind[o.kind].append(o)
    for kind in ("page", "feed", "export", "api", "create", "update", "publish"):
        rows = by_kind.get(kind, [])
        statuses = Counter(str(o.status) if o.status else "no answer" for o in rows)
        latencies = [o.ended - o.started for o in rows if o.status and o.status < 500]
        print(
            f"  {kind:8} {len(rows):6}  "
            + " ".join(f"{s}:{n}" for s, n in sorted(statuses.items()))
            + f"  ({statistics.median(latencies) * 1000 if latencies else 0:.0f} ms / "
            f"{percentile(latencies, 0.95) * 1000:.0f} ms)"
        )
    print(
        f"  {'total':8} {len(outcomes):6}  "
        + " ".join(
            f"{s}:{n}"
            for s, n in sorted(Counter(str(o.status or "no answer") for o in outcomes).items())
        )
    )


def check_traffic(check: Checks, outcomes: list[Outcome], timeline: dict[str, Any]) -> None:
    stop, down, start, up = (timeline[k] for k in ("stop", "down", "start", "up"))
    window_end = up + RECOVERY_LIMIT

    readers = [o for o in outcomes if o.who in ("anonymous", "partner")]
    # A floor, not a benchmark: enough traffic for the checks below to mean something.
    floor = int(3 * timeline["seconds"])
    check(len(readers) >= floor, f"readers made {len(readers)} requests (at least {floor})")
    check(
        sum(o.kind == "publish" and o.status == 200 for o in outcomes) >= 5,
        "editors created and the publisher published evaluations through the API",
    )

    errors = [o for o in outcomes if o.status is not None and o.status >= 500 and o.status != 503]
    check(
        not errors,
        f"no 5xx but 503: {len(errors)} others" + (f" ({examples(errors)})" if errors else ""),
    )

    unanswered = [o for o in outcomes if o.status is None]
    check(
        not unanswered,
        f"every request got an HTTP answer: {len(unanswered)} did not"
        + (f" ({examples(unanswered)})" if unanswered else ""),
    )

    unavailable = [o for o in outcomes if o.status == 503]
    stray = [o for o in unavailable if o.ended < stop or o.started > window_end]
    check(
        not stray,
        f"503s only during the outage ({stop:.1f}–{up:.1f} s, +{RECOVERY_LIMIT:.0f} s): "
        f"{len(stray)} outside" + (f" ({examples(stray)})" if stray else ""),
    )
    bad = [
        o
        for o in unavailable
        if not (o.retry_after or "").isdigit()
        or (o.path.startswith("/api/") and o.content_type != "application/json")
    ]
    check(
        unavailable and not bad,
        f"every 503 ({len(unavailable)}) had Retry-After (JSON under /api/): "
        f"{len(bad)} did not" + (f" ({examples(bad)})" if bad else ""),
    )
    traces = [o for o in outcomes if o.traceback]
    check(
        not traces,
        f"no stack trace in any response: {len(traces)}"
        + (f" ({examples(traces)})" if traces else ""),
    )

    during = [o for o in outcomes if o.started >= down and o.ended <= start]
    served = [o for o in during if o.status != 503]
    check(
        timeline.get("was_down") and during and not served,
        f"while PostgreSQL was down ({down:.1f}–{start:.1f} s) all {len(during)} requests "
        f"got 503: {len(served)} did not" + (f" ({examples(served)})" if served else ""),
    )

    after = [o for o in outcomes if o.started >= up]
    failing = [o for o in after if not answered(o)]
    last_failure = max((o.ended for o in failing), default=up) - up
    first_success = min((o.ended for o in after if answered(o)), default=float("inf")) - up
    recovery = max(first_success, last_failure)
    kinds_back = {o.kind for o in after if answered(o) and o.ended - up > last_failure}
    print(
        f"soak: outage: stop sent at {stop:.1f} s, down at {down:.1f} s, start sent at "
        f"{start:.1f} s, accepting connections at {up:.1f} s ({up - stop:.1f} s in all); "
        f"after that, {len(failing)} requests failed and the first success came "
        f"{first_success:.2f} s later"
    )
    check(
        timeline.get("is_up")
        and not timeline.get("error")
        and recovery <= RECOVERY_LIMIT
        and {"page", "api", "create", "publish"} <= kinds_back,
        f"recovered by itself {recovery:.2f} s after PostgreSQL was back, without a restart "
        f"(limit {RECOVERY_LIMIT:.0f} s; pages, API reads and writes all succeed after)",
    )

    # Outside the outage, every answer is the one the request should get.
    calm = [o for o in outcomes if o.ended < stop or o.started > up + max(last_failure, 0)]
    wrong = [
        o
        for o in calm
        if o.status is not None and o.status not in o.expected and o.evaluation is None
    ]
    check(
        not wrong,
        f"outside the outage every answer was the expected one: {len(wrong)} were not"
        + (f" ({examples(wrong)})" if wrong else ""),
    )


def check_drafts(check: Checks, outcomes: list[Outcome], ledger: Ledger) -> None:
    public = [o for o in outcomes if o.who in ("anonymous", "partner")]
    by_marker = {item.marker.split("-")[-1]: item for item in ledger.written.values()}
    leaks = []
    seen_published = 0
    for o in public:
        for kind, key in o.markers:
            item = by_marker.get(key)
            # A published one seen while or after its publish was sent is legitimate;
            # one seen before that, or any draft, is a leak.
            if (
                kind == "PUB"
                and item is not None
                and item.publish_sent is not None
                and o.ended >= item.publish_sent
            ):
                seen_published += 1
                continue
            leaks.append(o)
    check(
        not leaks,
        f"no draft in any of {len(public)} anonymous or partner responses: {len(leaks)} leaked"
        + (f" ({examples(leaks)})" if leaks else ""),
    )
    check(
        seen_published > 0,
        f"published soak evaluations did show up to readers ({seen_published} times), so the "
        f"draft check could see them",
    )

    # Reading one new evaluation: 404 while it is a draft, 200 once it is published.
    by_id = {item.id: item for item in ledger.written.values()}
    wrong = []
    for o in public:
        if o.evaluation is None or o.status not in (200, 404):
            continue
        item = by_id.get(o.evaluation)
        if item is None:
            continue
        if item.publish_acked is not None and o.started > item.publish_acked:
            allowed = {200}
        elif item.publish_sent is not None and o.ended >= item.publish_sent:
            allowed = {200, 404}
        else:
            allowed = {404}
        if o.status not in allowed:
            wrong.append(o)
    reads = sum(o.evaluation is not None for o in public)
    check(
        not wrong,
        f"{reads} reads of new evaluations: 404 while drafts, 200 once published; "
        f"{len(wrong)} were not" + (f" ({examples(wrong)})" if wrong else ""),
    )


def check_database(check: Checks, ledger: Ledger) -> None:
    from django.db import connections

    from tracker.models import Evaluation

    connections.close_all()
    rows = {}
    query = (
        Evaluation.objects.filter(narrative__startswith="SOAK-")
        .select_related("grade", "evaluator")
        .prefetch_related("evidence__source")
    )
    for row in query:
        rows[row.narrative.split()[0]] = row

    problems = []
    for marker, item in ledger.written.items():
        row = rows.get(marker)
        if row is None:
            problems.append(f"{marker} (id {item.id}) is missing")
            continue
        actual = {
            "recommendation": row.recommendation_id,
            "evaluator": row.evaluator.slug,
            "grade": row.grade.slug,
            "as_of": row.as_of.isoformat(),
            "wording": row.wording,
            "narrative": row.narrative,
            "evidence": tuple((link.source.key, link.quote) for link in row.evidence.all()),
            "status": row.status,
            "version": row.version,
            "id": row.pk,
        }
        wanted = {
            **item.fields,
            "evidence": (item.fields["evidence"],),
            "status": item.status,
            "version": item.version,
            "id": item.id,
        }
        for name, value in wanted.items():
            if actual[name] != value and actual[name] != item.maybe.get(name, value):
                problems.append(f"{marker}: {name} is {actual[name]!r}, not {value!r}")
        if item.kind == "DRAFT" and row.status != "draft":
            problems.append(f"{marker}: a draft nobody published is {row.status}")

    extra = set(rows) - set(ledger.written)
    unknown = extra - set(ledger.unanswered)
    for marker in sorted(extra & set(ledger.unanswered)):
        # A create whose answer was lost may have committed, but only whole.
        row, sent = rows[marker], ledger.unanswered[marker]
        if row.narrative != sent["narrative"] or row.evidence.count() != 1:
            problems.append(f"{marker}: an unanswered create was saved in part")
    problems += [f"{marker}: in the database but never sent" for marker in sorted(unknown)]

    published = sum(item.status == "published" for item in ledger.written.values())
    updated = sum("Revised." in item.fields["narrative"] for item in ledger.written.values())
    print(
        f"soak: writes accepted: {len(ledger.written)} created ({published} then published, "
        f"{updated} revised); {len(ledger.unanswered)} creates refused or unanswered, "
        f"{len(extra & set(ledger.unanswered))} of them committed all the same"
    )
    check(
        not problems and len(rows) == len(ledger.written) + len(extra & set(ledger.unanswered)),
        f"every accepted write is in the database with its content: {len(rows)} soak "
        f"evaluations found for {len(ledger.written)} accepted creates; {len(problems)} problems"
        + (f" ({'; '.join(problems[:3])})" if problems else ""),
    )


def check_connections(check: Checks) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        (count,) = cursor.fetchone()
    check(
        count <= WORKERS,
        f"the app holds {count} database connections after the run (at most one per worker)",
    )


def check_server_log(check: Checks, text: str) -> None:
    """What gunicorn said during the run (before it was asked to stop)."""
    boots = text.count("Booting worker")
    troubles = [
        line
        for line in text.splitlines()
        if "WORKER TIMEOUT" in line or "Worker exiting" in line or "was sent SIG" in line
    ]
    check(
        boots == WORKERS and not troubles,
        f"gunicorn's {WORKERS} workers served the whole run without a restart "
        f"({boots} booted{'; ' + troubles[0] if troubles else ''})",
    )


# --- The run --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--outage-at", type=float, default=25.0, help="when PostgreSQL stops")
    parser.add_argument("--outage-for", type=float, default=5.0, help="how long it stays down")
    args = parser.parse_args()
    os.environ.update(soak_environment())
    check = Checks()
    try:
        return soak(args, check)
    except Exception as error:  # a broken run still ends with the line CI reads
        traceback.print_exc()
        check(False, f"the soak ran to the end ({type(error).__name__}: {error})")
        return check.summary()


def soak(args: argparse.Namespace, check: Checks) -> int:
    began = time.monotonic()
    print("soak: migrating, importing the demo scorecard, creating accounts", flush=True)
    catalogue = prepare()

    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="scorecard-soak-"))
    log = workdir / "gunicorn.log"
    print(f"soak: gunicorn with {WORKERS} workers on 127.0.0.1:{port} (log: {log})", flush=True)
    server = start_gunicorn(port, dict(os.environ), log)
    try:
        if not check(wait_until_serving(server, port), "gunicorn started and answers"):
            print(log.read_text(errors="replace")[-3000:])
            return check.summary()

        clock = Clock()
        outcomes: list[Outcome] = []
        client = Client(port, clock, outcomes)
        ledger = Ledger()
        timeline: dict[str, Any] = {"seconds": args.seconds}
        since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        until = args.seconds
        threads = [
            threading.Thread(
                target=restart_database, args=(clock, args.outage_at, args.outage_for, timeline)
            ),
            threading.Thread(target=publisher, args=(client, catalogue, ledger, until)),
        ]
        threads += [
            threading.Thread(target=editor, args=(client, catalogue, ledger, until, n))
            for n in range(EDITORS)
        ]
        threads += [
            threading.Thread(
                target=reader,
                args=(client, catalogue, ledger, until),
                kwargs={"who": who, "seed": 100 + n, "since": since},
            )
            for n, who in enumerate(
                ["anonymous"] * ANONYMOUS_READERS + ["partner"] * PARTNER_READERS
            )
        ]
        print(
            f"soak: {args.seconds:.0f} s of load: {ANONYMOUS_READERS} anonymous and "
            f"{PARTNER_READERS} partner readers, {EDITORS} editors, 1 publisher; PostgreSQL "
            f"restarted at {args.outage_at:.0f} s for {args.outage_for:.0f} s",
            flush=True,
        )
        for thread in threads:
            thread.daemon = True  # a stuck client must not keep the run alive
            thread.start()
        progress = 10.0
        while any(t.is_alive() for t in threads) and clock() < until + REQUEST_TIMEOUT + 5:
            time.sleep(0.5)
            if clock() >= progress:
                print(f"soak: {clock():5.1f} s  {len(outcomes)} requests so far", flush=True)
                progress += 10
        check(
            not any(t.is_alive() for t in threads),
            "every client finished by itself",
        )
        if not check({"stop", "down", "start", "up"} <= set(timeline), "PostgreSQL was restarted"):
            return check.summary()

        report_traffic(outcomes)
        check_traffic(check, outcomes, timeline)
        check_drafts(check, outcomes, ledger)
        check_connections(check)
        check_server_log(check, log.read_text(errors="replace"))
    finally:
        stop_gunicorn(server)
    check_database(check, ledger)
    elapsed = time.monotonic() - began
    check(elapsed < 170, f"the soak ran in {elapsed:.0f} s (limit: under 3 minutes with start-up)")
    status = check.summary()
    if status == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"soak: gunicorn's log is kept in {log}")
    return status


if __name__ == "__main__":
    sys.exit(main())
