"""The recommendation list (tracker.queries.recommendation_page, with the filters of
tracker/filters.py): these check that it tells the same story as the scorecard of a report
(tracker.queries.scorecard), which the public pages use, and that its filters match what
they say, on awkward data."""

import datetime
import itertools

import pytest
from django.utils import timezone

from tests import factories
from tests.api_support import client_as
from tracker import queries
from tracker.models import Report, Status, Topic

APRIL_2004 = datetime.date(2004, 4, 26)
JAN_2008 = datetime.date(2008, 1, 15)


@pytest.fixture
def anonymous(db):
    return client_as("anonymous")


def all_rows(client, query: str) -> list[dict]:
    """Every row of the list, following the `next` links (pages of 2)."""
    url = f"/api/v1/recommendations/?page_size=2&{query}"
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        url = body["next"]
    assert body["count"] == len(rows)
    return rows


@pytest.fixture
def history(report):
    """Five recommendations: ties on as_of, drafts above a published grade, one ungraded,
    one graded only later."""
    earlier = timezone.now() - datetime.timedelta(days=2)
    later = timezone.now() - datetime.timedelta(days=1)
    tie, drafted, _ungraded, late, plain = (factories.make_recommendation(report) for _ in range(5))
    factories.make_evaluation(tie, "done", as_of=APRIL_2004, published_at=later)
    factories.make_evaluation(tie, "none", as_of=APRIL_2004, published_at=earlier)
    factories.make_evaluation(drafted, "partial", as_of=APRIL_2004)
    factories.make_evaluation(drafted, "done", as_of=JAN_2008, status=Status.DRAFT)
    factories.make_evaluation(late, "done", as_of=JAN_2008)
    factories.make_evaluation(plain, "none", as_of=APRIL_2004)
    factories.make_evaluation(plain, "partial", as_of=JAN_2008)
    return report


@pytest.mark.parametrize("as_of", [None, datetime.date(2003, 1, 1), APRIL_2004, JAN_2008])
def test_the_current_grades_are_the_scorecards(history, anonymous, as_of):
    query = f"report={history.slug}" + (f"&as_of={as_of.isoformat()}" if as_of else "")

    listed = {row["id"]: row for row in all_rows(anonymous, query)}

    expected = queries.scorecard(history, as_of)
    assert list(listed) == [r.pk for r in expected]
    for recommendation in expected:
        current = recommendation.current_evaluation
        row = listed[recommendation.pk]
        if current is None:
            assert (row["current_evaluation"], row["current_grade"]) == (None, None)
        else:
            assert row["current_evaluation"]["id"] == current.pk
            assert row["current_grade"]["slug"] == current.grade.slug
            assert row["current_grade_as_of"] == current.as_of.isoformat()


@pytest.mark.parametrize("ordering", ["grade", "-grade", "date", "-date"])
@pytest.mark.parametrize("as_of", [None, APRIL_2004])
def test_orderings_by_the_current_grade_put_the_ungraded_last(history, anonymous, ordering, as_of):
    query = f"ordering={ordering}" + (f"&as_of={as_of.isoformat()}" if as_of else "")

    rows = all_rows(anonymous, query)

    current = {r.pk: r.current_evaluation for r in queries.scorecard(history, as_of)}

    def key(row):
        evaluation = current[row["id"]]
        if evaluation is None:
            return None
        return evaluation.grade.score if ordering.endswith("grade") else evaluation.as_of

    keys = [key(row) for row in rows]
    graded = [k for k in keys if k is not None]
    assert keys == graded + [None] * (len(keys) - len(graded))
    assert graded == sorted(graded, reverse=ordering.startswith("-"))
    # Ties keep report order.
    for a, b in itertools.pairwise(rows):
        if key(a) == key(b):
            assert a["position"] < b["position"]


def test_the_grade_filter_uses_the_grade_as_of_the_date(history, anonymous):
    now = {row["code"] for row in all_rows(anonymous, "grade=done")}
    then = {row["code"] for row in all_rows(anonymous, "grade=done&as_of=2005-01-01")}

    assert now == {"SEC-1", "SEC-4"}
    assert then == {"SEC-1"}


def test_search_words_are_taken_literally(report, anonymous):
    percent = factories.make_recommendation(report)
    percent.title = "Raise spending to 1% of GDP"
    percent.save()
    underscore = factories.make_recommendation(report)
    underscore.text = "Name it host_nation support."
    underscore.save()
    factories.make_recommendation(report)  # "Recommendation 3", matching neither

    def codes(q: str) -> list[str]:
        return [row["code"] for row in all_rows(anonymous, f"q={q}")]

    assert codes("1%25") == [percent.code]  # "1%": not "1 then anything"
    assert codes("t_n") == [underscore.code]  # "t_n": not "t, any letter, n"
    assert codes("HOST_NATION") == [underscore.code]  # case does not matter
    assert codes("%25") == [percent.code]
    assert codes("recommendation 3") == ["SEC-3"]


def test_topics_are_listed_by_name_and_filter_the_list(report, anonymous):
    tagged, other = factories.make_recommendation(report), factories.make_recommendation(report)
    zeta = Topic.objects.create(slug="a-zeta", name="Zeta")
    alpha = Topic.objects.create(slug="z-alpha", name="Alpha")
    tagged.topics.set([zeta, alpha])
    other.topics.set([zeta])

    rows = all_rows(anonymous, f"report={report.slug}")
    only_alpha = all_rows(anonymous, "topic=z-alpha")

    assert [row["topics"] for row in rows] == [["z-alpha", "a-zeta"], ["a-zeta"]]
    assert [row["id"] for row in only_alpha] == [tagged.pk]


def test_an_unknown_slug_is_a_400_even_beside_a_known_one(history, anonymous):
    response = anonymous.get(f"/api/v1/recommendations/?report={history.slug}&topic=nothing")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["topic"]
    assert "There is no topic “nothing”" in response.json()["errors"]["topic"][0]


def test_a_page_past_the_end_of_a_filtered_list_is_a_404_naming_the_last(history, anonymous):
    response = anonymous.get(f"/api/v1/recommendations/?report={history.slug}&page_size=2&page=9")

    assert response.status_code == 404
    assert response.json()["detail"] == "Page 9 does not exist: the last page is 3."


def test_an_empty_list_is_a_page_with_nothing_on_it(history, anonymous):
    factories.make_actor("japan")  # an actor the report's recommendations do not name
    response = anonymous.get(f"/api/v1/recommendations/?report={history.slug}&actor=japan")

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.fixture
def varied(report):
    """Two reports; areas, actors, topics and words that tell the recommendations apart;
    grades that differ now and as of 2005."""
    defence = factories.make_area(report, "defence")
    economy = factories.make_area(report, "economy")
    other = factories.make_recommendation(factories.make_report())
    alliance = Topic.objects.create(slug="alliance", name="Alliance")
    rows = []
    governments = {
        "japan": [factories.make_actor("japan")],
        "united-states": [factories.make_actor("united-states")],
    }
    governments["both"] = governments["japan"] + governments["united-states"]
    for n, (area, actor, words) in enumerate(
        [
            (defence, "japan", "Host nation support"),
            (defence, "united-states", "Bases on Okinawa"),
            (economy, "both", "Trade and host nation talks"),
            (economy, "japan", "Deregulation"),
            (defence, "both", "Missile defence"),
        ]
    ):
        rows.append(factories.make_recommendation(report, area))
        rows[-1].title = words
        rows[-1].save()
        rows[-1].actors.set(governments[actor])
        if n % 2 == 0:
            rows[-1].topics.add(alliance)
    for recommendation, grades in zip(
        [*rows, other],
        [("none", "done"), ("partial",), (), ("done", "none"), ("none",), ("done",)],
        strict=True,
    ):
        for year, grade in zip((2004, 2008), grades, strict=False):
            factories.make_evaluation(recommendation, grade, as_of=datetime.date(year, 4, 1))
    return report


def expected_rows(filters: dict[str, str], as_of, ordering: str) -> list[int]:
    """What the list should hold, worked out from the ORM's scorecards."""
    rows = []
    for report in Report.objects.order_by("published_on", "id"):
        for r in queries.scorecard(report, as_of):
            current = r.current_evaluation
            kept = (
                filters.get("report", report.slug) == report.slug
                and filters.get("area", r.area.slug) == r.area.slug
                and (
                    "actor" not in filters
                    or filters["actor"] in {actor.slug for actor in r.actors.all()}
                )
                and ("topic" not in filters or r.topics.filter(slug=filters["topic"]).exists())
                and filters.get("q", "").upper() in f"{r.code}|{r.title}|{r.text}".upper()
                and (
                    "grade" not in filters
                    or (current is not None and current.grade.slug == filters["grade"])
                )
            )
            if kept:
                rows.append((report, r, current))
    key = ordering.lstrip("-")
    if key != "position":
        graded = [row for row in rows if row[2] is not None]
        ungraded = [row for row in rows if row[2] is None]
        graded.sort(key=lambda row: (row[0].pk, row[1].position))  # ties: report order
        graded.sort(
            key=lambda row: row[2].grade.score if key == "grade" else row[2].as_of,
            reverse=ordering.startswith("-"),
        )
        rows = graded + ungraded
    elif ordering.startswith("-"):
        rows.reverse()
    return [r.pk for _, r, _ in rows]


FILTER_VALUES = {
    "report": "report",  # the fixture's report, filled in below
    "area": "defence",
    "actor": "japan",
    "topic": "alliance",
    "q": "HOST nation",
}


@pytest.mark.parametrize("as_of", [None, datetime.date(2005, 1, 1)])
@pytest.mark.parametrize(
    "current", [{}, {"grade": "none"}, {"ordering": "grade"}, {"ordering": "-date"}]
)
def test_every_filter_combines_with_the_current_grade_and_as_of(varied, anonymous, as_of, current):
    # Each filter alone and in pairs, with what needs the current grade and with as_of.
    values = {**FILTER_VALUES, "report": varied.slug}
    combinations = [(), *((name,) for name in values), *itertools.combinations(values, 2)]
    for names in combinations:
        filters = {name: values[name] for name in names}
        if "grade" in current:
            filters["grade"] = current["grade"]
        ordering = current.get("ordering", "position")
        query = "&".join(f"{name}={value}" for name, value in filters.items())
        query += f"&ordering={ordering}" + (f"&as_of={as_of.isoformat()}" if as_of else "")

        listed = [row["id"] for row in all_rows(anonymous, query)]

        assert listed == expected_rows(filters, as_of, ordering), query
