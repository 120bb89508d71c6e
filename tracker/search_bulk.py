"""Writing the search's documents in bulk (`index_bulk`, for the millions of rows of
`generate_scale_data`): the documents `tracker.search.index` writes, put in with COPY on
PostgreSQL. And COPY's text format (`copy_field`), in which generate_scale_data writes its
own rows too.
"""

import contextlib
import io
from collections.abc import Callable, Iterable, Iterator

from django.db import connection
from django.db.models import Q

from tracker.models import Evaluation, EvidenceLink, Recommendation, SearchDocument
from tracker.search import (
    COLUMNS,
    PG_ANALYZE,
    TABLE,
    batches,
    document_rows,
    write_documents,
)

COPY_BATCH = 20_000  # rows per COPY statement (PostgreSQL)


def copy_field(value) -> str:
    # COPY's text format: \N is NULL; backslash, tab and line breaks are escaped.
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


_COPY = f'COPY "{TABLE}" ({", ".join(COLUMNS)}) FROM STDIN'


# A bulk load's indexes and foreign keys of the documents' table, other than its primary key
# and unique constraint (kept: they guard the load). Names and definitions as the catalogue
# holds them, so that they are built again exactly as migration 0013 and the model made them.
_PG_SECONDARY_INDEXES = f"""
    SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = '"{TABLE}"'::regclass AND NOT i.indisunique AND NOT i.indisprimary
    ORDER BY c.relname"""  # noqa: S608 -- fixed names
_PG_FOREIGN_KEYS = f"""
    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = '"{TABLE}"'::regclass AND contype = 'f' ORDER BY conname"""  # noqa: S608 -- fixed names
_PG_ROWS_ESTIMATE = (
    f"SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = '\"{TABLE}\"'::regclass"  # noqa: S608 -- fixed names
)
_PG_ANALYZE_SOURCES = "ANALYZE {}".format(
    ", ".join(f'"{model._meta.db_table}"' for model in (Recommendation, Evaluation, EvidenceLink))
)


def renew_source_statistics() -> None:
    """On PostgreSQL, before the documents of a load just written are read from it: that
    load is not in the planner's statistics yet (autovacuum has not seen it; it never sees
    an uncommitted import). Planned for the dozen rows it last counted, reading the
    documents joined every evaluation to a scan of the recommendations, 80 s for 10,000."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PG_ANALYZE_SOURCES)


# Building a GIN index in one pass sorts its entries in memory: more than the default 64 MB
# keeps the 4 million documents of the benchmark's large profile from spilling to disk.
_PG_BUILD_MEMORY = "SET LOCAL maintenance_work_mem = '256MB'"


@contextlib.contextmanager
def _pg_indexes_built_after(cursor) -> Iterator[None]:
    """Drop the secondary indexes and the foreign keys of the documents' table for the
    block, and build them again after it, each in one pass over the table (as a restore
    does): inserting millions of rows into two GIN indexes, and checking four foreign keys
    row by row at commit, took most of a bulk load's time. The table is locked for the
    rest of the transaction (readers of the search wait for the load to commit)."""
    quote = connection.ops.quote_name
    # Checks still pending on the table (rows written earlier in the transaction) would
    # forbid altering it: run them now, as the commit would have.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    cursor.execute(_PG_SECONDARY_INDEXES)
    indexes = cursor.fetchall()
    cursor.execute(_PG_FOREIGN_KEYS)
    keys = cursor.fetchall()
    for name, _ in keys:
        cursor.execute(f"ALTER TABLE {quote(TABLE)} DROP CONSTRAINT {quote(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    cursor.execute(_PG_BUILD_MEMORY)
    for _, definition in indexes:
        cursor.execute(definition)
    for name, definition in keys:
        cursor.execute(f"ALTER TABLE {quote(TABLE)} ADD CONSTRAINT {quote(name)} {definition}")


def index_bulk(*, reports: Iterable[int], progress: Callable[[int], None] | None = None) -> int:
    """Write again every document of whole reports (ids), exactly as `index(reports=…)`
    does (the same `document_rows`), for a bulk load of millions of rows
    (`generate_scale_data`); how many were written. `progress(count)` is told of each
    batch written. Call it inside the load's transaction, after the load.

    On PostgreSQL the rows go in with COPY, a large batch per statement; when they are at
    least as many as the table already holds, its secondary indexes and foreign keys are
    built again after the COPY instead of kept up row by row (`_pg_indexes_built_after`).
    Elsewhere they are written as `index` writes them."""
    reports = list(reports)
    if not reports:
        return 0
    stale = SearchDocument.objects.filter(report_id__in=reports)
    rows = document_rows(
        Q(report_id__in=reports),
        Q(recommendation__report_id__in=reports),
        Q(evaluation__recommendation__report_id__in=reports),
    )
    written = 0
    if connection.vendor != "postgresql":

        def told() -> Iterator[SearchDocument]:
            nonlocal written
            for batch in batches(rows):
                yield from (SearchDocument(**dict(zip(COLUMNS, row, strict=True))) for row in batch)
                written += len(batch)
                if progress:
                    progress(len(batch))

        write_documents(stale, told())
        return written
    stale.delete()
    coming = (
        Recommendation.objects.filter(report_id__in=reports).count()
        + Evaluation.objects.filter(recommendation__report_id__in=reports).count()
        + EvidenceLink.objects.filter(evaluation__recommendation__report_id__in=reports).count()
    )
    with connection.cursor() as cursor:
        renew_source_statistics()
        cursor.execute(_PG_ROWS_ESTIMATE)
        (held,) = cursor.fetchone()
        rebuilt = _pg_indexes_built_after(cursor) if coming >= held else contextlib.nullcontext()
        with rebuilt:
            for batch in batches(rows, COPY_BATCH):
                data = "".join("\t".join(copy_field(v) for v in row) + "\n" for row in batch)
                cursor.cursor.copy_expert(_COPY, io.StringIO(data))
                written += len(batch)
                if progress:
                    progress(len(batch))
        cursor.execute(PG_ANALYZE)
    return written
