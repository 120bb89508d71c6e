"""Downloads: the scorecard as CSV and JSON, and every published evaluation as CSV."""

import csv
import datetime
import io
import json

import pytest
from django.test import Client

from scorecard import exports
from scorecard.exports import SCORECARD_COLUMNS, csv_cell
from tests import factories
from tracker import queries
from tracker.models import EvidenceLink, Recommendation, Status

EXPORT = "/reports/armitage-nye-2000/export"


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def _by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in rows}


def test_scorecard_csv_has_one_row_per_recommendation(demo, client):
    response = client.get(f"{EXPORT}.csv")
    rows = _csv(response)

    assert response["Content-Disposition"] == (
        'attachment; filename="armitage-nye-2000-scorecard.csv"'
    )
    assert list(rows[0]) == list(SCORECARD_COLUMNS)
    assert len(rows) == 25
    sec7 = _by_code(rows)["SEC-7"]
    assert {key: sec7[key] for key in ("area", "grade", "grade_label", "grade_score")} == {
        "area": "Security",
        "grade": "accomplished",
        "grade_label": "Accomplished",
        "grade_score": "5",
    }
    assert (sec7["as_of"], sec7["evaluator"], sec7["topics"]) == (
        "2008-01-15",
        "Scorecard editors (sample)",
        "missile-defense",
    )
    assert sec7["url"] == "http://testserver/reports/armitage-nye-2000/sec-7/"


def test_scorecard_csv_as_of_a_date(demo, client):
    response = client.get(f"{EXPORT}.csv?as_of=2005-01-01")
    rows = _by_code(_csv(response))

    assert response["Content-Disposition"] == (
        'attachment; filename="armitage-nye-2000-as-of-2005-01-01.csv"'
    )
    assert (rows["SEC-7"]["grade"], rows["SEC-7"]["as_of"]) == (
        "substantial-progress",
        "2004-04-26",
    )
    before = _by_code(_csv(client.get(f"{EXPORT}.csv?as_of=2003-01-01")))
    assert {row["grade"] for row in before.values()} == {""}


def test_scorecard_csv_of_an_edition(demo, client):
    response = client.get(f"{EXPORT}.csv?edition=2004-report-card")
    rows = _by_code(_csv(response))

    assert response["Content-Disposition"] == (
        'attachment; filename="armitage-nye-2000-2004-report-card.csv"'
    )
    assert rows["DIP-4"]["grade"] == "substantial-progress"
    assert _by_code(_csv(client.get(f"{EXPORT}.csv?edition=2008-evidence-review")))["DIP-4"][
        "grade"
    ] == ("slow-progress")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("as_of=2005-02-30", "<strong>as_of</strong>: “2005-02-30” is not a date"),
        ("edition=no-such", "<strong>edition</strong>: Armitage-Nye Report has no published"),
        ("edition=2004-report-card&as_of=2005-01-01", "not both"),
    ],
)
@pytest.mark.parametrize("extension", ["csv", "json"])
def test_bad_export_parameters_get_a_400(demo, client, query, words, extension):
    response = client.get(f"{EXPORT}.{extension}?{query}")
    assert response.status_code == 400
    assert words in response.text


def test_an_unknown_report_has_no_export(demo, client):
    assert client.get("/reports/nope/export.csv").status_code == 404


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturned", "'\rReturned"),
        ("Plain text", "Plain text"),
        (5, 5),
        (None, ""),
        (datetime.date(2004, 4, 26), "2004-04-26"),
    ],
)
def test_csv_cells_cannot_become_formulas(value, cell):
    assert csv_cell(value) == cell


def test_exported_text_is_escaped_against_formula_injection(demo, client):
    Recommendation.objects.filter(report=demo, code="SEC-7").update(title="=1+2 cooperation")

    rows = _by_code(_csv(client.get(f"{EXPORT}.csv")))
    evaluations = _csv(client.get("/reports/armitage-nye-2000/evaluations.csv"))

    assert rows["SEC-7"]["title"] == "'=1+2 cooperation"
    assert {row["title"] for row in evaluations if row["code"] == "SEC-7"} == {"'=1+2 cooperation"}


def test_scorecard_json_has_the_same_data_with_evidence(demo, client):
    response = client.get(f"{EXPORT}.json")
    document = json.loads(response.content)

    assert response["Content-Type"] == "application/json"
    assert list(document) == ["report", "as_of", "edition", "grade_scale", "recommendations"]
    assert document["report"]["slug"] == "armitage-nye-2000"
    assert (document["as_of"], document["edition"]) == (None, None)
    assert [grade["slug"] for grade in document["grade_scale"]["grades"]] == [
        "accomplished",
        "substantial-progress",
        "ongoing-progress",
        "slow-progress",
        "more-progress-needed",
        "setback",
    ]
    recommendations = {rec["code"]: rec for rec in document["recommendations"]}
    assert len(recommendations) == 25
    sec7 = recommendations["SEC-7"]
    # The grade as the API's GradeSummary shows it (issue 12: one declaration per shape).
    assert sec7["grade"] == {
        "slug": "accomplished",
        "label": "Accomplished",
        "score": 5,
        "colour": demo.grade_scale.grades.get(slug="accomplished").colour,
    }
    assert sec7["evaluation"]["as_of"] == "2008-01-15"
    evidence = EvidenceLink.objects.filter(evaluation_id=sec7["evaluation"]["id"])
    assert [item["source"]["key"] for item in sec7["evaluation"]["evidence"]] == [
        link.source.key for link in evidence.order_by("position", "id")
    ]
    # The CSV and the JSON agree on every grade.
    csv_rows = _by_code(_csv(client.get(f"{EXPORT}.csv")))
    assert {code: rec["grade"]["slug"] for code, rec in recommendations.items()} == {
        code: row["grade"] for code, row in csv_rows.items()
    }


def test_scorecard_json_shows_areas_grades_and_sources_as_the_api_does(demo, client):
    document = json.loads(client.get(f"{EXPORT}.json").content)
    sec7 = {rec["code"]: rec for rec in document["recommendations"]}["SEC-7"]
    api = client.get(f"/api/v1/recommendations/?report={demo.slug}&q=SEC-7").json()
    (listed,) = [rec for rec in api["results"] if rec["code"] == "SEC-7"]
    source = sec7["evaluation"]["evidence"][0]["source"]
    scale = client.get(f"/api/v1/grade-scales/{demo.grade_scale.slug}/").json()

    assert sec7["area"] == listed["area"]
    assert sec7["grade"] == listed["current_grade"]
    assert source == client.get(f"/api/v1/sources/{source['key']}/").json()
    assert document["grade_scale"]["grades"] == scale["grades"]


def test_scorecard_json_of_an_edition_names_it(demo, client):
    document = json.loads(client.get(f"{EXPORT}.json?edition=2004-report-card").content)
    assert document["edition"] == {
        "slug": "2004-report-card",
        "name": "2004 report card",
        "as_of": "2004-04-26",
        "published_at": "2004-04-26T12:00:00+00:00",
    }
    assert {rec["code"]: rec["grade"]["slug"] for rec in document["recommendations"]}[
        "SEC-7"
    ] == "substantial-progress"


def test_evaluations_csv_streams_every_published_evaluation_in_history_order(demo, client):
    factories.make_evaluation(
        Recommendation.objects.get(report=demo, code="SEC-1"),
        "setback",
        as_of=datetime.date(2009, 1, 1),
        status=Status.DRAFT,
    )
    response = client.get("/reports/armitage-nye-2000/evaluations.csv")

    assert response.streaming
    rows = _csv(response)
    assert list(rows[0]) == ["report", *queries.EVALUATION_EXPORT_FIELDS]
    assert len(rows) == 34  # 25 graded in 2004, 9 regraded in 2008; the draft is not there
    assert [(row["code"], row["as_of"]) for row in rows[1:4]] == [
        ("SEC-1", "2004-04-26"),
        ("SEC-1", "2008-01-15"),
        ("SEC-2", "2004-04-26"),
    ]
    assert "setback" not in {row["grade"] for row in rows if row["code"] == "SEC-1"}


def test_evidence_csv_streams_the_evidence_of_published_evaluations(demo, client):
    rows = _csv(client.get("/reports/armitage-nye-2000/evidence.csv"))
    expected = EvidenceLink.objects.filter(
        evaluation__status=Status.PUBLISHED, evaluation__recommendation__report=demo
    ).count()
    assert len(rows) == expected
    assert list(rows[0]) == ["report", *queries.EVIDENCE_EXPORT_FIELDS]
    assert rows[0]["source_title"] == "A New Security Agenda for the U.S.-Japan Alliance"


@pytest.mark.django_db(transaction=True)
def test_a_download_closed_half_way_leaves_the_site_working(demo, monkeypatch):
    """A visitor who cancels a long download: the rest is not read, and the next
    request (on PostgreSQL, maybe on the same connection) is answered in full."""
    monkeypatch.setattr(exports, "STREAM_CHUNK_ROWS", 5)
    monkeypatch.setattr(exports, "WRITE_BATCH_ROWS", 5)
    client = Client()
    url = "/reports/armitage-nye-2000/evaluations.csv"
    whole = b"".join(client.get(url).streaming_content)

    response = client.get(url)
    first = next(iter(response.streaming_content))
    response.close()

    assert whole.startswith(first)
    assert len(first) < len(whole)
    assert b"".join(client.get(url).streaming_content) == whole
