"""Two app instances on different ports sharing one PostgreSQL and one Redis, as behind a load
balancer: a reader's rate limit holds across both, and a reaction placed through one is
visible through the other at once."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html import unescape

import pytest

from moderation.extensions import db, limiter
from tests.conftest import LiveServer, make_app

needs_servers = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
    reason="needs PostgreSQL and Redis shared by two instances (.ci/run provides both)",
)
pytestmark = needs_servers

POST = "/blogs/samen-digitaal/een-keer-bouwen"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def request(url: str, data: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with OPENER.open(urllib.request.Request(url, data=body), timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def instances(database_url: str, demo: object) -> Iterator[tuple[str, str]]:
    limits = {"PREVIEW_RATE_LIMIT": "4 per minute", "PLACE_RATE_LIMIT": "2 per minute"}
    apps = [make_app(database_url, **limits) for _ in range(2)]
    with apps[0].app_context():
        limiter.reset()
    servers = [LiveServer(app) for app in apps]
    assert servers[0].url != servers[1].url
    yield servers[0].url, servers[1].url
    for server, app in zip(servers, apps, strict=True):
        server.stop()
        with app.app_context():
            db.engine.dispose()


def test_a_reaction_placed_through_one_instance_shows_on_the_other_at_once(instances):
    one, two = instances
    data = {
        "name": "Roos Hendriks",
        "email": "roos@example.net",
        "body": "Via de ene.",
        "parent": "",
    }
    status, _, page = request(one + POST + "/preview", data)
    assert status == 200
    token = unescape(re.search(r'name="token"[^>]*value="([^"]*)"', page).group(1))
    status, headers, _ = request(one + POST + "/comments", {**data, "token": token})
    assert status == 303 and "placed=" in headers["Location"]
    status, _, page = request(two + POST)
    assert status == 200 and "Roos Hendriks" in page and "Via de ene." in page


def test_a_readers_rate_limit_holds_across_both_instances(instances):
    one, two = instances
    data = {"name": "Roos Hendriks", "email": "roos@example.net", "body": "Nog eens.", "parent": ""}
    answers = [request(url + POST + "/preview", data)[0] for url in (one, two, one, two)]
    assert answers == [200, 200, 200, 200]
    status, headers, page = request(one + POST + "/preview", data)
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert request(two + POST + "/preview", data)[0] == 429
    assert "Nog eens." in page  # nothing lost
