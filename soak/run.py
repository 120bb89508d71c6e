"""Soak: the site under gunicorn on PostgreSQL, read and written for 105 seconds,
with the database stopped and, later, paused. `make soak` runs it inside bin/with-postgres.

    bin/with-postgres -- .venv/bin/python soak/run.py [--seconds 105] [--outage-at 25] ...

Readers (anonymous, each from a loopback address of its own, and a partner with a token)
fetch pages, feeds, exports and the API while editors create draft evaluations through the
API and a publisher publishes some of them. Each draft carries a unique marker in its
wording, narrative and evidence quote: `SOAK-DRAFT-…` on drafts that stay drafts,
`SOAK-PUB-…` on those handed to the publisher. A client rotating X-Forwarded-For reads the
API past the anonymous limit, and a hostile one sends NUL bytes and bodies of 2 to 20 MiB.
PostgreSQL is stopped and started again, then paused (SIGSTOP: connections stay open and
nothing answers) for longer than gunicorn's worker timeout, then resumed. Every response is
recorded (status, timing, markers found), and afterwards:

- no 5xx but 503s while the database was away, every 503 with Retry-After, and no stack
  trace in any response;
- requests made while the database was away got 503, each within seconds, and once it was
  back the service answered again within seconds without being restarted, its workers
  never killed;
- every write the API accepted is in the database with exactly the content sent, and
  nothing a refused request carried;
- the spoofing client got 429s once over the limit; the hostile one 400s and 413s;
- no draft marker in any anonymous or partner response, and no `SOAK-PUB` marker before
  its publish was even sent (while published ones do show up, so the check can see).

The last line is `soak: N passed, M failed`; the exit status is 1 if anything failed.
Everything runs on loopback and stops by itself: gunicorn is stopped and PostgreSQL resumed
however this ends. The parts: soak/clients.py (requests and what came back), data.py,
load.py (who does what), outages.py, server.py (gunicorn), checks.py.
"""

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from soak import checks, load
from soak.clients import REQUEST_TIMEOUT, Client, Clock, Outcome
from soak.data import prepare
from soak.outages import Pause, pause_database, restart_database
from soak.server import (
    ANONYMOUS_LIMIT,
    WORKERS,
    free_port,
    soak_environment,
    start_gunicorn,
    stop_gunicorn,
    wait_until_serving,
)

ANONYMOUS_READERS = 4
PARTNER_READERS = 2
EDITORS = 2
# In three threads, from one address. The limit is counted in fixed minutes, so a burst across
# a minute's end is split between two counts: 2 × the limit and more overruns one of them.
SPOOFED_REQUESTS = 2 * ANONYMOUS_LIMIT + 3
TIME_LIMIT = 240  # seconds for the whole run, start-up included


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=105.0, help="how long the load runs")
    parser.add_argument("--outage-at", type=float, default=25.0, help="when PostgreSQL stops")
    parser.add_argument("--outage-for", type=float, default=5.0, help="how long it stays down")
    parser.add_argument("--pause-at", type=float, default=50.0, help="when PostgreSQL pauses")
    parser.add_argument(
        "--pause-for", type=float, default=35.0, help="how long it stays paused (SIGSTOP)"
    )
    args = parser.parse_args()
    os.environ.update(soak_environment())
    check = checks.Checks()
    pause = Pause()
    try:
        return soak(args, check, pause)
    except Exception as error:  # a broken run still ends with the line CI reads
        traceback.print_exc()
        check(False, f"the soak ran to the end ({type(error).__name__}: {error})")
        return check.summary()
    finally:
        pause.resume()  # never leave PostgreSQL stopped


def start_load(
    args: argparse.Namespace, port: int, pause: Pause, outcomes: list[Outcome], catalogue: Any
) -> tuple[Clock, load.Ledger, list[dict[str, Any]], list[threading.Thread]]:
    clock = Clock()
    ledger = load.Ledger()
    stopped: dict[str, Any] = {"name": "stopped"}
    paused: dict[str, Any] = {"name": "paused"}
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    until = args.seconds

    def client(source: str = "127.0.0.1") -> Client:
        return Client(port, clock, outcomes, source=source)

    jobs: list[tuple[Any, tuple, dict]] = [
        (restart_database, (clock, args.outage_at, args.outage_for, stopped), {}),
        (pause_database, (clock, pause, args.pause_at, args.pause_for, paused), {}),
        (load.publisher, (client(), catalogue, ledger, until), {}),
        *[(load.spoofer, (client("127.0.0.2"), 1.0, SPOOFED_REQUESTS // 3), {})] * 3,
        (load.hostile, (client("127.0.0.3"), catalogue, ledger, 1.0), {}),
    ]
    jobs += [(load.editor, (client(), catalogue, ledger, until, n), {}) for n in range(EDITORS)]
    readers = ["anonymous"] * ANONYMOUS_READERS + ["partner"] * PARTNER_READERS
    jobs += [
        (
            load.reader,
            (client(f"127.0.1.{n + 1}"), catalogue, ledger, until),
            {"who": who, "seed": 100 + n, "since": since},
        )
        for n, who in enumerate(readers)
    ]
    threads = [threading.Thread(target=f, args=a, kwargs=k, daemon=True) for f, a, k in jobs]
    print(
        f"soak: {args.seconds:.0f} s of load: {ANONYMOUS_READERS} anonymous and "
        f"{PARTNER_READERS} partner readers, {EDITORS} editors, 1 publisher, a client "
        f"spoofing X-Forwarded-For and a hostile one; PostgreSQL stopped at "
        f"{args.outage_at:.0f} s for {args.outage_for:.0f} s, paused at {args.pause_at:.0f} s "
        f"for {args.pause_for:.0f} s",
        flush=True,
    )
    for thread in threads:
        thread.start()  # daemons: a stuck client must not keep the run alive
    return clock, ledger, [stopped, paused], threads


def soak(args: argparse.Namespace, check: checks.Checks, pause: Pause) -> int:
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
        outcomes: list[Outcome] = []
        clock, ledger, outages, threads = start_load(args, port, pause, outcomes, catalogue)
        progress = 10.0
        while any(t.is_alive() for t in threads) and clock() < args.seconds + REQUEST_TIMEOUT + 5:
            time.sleep(0.5)
            if clock() >= progress:
                print(f"soak: {clock():5.1f} s  {len(outcomes)} requests so far", flush=True)
                progress += 10
        check(not any(t.is_alive() for t in threads), "every client finished by itself")
        steps = {"begin", "down", "restore", "up"}
        if not check(all(steps <= set(w) for w in outages), "PostgreSQL was stopped, then paused"):
            return check.summary()

        checks.report_traffic(outcomes)
        checks.check_traffic(check, outcomes, outages, args.seconds)
        checks.check_spoofer(check, outcomes, SPOOFED_REQUESTS, clock.wall_origin)
        checks.check_hostile(check, outcomes)
        checks.check_drafts(check, outcomes, ledger)
        checks.check_connections(check)
        checks.check_server_log(check, log.read_text(errors="replace"))
    finally:
        stop_gunicorn(server)
    checks.check_database(check, ledger)
    elapsed = time.monotonic() - began
    check(
        elapsed < TIME_LIMIT,
        f"the soak ran in {elapsed:.0f} s (limit: {TIME_LIMIT} s with start-up)",
    )
    status = check.summary()
    if status == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"soak: gunicorn's log is kept in {log}")
    return status


if __name__ == "__main__":
    sys.exit(main())
