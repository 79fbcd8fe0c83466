"""The browser's guards on every response, secure cookies, and where to report a problem."""

from __future__ import annotations

import pytest

from moderation.extensions import db
from tests.conftest import make_app

PAGES = [
    "/",
    "/blogs/samen-digitaal/",
    "/blogs/samen-digitaal/een-keer-bouwen",
    "/embed/samen-digitaal/een-keer-bouwen",
    "/embed.js",
    "/blogs/samen-digitaal/feed.atom",
    "/moderation/login",
    "/privacy",
    "/bestaat-niet",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_guards(client, demo, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors",
    ):
        assert directive in policy, directive
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "microphone=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_hsts_over_https(client, demo):
    headers = client.get("/", base_url="https://reacties.example.nl").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.fixture
def other_app(database_url):
    """Apps with settings of their own, next to the test's app; their connections closed after."""
    made = []

    def make(**overrides):
        made.append(make_app(database_url, **overrides))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_behind_a_proxy_the_forwarded_scheme_counts_only_when_trusted(other_app, demo):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    trusting = other_app(PROXY_HOPS=1).test_client()
    assert "Strict-Transport-Security" in trusting.get("/", headers=forwarded).headers
    direct = other_app().test_client()
    assert "Strict-Transport-Security" not in direct.get("/", headers=forwarded).headers


def test_production_cookies_are_secure_http_only_and_same_site(other_app):
    app = other_app(ENVIRONMENT="production", TESTING=False, SECRET_KEY="k" * 40)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_the_language_cookie_is_http_only_and_same_site(client, demo):
    cookie = client.get("/?lang=en").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_txt_only_when_a_contact_is_set(app, client):
    assert client.get("/.well-known/security.txt").status_code == 404
    app.config["SECURITY_CONTACT"] = "mailto:security@example.nl"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "Contact: mailto:security@example.nl" in text and "Expires: " in text
