"""The fast paths the benchmark called for (bench/README.md) give exactly what the plain
ways give: API bodies built by the shapes, column-wise CSV cells, kept
pages."""

import csv
import datetime
import io

import orjson
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.test.client import Client

from scorecard import exports
from scorecard.api import access, shapes
from scorecard.api.renderers import JSONRenderer
from tests import factories
from tests.api_support import client_as, make_draft, publish_new
from tracker import queries, services
from tracker.models import Evaluation, EvidenceLink, Recommendation, Source

# --- The API's bodies, built by the shapes -------------------------------------------------


def test_the_timeline_gives_each_evaluation_as_its_detail_does(demo):
    recommendation = demo.recommendations.get(code="SEC-7")
    # An evaluation without evidence, and one with two pieces, in citation order.
    bare = factories.make_evaluation(
        recommendation, "setback", as_of=datetime.date(2009, 1, 1), with_evidence=False
    )
    cited = factories.make_evaluation(recommendation, "setback", as_of=datetime.date(2010, 1, 1))
    EvidenceLink.objects.create(evaluation=cited, source=factories.make_source(), position=9)
    client = client_as("anonymous")

    timeline = client.get(f"/api/v1/recommendations/{recommendation.pk}/timeline/").json()
    evaluations = timeline["evaluations"]

    assert evaluations == [
        client.get(f"/api/v1/evaluations/{e['id']}/").json() for e in evaluations
    ]
    # The pages' own read of the timeline gives the same bodies.
    assert evaluations == _as_json(
        [shapes.EvaluationShape.build(e) for e in queries.grade_timeline(recommendation)]
    )
    assert [e["id"] for e in evaluations][-2:] == [bare.pk, cited.pk]
    assert evaluations[-2]["evidence"] == []
    assert len(evaluations[-1]["evidence"]) == 2


def _as_json(body: object) -> object:
    """A body as the API's JSON renderer writes it, read back."""
    return orjson.loads(JSONRenderer().render(body))


@pytest.mark.parametrize("role", ["anonymous", "editor"])
def test_the_feed_reads_the_same_rows_with_a_filter_that_keeps_them_all(demo, role):
    # A filter that keeps every row changes nothing in the pages, their order or cursors.
    withdrawn = services.unpublish_evaluation(
        evaluation=publish_new(demo.recommendations.get(code="SEC-1"))
    )
    make_draft(demo)
    client = client_as(role)
    visible = access.feed_for(getattr(client, "user", AnonymousUser()))
    expected = list(visible.order_by("updated_at", "id").values_list("id", flat=True))

    url = "/api/v1/evaluations/?updated_since=2000-01-01T00:00:00Z&page_size=7"
    seen = []
    while url:
        unfiltered = client.get(url).json()
        filtered = client.get(f"{url}&report={demo.slug}").json()
        assert unfiltered["results"] == filtered["results"]
        seen += [e["id"] for e in unfiltered["results"]]
        url = unfiltered["next"]

    assert seen == expected
    statuses = {e["id"]: e["status"] for e in client.get("/api/v1/evaluations/").json()["results"]}
    assert statuses[withdrawn.pk] == ("draft" if role == "editor" else "withdrawn")


def test_an_ungraded_recommendation_has_an_empty_timeline_and_a_missing_one_is_a_404(demo):
    client = client_as("anonymous")
    ungraded = factories.make_recommendation(demo, code="NEW-1")

    body = client.get(f"/api/v1/recommendations/{ungraded.pk}/timeline/").json()
    missing = client.get("/api/v1/recommendations/999999999/timeline/")

    assert body == {
        "recommendation": {
            "id": ungraded.pk,
            "report": demo.slug,
            "code": "NEW-1",
            "title": ungraded.title,
        },
        "evaluations": [],
        "responses": [],  # what the actors say (issue 17): none either
    }
    assert missing.status_code == 404


def test_the_recommendation_list_matches_each_detail(demo):
    client = client_as("anonymous")
    listed = client.get(f"/api/v1/recommendations/?report={demo.slug}&page_size=200").json()

    assert listed["count"] == 25
    for row in listed["results"]:
        assert row == client.get(f"/api/v1/recommendations/{row['id']}/").json()


# --- CSV exports --------------------------------------------------------------------------------


def _cell_by_cell(queryset: QuerySet, first: str) -> list[list[str]]:
    rows = ((first, *values) for values in queryset)
    return list(csv.reader(io.StringIO("".join(exports.csv_lines(["h"], rows)))))


def _column_wise(queryset: QuerySet, fields: list[str], first: str) -> list[list[str]]:
    rows = exports.csv_rows(queryset, fields, first=first)
    return list(csv.reader(io.StringIO("".join(exports.csv_text_lines(["h"], rows)))))


def test_column_wise_csv_cells_equal_cell_by_cell_ones(demo):
    recommendation = demo.recommendations.get(code="SEC-7")
    Recommendation.objects.filter(pk=recommendation.pk).update(title="=1+2 cooperation")
    odd = factories.make_evaluation(recommendation, "setback", as_of=datetime.date(2011, 1, 1))
    # A moment with microseconds, one without, a text starting with each formula character.
    Evaluation.objects.filter(pk=odd.pk).update(
        published_at=datetime.datetime(2011, 1, 2, 3, 4, 5, 600, tzinfo=datetime.UTC),
        updated_at=datetime.datetime(2011, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        wording="-minus",
        narrative="\tTabbed",
    )
    Source.objects.filter(evidence__evaluation=odd).update(title="@at", citation="+plus")

    for rows, fields in (
        (queries.evaluation_export_rows(demo), queries.EVALUATION_EXPORT_FIELDS),
        (queries.evidence_export_rows(demo), queries.EVIDENCE_EXPORT_FIELDS),
    ):
        expected = _cell_by_cell(rows, "-report")
        assert _column_wise(rows, list(fields.values()), "-report") == expected
        assert len(expected) > 30
    exported = _column_wise(
        queries.evaluation_export_rows(demo),
        list(queries.EVALUATION_EXPORT_FIELDS.values()),
        "-report",
    )
    texts = {cell for row in exported for cell in row}
    assert {"'-report", "'=1+2 cooperation", "'-minus", "'\tTabbed"} <= texts
    assert {"2011-01-02T03:04:05.000600+00:00", "2011-01-02T03:04:05+00:00"} <= texts


AWKWARD_TEXTS = [
    'He said "yes", then "no"',
    "first line\nsecond line",
    "windows\r\nline",
    "lone\rreturn",
    "=SUM(A1)",
    "+plus",
    "-minus, with a comma",
    "@at",
    "\ttab first",
    "\rreturn first",
    '"quoted first"',
    "back\\slash \\. and \\N",
    "",
    " leading and trailing space ",
    "Ünïcödé — 日米同盟 🤝",
]


def test_streamed_downloads_are_byte_for_byte_what_the_csv_module_writes(demo):
    """On PostgreSQL the server writes the long downloads (COPY); SQLite's are written by
    the csv module. Either way the bytes must be the reference writer's, on text that needs
    quoting or escaping, empty texts beside NULLs, and moments with and without
    microseconds (trailing zeros included)."""
    moments = [
        datetime.datetime(2011, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        datetime.datetime(2011, 1, 2, 3, 4, 5, 600, tzinfo=datetime.UTC),
        datetime.datetime(2011, 1, 2, 3, 4, 5, 292400, tzinfo=datetime.UTC),
        datetime.datetime(2011, 1, 2, 3, 4, 5, 999999, tzinfo=datetime.UTC),
        datetime.datetime(999, 12, 31, 23, 59, 59, 100000, tzinfo=datetime.UTC),
    ]
    recommendation = demo.recommendations.get(code="SEC-7")
    Recommendation.objects.filter(pk=recommendation.pk).update(title='=1+2, "cooperation"')
    for index, text in enumerate(AWKWARD_TEXTS):
        evaluation = factories.make_evaluation(
            recommendation, "setback", as_of=datetime.date(2011, 1, 1 + index)
        )
        Evaluation.objects.filter(pk=evaluation.pk).update(
            published_at=moments[index % len(moments)],
            updated_at=moments[(index + 1) % len(moments)],
            wording=text,
            narrative=AWKWARD_TEXTS[-1 - index],
            publication=None if index % 2 else factories.make_source(),
        )
        Source.objects.filter(evidence__evaluation=evaluation).update(
            title=text, author=AWKWARD_TEXTS[-1 - index], citation=text[::-1]
        )
        EvidenceLink.objects.filter(evaluation=evaluation).update(quote=text, page=text[:50])
    client = Client()

    for name, rows, fields in (
        ("evaluations", queries.evaluation_export_rows(demo), queries.EVALUATION_EXPORT_FIELDS),
        ("evidence", queries.evidence_export_rows(demo), queries.EVIDENCE_EXPORT_FIELDS),
    ):
        response = client.get(f"/reports/{demo.slug}/{name}.csv")
        served = b"".join(response.streaming_content)
        cells = ((demo.slug, *values) for values in rows)
        reference = "".join(exports.csv_lines(["report", *fields], cells)).encode()
        assert served == reference, name
        assert served.count(b"\n") > len(AWKWARD_TEXTS) + 30

    served = b"".join(client.get(f"/reports/{demo.slug}/evaluations.csv").streaming_content)
    assert b'"\'=1+2, ""cooperation"""' in served
    assert b",2011-01-02T03:04:05.292400+00:00," in served
    assert "日米同盟 🤝".encode() in served


# --- Kept pages ---------------------------------------------------------------------------------


def test_a_kept_page_is_the_page_and_costs_one_query(demo, django_assert_num_queries):
    client = Client()
    url = f"/reports/{demo.slug}/"
    rendered = client.get(url)

    with django_assert_num_queries(1):
        kept = client.get(url)

    assert (kept.status_code, kept.content, kept["ETag"]) == (
        200,
        rendered.content,
        rendered["ETag"],
    )


def test_a_publication_is_shown_at_once_not_a_kept_page(demo):
    client = Client()
    url = f"/reports/{demo.slug}/sec-1/"
    before = client.get(url)
    publish_new(
        demo.recommendations.get(code="SEC-1"),
        narrative="A marker narrative for the kept-page test.",
    )

    after = client.get(url)

    assert b"A marker narrative for the kept-page test." not in before.content
    assert b"A marker narrative for the kept-page test." in after.content
    assert after["ETag"] != before["ETag"]


def test_pages_are_kept_per_host_and_failures_are_not_kept(
    demo, django_assert_num_queries, django_assert_max_num_queries
):
    client = Client()
    url = f"/reports/{demo.slug}/sec-1/"
    local = client.get(url, HTTP_HOST="localhost")
    loopback = client.get(url, HTTP_HOST="127.0.0.1")
    client.get(f"/reports/{demo.slug}/no-such-1/")

    with django_assert_num_queries(1):
        again = client.get(url, HTTP_HOST="127.0.0.1")
    with django_assert_max_num_queries(10) as captured:
        missing = client.get(f"/reports/{demo.slug}/no-such-1/")

    # The page embeds its own address (the badge snippet), so each host has its own copy.
    assert b"http://localhost/" in local.content
    assert b"http://127.0.0.1/" in loopback.content
    assert again.content == loopback.content
    assert missing.status_code == 404
    assert len(captured) > 1


# --- Conditional API requests -------------------------------------------------------------------


def test_an_api_304_costs_one_query_while_the_data_stand_still(demo, django_assert_num_queries):
    client = client_as("anonymous")
    url = f"/api/v1/recommendations/?report={demo.slug}"
    first = client.get(url)

    with django_assert_num_queries(1):
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert again["Cache-Control"] == first["Cache-Control"]
    assert again["Vary"] == first["Vary"]


def test_after_a_change_the_api_answers_in_full_again(demo):
    client = client_as("anonymous")
    url = f"/api/v1/recommendations/{demo.recommendations.get(code='SEC-1').pk}/timeline/"
    first = client.get(url)
    draft = publish_new(demo.recommendations.get(code="SEC-1"), narrative="Worse.")

    after = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert after.status_code == 200
    assert after.json()["evaluations"][-1]["id"] == draft.pk
