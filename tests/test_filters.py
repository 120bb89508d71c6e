"""The recommendation filters mean one thing on the report page, in the API list and in the
scorecard exports (tracker/filters.py): a table of filter combinations is run through all
three, on the demo scorecard, and each must find the same recommendations as a plain
reading of what the filters say, and name the same bad parameters."""

import csv
import datetime
import io
import itertools
import re

import pytest
from django.test import Client

from tests import factories
from tests.api_support import client_as
from tracker import filters, queries
from tracker.models import Report, Topic

REPORT = "armitage-nye-2000"
PAGE = f"/reports/{REPORT}/"
EXPORT = f"/reports/{REPORT}/export"


@pytest.fixture
def anonymous(db):
    return client_as("anonymous")


def page_codes(client: Client, query: str) -> set[str]:
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 200, (query, response.status_code)
    return set(
        re.findall(
            r'<th scope="row" class="col-code"><span class="code">([A-Z0-9-]+)<', response.text
        )
    )


def api_codes(client, query: str) -> list[str]:
    """Every code the API lists, following `next`, in the list's order."""
    url = f"/api/v1/recommendations/?report={REPORT}&page_size=10&{query}"
    codes = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (query, response.content)
        body = response.json()
        codes += [row["code"] for row in body["results"]]
        url = body["next"]
    assert body["count"] == len(codes)
    return codes


def export_codes(client: Client, query: str) -> tuple[set[str], set[str]]:
    """The codes of the CSV export, and of the JSON one."""
    response = client.get(f"{EXPORT}.csv?{query}")
    assert response.status_code == 200, (query, response.status_code)
    text = b"".join(response.streaming_content).decode()
    in_csv = {row["code"] for row in csv.DictReader(io.StringIO(text))}
    response = client.get(f"{EXPORT}.json?{query}")
    assert response.status_code == 200, (query, response.status_code)
    in_json = {row["code"] for row in response.json()["recommendations"]}
    return in_csv, in_json


def expected_codes(params: dict[str, str]) -> set[str]:
    """What the filters say, read plainly: the demo report's recommendations whose current
    grade (as of `as_of`) is `grade` ("ungraded": none), in `area`, for `actor`, with
    `topic`, and with every word of `q` somewhere in the code, title or text, in any case."""
    report = Report.objects.get(slug=REPORT)
    as_of = datetime.date.fromisoformat(params["as_of"]) if "as_of" in params else None
    found = set()
    for r in queries.scorecard(report, as_of):
        current = r.current_evaluation
        haystack = f"{r.code}\n{r.title}\n{r.text}".casefold()
        if (
            params.get("area", r.area.slug) == r.area.slug
            and ("actor" not in params or addressed_to(r, params["actor"]))
            and params.get("grade", "-") in ("-", current.grade.slug if current else "ungraded")
            and ("topic" not in params or r.topics.filter(slug=params["topic"]).exists())
            and all(word.casefold() in haystack for word in params.get("q", "").split())
        ):
            found.add(r.code)
    return found


def addressed_to(recommendation, slug: str) -> bool:
    """Whether it names the actor `slug` or a body within it ("unspecified": names none)."""
    actors = list(recommendation.actors.all())
    if slug == "unspecified":
        return not actors
    for actor in actors:
        while actor is not None:
            if actor.slug == slug:
                return True
            actor = actor.parent
    return False


# Each filter alone, with values that find some recommendations and values that find none.
SINGLE = [
    {"area": "security"},
    {"area": "okinawa"},
    {"grade": "slow-progress"},
    {"grade": "accomplished"},
    {"grade": "ungraded"},
    # Actors are records (issue 17): "both" is no longer a value; "japan" includes the
    # recommendations addressed to both governments.
    {"actor": "unspecified"},
    {"actor": "japan"},
    {"topic": "missile-defense"},
    {"topic": "okinawa-bases"},
    {"q": "missile defense"},
    {"q": "defense missile"},  # the same words in another order
    {"q": "DEFENSE   Missile"},  # and case, and spacing
    {"q": "host nation"},
    {"q": "alliance"},
    {"q": "sec-7"},  # a code
    {"q": "okinawa SACO"},
    {"q": "defen"},  # inside a word
    {"q": "missile 100%"},  # `%` is a character, not "anything"
    {"as_of": "2003-01-01"},
    {"as_of": "2005-01-01"},
]
AS_OF = [None, "2005-01-01"]


# In pairs, a value of each parameter that finds some recommendations alone.
PAIRED = [
    {"area": "security"},
    {"grade": "substantial-progress"},
    {"grade": "ungraded"},
    {"actor": "united-states"},
    {"topic": "missile-defense"},
    {"q": "defense cooperation"},
]


def combinations() -> list[dict[str, str]]:
    pairs = [
        {**a, **b}
        for a, b in itertools.combinations(PAIRED, 2)
        if not set(a) & set(b)  # two values of one parameter is one value, the last
    ]
    table = []
    for params in [{}, *SINGLE, *pairs]:
        for as_of in AS_OF:
            table.append({**params, "as_of": as_of} if as_of and "as_of" not in params else params)
    return table


def query_of(params: dict[str, str]) -> str:
    return "&".join(f"{name}={value.replace('%', '%25')}" for name, value in params.items())


def test_the_page_the_api_and_the_exports_find_the_same_recommendations(demo, client, anonymous):
    table = combinations()
    found_somewhere = 0
    mismatches = []
    for params in table:
        query = query_of(params)
        expected = expected_codes(params)
        in_csv, in_json = export_codes(client, query)
        found = {
            "page": page_codes(client, query),
            "api": set(api_codes(anonymous, query)),
            "csv": in_csv,
            "json": in_json,
        }
        if any(codes != expected for codes in found.values()):
            mismatches.append((query, sorted(expected), {k: sorted(v) for k, v in found.items()}))
        found_somewhere += bool(expected)

    assert mismatches == []
    # The table is not all empty answers, nor all full ones.
    assert 0.3 * len(table) < found_somewhere < len(table)


@pytest.mark.parametrize("ordering", filters.ORDERING_VALUES)
@pytest.mark.parametrize("params", [{}, {"area": "security"}, {"q": "defense"}])
def test_every_ordering_lists_what_the_page_shows(demo, client, anonymous, ordering, params):
    listed = api_codes(anonymous, query_of({**params, "ordering": ordering}))

    assert sorted(listed) == sorted(page_codes(client, query_of(params)))
    assert len(listed) == len(set(listed))


def test_the_examples_of_the_issue_agree(demo, client, anonymous):
    # Before: 4 on the page and 1 in the API; 2 and 0; 4 and 0.
    for q in ("missile defense", "defense missile", "Missile DEFENSE"):
        assert page_codes(client, f"q={q}") == set(api_codes(anonymous, f"q={q}")) == {"SEC-7"}
    assert page_codes(client, "q=host nation") == set(api_codes(anonymous, "q=host nation"))
    assert set(api_codes(anonymous, "grade=ungraded&as_of=2003-01-01")) == expected_codes(
        {"as_of": "2003-01-01"}
    )
    assert len(api_codes(anonymous, "grade=ungraded&as_of=2003-01-01")) == 25


# --- Bad values: the same parameters named, with the same words, everywhere ------------------

BAD = [
    ({"as_of": "2999-01-01"}, ["as_of"]),
    ({"as_of": "2004-13-01"}, ["as_of"]),
    ({"as_of": "26/04/2004"}, ["as_of"]),
    ({"area": "nowhere"}, ["area"]),
    ({"area": "politics", "grade": "excellent"}, ["grade"]),
    ({"grade": "excellent"}, ["grade"]),
    ({"area": "what-the-administration-should-do"}, ["area"]),  # of another report
    ({"actor": "china"}, ["actor"]),
    ({"topic": "whaling"}, ["topic"]),
    ({"q": "x" * 201}, ["q"]),
    # Every bad parameter at once, unknown slugs among them.
    ({"as_of": "2999-01-01", "area": "nowhere", "topic": "whaling"}, ["area", "topic", "as_of"]),
    ({"actor": "china", "grade": "excellent", "q": "y" * 300}, ["grade", "actor", "q"]),
]


def page_errors(client: Client, url: str) -> list[tuple[str, str]]:
    response = client.get(url)
    assert response.status_code == 400, url
    return re.findall(r'<p class="problem"><strong>([a-z_]+)</strong>: ([^<]+)</p>', response.text)


def api_errors(client, query: str) -> list[tuple[str, str]]:
    response = client.get(f"/api/v1/recommendations/?report={REPORT}&{query}")
    assert response.status_code == 400, query
    errors = response.json()["errors"]
    return [(name, message) for name, messages in errors.items() for message in messages]


@pytest.mark.parametrize(("params", "named"), BAD)
def test_a_bad_value_is_named_with_the_same_words_everywhere(
    demo, client, anonymous, params, named
):
    query = query_of(params)
    # The messages are HTML-escaped on the page.
    on_page = [
        (name, message.replace("&amp;", "&"))
        for name, message in page_errors(client, f"{PAGE}?{query}")
    ]

    assert [name for name, _ in on_page] == named
    assert api_errors(anonymous, query) == on_page
    for extension in ("csv", "json"):
        assert page_errors(client, f"{EXPORT}.{extension}?{query}") == page_errors(
            client, f"{PAGE}?{query}"
        )


def test_an_unknown_slug_lists_the_known_ones(demo, anonymous):
    (message,) = dict(api_errors(anonymous, "area=nowhere")).values()

    assert message == (
        "There is no area “nowhere” here. Choose one of: diplomacy, economic-relations, "
        "intelligence, okinawa, politics, security."
    )


@pytest.mark.parametrize("name", filters.PARAMETERS)
def test_an_empty_value_is_a_400_in_the_api_and_the_exports(demo, client, anonymous, name):
    response = anonymous.get(f"/api/v1/recommendations/?{name}=")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        name: [f"{name} is empty: give a value, or leave {name} out."]
    }
    if name in filters.SCORECARD_PARAMETERS:
        assert page_errors(client, f"{EXPORT}.csv?{name}=") == [
            (name, f"{name} is empty: give a value, or leave {name} out.")
        ]


def test_as_of_in_the_future_is_a_400_for_one_recommendation_too(demo, anonymous):
    pk = Report.objects.get(slug=REPORT).recommendations.first().pk

    response = anonymous.get(f"/api/v1/recommendations/{pk}/?as_of=2999-01-01")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["as_of"]


# --- On awkward data ------------------------------------------------------------------------


def test_codes_are_ordered_by_their_number_not_as_text(report, anonymous):
    for code in ("SEC-12", "SEC-2", "ECO-1", "SEC-1"):
        factories.make_recommendation(report, code=code)

    def listed(ordering: str) -> list[str]:
        body = anonymous.get(f"/api/v1/recommendations/?ordering={ordering}").json()
        return [row["code"] for row in body["results"]]

    assert listed("code") == ["ECO-1", "SEC-1", "SEC-2", "SEC-12"]
    assert listed("-code") == ["SEC-12", "SEC-2", "SEC-1", "ECO-1"]
    assert listed("position") == ["SEC-12", "SEC-2", "ECO-1", "SEC-1"]
    assert listed("-position") == ["SEC-1", "ECO-1", "SEC-2", "SEC-12"]


def test_search_words_with_a_backslash_are_taken_literally(report, anonymous):
    slashed = factories.make_recommendation(report)
    slashed.text = r"Path C:\bases\okinawa"
    slashed.save()
    factories.make_recommendation(report)

    def codes(q: str) -> list[str]:
        body = anonymous.get("/api/v1/recommendations/", {"q": q}).json()
        return [row["code"] for row in body["results"]]

    assert codes("\\bases") == [slashed.code]
    assert codes("okinawa \\") == [slashed.code]
    assert codes("\\%") == []


def test_a_page_of_the_list_is_what_the_shapes_build_from(report, django_assert_num_queries):
    """tracker.queries.recommendation_page: report, area, topics by name and the current
    evaluation with grade and evaluator, in four queries, none more to read them."""
    topic_b = Topic.objects.create(slug="b", name="Bravo")
    topic_a = Topic.objects.create(slug="a", name="Alpha")
    graded, ungraded = factories.make_recommendation(report), factories.make_recommendation(report)
    graded.topics.set([topic_b, topic_a])
    evaluation = factories.make_evaluation(graded, "done", as_of=datetime.date(2004, 4, 26))

    with django_assert_num_queries(5):  # the fifth: the actors (issue 17)
        count, page = queries.recommendation_page(
            filters.RecommendationFilters(), limit=50, offset=0
        )
    with django_assert_num_queries(0):
        read = [
            (
                r.report.slug,
                r.area.slug,
                [t.slug for t in r.topics.all()],
                r.current_evaluation and r.current_evaluation.grade.slug,
                r.current_evaluation and r.current_evaluation.evaluator.slug,
            )
            for r in page
        ]

    assert count == 2
    assert [r.pk for r in page] == [graded.pk, ungraded.pk]
    assert page[0].current_evaluation == evaluation
    assert read == [
        (report.slug, "security", ["a", "b"], "done", evaluation.evaluator.slug),
        (report.slug, "security", [], None, None),
    ]


def test_a_page_past_the_end_costs_only_the_count(report, django_assert_num_queries):
    factories.make_recommendation(report)

    with django_assert_num_queries(1):
        assert queries.recommendation_page(
            filters.RecommendationFilters(), limit=50, offset=50
        ) == (1, [])


def test_parsing_names_every_bad_parameter_in_a_fixed_order(report):
    with pytest.raises(filters.InvalidFilters) as raised:
        filters.parse_filters(
            {"ordering": "colour", "q": " ", "as_of": "2004-02-30", "report": "nothing"}
        )

    assert raised.value.errors == {
        "report": [f"There is no report “nothing” here. Choose one of: {report.slug}."],
        "q": ["q is empty: give a value, or leave q out."],
        "as_of": ["“2004-02-30” is not a date. Write the date as YYYY-MM-DD, e.g. 2004-04-26."],
        "ordering": [
            "There is no ordering “colour” here. Choose one of: -code, -date, -grade, "
            "-position, code, date, grade, position."
        ],
    }


def test_parsing_reads_the_words_of_q_once_each(db):
    parsed = filters.parse_filters({"q": "  Missile  defense missile ", "as_of": "2004-04-26"})

    assert (parsed.q, parsed.words, parsed.as_of) == (
        "Missile  defense missile",
        ("Missile", "defense"),
        datetime.date(2004, 4, 26),
    )
    assert parsed.params() == {"q": "Missile  defense missile", "as_of": "2004-04-26"}


# --- The other lists: an empty value is a mistake there too (issue 13, item 9) ---------------

EMPTY_ELSEWHERE = [
    ("/api/v1/sources/", "kind"),
    ("/api/v1/sources/", "q"),
    ("/api/v1/areas/", "report"),
    ("/api/v1/editions/", "report"),
    ("/api/v1/evaluations/", "updated_since"),
    ("/api/v1/evaluations/", "recommendation"),
    ("/api/v1/evaluations/", "report"),
    ("/api/v1/evaluations/", "evaluator"),
    ("/api/v1/evaluations/", "grade"),
    ("/api/v1/evaluations/", "status"),
]


@pytest.mark.parametrize(("path", "name"), EMPTY_ELSEWHERE)
@pytest.mark.parametrize("value", ["", "%20%20"])
def test_an_empty_value_is_a_400_in_every_list(demo, anonymous, path, name, value):
    response = anonymous.get(f"{path}?{name}={value}")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        name: [f"{name} is empty: give a value, or leave {name} out."]
    }


def test_an_empty_value_is_named_beside_a_bad_one(demo, anonymous):
    response = anonymous.get("/api/v1/sources/?kind=&q=" + "x" * 201)

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["kind", "q"]


def test_an_edition_export_filters_on_the_grades_frozen_in_it(demo, client):
    edition = queries.published_editions().get(slug="2004-report-card")
    frozen = queries.edition_grades(edition)
    recommendations = Report.objects.get(slug=REPORT).recommendations.all()
    by_grade = {
        grade: {
            r.code for r in recommendations if r.pk in frozen and frozen[r.pk].grade.slug == grade
        }
        for grade in ("substantial-progress", "slow-progress")
    }

    for grade, codes in by_grade.items():
        query = f"edition={edition.slug}&grade={grade}&area=security"
        expected = {code for code in codes if code.startswith("SEC-")}
        assert export_codes(client, query) == (expected, expected), grade
    assert by_grade["substantial-progress"]
    assert by_grade["slow-progress"]


def test_the_schema_says_what_the_filters_do_in_their_own_words(db, anonymous):
    schema = anonymous.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/recommendations/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    for name in filters.PARAMETERS:
        assert parameters[name]["description"] == filters.DESCRIPTIONS[name], name
    assert "in its code, its title or its verbatim text" in parameters["q"]["description"]
    assert parameters["q"]["schema"] == {"type": "string", "pattern": "\\S"}
    assert filters.EVERY_PARAMETER in operation["description"]
