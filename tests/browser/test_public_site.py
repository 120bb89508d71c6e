"""A reader's journey through the public site, in a real browser."""

import csv
import io
import re

import pytest

pytestmark = pytest.mark.browser


def test_overview_then_filter_the_scorecard_by_grade(site, page, screenshot):
    page.goto(site + "/")
    assert page.locator("h1").inner_text() == "Which recommendations were carried out?"
    screenshot(page, "01-overview")

    page.get_by_role("link", name=re.compile(r"Open the scorecard\s+for Armitage-Nye")).click()
    page.wait_for_url(f"{site}/reports/armitage-nye-2000/")
    assert page.locator("tbody tr").count() == 25

    page.get_by_label("Grade", exact=True).select_option("slow-progress")
    page.get_by_role("button", name="Show recommendations").click()
    page.wait_for_url(re.compile(r".*grade=slow-progress.*"))
    codes = page.locator("tbody th[scope=row]").all_inner_texts()
    assert codes == ["POL-1", "SEC-2", "ECO-5", "DIP-2", "DIP-4"]
    assert page.locator(".result-count").inner_text() == "5 of 25 recommendations match."
    screenshot(page, "02-scorecard-filtered-by-grade")


def test_a_recommendation_shows_its_chart_and_evidence(site, page, screenshot):
    page.goto(site + "/reports/armitage-nye-2000/")
    page.get_by_role("link", name="Broaden missile defense cooperation").click()
    page.wait_for_url(f"{site}/reports/armitage-nye-2000/sec-7/")

    assert page.locator("h1").inner_text() == "Broaden missile defense cooperation"
    chart = page.locator("svg.history-chart")
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 900
    # Two published evaluations, so two marks on the chart and two entries in the history.
    assert chart.locator("svg title").count() == 2
    assert page.locator("li.evaluation").count() == 2
    evidence = page.locator("ol.evidence > li")
    assert evidence.count() >= 2
    assert evidence.first.locator("cite").first.inner_text() == (
        "A New Security Agenda for the U.S.-Japan Alliance"
    )
    screenshot(page, "03-recommendation")


def test_compare_the_two_demo_editions(site, page, screenshot):
    page.goto(site + "/editions/")
    page.get_by_role("link", name="What changed: 2004 report card → 2008 evidence review").click()
    page.wait_for_url(f"{site}/editions/2004-report-card/compare/2008-evidence-review/")

    improved = page.locator("#improved tbody th[scope=row]").all_inner_texts()
    assert improved == ["SEC-5", "SEC-7", "OKI-1", "DIP-1", "DIP-6"]
    assert page.locator("#declined tbody th[scope=row]").all_inner_texts() == ["DIP-4"]
    screenshot(page, "04-compare-editions")


def test_download_the_scorecard_as_csv(site, page):
    page.goto(site + "/reports/armitage-nye-2000/")
    with page.expect_download() as download:
        page.get_by_role("link", name="This scorecard").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert download.value.suggested_filename == "armitage-nye-2000-scorecard.csv"
    assert len(rows) == 25


def test_keyboard_users_can_skip_to_the_content(site, page):
    page.goto(site + "/reports/armitage-nye-2000/sec-7/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # it comes into view when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "overview"),
        ("/reports/armitage-nye-2000/", "scorecard"),
        ("/reports/armitage-nye-2000/dip-4/", "recommendation"),
        ("/editions/2004-report-card/compare/2008-evidence-review/", "compare"),
    ],
)
def test_pages_fit_a_small_phone(site, browser, screenshot, path, name):
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    try:
        page.goto(site + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, f"05-mobile-{name}")
        assert width <= 360
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/reports/armitage-nye-2000/", "/editions/2004-report-card/"])
def test_on_a_wide_screen_the_sidebar_starts_beside_the_title(site, browser, screenshot, path):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    try:
        page.goto(site + path)
        title = page.locator("main .eyebrow").first.bounding_box()
        sidebar = page.locator("main aside").bounding_box()
        screenshot(page, f"08-wide-{path.strip('/').replace('/', '-')}")
        # Side by side, both starting at the top of the content (not ~450 px lower).
        assert sidebar["x"] > title["x"] + title["width"] - 1
        assert abs(sidebar["y"] - title["y"]) < 10
    finally:
        context.close()
