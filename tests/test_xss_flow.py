"""Every XSS vector through the whole reader flow: preview, place, and the public page."""

import xml.etree.ElementTree as ET

import html5lib
from sqlalchemy import select

from moderation.extensions import db
from moderation.models import Comment
from tests.html_safety import find_executable
from tests.test_reactions import POST_URL, hidden, place, preview
from tests.xss_vectors import XSS_VECTORS

READER = {"name": "Test Lezer", "email": "test.lezer@example.net", "website": ""}


def reader_parts(page: str, css_class: str) -> list[str]:
    """The HTML inside each element with this class, as a browser parses the page."""
    document = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)
    return [
        "".join(ET.tostring(child, encoding="unicode", method="html") for child in element)
        + (element.text or "")
        for element in document.iter()
        if css_class in (element.get("class") or "").split()
    ]


def test_vectors_through_preview_place_and_post_page(app, client, demo):
    # One reader placing 200 reactions in a row: room beyond the per-client limits, which
    # tests/test_rate_limits.py checks.
    app.config.update(PREVIEW_RATE_LIMIT="1000 per minute", PLACE_RATE_LIMIT="1000 per minute")
    assert len(XSS_VECTORS) >= 100
    problems: dict[str, list[str]] = {}
    placed = 0
    for vector in XSS_VECTORS:
        data = {**READER, "body": vector}
        response = preview(client, data)
        page = response.get_data(as_text=True)
        if response.status_code == 422:  # refused by the renderer: explained, nothing stored
            assert 'id="body-error"' in page, vector
            continue
        for part in reader_parts(page, "preview-frame"):
            problems.setdefault(vector, []).extend(find_executable(part))
        data.update(token=hidden(page, "token"), parent=hidden(page, "parent"))
        assert place(client, data).status_code == 303, vector
        placed += 1
    stored = db.session.scalars(select(Comment).where(Comment.name == READER["name"])).all()
    # Vectors that differ only in control characters (dropped by the form) are one placing.
    assert 100 <= len(stored) <= placed
    for comment in stored:
        problems.setdefault(comment.body_source, []).extend(find_executable(comment.body_html))

    page = client.get(POST_URL).get_data(as_text=True)
    shown = reader_parts(page, "reaction-text")
    assert len(shown) >= 3  # the demo's own reactions at least; held ones are not shown
    for part in shown:
        problems.setdefault("post page", []).extend(find_executable(part))
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_checker_would_see_an_injected_handler():
    page = '<div class="reaction-text"><p onclick="alert(1)">x</p></div>'
    assert find_executable(reader_parts(page, "reaction-text")[0])
