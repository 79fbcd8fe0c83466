"""The widget on another site, in Chromium: a page on one origin embeds the service from another.

The host page is served from ``http://127.0.0.1:<port>``, the service from
``http://localhost:<port2>``: two different sites, so the iframe is third-party.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from moderation.extensions import db
from moderation.models import Comment, Status
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

POST = "samen-digitaal/een-keer-bouwen"
OTHER_POST = "samen-digitaal/formulieren-die-meedenken"


class HostSite:
    """Another organisation's website: serves fixed HTML pages on 127.0.0.1."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def host_page(widget: str, *snippets: str) -> str:
    scripts = "\n".join(
        f"<section><h2>Widget {n}</h2>{snippet.format(widget=widget)}</section>"
        for n, snippet in enumerate(snippets, 1)
    )
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Gemeente Voorbeeld'
        "</title></head><body><h1>Nieuws van de gemeente</h1>"
        "<p>Een pagina op de eigen site van een gemeente, met de reacties van het blog.</p>"
        f"{scripts}<footer><p>Einde van de pagina.</p></footer></body></html>"
    )


SNIPPET = '<script src="{widget}/embed.js" data-post="' + POST + '" async></script>'


@pytest.fixture
def widget(app: Any, demo: Any) -> Iterator[str]:
    """The service, reached by another name than the host page: http://localhost:<port>."""
    server = LiveServer(app)
    yield server.url.replace("127.0.0.1", "localhost")
    server.stop()


@pytest.fixture
def host() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.stop()


@pytest.fixture
def listed(demo: Any, host: HostSite) -> HostSite:
    demo.embed_origins = [host.url]
    db.session.commit()
    return host


def strip_cookies(page: Any, widget: str) -> list[str]:
    """Drop every Set-Cookie the service sends, as a browser refusing third-party cookies
    would; returns what was dropped."""
    dropped: list[str] = []

    def handle(route: Any) -> None:
        response = route.fetch(max_redirects=0)
        headers = {}
        for name, value in response.headers.items():
            if name.lower() == "set-cookie":
                dropped.append(value)
            else:
                headers[name] = value
        route.fulfill(response=response, headers=headers)

    page.route(f"{widget}/**", handle)
    return dropped


def wait_for(
    check: Callable[[], bool],
    what: str,
    timeout: float = 10.0,
    last: Callable[[], object] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} {last()}")
        time.sleep(0.05)


def fit(iframe: Any) -> dict[str, float]:
    """The iframe's height on the host page against its content's height inside it."""
    frame = iframe.content_frame()
    inside = frame.evaluate(
        """() => ({
            content: document.getElementById('main').getBoundingClientRect().height,
            scroll: document.documentElement.scrollHeight,
            client: document.documentElement.clientHeight,
        })"""
    )
    return {"iframe": iframe.bounding_box()["height"], **inside}


def assert_fits(iframe: Any) -> dict[str, float]:
    seen: list[dict[str, float]] = []

    def fits() -> bool:
        sizes = fit(iframe)
        seen.append(sizes)
        return abs(sizes["iframe"] - sizes["content"]) <= 5 and sizes["scroll"] <= sizes["client"]

    # Chromium pauses rendering, ResizeObserver included, in a cross-site frame out of view,
    # so a widget below the fold settles its height when the reader scrolls to it.
    iframe.scroll_into_view_if_needed()
    # Generous: on a loaded machine a frame's fonts and layout can settle late.
    wait_for(fits, "the iframe to fit its content", timeout=30, last=lambda: seen[-1:])
    return fit(iframe)


def in_view(page: Any, locator: Any) -> None:
    """The host page has scrolled so that the reader sees what the frame asked to show."""

    def visible() -> bool:
        box = locator.bounding_box()
        return box is not None and 0 <= box["y"] < page.viewport_size["height"] - 20

    wait_for(visible, "the host page to bring it into view")


def test_preview_and_place_across_sites_without_any_cookie(page, widget, listed, artifacts):
    dropped = strip_cookies(page, widget)
    listed.pages["/"] = host_page(widget, SNIPPET)
    page.goto(listed.url + "/")

    iframe = page.locator("iframe").element_handle()
    assert iframe.get_attribute("src").startswith(f"{widget}/embed/{POST}")
    wait_for(lambda: "Eén keer bouwen" in (iframe.get_attribute("title") or ""), "the title")
    frame = iframe.content_frame()
    frame.wait_for_selector("#reaction-form")
    before = assert_fits(iframe)
    assert before["content"] > 1000  # the post, three reactions and the form
    page.screenshot(path=str(artifacts / "1-host-page.png"))

    frame.get_by_label("Naam").fill("Joris van Dam")
    frame.get_by_label("E-mailadres").fill("joris.vandam@example.net")
    frame.locator("#body").fill("Vanaf de site van de gemeente, met *nadruk*.")
    frame.get_by_role("button", name="Voorbeeld bekijken").click()
    frame.wait_for_selector(".preview-frame strong")
    assert frame.locator(".preview-frame strong").inner_text() == "nadruk"
    assert_fits(iframe)
    in_view(page, frame.get_by_role("heading", name="Voorbeeld van uw reactie"))
    page.screenshot(path=str(artifacts / "2-preview.png"))
    with db.session.no_autoflush:
        assert db.session.scalar(select(Comment).where(Comment.name == "Joris van Dam")) is None

    frame.get_by_role("button", name="Reactie plaatsen").click()
    frame.wait_for_selector("#outcome")
    assert frame.locator("#outcome").inner_text().startswith("Dank u wel")
    assert "Joris van Dam" in frame.locator(".reaction-list").inner_text()
    after = assert_fits(iframe)
    assert after["content"] > before["content"]  # one more reaction and the thanks
    in_view(page, frame.locator("#outcome"))
    page.screenshot(path=str(artifacts / "3-placed.png"))

    comment = db.session.scalar(select(Comment).where(Comment.name == "Joris van Dam"))
    assert comment is not None and comment.status == Status.PUBLISHED
    assert page.context.cookies() == []
    assert "joris.vandam@example.net" not in frame.content()
    assert dropped == []  # the widget never even tried to set one


def test_two_widgets_on_one_page_each_fit_their_own_content(page, widget, listed, artifacts):
    comments_only = (
        '<script src="{widget}/embed.js" data-post="' + OTHER_POST + '" data-view="comments" '
        'data-theme="dark" data-accent="#ffb000" data-radius="14" data-lang="en" async></script>'
    )
    listed.pages["/"] = host_page(widget, SNIPPET, comments_only)
    page.goto(listed.url + "/")
    page.wait_for_function("document.querySelectorAll('iframe').length === 2")
    first, second = (handle for handle in page.locator("iframe").element_handles())
    second.content_frame().wait_for_selector("#reaction-form")
    one, two = assert_fits(first), assert_fits(second)
    assert abs(one["iframe"] - two["iframe"]) > 100  # sized each to its own content
    frame = second.content_frame()
    assert frame.locator("#post-title").count() == 0  # only the reactions
    assert frame.get_by_role("button", name="Preview").is_visible()  # in English
    colour = frame.evaluate("getComputedStyle(document.querySelector('button')).backgroundColor")
    assert colour == "rgb(255, 176, 0)"
    assert "theme-dark" in frame.evaluate("document.documentElement.className")
    second.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dark-comments-only.png"))


def test_a_site_that_is_not_listed_cannot_frame_the_widget(page, widget, demo, host):
    host.pages["/"] = host_page(widget, SNIPPET)
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text))
    page.goto(host.url + "/")
    iframe = page.locator("iframe").element_handle()
    wait_for(lambda: any("frame-ancestors" in text for text in refusals), "the refusal")
    frame = iframe.content_frame()
    assert frame is None or frame.url.startswith("chrome-error://")
    assert frame is None or frame.locator("#reaction-form").count() == 0
    assert iframe.bounding_box()["height"] == 400  # never told its size: nothing loaded


def test_a_forged_post_from_a_site_that_is_not_listed_stores_nothing(page, widget, demo, host):
    host.pages["/"] = (
        f'<!doctype html><html lang="nl"><head><title>Kwaadwillend</title></head><body>'
        f'<form method="post" action="{widget}/embed/{POST}/comments">'
        '<input name="name" value="Piet Vals"><input name="email" value="piet@example.net">'
        '<input name="body" value="Ongevraagd geplaatst."><input name="token" value="x.y.z">'
        '<button id="go">Verstuur</button></form></body></html>'
    )
    count = db.session.scalar(select(func.count(Comment.id)))
    page.goto(host.url + "/")
    with page.expect_navigation():
        page.click("#go")
    assert page.url.startswith(widget)
    assert page.get_by_role("heading", name="Niet verstuurd vanaf deze site").is_visible()
    assert db.session.scalar(select(func.count(Comment.id))) == count
