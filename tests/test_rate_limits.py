"""Per-client limits on previewing and placing: a clear message, Retry-After, nothing lost."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from moderation.extensions import db
from moderation.models import Comment
from tests.test_reactions import hidden

POST = "/blogs/samen-digitaal/een-keer-bouwen"
EMBED = "/embed/samen-digitaal/een-keer-bouwen"
DATA = {
    "name": "Sara Mulder",
    "email": "sara.mulder@example.net",
    "body": "Een reactie die ik niet kwijt wil.",
    "parent": "",
}


@pytest.fixture
def tight(app, demo):
    app.config.update(PREVIEW_RATE_LIMIT="3 per minute", PLACE_RATE_LIMIT="2 per minute")
    return app


def test_the_preview_after_the_limit_says_how_long_to_wait_and_keeps_the_text(client, tight):
    for _ in range(3):
        assert client.post(POST + "/preview", data=DATA).status_code == 200
    refused = client.post(POST + "/preview", data=DATA)
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 60
    page = refused.get_data(as_text=True)
    assert "Te vaak geprobeerd" in page
    # The page rounds up and Retry-After down, a moment later: they agree within a second.
    assert f"Wacht {wait} seconde" in page or f"Wacht {wait + 1} seconde" in page
    assert "Een reactie die ik niet kwijt wil." in page


def test_the_limit_is_shared_by_the_blog_and_the_embedded_form(client, tight):
    assert client.post(POST + "/preview", data=DATA).status_code == 200
    assert client.post(EMBED + "/preview", data=DATA).status_code == 200
    assert client.post(POST + "/preview", data=DATA).status_code == 200
    refused = client.post(EMBED + "/preview?theme=dark", data=DATA)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert 'class="embed theme-dark"' in page  # explained inside the frame
    assert "frame-ancestors 'self'" in refused.headers["Content-Security-Policy"]


def test_placing_has_its_own_tighter_limit_and_stores_nothing_beyond_it(client, tight):
    placed = 0
    for n in range(3):
        data = {**DATA, "body": f"Reactie nummer {n}."}
        token = hidden(client.post(POST + "/preview", data=data).get_data(as_text=True), "token")
        response = client.post(POST + "/comments", data={**data, "token": token})
        placed += response.status_code == 303
        if n == 2:
            assert response.status_code == 429
            assert "Reactie nummer 2." in response.get_data(as_text=True)
    assert placed == 2
    assert db.session.scalar(select(func.count(Comment.id))) == 3 + 2  # the demo's three


def test_each_client_address_has_its_own_budget(app, tight):
    client = app.test_client()

    def preview(address):
        return client.post(POST + "/preview", data=DATA, environ_base={"REMOTE_ADDR": address})

    for _ in range(3):
        assert preview("192.0.2.10").status_code == 200
    assert preview("192.0.2.10").status_code == 429
    assert preview("192.0.2.20").status_code == 200


def test_in_english_too(client, tight):
    for _ in range(3):
        client.post(POST + "/preview?lang=en", data=DATA)
    page = client.post(POST + "/preview?lang=en", data=DATA).get_data(as_text=True)
    assert "Too many attempts" in page and "Please wait" in page
