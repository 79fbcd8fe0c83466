"""Two app instances on different ports sharing one PostgreSQL and one Redis, as behind a load
balancer: a reader's rate limit holds across both, and a reaction placed through one is
visible through the other at once.

Each instance is a gunicorn master with gunicorn.conf.py and two sync workers, in a process of
its own, as in production: what one instance keeps in memory can only be brought up to date
through the database's notifications, never by sharing the test's process."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

needs_servers = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
    reason="needs PostgreSQL and Redis shared by two instances (.ci/run provides both)",
)
pytestmark = needs_servers

ROOT = Path(__file__).resolve().parent.parent
POST = "/blogs/samen-digitaal/een-keer-bouwen"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def request(
    url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        asked = urllib.request.Request(url, data=body, headers=headers or {})
        with OPENER.open(asked, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Instance:
    """``gunicorn --config gunicorn.conf.py wsgi:app`` on a port of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        env = {**env, "MODERATION_BIND": f"127.0.0.1:{port}", "MODERATION_WORKERS": "2"}
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"the instance did not start:\n{log.read_text()}")
            try:
                if request(self.url + "/healthz")[0] == 200:
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def instances(database_url: str, demo: object, tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = {
        **os.environ,
        "MODERATION_ENVIRONMENT": "testing",
        "MODERATION_DATABASE_URL": database_url,
        "MODERATION_RATELIMIT_STORAGE_URI": os.environ["TEST_REDIS_URL"],
        # One site: a preview made through one instance may be placed through the other.
        "MODERATION_SECRET_KEY": secrets.token_hex(32),
        "MODERATION_REACTION_MIN_FILL_SECONDS": "0",
        "MODERATION_PREVIEW_RATE_LIMIT": "4 per minute",
        "MODERATION_PLACE_RATE_LIMIT": "2 per minute",
    }
    started: list[Instance] = []
    try:
        for name in ("one", "two"):
            started.append(Instance(env, tmp_path / f"{name}.log"))
        assert started[0].url != started[1].url
        yield started[0].url, started[1].url
    finally:
        for instance in started:
            instance.stop()


def place(url: str, data: dict[str, str]) -> str:
    """Preview, then place, through one instance; returns where placing sends the reader."""
    status, _, page = request(url + POST + "/preview", data)
    assert status == 200
    token = unescape(re.search(r'name="token"[^>]*value="([^"]*)"', page).group(1))
    status, headers, _ = request(url + POST + "/comments", {**data, "token": token})
    assert status == 303 and "placed=" in headers["Location"]
    return headers["Location"]


def test_a_reaction_placed_through_one_instance_shows_on_the_other_at_once(instances):
    one, two = instances
    # The other instance has served the page and keeps its state: its workers answer 304.
    status, headers, page = request(two + POST)
    assert status == 200 and "Roos Hendriks" not in page
    before = headers["ETag"]
    for _ in range(6):
        assert request(two + POST, headers={"If-None-Match": before})[0] == 304

    data = {"name": "Roos Hendriks", "email": "roos@example.net", "body": "Via de ene."}
    location = place(one, {**data, "parent": ""})

    # The reader who placed it, sent on by the load balancer to the other instance.
    path = urllib.parse.urlsplit(location)
    status, _, page = request(two + path.path + "?" + path.query)
    assert status == 200 and "Roos Hendriks" in page and "Via de ene." in page
    # Every other reader there, with the page in their browser's cache: a new page, not 304,
    # from each of its workers.
    for _ in range(6):
        status, headers, page = request(two + POST, headers={"If-None-Match": before})
        assert status == 200 and "Roos Hendriks" in page and "Via de ene." in page
        assert headers["ETag"] != before


def test_a_readers_rate_limit_holds_across_both_instances(instances):
    one, two = instances
    data = {"name": "Roos Hendriks", "email": "roos@example.net", "body": "Nog eens.", "parent": ""}
    answers = [request(url + POST + "/preview", data)[0] for url in (one, two, one, two)]
    assert answers == [200, 200, 200, 200]
    status, headers, page = request(one + POST + "/preview", data)
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert request(two + POST + "/preview", data)[0] == 429
    assert "Nog eens." in page  # nothing lost
