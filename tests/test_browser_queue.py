"""An editor at work in a real browser."""

import pytest
from sqlalchemy import select

from moderation.auth import services as auth
from moderation.extensions import db
from moderation.models import Comment, Role, Status
from tests.test_queue import PASSWORD, reaction

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_counters")]


@pytest.fixture
def editor(app, demo):
    made = auth.create_editor("Eva Redacteur", "eva@example.org", PASSWORD, Role.EDITOR, [demo])
    db.session.commit()
    return made


def sign_in(page, url):
    page.goto(f"{url}/moderation/login")
    page.get_by_label("E-mailadres").fill("eva@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()


def test_restore_a_surname_less_reaction_as_anonymous(live_server, page, demo, editor, artifacts):
    comment = reaction(
        demo.posts[0],
        name="Jan",
        email="jan.geheim@example.net",
        status=Status.REMOVED,
        reasons=["no-surname"],
        body="Mijn collega weet het",
    )
    sign_in(page, live_server.url)
    page.get_by_role("link", name="Verwijderd").click()
    item = page.locator(f"#comment-{comment.id}")
    assert "De naam heeft geen achternaam." in item.inner_text()
    item.get_by_label("Getoonde naam").fill("Een medewerker van een gemeente")
    page.screenshot(path=str(artifacts / "removed-tab.png"), full_page=True)
    item.get_by_role("button", name="Terugzetten als anonieme uitzondering").click()
    assert "Gedaan" in page.locator(".flash").inner_text()

    page.goto(f"{live_server.url}/blogs/samen-digitaal/een-keer-bouwen")
    shown = page.locator(".reaction", has_text="Mijn collega weet het")
    assert "Een medewerker van een gemeente" in shown.inner_text()
    html = page.content()
    assert ">Jan<" not in html and "Reactie van Jan" not in html
    assert "jan.geheim@example.net" not in html
    page.screenshot(path=str(artifacts / "public.png"), full_page=True)
    db.session.refresh(comment)
    assert comment.status == Status.PUBLISHED and comment.name == "Jan"


def test_keyboard_shortcuts_publish(live_server, page, demo, editor):
    reaction(demo.posts[0], body="Eerste wachtende", minutes=1)
    reaction(demo.posts[0], body="Tweede wachtende", minutes=2)
    sign_in(page, live_server.url)
    page.locator("body").click()
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert "Tweede wachtende" in page.evaluate("document.activeElement.innerText")
    page.keyboard.press("p")
    page.wait_for_selector(".flash")
    published = db.session.scalars(
        select(Comment.body_source).where(Comment.status == Status.PUBLISHED)
    ).all()
    assert "Tweede wachtende" in published and "Eerste wachtende" not in published


def test_shortcuts_can_be_turned_off(live_server, page, demo, editor):
    reaction(demo.posts[0], body="Blijft wachten")
    sign_in(page, live_server.url)
    page.get_by_label("Sneltoetsen", exact=False).uncheck()
    page.locator("body").click()
    page.keyboard.press("j")
    page.keyboard.press("p")
    page.wait_for_timeout(300)
    assert (
        db.session.scalar(select(Comment.status).where(Comment.body_source == "Blijft wachten"))
        == Status.PENDING
    )
