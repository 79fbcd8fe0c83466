"""The reader's flow in a real browser: preview, change, preview again, place."""

import pytest
from sqlalchemy import select

from moderation.extensions import db
from moderation.models import Comment, Status

pytestmark = pytest.mark.browser


def test_preview_change_preview_place(live_server, page, demo, artifacts):
    page.goto(f"{live_server.url}/blogs/samen-digitaal/een-keer-bouwen")
    page.get_by_label("Naam").fill("Fenna Bakker")
    page.get_by_label("E-mailadres").fill("fenna.bakker@example.net")
    page.get_by_label("Reactie", exact=False).last.fill("Eerste versie met *nadruk*.")
    page.get_by_role("button", name="Voorbeeld bekijken").click()

    assert page.get_by_role("heading", name="Voorbeeld van uw reactie").is_visible()
    assert page.locator(".preview-frame strong").inner_text() == "nadruk"
    page.screenshot(path=str(artifacts / "1-preview.png"), full_page=True)

    page.locator("#body").fill("Tweede versie, _aangepast_ na het voorbeeld.")
    page.get_by_role("button", name="Opnieuw bekijken").click()
    assert page.locator(".preview-frame em").inner_text() == "aangepast"
    assert page.locator("#email").input_value() == "fenna.bakker@example.net"
    page.screenshot(path=str(artifacts / "2-preview-again.png"), full_page=True)
    with db.session.no_autoflush:
        assert db.session.scalar(select(Comment).where(Comment.name == "Fenna Bakker")) is None

    page.get_by_role("button", name="Reactie plaatsen").click()
    assert page.locator("#outcome").inner_text().startswith("Dank u wel, uw reactie is geplaatst.")
    placed = page.locator(".reaction", has_text="Fenna Bakker")
    assert "aangepast" in placed.inner_text()
    assert "fenna.bakker@example.net" not in page.content()
    page.screenshot(path=str(artifacts / "3-placed.png"), full_page=True)

    comment = db.session.scalar(select(Comment).where(Comment.name == "Fenna Bakker"))
    assert comment.status == Status.PUBLISHED
    assert comment.body_source == "Tweede versie, _aangepast_ na het voorbeeld."


def test_errors_are_announced_and_linked_to_fields(live_server, page, demo, artifacts):
    page.goto(f"{live_server.url}/blogs/samen-digitaal/een-keer-bouwen")
    page.get_by_label("Naam").fill("Fenna Bakker")
    page.get_by_role("button", name="Voorbeeld bekijken").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    page.screenshot(path=str(artifacts / "errors.png"), full_page=True)
    summary.get_by_role("link", name="E-mailadres").click()
    assert page.evaluate("document.activeElement.id") == "email"
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    assert page.locator("#name").input_value() == "Fenna Bakker"
