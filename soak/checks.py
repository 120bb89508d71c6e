"""What must hold after the soak, checked from what every client saw, the database and
gunicorn's log."""

import statistics
from collections import Counter, defaultdict
from typing import Any

from soak.clients import Outcome, answered
from soak.load import Ledger
from soak.server import ANONYMOUS_LIMIT, WORKER_TIMEOUT, WORKERS

RECOVERY_LIMIT = 10.0  # seconds after the database is back by which requests must succeed
# While the database is away, how long a request may wait for its 503; well under gunicorn's
# worker timeout (before the client-side deadlines, requests waited until it killed them).
ANSWER_LIMIT = 10.0


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
    for kind in (
        "page",
        "feed",
        "export",
        "api",
        "create",
        "update",
        "publish",
        "throttle",
        "hostile",
    ):
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


def check_traffic(
    check: Checks, outcomes: list[Outcome], outages: list[dict[str, Any]], seconds: float
) -> None:
    readers = [o for o in outcomes if o.who in ("anonymous", "partner")]
    # A floor, not a benchmark: enough traffic for the checks below to mean something.
    floor = int(3 * seconds)
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

    def in_window(o: Outcome) -> bool:
        return any(o.ended >= w["begin"] and o.started <= w["up"] + RECOVERY_LIMIT for w in outages)

    unavailable = [o for o in outcomes if o.status == 503]
    stray = [o for o in unavailable if not in_window(o)]
    windows = ", ".join(f"{w['begin']:.1f}–{w['up']:.1f} s" for w in outages)
    check(
        not stray,
        f"503s only during the outages ({windows}, each +{RECOVERY_LIMIT:.0f} s): "
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

    calm = list(outcomes)
    ordered = sorted(outages, key=lambda w: w["begin"])
    for window, following in zip(ordered, [*ordered[1:], None], strict=True):
        until = following["begin"] if following else float("inf")
        calm = check_outage(check, outcomes, calm, window, until)

    # Outside the outages, every answer is the one the request should get.
    wrong = [
        o
        for o in calm
        if o.status is not None and o.status not in o.expected and o.evaluation is None
    ]
    check(
        not wrong,
        f"outside the outages every answer was the expected one: {len(wrong)} were not"
        + (f" ({examples(wrong)})" if wrong else ""),
    )


def check_outage(
    check: Checks,
    outcomes: list[Outcome],
    calm: list[Outcome],
    window: dict[str, Any],
    until: float,
) -> list[Outcome]:
    """One outage: 503s while it lasted, each soon, and recovery after (before the next
    outage, at `until`). Returns `calm` without the requests this outage may have affected."""
    name, begin, down, restore, up = (window[k] for k in ("name", "begin", "down", "restore", "up"))
    during = [o for o in outcomes if o.started >= down and o.ended <= restore]
    # Refusals that need no database (a hostile request's 400 or 413) are right answers.
    served = [
        o
        for o in during
        if o.status != 503 and not (o.kind == "hostile" and o.status in o.expected)
    ]
    check(
        window.get("was_down") and during and not served,
        f"while PostgreSQL was {name} ({down:.1f}–{restore:.1f} s) all {len(during)} requests "
        f"got 503: {len(served)} did not" + (f" ({examples(served)})" if served else ""),
    )
    begun = [o for o in outcomes if down <= o.started <= restore]
    slow = [o for o in begun if o.ended - o.started > ANSWER_LIMIT]
    slowest = max((o.ended - o.started for o in begun), default=0.0)
    check(
        begun and not slow,
        f"while PostgreSQL was {name}, every request was answered within {ANSWER_LIMIT:.0f} s "
        f"(slowest {slowest:.1f} s of {len(begun)}): {len(slow)} were not"
        + (f" ({examples(slow)})" if slow else ""),
    )

    after = [o for o in outcomes if o.started >= up and o.ended < until]
    failing = [o for o in after if not answered(o)]
    last_failure = max((o.ended for o in failing), default=up) - up
    first_success = min((o.ended for o in after if answered(o)), default=float("inf")) - up
    recovery = max(first_success, last_failure)
    kinds_back = {o.kind for o in after if answered(o) and o.ended - up > last_failure}
    print(
        f"soak: PostgreSQL {name}: sent at {begin:.1f} s, done at {down:.1f} s, undone at "
        f"{restore:.1f} s, answering at {up:.1f} s ({up - begin:.1f} s in all); after that, "
        f"{len(failing)} requests failed and the first success came {first_success:.2f} s later"
    )
    check(
        window.get("is_up")
        and not window.get("error")
        and recovery <= RECOVERY_LIMIT
        and {"page", "api", "create", "publish"} <= kinds_back,
        f"recovered by itself {recovery:.2f} s after PostgreSQL was {name}, without a restart "
        f"(limit {RECOVERY_LIMIT:.0f} s; pages, API reads and writes all succeed after)",
    )
    return [o for o in calm if o.ended < begin or o.started > up + max(last_failure, 0)]


def answered_per_minute(tried: list[Outcome], wall_origin: float) -> dict[int, int]:
    """The 200s each minute of the clock counted, for the requests that began and ended within
    one minute: the limit is counted in fixed minutes, so a burst that runs past a minute's end
    is split between two counts, and a request across the end may be counted in either."""
    per_minute: Counter[int] = Counter()
    for o in tried:
        minute = int((wall_origin + o.started) // 60)
        if o.status == 200 and minute == int((wall_origin + o.ended) // 60):
            per_minute[minute] += 1
    return per_minute


def minutes_touched(tried: list[Outcome], wall_origin: float) -> int:
    ends = [wall_origin + t for o in tried for t in (o.started, o.ended)]
    return int(max(ends) // 60) - int(min(ends) // 60) + 1 if ends else 0


def check_spoofer(
    check: Checks, outcomes: list[Outcome], requests: int, wall_origin: float
) -> None:
    tried = [o for o in outcomes if o.kind == "throttle"]
    statuses = Counter(o.status for o in tried)
    refused = [o for o in tried if o.status == 429]
    per_minute = answered_per_minute(tried, wall_origin)
    allowed = ANONYMOUS_LIMIT * minutes_touched(tried, wall_origin)
    check(
        len(tried) == requests
        and all(count <= ANONYMOUS_LIMIT for count in per_minute.values())
        and statuses[200] <= allowed
        and refused
        and len(refused) >= requests - allowed
        and all((o.retry_after or "").isdigit() for o in refused),
        f"a client rotating X-Forwarded-For still met the anonymous limit of "
        f"{ANONYMOUS_LIMIT}/minute: {statuses[200]} answered "
        f"({sorted(per_minute.values())} a minute), {len(refused)} refused with 429 "
        f"and Retry-After, of {len(tried)} (other: "
        f"{sum(n for s, n in statuses.items() if s not in (200, 429))})",
    )


def check_hostile(check: Checks, outcomes: list[Outcome]) -> None:
    sent = [o for o in outcomes if o.kind == "hostile"]
    wrong = [o for o in sent if o.status not in o.expected]
    check(
        len(sent) >= 15 and not wrong,
        f"{len(sent)} requests no request may carry (NUL, bodies of 2 to 20 MiB, chunked or "
        f"not) were refused with 400 or 413: {len(wrong)} were not"
        + (f" ({examples(wrong, limit=6)})" if wrong else ""),
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
    problems += [
        f"{marker}: a refused request was saved"
        if marker.startswith("SOAK-HOSTILE")
        else f"{marker}: in the database but never sent"
        for marker in sorted(unknown)
    ]

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
        f"gunicorn's {WORKERS} workers served the whole run without a restart or a worker "
        f"timeout ({WORKER_TIMEOUT} s) "
        f"({boots} booted{'; ' + troubles[0] if troubles else ''})",
    )
