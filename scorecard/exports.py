"""Downloads: a report's scorecard as CSV and JSON, and every published evaluation as CSV.

The shapes are documented in docs/exports.md. CSV files are UTF-8 with a header row, and
every text cell that a spreadsheet would read as a formula is prefixed with an apostrophe.
The long files (all evaluations, all evidence) are streamed straight from a database
cursor, so their memory use stays flat however many rows there are.
"""

import csv
import datetime
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
from django.db.models import CharField, DateTimeField, Model, QuerySet, TextField
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse

from scorecard.views import (
    BadParameter,
    get_report,
    parse_as_of,
    public,
    published_edition_for,
)
from tracker import queries
from tracker.models import Edition, EvidenceLink, Recommendation, Report

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


def _column_kind(model: type[Model], path: str) -> str:
    """What a CSV cell of field `path` needs: "text", "moment" or "other" (numbers, dates)."""
    *relations, name = path.split(LOOKUP_SEP)
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    field = model._meta.get_field(name)
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


def _csv_response(filename: str, lines: Iterator[str]) -> StreamingHttpResponse:
    # The first chunk (the first rows from the cursor) is read here, in the view, so that a
    # database failure before anything is sent is still an error response (503 while the
    # database is away; scorecard/errors.py) rather than a download that breaks off.
    first = next(lines)
    response = StreamingHttpResponse(
        itertools.chain([first], lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- One row per recommendation: now, as of a date, or in an edition ------------------------

SCORECARD_COLUMNS = (
    "report",
    "area",
    "code",
    "title",
    "actor",
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
)


def _scorecard_rows(
    request: HttpRequest, report: Report
) -> tuple[list[Recommendation], datetime.date | None, Edition | None]:
    """The recommendations with the evaluation to export as `current_evaluation`."""
    as_of = parse_as_of(request.GET.get("as_of"))
    edition = published_edition_for(report, request.GET.get("edition", "").strip())
    if as_of and edition:
        raise BadParameter(
            "edition",
            "Ask for an edition or for a date (as_of), not both: an edition has its own date.",
        )
    if edition is None:
        recommendations = queries.scorecard(report, as_of)
    else:
        frozen = queries.edition_grades(edition)
        recommendations = list(report.recommendations.select_related("area").order_by("position"))
        for recommendation in recommendations:
            recommendation.current_evaluation = frozen.get(recommendation.pk)
    topics = queries.recommendation_topics(report)
    for recommendation in recommendations:
        recommendation.topic_slugs = [topic.slug for topic in topics.get(recommendation.pk, [])]
        recommendation.url = request.build_absolute_uri(
            reverse("recommendation", args=[report.slug, recommendation.slug])
        )
    return recommendations, as_of, edition


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

    def rows() -> Iterator[list[Any]]:
        for recommendation in recommendations:
            evaluation = recommendation.current_evaluation
            yield [
                report.slug,
                recommendation.area.name,
                recommendation.code,
                recommendation.title,
                recommendation.actor,
                ";".join(recommendation.topic_slugs),
                evaluation.grade.slug if evaluation else "",
                evaluation.grade.label if evaluation else "",
                evaluation.grade.score if evaluation else "",
                evaluation.wording if evaluation else "",
                evaluation.as_of if evaluation else "",
                evaluation.evaluator.name if evaluation else "",
                evaluation.pk if evaluation else "",
                evaluation.published_at if evaluation else "",
                evaluation.narrative if evaluation else "",
                recommendation.url,
            ]

    return _csv_response(
        _filename(report, as_of, edition, "csv"), csv_lines(SCORECARD_COLUMNS, rows())
    )


def _date(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@public
def scorecard_json(request: HttpRequest, report: str) -> HttpResponse:
    report = get_report(report)
    recommendations, as_of, edition = _scorecard_rows(request, report)
    grades = list(report.grade_scale.grades.order_by("-score"))
    evaluation_ids = [r.current_evaluation.pk for r in recommendations if r.current_evaluation]
    evidence: dict[int, list[EvidenceLink]] = {}
    for link in (
        EvidenceLink.objects.filter(evaluation_id__in=evaluation_ids)
        .select_related("source")
        .order_by("evaluation_id", "position", "id")
    ):
        evidence.setdefault(link.evaluation_id, []).append(link)
    document = {
        "report": {
            "slug": report.slug,
            "short_name": report.short_name,
            "title": report.title,
            "published_on": _date(report.published_on),
            "url": request.build_absolute_uri(reverse("report", args=[report.slug])),
        },
        "as_of": _date(as_of),
        "edition": {
            "slug": edition.slug,
            "name": edition.name,
            "as_of": _date(edition.as_of),
            "published_at": _date(edition.published_at),
        }
        if edition
        else None,
        "grade_scale": {
            "slug": report.grade_scale.slug,
            "name": report.grade_scale.name,
            "grades": [
                {
                    "slug": grade.slug,
                    "label": grade.label,
                    "score": grade.score,
                    "colour": grade.colour,
                    "description": grade.description,
                }
                for grade in grades
            ],
        },
        "recommendations": [
            _recommendation_json(recommendation, evidence) for recommendation in recommendations
        ],
    }
    response = HttpResponse(
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        content_type="application/json",
    )
    response["Content-Disposition"] = (
        f'inline; filename="{_filename(report, as_of, edition, "json")}"'
    )
    return response


def _recommendation_json(
    recommendation: Recommendation, evidence: dict[int, list[EvidenceLink]]
) -> dict[str, Any]:
    evaluation = recommendation.current_evaluation
    return {
        "code": recommendation.code,
        "title": recommendation.title,
        "area": {"slug": recommendation.area.slug, "name": recommendation.area.name},
        "actor": recommendation.actor,
        "topics": recommendation.topic_slugs,
        "text": recommendation.text,
        "url": recommendation.url,
        "grade": {
            "slug": evaluation.grade.slug,
            "label": evaluation.grade.label,
            "score": evaluation.grade.score,
        }
        if evaluation
        else None,
        "evaluation": {
            "id": evaluation.pk,
            "as_of": _date(evaluation.as_of),
            "evaluator": evaluation.evaluator.name,
            "wording": evaluation.wording,
            "narrative": evaluation.narrative,
            "published_at": _date(evaluation.published_at),
            "evidence": [
                {
                    "stance": link.stance,
                    "quote": link.quote,
                    "page": link.page,
                    "source": {
                        "key": link.source.key,
                        "title": link.source.title,
                        "author": link.source.author,
                        "publisher": link.source.publisher,
                        "published_on": _date(link.source.published_on),
                        "url": link.source.url,
                        "archived_url": link.source.archived_url,
                        "citation": link.source.citation,
                    },
                }
                for link in evidence.get(evaluation.pk, [])
            ],
        }
        if evaluation
        else None,
    }


# --- Every published evaluation, and its evidence (streamed) --------------------------------


@public
def evaluations_csv(request: HttpRequest, report: str) -> HttpResponse:
    report = get_report(report)
    rows = csv_rows(
        queries.evaluation_export_rows(report),
        list(queries.EVALUATION_EXPORT_FIELDS.values()),
        first=report.slug,
    )
    header = ["report", *queries.EVALUATION_EXPORT_FIELDS]
    return _csv_response(f"{report.slug}-evaluations.csv", csv_text_lines(header, rows))


@public
def evidence_csv(request: HttpRequest, report: str) -> HttpResponse:
    report = get_report(report)
    rows = csv_rows(
        queries.evidence_export_rows(report),
        list(queries.EVIDENCE_EXPORT_FIELDS.values()),
        first=report.slug,
    )
    header = ["report", *queries.EVIDENCE_EXPORT_FIELDS]
    return _csv_response(f"{report.slug}-evidence.csv", csv_text_lines(header, rows))
