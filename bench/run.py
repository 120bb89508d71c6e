"""The benchmark: our pages and API at scale, beside the raw lower bound and stock DRF.

    make bench   # bin/with-postgres --data-dir bench/.cache/pgdata -- .venv/bin/python bench/run.py

Loads the demo and the scale data (10,000 recommendations, 200,000 evaluations) into the
PostgreSQL that bin/with-postgres started, once: the cluster is kept in bench/.cache/.
Then measures, in this process through the Django test client, each endpoint cold (a real
write and every cache cleared before each request) and warm (repeated), the API beside the
same payload built by one hand-written SQL query (bench/raw.py) and by stock DRF
(bench/stock_drf.py), checking that all three payloads are equal; the streamed CSV export
in a fresh process; and finally gunicorn (2 workers) under load from wrk on loopback.
Prints a table with PASS/FAIL per target and writes bench/results.json. See bench/README.md.

The parts live beside this file: data.py (set-up and data), measure.py (timing, cold and
warm), api.py, pages.py, languages.py, search.py, notify.py, export.py, importing.py,
load.py, table.py.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ itself first on the path, where its modules (data,
# api, load, …) would shadow any top-level module of the same name: the project root instead.
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
else:
    sys.path.insert(0, str(ROOT))

PARTS = (
    "api",
    "pages",
    "languages",
    "actors",
    "search",
    "notify",
    "export",
    "import",
    "304",
    "load",
    "nodes",
)


def main() -> int:
    parser = argparse.ArgumentParser(description="The scorecard benchmark (see bench/README.md).")
    parser.add_argument("--reps", type=int, default=30, help="timed requests per measurement")
    parser.add_argument(
        "--no-load", action="store_true", help="skip gunicorn + wrk (parts load and nodes)"
    )
    parser.add_argument(
        "--load-seconds", type=int, default=None, help="seconds of wrk per URL (default 20)"
    )
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default: all): {', '.join(PARTS)}",
    )
    parser.add_argument(
        "--profile",
        choices=("default", "large"),
        default=os.environ.get("BENCH_PROFILE", "default"),
        help="the data: default (10,000 recommendations in 10 reports, 200,000 evaluations) "
        "or large (100,000 in 1,000 reports, 2,000,000 evaluations); each its own cluster",
    )
    parser.add_argument("--export-child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--import-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Before bench.data is imported: it reads the profile (so do the child processes).
    os.environ["BENCH_PROFILE"] = args.profile
    if args.export_child:
        from bench.export import export_child

        export_child(args.export_child)
        return 0
    if args.import_child:
        from bench.importing import import_child

        import_child(args.import_child)
        return 0

    parts = set(args.only.split(","))
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    if args.no_load:
        parts -= {"load", "nodes"}

    from bench import data

    data.setup_django()
    from django.test.utils import override_settings

    from bench import raw
    from bench.measure import Change, Line, Site
    from bench.table import print_table, summary, write_results

    data.load_data()
    override_settings(ROOT_URLCONF="bench.urls").enable()
    site = Site()
    lines: list[Line] = []
    started = time.monotonic()

    def step(text: str) -> None:
        print(f"==> {text} ({time.monotonic() - started:.0f}s)", flush=True)

    if parts & {"api", "pages", "languages", "actors"}:
        change = Change()
        step("Cold requests: checking that the write before each moves the data's state")
        lines.append(
            change.moves_state(
                site,
                {
                    "report page": f"/reports/{data.SCALE_REPORT}/",
                    "API list": f"/api/v1/recommendations/?report={data.SCALE_REPORT}",
                },
            )
        )
    if "api" in parts:
        from bench.api import api_lines

        database = raw.connect(os.environ["DATABASE_URL"])
        lines += api_lines(site, database, args.reps, change, step)
    if "pages" in parts:
        from bench.pages import page_lines

        step("Public pages")
        lines += page_lines(site, args.reps, change)
    if "languages" in parts:
        from bench.languages import ensure_translations, language_lines

        step("Japanese beside English")
        ensure_translations()
        change()
        lines += language_lines(site, args.reps, change)
    if "actors" in parts:
        from bench.api import actor_due_api_lines
        from bench.pages import actor_due_page_lines

        step("Actors and due dates")
        data.ensure_due_dates()
        change()
        lines += actor_due_page_lines(site, args.reps, change)
        lines += actor_due_api_lines(site, args.reps, change)
    if "search" in parts:
        from bench.search import search_lines

        step("Search")
        data.ensure_search_index()
        change = Change()
        lines += search_lines(site, raw.connect(os.environ["DATABASE_URL"]), args.reps, change)
    if "notify" in parts:
        from bench.notify import notify_lines

        lines += notify_lines(args.reps, step)
    if "export" in parts:
        from bench.export import measure_export

        step("CSV export")
        lines.append(measure_export(site, data.scale_reports()))
    if "import" in parts:
        from bench.importing import import_lines

        lines += import_lines(args.profile, step)
    if "304" in parts:
        from bench.pages import conditional_lines

        step("Conditional requests")
        lines += conditional_lines(site, args.reps)
    if "load" in parts:
        from bench.load import LOAD_CONNECTIONS, LOAD_SECONDS, load_lines

        seconds = args.load_seconds or LOAD_SECONDS
        step(
            f"Under load: gunicorn, 2 workers; wrk, {LOAD_CONNECTIONS} connections, "
            f"{seconds}s per URL, the URLs in turns"
        )
        lines += load_lines(seconds)

    if "nodes" in parts:
        from bench.load import LOAD_SECONDS
        from bench.nodes import nodes_lines

        lines += nodes_lines(args.load_seconds or LOAD_SECONDS, step)

    print_table(lines)
    write_results(lines, ROOT / "bench" / "results.json")
    passed, total = summary(lines)
    print(f"\n{passed} of {total} targets PASS; results in bench/results.json")
    print(f"Took {time.monotonic() - started:.0f}s after loading the data.")
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main())
