"""Fixtures: a real database (SQLite by default, PostgreSQL when
``TEST_DATABASE_URL`` is set), migrated once per run and emptied after each test."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from moderation import create_app
from moderation.extensions import db, limiter

PG_URL_VARIABLE = "TEST_DATABASE_URL"


def _server_url(url: str) -> sa.URL:
    return sa.make_url(url).set(drivername="postgresql+psycopg")


def create_database(kind_hint: str = "test") -> tuple[str, Any]:
    """A new, empty database for this run; returns its URL and a function that drops it."""
    base = os.environ.get(PG_URL_VARIABLE)
    if not base:
        fd, name = tempfile.mkstemp(suffix=".sqlite3")
        os.close(fd)
        path = Path(name)
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    server = _server_url(base)
    name = f"moderation_{kind_hint}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:  # never a silent skip: the run fails
        pytest.exit(f"PostgreSQL at {server.render_as_string()} is unreachable: {exc}", 3)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


class IsolatedClient(FlaskClient):
    """Each request in an application context of its own, as in production: the test's own
    context (and its ``g``, where the language choice is cached) does not leak into requests."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(database_url: str, **overrides: Any) -> Flask:
    # Tests fill in forms faster than people; tests/test_fill_time.py sets a minimum itself.
    config: dict[str, Any] = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REACTION_MIN_FILL_SECONDS": 0,
    }
    # Shared rate limits and sign-in counters in Redis, as in production, when CI asks.
    if os.environ.get("TEST_REDIS_URL"):
        config["RATELIMIT_STORAGE_URI"] = os.environ["TEST_REDIS_URL"]
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url, drop = create_database()
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    drop()


def _empty_tables() -> None:
    bind = db.session.get_bind()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if bind.dialect.name == "postgresql":
        db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in [*tables, "post_search"]:
            db.session.execute(sa.text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    with app.app_context():
        limiter.reset()  # in Redis, counters would outlive the test that made them
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def fresh_counters(app: Flask) -> None:
    """Rate limits and sign-in counters start at zero (in Redis they would outlive a test).
    Modules that sign in use it with ``pytestmark = pytest.mark.usefixtures(...)``."""
    limiter.reset()


@pytest.fixture
def other_blog(app: Flask, demo: Any) -> Any:
    """A second blog with one post, that the demo's editors do not moderate."""
    from moderation.blog.services import create_blog, save_post

    blog = create_blog("wonen", "Wonen en ruimte")
    save_post(blog, "Bouwen", "Over bouwen.", author=None, slug="bouwen")
    db.session.commit()
    return blog


@pytest.fixture
def demo(app: Flask) -> Any:
    """The demo blog, as ``flask demo load`` makes it."""
    from moderation.demo import load_demo

    blog, _ = load_demo(with_editor=False)
    db.session.commit()
    return blog


# --- Browser tests: Debian's Chromium driven by Playwright against a live server. ---

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-results"


class LiveServer:
    def __init__(self, app: Flask, host: str = "127.0.0.1") -> None:
        import threading

        from werkzeug.serving import make_server

        self.server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context(locale="nl-NL", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where a test writes what it saw (screenshots), one folder per test."""
    folder = ARTIFACTS / request.node.name.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
