"""What the actors say, exported: `/reports/<report>/responses.csv`, one row per published
response (issue 17).

The rows are the responses to the recommendations the scorecard's export keeps: the same
filters with the same meaning (tracker.filters, as on the report's page and in export.csv),
`as_of` (those said by that date) or `edition` (those the edition froze,
tracker.responses.frozen_in). Only published responses: a draft never leaves the admin.
A fixed number of queries, whatever the number of rows.
"""

import datetime
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse

from scorecard import export_translations
from scorecard.exports import _csv_response, _scorecard_rows, csv_lines
from scorecard.public import public
from scorecard.views import get_report
from tracker import responses as actor_responses
from tracker.models import Edition, Report

RESPONSE_COLUMNS = (
    "report",
    "area",
    "code",
    "title",
    "response_id",
    "actor",
    "actor_name",
    "position",
    "said_on",
    "statement",
    "source_keys",
    "source_urls",
    "published_at",
    "updated_at",
    "url",
)
# Beside which a file in another language gives their translations
# (scorecard.export_translations).
RESPONSE_TEXTS = {"area": ("area", "name"), "title": ("recommendation", "title")}


@public
def responses_csv(request: HttpRequest, report: str) -> HttpResponse:
    report = get_report(report)
    recommendations, as_of, edition = _scorecard_rows(request, report)
    said = actor_responses.responses_by_recommendation(report.pk, as_of=as_of, edition=edition)
    export_translations.attach(
        [*recommendations, *(r.area for r in recommendations)],
        published_before=edition.published_at if edition is not None else None,
    )

    def rows() -> Iterator[list[Any]]:
        for recommendation in recommendations:
            texts = {"recommendation": recommendation, "area": recommendation.area}
            for response in said.get(recommendation.pk, []):
                sources = [link.source for link in response.sources.all()]
                row = [
                    report.slug,
                    recommendation.area.name,
                    recommendation.code,
                    recommendation.title,
                    response.pk,
                    response.actor.slug,
                    response.actor.name,
                    response.position,
                    response.said_on,
                    response.statement,
                    ";".join(source.key for source in sources),
                    ";".join(source.url for source in sources if source.url),
                    response.published_at,
                    response.updated_at,
                    f"{recommendation.url}#response-{response.pk}",
                ]
                yield export_translations.cells(RESPONSE_COLUMNS, RESPONSE_TEXTS, row, texts)

    header = export_translations.header(RESPONSE_COLUMNS, RESPONSE_TEXTS)
    return _csv_response(_responses_filename(report, as_of, edition), csv_lines(header, rows()))


def _responses_filename(
    report: Report, as_of: datetime.date | None, edition: Edition | None
) -> str:
    if edition is not None:
        return f"{report.slug}-{edition.slug}-responses.csv"
    if as_of is not None:
        return f"{report.slug}-responses-as-of-{as_of.isoformat()}.csv"
    return f"{report.slug}-responses.csv"
