"""Accessibility in a real browser: axe-core finds no WCAG 2.1 A or AA violation on any page or
state, in Dutch and in English, and a reader and an editor get through their work by keyboard
alone, always seeing where the focus is.

The pages are read-mostly, so one site (data, live server, a signed-in admin) serves the whole
module; every check still gets a browser context of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from sqlalchemy import select

from moderation.auth import services as auth
from moderation.demo import load_demo
from moderation.extensions import db, limiter
from moderation.models import Comment, ModerationEvent, Post, Role, Status
from moderation.queue import services as queue
from tests.conftest import LiveServer, _empty_tables, make_app
from tests.test_queue import reaction

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
AXE = Axe()

ADMIN_EMAIL = "beheer@example.org"
PASSWORD = "lang-genoeg-wachtwoord"
POST = "/blogs/samen-digitaal/een-keer-bouwen"
EMBED = "/embed/samen-digitaal/een-keer-bouwen"
VIEWPORT = {"width": 1100, "height": 900}


@dataclass
class Site:
    app: Flask
    url: str
    signed_in: dict[str, Any]  # the browser storage state of a signed-in admin
    admin_id: int


def seed() -> int:
    """The demo blog, a reply, reactions in every queue tab, and an audit trail."""
    load_demo(with_editor=False)
    admin = auth.create_editor("Ab Beheer", ADMIN_EMAIL, PASSWORD, Role.ADMIN)
    post = db.session.scalar(select(Post).where(Post.slug == "een-keer-bouwen"))
    first = db.session.scalars(select(Comment).order_by(Comment.id)).first()
    reply = reaction(
        post,
        name="Joost Verhagen",
        status=Status.PUBLISHED,
        reasons=(),
        body="Dank voor de tip, dat gaan we *ook* proberen.",
    )
    reply.parent = first
    db.session.commit()
    reaction(post, name="Piet de Vries", body="Zie https://example.org en https://example.net")
    reaction(post, name="Karin Smit", body="Een vraag over de proeftuinen.", minutes=5)
    reaction(post, name="Jan", status=Status.REMOVED, reasons=["no-surname"], body="Klopt.")
    spam = reaction(post, name="Goedkoop Kopen", status=Status.PENDING, body="Koop nu!")
    queue.mark_spam(spam, admin, "reclame")
    published = reaction(post, name="Lotte Visser", body="Mooi initiatief.", minutes=9)
    queue.publish_comment(published, admin)
    removed = reaction(post, name="Kees Bos", body="Off-topic.", minutes=12)
    queue.remove_comment(removed, admin, "gaat niet over het blog")
    db.session.commit()
    return admin.id


def sign_in(page: Any, url: str) -> None:
    page.goto(f"{url}/moderation/login")
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form.sign-in-form button[type=submit]").click()
    assert page.url == f"{url}/moderation/", "the admin could not sign in"


@pytest.fixture(scope="module")
def site(database_url: str, chromium: Any) -> Iterator[Site]:
    app = make_app(database_url)
    with app.app_context():
        limiter.reset()
        admin_id = seed()
    server = LiveServer(app)
    context = chromium.new_context(locale="nl-NL")
    sign_in(context.new_page(), server.url)
    state = context.storage_state()
    context.close()
    yield Site(app, server.url, state, admin_id)
    server.stop()
    with app.app_context():
        _empty_tables()
        limiter.reset()
        db.engine.dispose()


# --- Every page and state. A state opens the page with ``?lang=`` (a cookie keeps the choice
# for the pages after it; the embed carries it in its links) and does what a person would. ---

Step = Callable[[Any, Site, str], None]


def visit(path: str) -> Step:
    def step(page: Any, site: Site, lang: str) -> None:
        separator = "&" if "?" in path else "?"
        page.goto(f"{site.url}{path}{separator}lang={lang}")

    return step


def send(page: Any, button: str) -> None:
    with page.expect_navigation():
        page.locator(button).click()


def previewed(path: str, name: str) -> Step:
    """The reaction form filled in and sent to the preview; a name without a surname also
    shows the warning."""

    def step(page: Any, site: Site, lang: str) -> None:
        visit(path)(page, site, lang)
        page.locator("#name").fill(name)
        page.locator("#email").fill("fenna@example.net")
        page.locator("#body").fill(
            f"Een reactie ({lang}, {path}) met *nadruk*: https://example.org"
        )
        send(page, ".reaction-form button[type=submit]")
        page.locator(".preview-frame").wait_for()

    return step


def preview_with_errors(page: Any, site: Site, lang: str) -> None:
    visit(POST)(page, site, lang)
    page.locator("#name").fill("Fenna")
    send(page, ".reaction-form button[type=submit]")
    page.locator(".error-summary").wait_for()


def placed(page: Any, site: Site, lang: str) -> None:
    previewed(POST, "Fenna Bakker")(page, site, lang)
    send(page, ".reaction-form button.primary")
    page.locator("#outcome").wait_for()


def embed_demo(page: Any, site: Site, lang: str) -> None:
    visit("/embed/demo")(page, site, lang)
    page.frame_locator("iframe").locator("#reaction-form").wait_for()


def sign_in_refused(page: Any, site: Site, lang: str) -> None:
    visit("/moderation/login")(page, site, lang)
    page.locator("#email").fill("niemand@example.org")
    page.locator("#password").fill("niet het goede wachtwoord")
    send(page, "form.sign-in-form button[type=submit]")
    page.locator(".error-summary").wait_for()


def post_editor(page: Any, site: Site, lang: str) -> None:
    """A new post, filled in and previewed: the form and the preview of the post."""
    visit("/moderation/posts/new")(page, site, lang)
    page.locator("#title").fill("Open data in de praktijk")
    page.locator("#author_name").fill("Sanne Koster")
    page.locator("#tags").fill("open data, dienstverlening")
    page.locator("#body").fill(
        'h2. Waarom\n\nOmdat *delen* loont. Zie "de kaart":https://example.org.'
    )
    send(page, ".post-form button[value=preview]")
    page.locator(".post-preview").wait_for()


def editor_account(page: Any, site: Site, lang: str) -> None:
    visit(f"/moderation/admin/editors/{site.admin_id}")(page, site, lang)


@dataclass(frozen=True)
class State:
    name: str
    open: Step
    signed_in: bool = False


STATES = [
    State("post", visit(POST)),
    State("preview", previewed(POST, "Fenna Bakker")),
    State("preview-errors", preview_with_errors),
    State("placed", placed),
    State("embed", visit(EMBED)),
    State("embed-dark", visit(EMBED + "?theme=dark")),
    State("embed-comments", visit(EMBED + "?view=comments")),
    State("embed-preview", previewed(EMBED, "Fenna")),
    State("home", visit("/")),
    State("blog", visit("/blogs/samen-digitaal/")),
    State("tag", visit("/tags/dienstverlening")),
    State("search", visit("/search?q=gemeenten")),
    State("privacy", visit("/privacy")),
    State("embed-demo", embed_demo),
    State("sign-in", visit("/moderation/login")),
    State("sign-in-error", sign_in_refused),
    State("queue-pending", visit("/moderation/?tab=pending"), signed_in=True),
    State("queue-removed", visit("/moderation/?tab=removed"), signed_in=True),
    State("audit", visit("/moderation/audit"), signed_in=True),
    State("posts", visit("/moderation/posts/"), signed_in=True),
    State("post-editor", post_editor, signed_in=True),
    State("admin-blogs", visit("/moderation/admin/blogs"), signed_in=True),
    State("admin-blog", visit("/moderation/admin/blogs/samen-digitaal"), signed_in=True),
    State("admin-editors", visit("/moderation/admin/editors"), signed_in=True),
    State("admin-editor", editor_account, signed_in=True),
]


@pytest.fixture
def open_tab(site: Site, chromium: Any) -> Iterator[Callable[[bool], Any]]:
    """One browser page in a context of its own; signed in as the admin when asked."""
    contexts: list[Any] = []

    def open_page(signed_in: bool) -> Any:
        context = chromium.new_context(
            locale="nl-NL", viewport=VIEWPORT, storage_state=site.signed_in if signed_in else None
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def run_axe(page: Any) -> dict[str, Any]:
    """axe in the page and in every frame in it, so an embedded widget is checked as well."""
    for frame in page.frames[1:]:
        frame.evaluate(AXE.axe_script)
    return dict(AXE.run(page, options=AXE_OPTIONS).response)


# axe leaves placeholder text out of its contrast check; WCAG 1.4.3 does not.
PLACEHOLDER_CONTRAST = """() => {
    const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
    const luminance = (colour) => {
        const [r, g, b] = colour.map((c) => c / 255)
            .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const low = [];
    for (const field of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
        let node = field;
        let background = rgb(getComputedStyle(node).backgroundColor);
        while (background[3] === 0 && node.parentElement) {
            node = node.parentElement;
            background = rgb(getComputedStyle(node).backgroundColor);
        }
        const text = luminance(rgb(getComputedStyle(field, "::placeholder").color));
        const back = luminance(background);
        const ratio = (Math.max(text, back) + 0.05) / (Math.min(text, back) + 0.05);
        if (ratio < 4.5) low.push(`#${field.id}: ${ratio.toFixed(2)}:1`);
    }
    return low;
}"""


def describe(title: str, results: list[dict[str, Any]]) -> str:
    lines = [title]
    for rule in results:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']} <{rule['helpUrl']}>")
        for node in rule["nodes"]:
            target = " >> ".join(map(str, node["target"]))
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("state", STATES, ids=[state.name for state in STATES])
def test_no_wcag_a_or_aa_violations(site, open_tab, state, lang, artifacts):
    tab = open_tab(state.signed_in)
    state.open(tab, site, lang)
    assert tab.locator("html").get_attribute("lang") == lang
    tab.screenshot(path=str(artifacts / f"{state.name}-{lang}.jpeg"), full_page=True, quality=80)
    results = run_axe(tab)

    assert not results["violations"], describe("axe found violations:", results["violations"])
    # What axe leaves for review counts too: on these pages there is none left.
    assert not results["incomplete"], describe("axe could not decide:", results["incomplete"])
    contrast = [rule for rule in results["passes"] if rule["id"] == "color-contrast"]
    assert contrast, "axe did not check the colour contrast"
    assert tab.evaluate(PLACEHOLDER_CONTRAST) == [], "placeholder text below 4.5:1"


# --- Keyboard alone: Tab, Shift+Tab, Enter and Space, and typing into the focused field. ---

FOCUS_STYLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return {
        visible: outline || style.boxShadow !== "none",
        element: el.outerHTML.slice(0, 120),
    };
}"""


def tab_to(page: Any, selector: str, key: str = "Tab", limit: int = 60) -> int:
    """Press ``key`` until the focus is on ``selector``; every stop on the way shows where the
    focus is. Returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        focus = page.evaluate(FOCUS_STYLE)
        assert focus is not None, f"{key} left the page's controls"
        assert focus["visible"], f"no visible focus on {focus['element']}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} not reached with {limit} presses of {key}")


def press(page: Any, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def start_at_main(page: Any) -> None:
    """The skip link is the first stop; Enter moves on to the content."""
    assert tab_to(page, "a.skip-link", limit=1) == 1
    page.keyboard.press("Enter")


def test_reader_fills_in_previews_and_places_by_keyboard(site, open_tab, artifacts):
    tab = open_tab(False)
    tab.goto(f"{site.url}{POST}")
    start_at_main(tab)
    tab_to(tab, "#name")
    tab.keyboard.type("Sem Toetsenbord")
    assert tab_to(tab, "#email", limit=1) == 1
    tab.keyboard.type("sem@example.net")
    assert tab_to(tab, "#website", limit=1) == 1
    assert tab_to(tab, "#body", limit=1) == 1
    tab.keyboard.type("Alles met het toetsenbord, ook de _opmaak_.")
    # Open the markup help and back: the button comes after it.
    tab_to(tab, "form button[type=submit]")
    assert tab_to(tab, ".markup-help summary", key="Shift+Tab", limit=1) == 1
    tab.keyboard.press("Enter")
    assert tab.locator(".markup-help").get_attribute("open") is not None
    tab_to(tab, "form button[type=submit]")
    press(tab, "Enter")

    assert tab.locator(".preview-frame em").inner_text() == "opmaak"
    start_at_main(tab)
    tab_to(tab, "form button.primary")
    tab.screenshot(path=str(artifacts / "preview-focus.png"))
    press(tab, "Space")

    # Placed and told what became of it (which outcome is up to the rules, not the keyboard).
    assert tab.locator("#outcome").inner_text().startswith("Dank u wel")
    tab.screenshot(path=str(artifacts / "placed.png"), full_page=True)
    with site.app.app_context():
        body = db.session.scalar(
            select(Comment.body_source).where(Comment.name == "Sem Toetsenbord")
        )
        assert body == "Alles met het toetsenbord, ook de _opmaak_."


def test_editor_publishes_and_removes_by_keyboard(site, open_tab, artifacts):
    with site.app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "een-keer-bouwen"))
        kept = reaction(post, name="Bram Toets", body="Deze mag blijven.", minutes=-2).id
        dropped = reaction(post, name="Iris Toets", body="Deze moet weg.", minutes=-1).id

    tab = open_tab(True)
    tab.goto(f"{site.url}/moderation/?tab=pending")
    start_at_main(tab)
    tab_to(tab, f"#comment-{kept} button[data-key=p]")
    tab.screenshot(path=str(artifacts / "publish-focus.png"))
    press(tab, "Enter")
    assert "Bram Toets" in tab.locator(".flash").inner_text()

    start_at_main(tab)
    tab_to(tab, f"#reason-{dropped}")
    tab.keyboard.type("Herhaalt een eerdere reactie.")
    tab_to(tab, f"#comment-{dropped} button[data-key=r]")
    press(tab, "Space")
    assert "Iris Toets" in tab.locator(".flash").inner_text()
    tab.screenshot(path=str(artifacts / "removed.png"), full_page=True)

    with site.app.app_context():
        assert db.session.get(Comment, kept).status == Status.PUBLISHED
        removed = db.session.get(Comment, dropped)
        assert removed.status == Status.REMOVED
        note = db.session.scalar(
            select(ModerationEvent.note).where(ModerationEvent.comment_id == dropped)
        )
        assert note == "Herhaalt een eerdere reactie."
