"""Headers that protect every response: the content security policy, who may frame a page,
and the browser's other guards (sniffing, referrers, powerful features, HTTPS only).

Every page refuses to be framed (``frame-ancestors 'none'``) unless its view calls
``allow_framing_by`` with the origins a blog has listed; the embed pages do that. Scripts and
styles come from our own origin; the one inline ``<style>`` the embed page needs carries the
request's nonce.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, Response, abort, current_app, g, request, url_for

from .models import utcnow

FRAME_ANCESTORS = "frame_ancestors"


def csp_nonce() -> str:
    """This response's nonce, made on first use; inline code without it does not run."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def allow_framing_by(origins: Iterable[str]) -> None:
    """Let this response be framed by our own pages and by ``origins`` (already normalised)."""
    g.setdefault(FRAME_ANCESTORS, []).extend(origins)


def _policy() -> str:
    ancestors = g.get(FRAME_ANCESTORS)
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    directives = {
        "default-src": "'self'",
        "script-src": "'self'" + nonce,
        "style-src": "'self'" + nonce,
        # Posts may show pictures from other https sites; reactions never show images.
        "img-src": "'self' https: data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": " ".join(["'self'", *ancestors]) if ancestors is not None else "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


# Features no page of ours uses; a page (or something injected into it) cannot ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def _set_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = _policy()
    if g.get(FRAME_ANCESTORS) is None:
        # For browsers that predate frame-ancestors; never on a page that may be embedded.
        headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    return response


def security_txt() -> Response:
    """RFC 9116: where to report a vulnerability, when the operator has said so."""
    contact = current_app.config.get("SECURITY_CONTACT")
    if not contact:
        abort(404)
    expires = (utcnow() + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires}",
        "Preferred-Languages: nl, en",
        f"Canonical: {url_for('security_txt', _external=True)}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def init_app(app: Flask) -> None:
    app.after_request(_set_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.add_url_rule("/.well-known/security.txt", "security_txt", security_txt)
