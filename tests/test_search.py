"""The search across every report (tracker/search.py, /search/, /api/v1/search/): what it
finds is what a scan of the record finds, on either engine; the best matches come first;
the services and the import keep it in step; drafts are found only by those who may see
them; it is a read like the others (ETag, 304) at a fixed number of queries."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.api_support import client_as
from tests.conftest import DEMO_FILES
from tracker import search, search_bulk, services
from tracker.filters import SEARCH_PARAMETERS, parse_filters
from tracker.models import (
    Evaluation,
    EvidenceLink,
    Recommendation,
    SearchDocument,
    Status,
)

DRAFT_WORD = "Zanzibarquux"


@pytest.fixture
def corpus(db):
    """Two reports: English in mixed case, Japanese without spaces, an accented word,
    `%` and `_`, markup; a published evaluation citing a source, and a draft."""
    scale = factories.make_scale()
    report = factories.make_report("corpus-report", scale)
    other = factories.make_report("other-report", scale)
    area = factories.make_area(report)
    recs = {}
    japan, united_states = factories.make_actor("japan"), factories.make_actor("united-states")
    for code, title, text, actors in (
        ("DEF-1", "Missile defense cooperation", "Deepen ballistic missile work.",
         [japan, united_states]),
        ("JPN-1", "日本の防衛政策", "防衛省と自衛隊の役割を明確にする。", [japan]),
        ("ECO-2", "Trade talks", "The Défense ministry stays out; 50% tariffs_cut.", [japan]),
        ("ESC-1", "<b>Bold</b> claims & tricks", "Text with <script>alert(1)</script>.", []),
    ):  # fmt: skip
        recs[code] = Recommendation.objects.create(
            report=report,
            area=area,
            code=code,
            position=len(recs) + 1,
            title=title,
            text=text,
        )
        recs[code].actors.set(actors)
    recs["OTH-1"] = Recommendation.objects.create(
        report=other,
        area=factories.make_area(other),
        code="OTH-1",
        position=1,
        title="Another idea",
        text="Elsewhere, another defense idea.",
    )
    published = factories.make_evaluation(
        recs["ECO-2"], "partial", narrative="Missile DEFENSE talks stalled in 2005."
    )
    published.wording = "Some progress"
    published.save()
    source = factories.make_source("white-paper")
    source.title = "Defense White Paper"
    source.publisher = "Ministry of Defense of Japan"
    source.save()
    link = EvidenceLink.objects.create(
        evaluation=published, source=source, quote="The alliance deepened.", position=1
    )
    draft = factories.make_evaluation(
        recs["DEF-1"],
        "done",
        status=Status.DRAFT,
        narrative=f"A {DRAFT_WORD} secret plan.",
        with_evidence=False,
    )
    EvidenceLink.objects.create(evaluation=draft, source=source, quote=f"{DRAFT_WORD} quote")
    search.rebuild()  # written around the services above, as a restored backup would be
    return {"recs": recs, "published": published, "link": link, "draft": draft, "source": source}


def found(q: str, *, drafts_visible: bool = False, **params: str) -> list[tuple[str, int]]:
    filters = parse_filters({"q": q, **params}, accepted=SEARCH_PARAMETERS)
    _, hits = search.page(filters, drafts_visible=drafts_visible, limit=1000, offset=0)
    return [(hit.kind, hit.object_id) for hit in hits]


def scanned(q: str, *, drafts_visible: bool) -> set[tuple[str, int]]:
    """The brute force: every document of the record with every word of `q` in it, in any
    case, read from the models (not from the search's table)."""
    words = [word.lower() for word in q.split()]

    def has_all(*texts: str) -> bool:
        text = "\n".join(texts).lower()
        return all(word in text for word in words)

    results = set()
    for rec in Recommendation.objects.all():
        if has_all(rec.code, rec.title, rec.text):
            results.add(("recommendation", rec.pk))
    for evaluation in Evaluation.objects.all():
        if (drafts_visible or evaluation.is_published) and has_all(
            evaluation.wording, evaluation.narrative
        ):
            results.add(("evaluation", evaluation.pk))
    for link in EvidenceLink.objects.select_related("evaluation", "source"):
        if not (drafts_visible or link.evaluation.is_published):
            continue
        source = link.source
        texts = (link.quote, link.page, source.title, source.author, source.publisher)
        if has_all(*texts, source.citation):
            results.add(("evidence", link.pk))
    return results


QUERIES = [
    "missile defense",
    "DEFENSE",
    "defen",
    "防衛",
    "防衛政策",
    "自衛隊の役割",
    "日本",
    "défense",
    "50%",
    "tariffs_cut",
    "de",
    "a",
    "alliance DEEPENED",
    "ministry japan",
    DRAFT_WORD.lower(),
    "no-such-word-anywhere",
    "<b>",
    "claims &",
]


@pytest.mark.parametrize("drafts_visible", [False, True])
def test_the_search_finds_what_a_scan_of_the_record_finds(corpus, drafts_visible):
    for q in QUERIES:
        assert set(found(q, drafts_visible=drafts_visible)) == scanned(
            q, drafts_visible=drafts_visible
        ), q


def test_the_same_answers_on_every_engine(corpus):
    recs, published, link = corpus["recs"], corpus["published"], corpus["link"]
    # Exact, ordered: what this test asserts holds on SQLite (FTS5) and PostgreSQL alike.
    assert found("防衛") == [("recommendation", recs["JPN-1"].pk)]
    assert found("衛隊") == [("recommendation", recs["JPN-1"].pk)]
    assert found("défense") == [("recommendation", recs["ECO-2"].pk)]
    assert found("tariffs_cut 50%") == [("recommendation", recs["ECO-2"].pk)]
    assert found("50_") == []
    assert found("ALLIANCE") == [("evidence", link.pk)]
    assert found("stalled missile") == [("evaluation", published.pk)]
    assert found(DRAFT_WORD) == []
    assert found(DRAFT_WORD, drafts_visible=True) == [
        ("evaluation", corpus["draft"].pk),
        ("evidence", corpus["draft"].evidence.get().pk),
    ]


def test_a_title_match_comes_before_a_text_match(corpus):
    recs, published, link = corpus["recs"], corpus["published"], corpus["link"]
    # Titles first (a recommendation's, then a source's), then texts and the narrative.
    assert found("defense") == [
        ("recommendation", recs["DEF-1"].pk),
        ("evidence", link.pk),
        ("recommendation", recs["OTH-1"].pk),
        ("evaluation", published.pk),
    ]
    assert found("missile defense") == [
        ("recommendation", recs["DEF-1"].pk),
        ("evaluation", published.pk),
    ]


def test_the_filters_mean_what_they_mean_elsewhere(corpus):
    recs, published, link = corpus["recs"], corpus["published"], corpus["link"]
    assert found("defense", report="other-report") == [("recommendation", recs["OTH-1"].pk)]
    assert found("defense", actor="united-states") == [("recommendation", recs["DEF-1"].pk)]
    # The grade filter keeps what is about recommendations whose current grade it is.
    assert found("defense", grade="partial") == [
        ("evidence", link.pk),
        ("evaluation", published.pk),
    ]
    assert found("defense", grade="ungraded") == [
        ("recommendation", recs["DEF-1"].pk),
        ("recommendation", recs["OTH-1"].pk),
    ]
    assert found("defense", grade="partial", as_of="2004-01-01") == []
    assert found("defense", code="def-1", report="corpus-report") == [
        ("recommendation", recs["DEF-1"].pk)
    ]


def test_highlights_are_the_only_markup_in_titles_and_snippets(corpus):
    filters = parse_filters({"q": "bold script"}, accepted=SEARCH_PARAMETERS)
    count, (hit,) = search.page(filters, drafts_visible=False, limit=10, offset=0)

    assert count == 1
    assert hit.title_html == "ESC-1 &lt;b&gt;<mark>Bold</mark>&lt;/b&gt; claims &amp; tricks"
    assert (
        hit.snippet_html
        == "Text with &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;."
    )
    assert hit.url == "/reports/corpus-report/esc-1/"


def test_a_snippet_is_cut_around_the_first_match():
    text = " ".join(f"word{n}" for n in range(100)) + " needle " + "tail " * 100
    snippet = search.snippet(text, ["NEEDLE"], length=60)

    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>needle</mark>" in snippet
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= 62


# --- Kept in step ----------------------------------------------------------------------------


def test_every_write_service_keeps_the_search_in_step(corpus):
    rec, source = corpus["recs"]["DEF-1"], corpus["source"]
    services.update_recommendation(recommendation=rec, changes={"title": "Space cooperation"})
    assert found("space") == [("recommendation", rec.pk)]
    # The old title is gone: only the narrative elsewhere still has both words.
    assert found("missile defense") == [("evaluation", corpus["published"].pk)]

    evaluator = factories.make_evaluator()
    evaluation = services.record_evaluation(
        recommendation=rec,
        evaluator=evaluator,
        grade=rec.report.grade_scale.grades.get(slug="done"),
        as_of=datetime.date(2005, 1, 1),
        narrative="Quixotic drafting.",
        evidence=[{"source": source, "quote": "Xylograph"}],
    )
    link = evaluation.evidence.get()
    assert found("quixotic") == []
    assert found("quixotic", drafts_visible=True) == [("evaluation", evaluation.pk)]

    services.publish_evaluation(evaluation=evaluation)
    assert found("quixotic") == [("evaluation", evaluation.pk)]
    assert found("xylograph") == [("evidence", link.pk)]

    services.update_source(source=source, changes={"title": "Renamed Almanac"})
    assert set(found("almanac")) == {("evidence", link.pk), ("evidence", corpus["link"].pk)}

    services.unpublish_evaluation(evaluation=evaluation)
    assert found("xylograph") == []

    evaluation.refresh_from_db()
    services.update_evaluation(
        evaluation=evaluation,
        expected_version=evaluation.version,
        changes={"narrative": "Different now."},
        removed_evidence=[link.pk],
    )
    assert found("quixotic", drafts_visible=True) == []
    assert found("xylograph", drafts_visible=True) == []
    assert found("different now", drafts_visible=True) == [("evaluation", evaluation.pk)]

    services.add_evidence(evaluation=evaluation, evidence=[{"source": source, "quote": "Yonder"}])
    assert found("yonder", drafts_visible=True) == [("evidence", evaluation.evidence.get().pk)]

    services.delete_evaluation(evaluation=evaluation)
    assert found("different now", drafts_visible=True) == []
    assert found("yonder", drafts_visible=True) == []


def test_the_import_indexes_what_it_writes(demo):
    assert scanned("missile defense", drafts_visible=True) == set(
        found("missile defense", drafts_visible=True)
    )
    assert len(found("missile defense")) == 13
    # Importing the same files again changes nothing, the documents included.
    before = sorted(SearchDocument.objects.values_list("kind", "object_id", "title", "body"))
    services.import_scorecard(files=DEMO_FILES)
    after = sorted(SearchDocument.objects.values_list("kind", "object_id", "title", "body"))
    assert after == before


def test_the_rebuild_command_writes_every_document_again(corpus, capsys):
    SearchDocument.objects.all().delete()
    call_command("rebuild_search_index")

    assert capsys.readouterr().out == "Indexed 10 search documents.\n"
    assert set(found("defense")) == scanned("defense", drafts_visible=False)


def test_answers_kept_before_a_rebuild_are_not_served_after_it(corpus):
    # Documents written around the services (bulk data, a restored backup) are found only
    # after a rebuild; an answer kept while they were missing must not outlive it.
    api = client_as("anonymous")
    SearchDocument.objects.all().delete()
    assert api.get("/api/v1/search/?q=defense").json()["count"] == 0

    call_command("rebuild_search_index")

    assert api.get("/api/v1/search/?q=defense").json()["count"] == len(
        scanned("defense", drafts_visible=False)
    )


# --- The page --------------------------------------------------------------------------------


def test_the_page_lists_labelled_results_linking_to_their_place(corpus, client):
    published = corpus["published"]
    html = client.get("/search/?q=missile+defense").content.decode()

    assert '<h2 id="results-heading">2 results for “missile defense”</h2>' in html
    assert (
        '<h3><a href="/reports/corpus-report/def-1/">DEF-1 <mark>Missile</mark> '
        "<mark>defense</mark> cooperation</a></h3>" in html
    )
    assert f'<a href="/reports/corpus-report/eco-2/#evaluation-{published.pk}">' in html
    assert html.index("kind-recommendation") < html.index("kind-evaluation")
    assert '<p class="eyebrow">Evaluation · ' in html


def test_the_page_without_words_is_the_form(corpus, client):
    response = client.get("/search/")
    blank = client.get("/search/?q=+&report=")

    assert response.status_code == 200
    assert 'id="results-heading"' not in response.content.decode()
    assert (blank.status_code, blank["Location"]) == (302, "/search/")


def test_the_page_is_paged(demo, client):
    factories.make_many_recommendations(demo, 25)
    search.rebuild()
    # 25 recommendations, 50 published evaluations, 50 published evidence links.
    first = client.get("/search/?q=generated").content.decode()
    last = client.get("/search/?q=generated&page=7").content.decode()

    assert "125 results for “generated”, 1–20 shown" in first
    assert '<a href="?q=generated&amp;page=2" rel="next">Next page</a>' in first
    assert last.count('<li class="search-result') == 5
    assert client.get("/search/?q=generated&page=8").status_code == 404
    assert client.get("/search/?q=generated&page=x").status_code == 400


def test_a_bad_filter_is_a_400_naming_it(corpus, client):
    response = client.get("/search/?q=defense&grade=no-such-grade")

    assert response.status_code == 400
    assert "There is no grade “no-such-grade” here." in response.content.decode()


def test_the_page_and_the_endpoint_follow_the_data_state(corpus, client):
    api = client_as("anonymous")
    for get in (client.get, api.get):
        url = "/search/?q=defense" if get == client.get else "/api/v1/search/?q=defense"
        first = get(url)
        etag = first["ETag"]
        assert get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        services.update_recommendation(
            recommendation=Recommendation.objects.get(code="OTH-1"),
            changes={"text": f"Another defense idea, changed after {etag}."},
        )
        again = get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 200
        assert again["ETag"] != etag


# --- The endpoint ----------------------------------------------------------------------------


def test_the_endpoint_answers_with_the_declared_shape(corpus):
    recs = corpus["recs"]
    body = client_as("anonymous").get("/api/v1/search/?q=missile+defense&page_size=1").json()

    assert body == {
        "count": 2,
        "next": "http://testserver/api/v1/search/?page=2&page_size=1&q=missile+defense",
        "previous": None,
        "results": [
            {
                "kind": "recommendation",
                "id": recs["DEF-1"].pk,
                "recommendation": {
                    "id": recs["DEF-1"].pk,
                    "report": "corpus-report",
                    "code": "DEF-1",
                    "title": "Missile defense cooperation",
                },
                "evaluation": None,
                "title": "DEF-1 <mark>Missile</mark> <mark>defense</mark> cooperation",
                "snippet": "Deepen ballistic <mark>missile</mark> work.",
                "url": "/reports/corpus-report/def-1/",
            }
        ],
    }


def test_drafts_are_found_only_by_those_who_may_see_them(corpus):
    url = f"/api/v1/search/?q={DRAFT_WORD}"
    counts = {role: client_as(role).get(url).json()["count"] for role in ("anonymous", "partner")}
    editor = client_as("editor").get(url).json()

    assert counts == {"anonymous": 0, "partner": 0}
    assert [(r["kind"], r["evaluation"]) for r in editor["results"]] == [
        ("evaluation", corpus["draft"].pk),
        ("evidence", corpus["draft"].pk),
    ]


def test_the_endpoint_names_every_bad_parameter(corpus):
    response = client_as("anonymous").get("/api/v1/search/?grade=nope&as_of=tomorrow")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"q", "grade", "as_of"}
    assert response.json()["errors"]["q"] == [
        "Give the words to search for, e.g. `q=missile defense`."
    ]


# --- Cost ------------------------------------------------------------------------------------


SEARCHES = [
    "/search/?q=generated+thing",
    "/search/?q=generated&report=armitage-nye-2000&actor=unspecified",
    "/api/v1/search/?q=generated&page_size=200",
    "/api/v1/search/?q=de&actor=japan",
]


def _counts(client, api) -> dict[str, int]:
    counts = {}
    for url in SEARCHES:
        with CaptureQueriesContext(connection) as queries:
            response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code == 200, url
        counts[url] = len(queries)
    return counts


def test_query_counts_are_the_same_at_25_and_10000_recommendations(demo, client):
    if connection.vendor == "postgresql":
        # Each statement checks its own foreign keys: deferred to the end of the test, the
        # checks of 130,000 rows would be one statement, past the database's time bound.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    api = client_as("anonymous")
    shown = Recommendation.objects.count()
    factories.make_many_recommendations(demo, 1)
    search.rebuild()
    small = _counts(client, api)

    more = 10_000 - shown - 1
    with factories.unbounded_setup():
        for start in range(0, more, 1000):
            factories.make_many_recommendations(demo, min(1000, more - start))
        # The report's documents written again in bulk, as generate_scale_data writes them
        # (the same documents; on PostgreSQL by COPY, the indexes built after: `rebuild`
        # took six minutes there, through two GIN indexes row by row).
        search_bulk.index_bulk(reports=[demo.pk])
    large = _counts(client, api)

    assert large == small
    assert Recommendation.objects.count() == 10_000
    # Each generated recommendation, its two published evaluations and their evidence.
    body = api.get("/api/v1/search/?q=generated&page_size=200").json()
    assert body["count"] == 5 * (10_000 - shown)
