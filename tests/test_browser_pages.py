"""What a reader sees in a real browser (Debian's Chromium through Playwright)."""

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_post_page_in_the_browser(live_server, page, demo, artifacts):
    page.goto(f"{live_server.url}/blogs/samen-digitaal/een-keer-bouwen")
    assert page.locator("h1").inner_text() == "Eén keer bouwen, overal gebruiken"
    assert page.locator(".author-role").inner_text() == "Programmamanager Samen digitaal"
    assert page.locator(".reaction").count() == 3
    assert page.locator("html").get_attribute("lang") == "nl"
    page.screenshot(path=str(artifacts / "post.png"), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):  # the README's picture, on request only
        shutil.copy(artifacts / "post.png", DOCS / "screenshot-post.png")


def test_skip_link_is_the_first_stop_and_is_visible(live_server, page, demo):
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_language_switch_in_the_browser(live_server, page, demo):
    page.goto(f"{live_server.url}/blogs/samen-digitaal/een-keer-bouwen")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Samen digitaal").first.click()
    assert page.locator("html").get_attribute("lang") == "en"


def test_phone_layout_has_no_horizontal_scroll(live_server, chromium, demo, artifacts):
    context = chromium.new_context(viewport={"width": 375, "height": 740}, locale="nl-NL")
    phone = context.new_page()
    phone.goto(f"{live_server.url}/blogs/samen-digitaal/een-keer-bouwen")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    phone.screenshot(path=str(artifacts / "post-phone.png"), full_page=True)
    context.close()
    assert overflow <= 0


def test_search_in_the_browser(live_server, page, demo):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Zoeken in de blogs").fill("gemeenten")
    page.get_by_label("Zoeken in de blogs").press("Enter")
    assert page.locator(".search-results mark").first.inner_text().lower() == "gemeente"
