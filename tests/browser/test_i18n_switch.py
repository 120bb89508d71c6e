"""A reader switches language in a real browser: the same page, filters kept, and back;
the Japanese header fits a phone."""

import pytest

pytestmark = pytest.mark.browser


def test_the_switch_leads_to_the_same_filtered_scorecard_in_japanese_and_back(
    site, page, screenshot
):
    page.goto(site + "/reports/armitage-nye-2000/?grade=slow-progress")
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_role("navigation", name="Language").get_by_role("link", name="日本語").click()
    page.wait_for_url(f"{site}/ja/reports/armitage-nye-2000/?grade=slow-progress")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("tbody th[scope=row]").all_inner_texts() == [
        "POL-1",
        "SEC-2",
        "ECO-5",
        "DIP-2",
        "DIP-4",
    ]
    screenshot(page, "09-scorecard-filtered-in-japanese")

    page.get_by_role("navigation", name="言語").get_by_role("link", name="English").click()
    page.wait_for_url(f"{site}/reports/armitage-nye-2000/?grade=slow-progress")
    assert page.locator("html").get_attribute("lang") == "en"


@pytest.mark.parametrize("width", [360, 1280])
def test_the_japanese_header_fits_and_keeps_the_switch_in_reach(site, browser, screenshot, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(site + "/ja/")
        switch = page.get_by_role("navigation", name="言語").get_by_role("link", name="English")
        assert switch.is_visible()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width
        screenshot(page, f"09-home-in-japanese-{width}")
        # By keyboard too.
        switch.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site}/")
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()
