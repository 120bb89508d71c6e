"""The search (`/api/v1/search/`) beside a hand-written full-text query on the same
database: part `search` (bench/README.md).

The hand-written query is what a developer would write for PostgreSQL's full-text search
without our meaning of a word (each word also inside longer words, tracker/search.py):
the documents whose `search_vector` matches every word as a prefix, published only,
ranked by `ts_rank`, the first page and the count. It answers a slightly different
question (a prefix, not any part of a word), so only the timing is compared; the query
counts at 25 and at the scale data's size are compared as on every line.
"""

import orjson

from bench.data import DEMO_REPORT, SCALE_REPORT
from bench.measure import Change, Line, Site, interleaved

SEARCH_AT_MOST = 2.0  # cache cold: at most this many times the hand-written query
SEARCH_PAGE = 20

HAND_WRITTEN_SQL = """
WITH matching AS (
    SELECT id, kind, object_id, ts_rank(search_vector, query) AS rank
    FROM tracker_searchdocument, to_tsquery('simple', %(query)s) AS query
    WHERE published AND search_vector @@ query
)
SELECT (SELECT count(*) FROM matching), id, kind, object_id
FROM matching ORDER BY rank DESC, id LIMIT %(limit)s
"""


def _hand_written(database, words: list[str]) -> list[tuple]:
    query = " & ".join(f"{word}:*" for word in words)
    with database.cursor() as cursor:
        cursor.execute(HAND_WRITTEN_SQL, {"query": query, "limit": SEARCH_PAGE})
        return cursor.fetchall()


# A narrow search (one recommendation's number in the scale report's texts) and a broad
# one (every generated evaluation of one year). The small side of the query-count check:
# a search of the demo report that finds something (one finding nothing costs a query more,
# to tell an unknown filter value from no match).
SEARCHES = {
    "narrow": ["measure", "42", SCALE_REPORT.split("-")[-1]],
    "broad": ["judgment", "2010"],
}


def search_lines(site: Site, database, reps: int, change: Change) -> list[Line]:
    lines = []
    for name, words in SEARCHES.items():
        query = "+".join(words)
        url = f"/api/v1/search/?q={query}&page_size={SEARCH_PAGE}"
        small = f"/api/v1/search/?q=alliance&report={DEMO_REPORT}&page_size={SEARCH_PAGE}"
        found = site.ok(url)
        if orjson.loads(found)["count"] == 0:
            raise SystemExit(f"The {name} search ({query}) finds nothing in the scale data.")
        runners = {
            "ours": lambda url=url: site.ok(url),
            "raw": lambda words=words: _hand_written(database, words),
        }
        cold = interleaved(runners, reps, before=change)
        line = Line(
            f"API search, {name} (q={query}), first page of {SEARCH_PAGE}, cold",
            median_ms=cold["ours"].median,
            p95_ms=cold["ours"].p95,
            queries=site.count(url, before=change),
            queries_small=site.count(small, before=change),
            raw_median_ms=cold["raw"].median,
        )
        line.same_queries()
        ratio = line.median_ms / line.raw_median_ms
        line.check(
            f"cache cold ≤ {SEARCH_AT_MOST:g}× a hand-written full-text query",
            ratio <= SEARCH_AT_MOST,
            f"{ratio:.2f}×",
        )
        lines.append(line)
    return lines
