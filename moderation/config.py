"""Configuration in layers: these defaults, then ``instance/config.py``, then
``MODERATION_*`` environment variables, then the dict a test passes to ``create_app``."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

ENVIRONMENTS = ("production", "development", "testing")


class Defaults:
    # "production" unless told otherwise: the safe choice is the one that refuses a weak key.
    ENVIRONMENT = "production"
    SECRET_KEY: str | None = None
    # The one setting for the database; a SQLite file under instance/ when unset.
    DATABASE_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")
    POSTS_PER_PAGE = 10
    # Post, embed and feed pages each worker keeps in memory while their ETag holds.
    PAGE_CACHE_ENTRIES = 256
    # On PostgreSQL each process keeps posts' states in memory, told of every change through
    # LISTEN/NOTIFY; this bounds how long a kept state is trusted should notifications stop
    # without the connection failing. 0: read the state on every request, as on SQLite.
    PAGE_STATE_MAX_AGE = 5.0
    # Top-level reactions per page of a post (each with its replies).
    REACTIONS_PER_PAGE = 50
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    PROXY_HOPS = 0
    # Connections each app process keeps open to PostgreSQL. A sync gunicorn worker handles one
    # request at a time; the overflow covers the mail sent after a commit. SQLite ignores this.
    DB_POOL_SIZE = 2
    DB_MAX_OVERFLOW = 2
    SEARCH_RESULTS_PER_PAGE = 10
    SEARCH_MAX_QUERY_LENGTH = 200
    SEARCH_MAX_TERMS = 12
    MAX_CONTENT_LENGTH = 256 * 1024
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Per client address (Flask-Limiter notation); a 429 says how long to wait.
    PREVIEW_RATE_LIMIT = "30 per minute;300 per hour"
    PLACE_RATE_LIMIT = "10 per minute;60 per hour"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_DEFAULT_SENDER = "redactie@localhost"
    # A moderation session lasts a working day; then the editor signs in again.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    # Form tokens are bound to the session and last as long as it does: an editor who
    # spends more than an hour on a post does not lose it to Flask-WTF's one-hour default.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Production is served over HTTPS (docs/deploy.md); development and tests over plain HTTP.
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Request bodies: the largest form is a post (50,000 characters); uploads do not exist.
    MAX_FORM_MEMORY_SIZE = 256 * 1024
    MAX_FORM_PARTS = 100
    # Where to report a vulnerability (/.well-known/security.txt), e.g. "mailto:security@…".
    SECURITY_CONTACT: str | None = None
    # A reaction placed sooner than this after its form was shown counts as a spam signal.
    REACTION_MIN_FILL_SECONDS = 3
    # Days a reaction keeps the keyed hash of its client address, and sent mail is kept.
    PRIVACY_RETENTION_DAYS = 30


class ConfigError(RuntimeError):
    """The app refuses to start with this configuration."""


MISSING_KEY_MESSAGE = (
    "MODERATION_SECRET_KEY is not set (or shorter than 32 characters). Outside development "
    "and testing the service needs a real secret key. Make one with\n"
    "    python -c 'import secrets; print(secrets.token_hex(32))'\n"
    "and put it in the environment as MODERATION_SECRET_KEY, or as SECRET_KEY in "
    "instance/config.py."
)


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("MODERATION")
    if overrides:
        app.config.update(overrides)
    if app.config.get("TESTING"):
        app.config["ENVIRONMENT"] = "testing"

    environment = app.config["ENVIRONMENT"]
    if environment not in ENVIRONMENTS:
        raise ConfigError(
            f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}."
        )
    app.config["TESTING"] = environment == "testing"
    if environment != "production":
        # Served over plain HTTP there, where a Secure cookie would never come back.
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = False
    _settle_secret_key(app)

    url = app.config["DATABASE_URL"] or "sqlite:///" + str(
        Path(app.instance_path) / "moderation.sqlite3"
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = _with_driver(url)
    if not url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": app.config["DB_POOL_SIZE"],
            "max_overflow": app.config["DB_MAX_OVERFLOW"],
            "pool_recycle": 1800,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }


def _settle_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY")
    if key and len(str(key)) >= 32:
        return
    environment = app.config["ENVIRONMENT"]
    if environment == "testing":
        app.config["SECRET_KEY"] = key or secrets.token_hex(32)
    elif environment == "development":
        # A key kept in instance/ so sessions survive a restart of the development server.
        path = Path(app.instance_path) / "dev-secret-key"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(secrets.token_hex(32))
        app.config["SECRET_KEY"] = path.read_text().strip()
    else:
        raise ConfigError(MISSING_KEY_MESSAGE)


def _with_driver(url: str) -> str:
    """Accept the usual ``postgres://`` and ``postgresql://`` forms and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
