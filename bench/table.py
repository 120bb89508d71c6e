"""The benchmark's table on the terminal, and bench/results.json."""

import json
from pathlib import Path

from bench.measure import Line


def _ms(value: float | None) -> str:
    return f"{value:8.2f}" if value is not None else " " * 8


def _queries(line: Line) -> str:
    if line.queries is None:
        return ""
    if line.queries_small is None:
        return f"{line.queries}"
    return f"{line.queries_small}/{line.queries}"


def print_table(lines: list[Line]) -> None:
    print()
    print(
        f"{'measurement':<62} {'median':>8} {'p95':>8} {'queries':>9} "
        f"{'raw':>8} {'stock':>8} {'ours/raw':>8} {'stock/ours':>10}"
    )
    print("-" * 128)
    for line in lines:
        ratio = stock = ""
        if line.raw_median_ms:
            ratio = f"{line.median_ms / line.raw_median_ms:.2f}"
        if line.stock_median_ms:
            stock = f"{line.stock_median_ms / line.median_ms:.1f}"
        if line.requests_per_s is not None:
            print(
                f"{line.name:<62} {line.requests_per_s:>8,.0f} req/s, p99 {line.p99_ms:.1f} ms, "
                f"{line.errors} errors"
            )
        elif line.median_ms is not None or line.queries is not None:
            print(
                f"{line.name:<62} {_ms(line.median_ms)} {_ms(line.p95_ms)} {_queries(line):>9} "
                f"{_ms(line.raw_median_ms)} {_ms(line.stock_median_ms)} {ratio:>8} {stock:>10}"
            )
        else:
            print(line.name)
        if line.rows_per_s is not None:
            print(
                f"{'':<4}{line.rows_per_s:,.0f} rows/s, peak RSS growth {line.rss_growth_mb:.1f} MB"
            )
        if line.deliveries_per_s is not None:
            print(f"{'':<4}{line.deliveries_per_s:,.0f} deliveries/s, {line.errors} not delivered")
        if line.one_node_requests_per_s is not None:
            print(f"{'':<4}one node of two workers: {line.one_node_requests_per_s:,.0f} req/s")
        if line.english_median_ms is not None:
            print(f"{'':<4}in English: median {line.english_median_ms:.2f} ms")
        if line.stock_queries is not None:
            print(f"{'':<4}stock DRF: {line.stock_queries} queries per request")
        for check in line.checks:
            verdict = "PASS" if check["pass"] else "FAIL"
            print(f"    {verdict}  {check['target']}: {check['figure']}")


def write_results(lines: list[Line], path: Path) -> None:
    path.write_text(json.dumps([line.as_json() for line in lines], indent=2) + "\n")


def summary(lines: list[Line]) -> tuple[int, int]:
    """(targets passed, targets checked)."""
    checks = [check for line in lines for check in line.checks]
    return sum(1 for check in checks if check["pass"]), len(checks)
