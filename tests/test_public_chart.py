"""The grade-over-time chart on a recommendation's page: what a reader can tell from it."""

import datetime
import re

import pytest

from scorecard import charts
from tests import factories

# The first, and the last, date Python (and so the chart) can hold.
FIRST_DAY = datetime.date.min
LAST_DAY = datetime.date.max


def page(client, recommendation) -> str:
    response = client.get(f"/reports/{recommendation.report.slug}/{recommendation.slug}/")
    assert response.status_code == 200
    return response.text


def legend(html: str) -> dict[str, str]:
    """Evaluator name → the marker (SVG) the legend shows for it."""
    block = html[
        html.index('<ul class="marker-legend"') : html.index("</ul>", html.index("marker-legend"))
    ]
    return {name: svg for svg, name in re.findall(r"<li>(<svg.*?</svg>)([^<]+)</li>", block)}


def shape(svg: str) -> str:
    """The element (and points) that draws a marker, whatever its colour."""
    return re.sub(r'fill="[^"]*"', "", re.search(r"<(circle|rect|polygon)[^>]*>", svg).group(0))


@pytest.fixture
def two_recommendations(report):
    first = factories.make_recommendation(report, code="SEC-1")
    second = factories.make_recommendation(report, code="SEC-2")
    return first, second


def test_an_evaluator_has_the_same_marker_on_every_page(client, two_recommendations):
    first, second = two_recommendations
    heritage = factories.make_evaluator("heritage")
    heritage.name = "Heritage"
    heritage.save()
    editors = factories.make_evaluator("editors")
    editors.name = "Editors"
    editors.save()
    # On the first page Heritage grades first; on the second the editors do.
    factories.make_evaluation(first, "partial", datetime.date(2004, 1, 1), evaluator=heritage)
    factories.make_evaluation(first, "done", datetime.date(2008, 1, 1), evaluator=editors)
    factories.make_evaluation(second, "none", datetime.date(2003, 1, 1), evaluator=editors)
    factories.make_evaluation(second, "done", datetime.date(2005, 1, 1), evaluator=heritage)

    on_first, on_second = legend(page(client, first)), legend(page(client, second))

    assert sorted(on_first) == ["Editors", "Heritage"]
    assert shape(on_first["Heritage"]) == shape(on_second["Heritage"])
    assert shape(on_first["Editors"]) == shape(on_second["Editors"])
    assert shape(on_first["Heritage"]) != shape(on_first["Editors"])


def test_markers_follow_the_evaluator_not_its_place_on_the_page():
    assert charts.evaluator_markers([7, 3]) == charts.evaluator_markers([3, 7])
    assert charts.evaluator_markers([3])[3] == charts.evaluator_markers([3, 7, 1])[3]
    # Two evaluators that would share a shape on one chart get different ones there.
    crowded = charts.evaluator_markers([1, 1 + len(charts.MARKERS)])
    assert len(set(crowded.values())) == 2


def test_the_legend_draws_each_marker_in_the_colour_of_its_grade(client, recommendation):
    one, other = factories.make_evaluator("one"), factories.make_evaluator("other")
    factories.make_evaluation(recommendation, "none", datetime.date(2003, 1, 1), evaluator=one)
    factories.make_evaluation(recommendation, "done", datetime.date(2006, 1, 1), evaluator=other)
    factories.make_evaluation(recommendation, "partial", datetime.date(2007, 1, 1), evaluator=one)

    markers = legend(page(client, recommendation))

    # Each evaluator's latest grade: one's "Partial", other's "Done" (the scale's colours).
    assert re.findall(r'fill="(#[0-9a-f]+)"', markers[one.name]) == ["#7a4d00"]
    assert re.findall(r'fill="(#[0-9a-f]+)"', markers[other.name]) == ["#1a5e20"]


def test_level_names_stand_beside_the_drawing_not_on_its_lines(client, recommendation):
    # The data starts on the report's publication day, at the drawing's left edge.
    factories.make_evaluation(recommendation, "done", recommendation.report.published_on)
    factories.make_evaluation(recommendation, "none", datetime.date(2001, 1, 1))

    html = page(client, recommendation)

    frame = html[html.index('<div class="history-chart-frame"') :]
    levels = frame[: frame.index("</ol>")]
    assert re.findall(r"<li>([^<]+)</li>", levels) == ["Done", "Partial", "No progress"]
    drawing = frame[frame.index("<svg") : frame.index("</figure>")]
    assert "<text" in drawing  # the years
    assert "Partial" not in re.sub(r"<title>.*?</title>", "", drawing)


def test_the_chart_has_a_table_for_everyone(client, recommendation):
    factories.make_evaluation(recommendation, "partial", datetime.date(2004, 4, 26))

    html = page(client, recommendation)

    table = html[html.index('<details class="chart-table">') :]
    table = table[: table.index("</details>")]
    assert "<summary>Show as table</summary>" in table
    assert "visually-hidden" not in table
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td>', table)
    assert rows == [("April 26, 2004", "Partial")]


@pytest.mark.parametrize(
    "dates",
    [
        [FIRST_DAY],
        [LAST_DAY],
        [FIRST_DAY, LAST_DAY],
        [FIRST_DAY, datetime.date(2004, 4, 26)],
        [datetime.date(2004, 4, 26), LAST_DAY],
    ],
    ids=["first-day", "last-day", "both", "first-day-then-2004", "2004-then-last-day"],
)
def test_the_chart_survives_any_date_the_database_holds(client, recommendation, dates):
    # Created directly: the write paths refuse such dates, but a database may hold them.
    for index, day in enumerate(dates):
        factories.make_evaluation(recommendation, ("none", "done")[index % 2], day)

    html = page(client, recommendation)

    start = html.index('<svg class="history-chart"')
    drawing = html[start : html.index("</figure>", start)]
    assert re.findall(r"<title>(\d{4}-\d\d-\d\d):", drawing) == [day.isoformat() for day in dates]
    # Every mark and tick lies on the drawing, and the year ticks stay few.
    positions = [float(x) for x in re.findall(r'x="(-?[\d.]+)%"', drawing)]
    assert positions
    assert min(positions) >= 0
    assert max(positions) <= 100
    assert 1 <= len(re.findall(r'class="chart-year', drawing)) <= 13


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY], ids=["first-day", "last-day"])
def test_other_public_pages_survive_the_extreme_dates(client, recommendation, day):
    factories.make_evaluation(recommendation, "done", day)
    slug = recommendation.report.slug
    for url in (
        "/",
        f"/reports/{slug}/",
        f"/reports/{slug}/{recommendation.slug}/badge.svg",
        "/feed/",
        f"/reports/{slug}/feed/",
    ):
        assert client.get(url).status_code == 200, url
