"""Two nodes beside one (issue 18): two gunicorn nodes of one worker each, sharing Redis (the
response cache and the rate limits) and a streaming replica of the benchmark's database (the
reads), beside one node of two workers with neither, under the same load.

The machine has two cores: the two setups have the same two worker processes, so what the
two nodes lose is what sharing the cache and the replica costs. All three servers run from
the start and idle while the others are measured; each URL gets its seconds in rounds, the
setups taking turns. wrk sends LOAD_CONNECTIONS connections to the one node, and half of
them to each of the two nodes at once (their requests per second added up).

The replica is a base backup of the benchmark's cluster (pg_basebackup, through
bin/with-postgres's own code), made at the start of this part and removed after it.
"""

import importlib.machinery
import importlib.util
import os
import shutil
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench import data
from bench.data import PAGE, SCALE_REPORT
from bench.load import LOAD_CONNECTIONS, LOAD_ROUNDS, free_port, start_gunicorn, stop, wrk
from bench.measure import Line

NODES_AT_LEAST = 0.9  # two nodes of one worker: this share of one node of two workers
NODES = 2
WRK_THREADS = 2  # wrk's threads against the one node; split between the two


def _with_postgres():
    """bin/with-postgres as a module: its Server knows how to make and run a replica."""
    path = data.ROOT / "bin" / "with-postgres"
    loader = importlib.machinery.SourceFileLoader("with_postgres", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def start_replica():
    module = _with_postgres()
    primary = module.Server(
        Path(os.environ["SCORECARD_PG_BIN"]),
        Path(os.environ["SCORECARD_PG_DATA"]),
        Path(os.environ["SCORECARD_PG_RUN_DIR"]),
    )
    primary.port = int(os.environ["SCORECARD_PG_PORT"])
    replica = primary.make_replica()
    replica.start()
    return replica


def _warm(port: int, path: str) -> None:
    for _ in range(5):  # each worker: connection, first plans, warm caches
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            response.read()


def _together(ports: list[int], path: str, seconds: int) -> dict[str, float]:
    """wrk on every node at once, each with its share of the connections."""
    results: list[dict[str, float]] = [{} for _ in ports]

    def run(index: int, port: int) -> None:
        # The same client as against one node (two wrk threads in all): on two cores, more
        # client threads would take from the servers.
        results[index] = wrk(
            f"http://127.0.0.1:{port}{path}",
            seconds,
            LOAD_CONNECTIONS // len(ports),
            threads=max(1, WRK_THREADS // len(ports)),
        )

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(ports)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(not result for result in results):
        raise SystemExit("wrk did not finish on every node")
    return {
        "requests_per_s": sum(r["requests"] / r["seconds"] for r in results),
        "p99_ms": max(r["p99_ms"] for r in results),
        "errors": sum(r["errors"] for r in results),
    }


def nodes_lines(seconds: int, step) -> list[Line]:
    from soak.redis_server import RedisServer

    targets = {
        f"report page ({data.scale_count():,} recommendations)": f"/reports/{SCALE_REPORT}/",
        f"API recommendations, page of {PAGE}": (
            f"/api/v1/recommendations/?report={SCALE_REPORT}&page_size={PAGE}"
        ),
    }
    step("Two nodes beside one: a streaming replica of the benchmark's cluster (base backup)")
    started = time.monotonic()
    replica = start_replica()
    print(f"    replica ready in {time.monotonic() - started:.0f}s", flush=True)
    servers = []
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory:
        redis = RedisServer(Path(directory))
        redis.start()
        try:
            shared = {
                "REDIS_URL": redis.url,
                "DATABASE_REPLICA_URL": (
                    f"postgres://scorecard@127.0.0.1:{replica.port}/scorecard"
                ),
            }
            one_port = free_port()
            servers.append(start_gunicorn(one_port, workers=2))
            node_ports = [free_port() for _ in range(NODES)]
            for port in node_ports:
                servers.append(start_gunicorn(port, workers=1, env=shared))
            for path in targets.values():
                for port in (one_port, *node_ports):
                    _warm(port, path)
            rounds = max(1, min(LOAD_ROUNDS, seconds))
            runs: dict[str, dict[str, list]] = {name: {"one": [], "two": []} for name in targets}
            for _ in range(rounds):
                for name, path in targets.items():
                    one = wrk(
                        f"http://127.0.0.1:{one_port}{path}", seconds // rounds, threads=WRK_THREADS
                    )
                    runs[name]["one"].append(
                        {
                            "requests_per_s": one["requests"] / one["seconds"],
                            "p99_ms": one["p99_ms"],
                            "errors": one["errors"],
                        }
                    )
                    runs[name]["two"].append(_together(node_ports, path, seconds // rounds))
        finally:
            for server in servers:
                stop(server)
            redis.stop()
            replica.stop()
            shutil.rmtree(replica.data_dir, ignore_errors=True)
    return [_line(name, figures) for name, figures in runs.items()]


def _line(name: str, figures: dict[str, list]) -> Line:
    one, two = (
        {
            "requests_per_s": sum(r["requests_per_s"] for r in figures[setup])
            / len(figures[setup]),
            "p99_ms": max(r["p99_ms"] for r in figures[setup]),
            "errors": int(sum(r["errors"] for r in figures[setup])),
        }
        for setup in ("one", "two")
    )
    print(
        f"    {name}: one node of two workers {one['requests_per_s']:,.0f} requests/s; two "
        f"nodes of one worker (Redis, replica) {two['requests_per_s']:,.0f} requests/s",
        flush=True,
    )
    line = Line(
        f"two nodes (Redis, replica) under load: {name}",
        requests_per_s=two["requests_per_s"],
        p99_ms=two["p99_ms"],
        errors=one["errors"] + two["errors"],
        one_node_requests_per_s=one["requests_per_s"],
    )
    line.check("0 errors", line.errors == 0, f"{line.errors} errors")
    share = two["requests_per_s"] / one["requests_per_s"]
    line.check(
        f"≥ {NODES_AT_LEAST:g}× one node of two workers",
        share >= NODES_AT_LEAST,
        f"{share:.2f}× ({one['requests_per_s']:,.0f} requests/s on one node)",
    )
    return line
