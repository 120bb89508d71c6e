"""Accessibility in a real browser: axe-core finds no violation on any page type, at a
desktop and a phone width, and the chart's table is there for every reader, by keyboard.

axe-core is the npm package pinned in package.json (`make checkers` installs it); it is
injected into each page by Playwright, in a context that lets the test's own script past
the site's Content-Security-Policy (the site itself allows no inline script).
"""

import json
from pathlib import Path

import pytest

from tests import factories

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

PAGE_TYPES = {
    "overview": "/",
    "scorecard": "/reports/armitage-nye-2000/",
    "scorecard-filtered": "/reports/armitage-nye-2000/?grade=slow-progress&q=progress",
    "scorecard-bad-filter": "/reports/armitage-nye-2000/?grade=no-such-grade",
    "recommendation": "/reports/armitage-nye-2000/dip-4/",
    "recommendation-one-evaluator": "/reports/heritage-2004/her-1/",
    "editions": "/editions/",
    "edition": "/editions/2004-report-card/",
    "compare": "/editions/2004-report-card/compare/2008-evidence-review/",
    "not-found": "/reports/armitage-nye-2000/no-such-code/",
    "api-docs": "/api/docs/",
    "search": "/search/?q=missile+defense",
    "search-paged": "/search/?q=e&page=2",
    # Issue 18: the pagers, with the generated reports of `paged_data` (54 reports, two of
    # 120 recommendations), and the home page's finder.
    "overview-paged": "/?page=2",
    "overview-found": "/?q=generated&year=2000",
    "scorecard-paged": "/reports/scale-s1-r1/?page=2",
}
# Every page type in Japanese too (issue 15); the API's documentation has one language.
PAGE_TYPES |= {
    f"{name}-ja": f"/ja{path}" for name, path in PAGE_TYPES.items() if name != "api-docs"
}
VIEWPORTS = {"desktop": (1280, 900), "phone": (360, 780)}


@pytest.fixture
def axe_page(browser):
    if not AXE.exists():
        pytest.fail("The accessibility tests need axe-core: run `make checkers` (npm).")
    contexts = []

    def open_page(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document)).violations.map("
        "v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [f"{v['id']}: {json.dumps(v['nodes'][:5])} ({len(v['nodes'])} nodes)" for v in found]


@pytest.fixture
def paged_data(site):
    """Enough generated reports for the home page's pager, and two large enough for a
    scorecard's (committed, as `site`'s are)."""
    factories.make_paged_reports()
    return site


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_page_type_has_an_axe_violation(paged_data, axe_page, screenshot, viewport):
    site = paged_data
    page = axe_page(*VIEWPORTS[viewport])
    found = {}
    for name, path in PAGE_TYPES.items():
        page.goto(site + path)
        if name == "api-docs":
            # Swagger UI draws the reference after loading the schema.
            page.wait_for_selector(".opblock-summary-method")
        screenshot(page, f"06-axe-{viewport}-{name}")
        found[name] = violations(page)
    assert found == {name: [] for name in PAGE_TYPES}


def test_the_charts_table_is_shown_to_everyone_and_reached_by_keyboard(site, page, screenshot):
    page.goto(site + "/reports/armitage-nye-2000/dip-4/")
    summary = page.get_by_text("Show as table", exact=True)
    table = page.locator("details.chart-table table")
    assert summary.is_visible()
    assert not table.is_visible()

    # Tab from the top of the page until the disclosure has the focus.
    for _ in range(60):
        page.keyboard.press("Tab")
        if summary.evaluate("element => element === document.activeElement"):
            break
    assert summary.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")

    assert table.is_visible()
    assert table.bounding_box()["height"] > 40
    rows = table.locator("tbody tr").all_inner_texts()
    assert [row.split("\t")[:2] for row in rows] == [
        ["April 26, 2004", "Substantial progress"],
        ["January 15, 2008", "Slow progress"],
    ]
    screenshot(page, "07-recommendation-chart-table")
