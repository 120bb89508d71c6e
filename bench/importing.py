"""Importing a large interchange file set: rows per second and peak memory, in a fresh
process, with a progress bar.

The files (docs/interchange-format.md) are generated once, deterministically, and cached
in bench/.cache/: one file per report, as the format has it, 100 recommendations each, every
recommendation with its evaluations, each evaluation citing a source. The import runs as
`import_scorecard --dry-run` would: through `tracker.services.import_scorecard`, every
check, every write in one transaction, which is then rolled back, so the benchmark's
cluster keeps its data and the next run imports the same files into the same database.
"""

import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.data import ROOT, setup_django
from bench.measure import Line

CACHE = ROOT / "bench" / ".cache"
PER_FILE = 100  # recommendations per file (one report each), as in the large profile
SOURCES = 200
GRADES = [
    ("accomplished", "Accomplished", 5, "#1a5e20"),
    ("ongoing-progress", "Ongoing progress", 3, "#1565c0"),
    ("setback", "Setback", 0, "#8a1c1c"),
]
AREAS = ["politics", "security", "economy"]
EVALUATIONS_PER = 2  # per recommendation, each with one piece of evidence
# The sizes imported, whose peak memories side by side say whether memory grows with the
# files (it should not: tracker/interchange/stream.py); the large profile adds 100,000.
SIZES = {"default": (1_000, 10_000), "large": (1_000, 10_000, 100_000)}


def _shared(index: int) -> str:
    """The scale, evaluator and sources every file describes (identical wherever repeated)."""
    lines = [
        "grade_scale:",
        "  slug: bench-import-progress",
        "  name: Benchmark import progress",
        "  grades:",
    ]
    for slug, label, score, colour in GRADES:
        lines += [
            f"    - slug: {slug}",
            f"      label: {label}",
            f"      score: {score}",
            f'      colour: "{colour}"',
        ]
    lines += [
        "evaluators:",
        "  - slug: bench-import-evaluator",
        "    name: Benchmark import evaluator",
        "sources:",
    ]
    for number in range(SOURCES):
        # Each file describes a few of the shared sources, as real reports cite some.
        if number % 50 == index % 50:
            lines += [
                f"  - key: bench-import-source-{number}",
                f"    title: Benchmark import source {number}",
                f"    url: https://example.org/bench-import/source/{number}",
            ]
    return "\n".join(lines) + "\n"


def _file_text(index: int, evaluations_per: int) -> str:
    slug = f"bench-import-r{index}"
    published = datetime.date(1990, 1, 1) + datetime.timedelta(days=index % 3000)
    parts = [
        "format: 1\n",
        "report:\n"
        f"  slug: {slug}\n"
        f"  short_name: Benchmark import report {index}\n"
        f"  title: Benchmark import report {index}\n"
        f"  published_on: {published.isoformat()}\n"
        "  grade_scale: bench-import-progress\n",
        _shared(index),
        "areas:\n" + "".join(f"  - slug: {a}\n    name: {a.title()}\n" for a in AREAS),
        "recommendations:\n",
    ]
    for number in range(1, PER_FILE + 1):
        parts.append(
            f"  - code: IMP-{number}\n"
            f"    area: {AREAS[(number - 1) * len(AREAS) // PER_FILE]}\n"
            f"    title: Imported recommendation {number}\n"
            f"    text: The allies should carry out imported measure {number} of {slug}.\n"
        )
    parts.append("evaluations:\n")
    for number in range(1, PER_FILE + 1):
        for year in range(evaluations_per):
            as_of = datetime.date(published.year + 1 + year, 1 + number % 12, 1 + number % 28)
            grade = GRADES[(number + year) % len(GRADES)]
            source = (index * 7 + number) % SOURCES
            source = source - source % 50 + index % 50  # one this file describes
            parts.append(
                f"  - recommendation: IMP-{number}\n"
                "    evaluator: bench-import-evaluator\n"
                f"    as_of: {as_of.isoformat()}\n"
                f"    grade: {grade[0]}\n"
                f"    wording: {grade[1]}\n"
                f"    narrative: Imported judgment {year + 1} of IMP-{number}.\n"
                "    status: published\n"
                "    evidence:\n"
                f"      - source: bench-import-source-{source}\n"
                "        quote: An imported passage.\n"
            )
    return "".join(parts)


def files_for(recommendations: int, evaluations_per: int) -> list[Path]:
    """The files of `recommendations` (a multiple of PER_FILE), generated once."""
    folder = CACHE / f"import-{recommendations}x{evaluations_per}"
    count = recommendations // PER_FILE
    paths = [folder / f"bench-import-r{index}.yaml" for index in range(1, count + 1)]
    done = folder / "complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for index, path in enumerate(paths, start=1):
            path.write_text(_file_text(index, evaluations_per), encoding="utf-8")
        done.write_text(f"{count} files\n")
    return paths


def import_child(paths: list[str]) -> None:
    """Import the files (dry run: rolled back), with a progress bar on stderr; print the
    rows, the seconds and the peak resident memory above the baseline."""
    setup_django()
    from tracker import services
    from tracker.management.commands.generate_scale_data import Progress

    bars: dict[str, Progress] = {}
    step_started = time.monotonic()

    def progress(step: str, done: int, total: int) -> None:
        nonlocal step_started
        bar = bars.get(step)
        if bar is None:
            # A step's first call comes after its first batch: its rate counts from the
            # end of the step before.
            bar = bars[step] = Progress(step, total, started=step_started)
        bar.advance(done - bar.done)
        step_started = time.monotonic()

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.perf_counter()
    result = services.import_scorecard(files=paths, progress=progress, dry_run=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts = {kind: c.created for kind, c in result.counts.items()}
    print(json.dumps({"counts": counts, "seconds": seconds, "peak_growth_kb": peak - baseline}))


def _run_child(paths: list[Path]) -> dict:
    result = subprocess.run(  # noqa: S603 -- the benchmark's own script, with files it wrote
        [sys.executable, str(ROOT / "bench" / "run.py"), "--import-child", *map(str, paths)],
        check=False,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DATABASE_QUERY_TIMEOUT_SECONDS": "0"},
    )
    if result.returncode != 0:
        raise SystemExit("The import's process failed (its error is above).")
    return json.loads(result.stdout.strip().splitlines()[-1])


def import_lines(profile: str, step, evaluations_per: int = EVALUATIONS_PER) -> list[Line]:
    lines = []
    for size in SIZES[profile]:
        paths = files_for(size, evaluations_per)
        megabytes = sum(path.stat().st_size for path in paths) / 1e6
        step(
            f"Import of {size:,} recommendations, {size * evaluations_per:,} evaluations "
            f"({len(paths)} files, {megabytes:,.0f} MB), dry run"
        )
        figures = _run_child(paths)
        counts = figures["counts"]
        if counts.get("recommendations") != size:
            raise SystemExit(f"The import created {counts}, not {size:,} recommendations")
        rows = sum(counts.values())
        line = Line(
            f"import of {size:,} recommendations with {counts['evaluations']:,} evaluations "
            f"({rows:,} rows)",
            median_ms=figures["seconds"] * 1000,
            rows_per_s=rows / figures["seconds"],
            rss_growth_mb=figures["peak_growth_kb"] / 1024,
        )
        lines.append(line)
    return lines
