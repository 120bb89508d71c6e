"""Downloads: a report's scorecard as CSV and JSON, and every published evaluation as CSV.

The shapes are documented in docs/exports.md. CSV files are UTF-8 with a header row, and
every text cell that a spreadsheet would read as a formula is prefixed with an apostrophe.
The long files (all evaluations, all evidence) are streamed as the database reads them, so
their memory use stays flat however many rows there are: on PostgreSQL the server writes the
CSV (COPY), elsewhere the csv module does, byte for byte the same file.
"""

import csv
import datetime
import functools
import io
import itertools
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    Model,
    QuerySet,
    TextField,
)
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext

from scorecard import export_translations
from scorecard.links import absolute_url
from scorecard.views import (
    BadParameter,
    get_report,
    public,
    published_edition_for,
    scorecard_filters,
)
from tracker import actors, queries, translations
from tracker.models import (
    Area,
    Edition,
    Evaluation,
    EvidenceLink,
    Grade,
    Recommendation,
    Report,
)

STREAM_CHUNK_ROWS = 2000  # rows fetched from the database cursor at a time
WRITE_BATCH_ROWS = 500  # rows joined into one chunk of the response

# Spreadsheets run a cell as a formula when it starts with one of these.
FORMULA_PREFIXES = frozenset("=+-@\t\r")


def csv_cell(value: Any) -> Any:
    """A value made safe and plain for a CSV cell."""
    # Called for every cell of exports with hundreds of thousands of rows: text first.
    if type(value) is str:
        return "'" + value if value and value[0] in FORMULA_PREFIXES else value
    if value is None:
        return ""
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of a header and rows, a batch of rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    batch: list[list[Any]] = []
    for row in rows:
        batch.append([csv_cell(value) for value in row])
        if len(batch) >= WRITE_BATCH_ROWS:
            writer.writerows(batch)
            batch = []
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(batch)
    yield buffer.getvalue()


def _column_field(model: type[Model], path: str) -> Any:
    *relations, name = path.split(LOOKUP_SEP)
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def _column_kind(model: type[Model], path: str) -> str:
    """What a CSV cell of field `path` needs: "text", "moment" or "other" (numbers, dates)."""
    field = _column_field(model, path)
    if isinstance(field, DateTimeField):
        return "moment"
    if isinstance(field, (CharField, TextField)):
        return "text"
    return "other"


def csv_rows(queryset: QuerySet, fields: Sequence[str], *, first: str) -> Iterator[list[Any]]:
    """The rows of a values_list `queryset` of `fields`, after a column holding `first`,
    made into CSV cells as `csv_cell` makes them, and streamed from a database cursor.

    Column by column, knowing each column's type from the model, rather than asking every
    cell what it is: the cell-by-cell way held the streamed exports to tens of thousands
    of rows a second (bench/README.md). None, numbers and dates the csv module writes
    as they should be.
    """
    kinds = [_column_kind(queryset.model, path) for path in fields]
    moments = [index + 1 for index, kind in enumerate(kinds) if kind == "moment"]
    texts = [index + 1 for index, kind in enumerate(kinds) if kind == "text"]
    prefixes = FORMULA_PREFIXES
    first = csv_cell(first)
    for values in queryset.iterator(chunk_size=STREAM_CHUNK_ROWS):
        row = [first, *values]
        for index in moments:
            value = row[index]
            if value is not None:
                row[index] = value.isoformat()
        for index in texts:
            value = row[index]
            if value and value[0] in prefixes:
                row[index] = "'" + value
        yield row


def csv_text_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """`csv_lines` for rows from `csv_rows`, whose cells need no more work."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    rows = iter(rows)
    # The header goes out with the first rows, as csv_lines sends it (see _csv_response).
    while True:
        batch = list(itertools.islice(rows, WRITE_BATCH_ROWS))
        writer.writerows(batch)
        yield buffer.getvalue()
        if len(batch) < WRITE_BATCH_ROWS:
            return
        buffer.seek(0)
        buffer.truncate()


# --- PostgreSQL: the database server writes the CSV -------------------------------------------
#
# Making the cells and the CSV text in Python holds the long exports to tens of thousands of
# rows a second (bench/README.md). On PostgreSQL, `COPY (SELECT ...) TO STDOUT WITH (FORMAT
# csv)` has the server write them while Python only passes them on. The SELECT makes each cell
# what `csv_rows` makes it, so that the file is byte for byte the one the csv module writes
# (tests/test_performance.py compares them): formula-like text behind an apostrophe, moments
# as `isoformat()` writes them, and the empty text as NULL, because COPY quotes an empty text
# (`""`) where the csv module writes nothing, and writes NULL as nothing. COPY quotes exactly
# where the csv module does (a comma, a double quote, CR or LF in the cell) and doubles the
# double quotes; only its line ends differ ("\n", not "\r\n"), mended row by row below.


# FORMULA_PREFIXES by code point (comparing integers costs a third of comparing texts),
# after one comparison that settles most texts: every prefix is below "A" (65).
_TEXT_CELL = (
    "CASE WHEN ascii({x}) > 64 THEN {x}"
    " WHEN ascii({x}) IN (61, 43, 45, 64, 9, 13) THEN '''' || {x}"
    " ELSE NULLIF({x}, '') END"
)
# isoformat() of an aware datetime in UTC: microseconds only when there are some.
_MOMENT_CELL = (
    "replace(to_char({x} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'),"
    " '.000000+', '+')"
)
_DATE_CELL = "{x}"  # as isoformat() writes it, under DateStyle ISO (set below)
_INTEGER_CELL = "{x}"  # PostgreSQL writes integers as str() does


def _copy_cell(model: type[Model], path: str) -> str | None:
    """The SQL expression, `{x}` standing for the column, making field `path`'s CSV cell;
    None for the fields whose values PostgreSQL does not write as Python does (booleans,
    decimals, floats...)."""
    field = _column_field(model, path)
    if field.is_relation:
        field = field.target_field
    if isinstance(field, DateTimeField):  # before DateField, of which it is a kind
        return _MOMENT_CELL
    if isinstance(field, DateField):
        return _DATE_CELL
    if isinstance(field, (CharField, TextField)):
        return _TEXT_CELL
    if isinstance(field, IntegerField):
        return _INTEGER_CELL
    return None


def copy_csv_sql(queryset: QuerySet, fields: Sequence[str], *, first: str) -> str | None:
    """The statement writing `csv_rows(queryset, fields, first=first)` as CSV with COPY, or
    None where the database is not PostgreSQL or a column's cell cannot be made in SQL."""
    if connection.vendor != "postgresql":
        return None
    cells = [_copy_cell(queryset.model, path) for path in fields]
    ordering = queryset.query.order_by
    if None in cells or not all(isinstance(key, str) for key in ordering):
        return None
    # The query's rows, with its sort keys, in a subquery (OFFSET 0 keeps it one), and the
    # cells made over them as they come out sorted: the sort moves the plain values, and
    # the cells of later rows are made while the first ones are sent. The rows are ordered
    # again by the same keys, which costs nothing (they come sorted) and makes the order
    # certain, as a subquery's is not.
    keys = {f"csv_key_{index}": F(key.removeprefix("-")) for index, key in enumerate(ordering)}
    sql, params = queryset.annotate(**keys).values_list(*fields, *keys).query.sql_with_params()
    columns = [f"c{index}" for index in range(len(fields))]
    made = [cell.format(x=f"row.{column}") for cell, column in zip(cells, columns, strict=True)]
    order = [
        f"row.{name} DESC" if key.startswith("-") else f"row.{name}"
        for name, key in zip(keys, ordering, strict=True)
    ]
    select = (
        f"SELECT %s, {', '.join(made)} FROM ({sql} OFFSET 0)"  # noqa: S608 -- our cells and the ORM's query; values are parameters
        f" AS row({', '.join([*columns, *keys])}) ORDER BY {', '.join(order)}"
    )
    # `first`, the same on every row, is made in Python; an empty one would be quoted.
    with connection.cursor() as cursor:
        select = cursor.mogrify(select, [csv_cell(first) or None, *params]).decode()
    # Statements sent together run as one transaction (or in the one under way), so SET
    # LOCAL holds for this COPY only. Planned without parallel workers: for a report of
    # 20,000 rows the planner chose a parallel scan of the whole evaluation table rather
    # than the report's index, and took 1.5 to 2 times the processor time. DateStyle ISO
    # writes dates as isoformat() does (the default, but a server can be set otherwise);
    # to_char() would cost more. No statement_timeout: a long file takes as long as its
    # reader (the client-side deadline still ends a COPY whose server falls silent).
    return (
        "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL datestyle = 'ISO'; "
        "SET LOCAL statement_timeout = 0; "
        f"COPY ({select}) TO STDOUT WITH (FORMAT csv)"
    )


class _Stopped(Exception):
    """The response was closed before the end of the COPY."""


_END = object()


def copy_csv_lines(header: Sequence[str], copy_sql: str) -> Iterator[bytes]:
    """The header and the output of `copy_sql`, a batch of rows per chunk.

    psycopg2 runs a COPY to its end, handing each row to a callback: it runs in a thread
    here, which passes batches of rows through a short queue, so that at most a few batches
    are in memory however long the file. Database errors come out of the generator as
    Django's, as from any query.
    """
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    head = buffer.getvalue().encode()
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    cursor = connection.cursor()
    db = cursor.db  # this thread's connection, which the COPY's thread uses too

    class Rows:
        def __init__(self) -> None:
            self.rows: list[bytes] = []

        def write(self, row: bytes) -> None:
            # One row per call (the server sends each row in a message of its own), ending
            # in "\n" where the csv module ends rows with "\r\n"; a line break inside a
            # cell stays as it is, as with the csv module.
            self.rows.append(row[:-1])
            if len(self.rows) >= STREAM_CHUNK_ROWS:
                self.flush()

        def flush(self) -> None:
            if stop.is_set():
                raise _Stopped
            if self.rows:
                batches.put(b"\r\n".join(self.rows) + b"\r\n")
                self.rows = []

    def copy() -> None:
        rows = Rows()

        def run(sql: str, params: Any, many: bool, context: dict[str, Any]) -> None:
            cursor.copy_expert(sql, rows)

        # Through the connection's execute wrappers, as a query run by cursor.execute().
        execute = functools.reduce(
            lambda execute, wrapper: functools.partial(wrapper, execute), db.execute_wrappers, run
        )
        try:
            execute(copy_sql, None, False, {"connection": db, "cursor": cursor})
            rows.flush()
            batches.put(_END)
        except BaseException as error:  # handed to the reader, which raises it
            batches.put(error)

    thread = threading.Thread(target=copy, name="csv-copy", daemon=True)
    thread.start()
    batch: Any = None
    try:
        while True:
            batch = batches.get()
            if isinstance(batch, BaseException):
                with db.wrap_database_errors:
                    raise batch
            if batch is _END:
                if head:
                    yield head
                return
            yield head + batch
            head = b""
    finally:
        # Closed early: stop the COPY at its next batch, and let the thread end.
        stop.set()
        while batch is not _END and not isinstance(batch, BaseException):
            batch = batches.get()
        thread.join()
        if isinstance(batch, _Stopped):
            # The rest of the COPY is still coming: the connection's next query would first
            # wait for all of it to be written and read.
            db.close()
        else:
            cursor.close()


def _csv_response(filename: str, lines: Iterator[str | bytes]) -> StreamingHttpResponse:
    # The first chunk (the first rows from the cursor) is read here, in the view, so that a
    # database failure before anything is sent is still an error response (503 while the
    # database is away; scorecard/errors.py) rather than a download that breaks off.
    first = next(lines)

    def chunks() -> Iterator[str | bytes]:
        # A generator, so that closing the response closes `lines` (and ends its COPY).
        yield first
        yield from lines

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- One row per recommendation: now, as of a date, or in an edition ------------------------

SCORECARD_COLUMNS = (
    "report",
    "area",
    "code",
    "title",
    "actors",
    "topics",
    "grade",
    "grade_label",
    "grade_score",
    "wording",
    "as_of",
    "evaluator",
    "evaluation_id",
    "published_at",
    "narrative",
    "url",
    # Added with "not rateable": graded / not-rateable / ungraded, and the reason.
    "judgment",
    "not_rateable_reason",
)


# The text columns whose translations a file in another language gives beside them
# (scorecard.export_translations): column → (the row's object holding it, its field).
SCORECARD_TEXTS = {
    "area": ("area", "name"),
    "title": ("recommendation", "title"),
    "grade_label": ("grade", "label"),
    "wording": ("evaluation", "wording"),
    "narrative": ("evaluation", "narrative"),
}


def _scorecard_rows(
    request: HttpRequest, report: Report
) -> tuple[list[Recommendation], datetime.date | None, Edition | None]:
    """The recommendations the filters find (tracker.filters, as on the report's page),
    each with the evaluation to export as `current_evaluation`: the current one (as of
    `as_of`), or the one frozen in the edition asked for."""
    filters = scorecard_filters(request, report)
    edition = published_edition_for(report, request.GET.get("edition", "").strip())
    if filters.as_of and edition:
        raise BadParameter(
            "edition",
            gettext(
                "Ask for an edition or for a date (as_of), not both: an edition has its own date."
            ),
        )
    recommendations = [
        row for row in queries.filtered_scorecard(report, filters, edition=edition) if row.matches
    ]
    topics = queries.recommendation_topics(report)
    named = actors.recommendation_actors(report.recommendations.all())
    for recommendation in recommendations:
        recommendation.topic_slugs = [topic.slug for topic in topics.get(recommendation.pk, [])]
        recommendation.actor_slugs = [actor.slug for actor in named.get(recommendation.pk, [])]
        recommendation.url = absolute_url(
            request,
            reverse(
                "recommendation",
                # In an edition, the row shows the code it froze; its page has today's.
                args=[report.slug, getattr(recommendation, "page_slug", recommendation.slug)],
            ),
        )
    return recommendations, filters.as_of, edition


def _filename(
    report: Report, as_of: datetime.date | None, edition: Edition | None, ext: str
) -> str:
    if edition is not None:
        return f"{report.slug}-{edition.slug}.{ext}"
    if as_of is not None:
        return f"{report.slug}-as-of-{as_of.isoformat()}.{ext}"
    return f"{report.slug}-scorecard.{ext}"


@public
def scorecard_csv(request: HttpRequest, report: str) -> HttpResponse:
    report = get_report(report)
    recommendations, as_of, edition = _scorecard_rows(request, report)
    evaluations = [r.current_evaluation for r in recommendations if r.current_evaluation]
    # Of an edition, the translations it froze (published by then).
    export_translations.attach(
        [*recommendations, *(r.area for r in recommendations), *evaluations]
        + [evaluation.grade for evaluation in evaluations],
        published_before=edition.published_at if edition is not None else None,
    )

    def rows() -> Iterator[list[Any]]:
        for recommendation in recommendations:
            evaluation = recommendation.current_evaluation
            row = [
                report.slug,
                recommendation.area.name,
                recommendation.code,
                recommendation.title,
                ";".join(recommendation.actor_slugs),
                ";".join(recommendation.topic_slugs),
                evaluation.grade.slug if evaluation and evaluation.grade else "",
                evaluation.grade.label if evaluation and evaluation.grade else "",
                evaluation.grade.score if evaluation and evaluation.grade else "",
                evaluation.wording if evaluation else "",
                evaluation.as_of if evaluation else "",
                evaluation.evaluator.name if evaluation else "",
                evaluation.pk if evaluation else "",
                evaluation.published_at if evaluation else "",
                evaluation.narrative if evaluation else "",
                recommendation.url,
                recommendation.current_judgment,
                evaluation.not_rateable_reason if evaluation else "",
            ]
            yield export_translations.cells(
                SCORECARD_COLUMNS,
                SCORECARD_TEXTS,
                row,
                {
                    "recommendation": recommendation,
                    "area": recommendation.area,
                    "grade": evaluation.grade if evaluation else None,
                    "evaluation": evaluation,
                },
            )

    header = export_translations.header(SCORECARD_COLUMNS, SCORECARD_TEXTS)
    return _csv_response(_filename(report, as_of, edition, "csv"), csv_lines(header, rows()))


# --- Every published evaluation, and its evidence (streamed) --------------------------------


# Their text columns whose translations a file in another language gives beside them
# (scorecard.export_translations): column → (the path of the id of the object holding the
# text, its model, its field).
EVALUATION_TEXTS = {
    "area": ("recommendation__area_id", Area, "name"),
    "title": ("recommendation_id", Recommendation, "title"),
    "grade_label": ("grade_id", Grade, "label"),
    "wording": ("pk", Evaluation, "wording"),
    "narrative": ("pk", Evaluation, "narrative"),
}
EVIDENCE_TEXTS = {"quote": ("pk", EvidenceLink, "quote")}


def _streamed_csv(
    filename: str,
    columns: Sequence[str],
    queryset: QuerySet,
    fields: Sequence[str],
    first: str,
    texts: export_translations.StreamedTexts,
) -> StreamingHttpResponse:
    """A long export: written by PostgreSQL where it can, by the csv module otherwise; in
    another language, with the translations of `texts` beside them (the csv module)."""
    if not translations.in_original_language():
        rows = export_translations.streamed_rows(
            queryset, fields, columns, texts, first=first, chunk_size=STREAM_CHUNK_ROWS
        )
        header = export_translations.header(columns, texts)
        return _csv_response(filename, csv_lines(header, rows))
    header = columns
    copy_sql = copy_csv_sql(queryset, fields, first=first)
    if copy_sql is not None:
        return _csv_response(filename, copy_csv_lines(header, copy_sql))
    rows = csv_rows(queryset, fields, first=first)
    return _csv_response(filename, csv_text_lines(header, rows))


@public
def evaluations_csv(request: HttpRequest, report: str) -> HttpResponse:
    report = get_report(report)
    return _streamed_csv(
        f"{report.slug}-evaluations.csv",
        ["report", *queries.EVALUATION_EXPORT_FIELDS],
        queries.evaluation_export_rows(report),
        list(queries.EVALUATION_EXPORT_FIELDS.values()),
        report.slug,
        EVALUATION_TEXTS,
    )


@public
def evidence_csv(request: HttpRequest, report: str) -> HttpResponse:
    report = get_report(report)
    return _streamed_csv(
        f"{report.slug}-evidence.csv",
        ["report", *queries.EVIDENCE_EXPORT_FIELDS],
        queries.evidence_export_rows(report),
        list(queries.EVIDENCE_EXPORT_FIELDS.values()),
        report.slug,
        EVIDENCE_TEXTS,
    )
