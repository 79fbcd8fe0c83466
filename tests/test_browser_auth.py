"""An editor signing in with a real browser (Debian's Chromium through Playwright)."""

import pytest

from moderation.auth import services
from moderation.extensions import db
from moderation.models import Role

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture
def editor(app):
    made = services.create_editor("Eva Jansen", "eva@example.org", PASSWORD, Role.ADMIN)
    db.session.commit()
    return made


def test_sign_in_in_the_browser(live_server, page, editor, artifacts):
    page.goto(f"{live_server.url}/moderation/login")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("#email").get_attribute("autocomplete") == "username"
    assert page.locator("#password").get_attribute("autocomplete") == "current-password"
    page.screenshot(path=str(artifacts / "1-login.png"), full_page=True)

    # Keyboard only: the address, the password, then Enter sends the form.
    page.locator("#email").focus()
    page.keyboard.type("eva@example.org")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type("not the right one")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".error-summary[role=alert]").is_visible()
    assert page.locator("#email").input_value() == "eva@example.org"
    assert page.locator("#password").input_value() == ""
    page.screenshot(path=str(artifacts / "2-wrong-password.png"), full_page=True)

    page.locator("#password").fill(PASSWORD)
    page.locator("form.sign-in-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/moderation/")
    page.goto(f"{live_server.url}/moderation/login")
    assert "Eva Jansen" in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts / "3-signed-in.png"), full_page=True)

    page.get_by_role("navigation", name="Redactie").get_by_role("button").click()
    page.wait_for_url(f"{live_server.url}/moderation/login")
    assert page.locator("#password").is_visible()
