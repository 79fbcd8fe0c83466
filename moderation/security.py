"""Headers that protect every response: the content security policy and who may frame a page.

Every page refuses to be framed (``frame-ancestors 'none'``) unless its view calls
``allow_framing_by`` with the origins a blog has listed; the embed pages do that. Scripts and
styles come from our own origin; the one inline ``<style>`` the embed page needs carries the
request's nonce.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import Flask, Response, g

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


def _set_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _policy()
    if g.get(FRAME_ANCESTORS) is None:
        # For browsers that predate frame-ancestors; never on a page that may be embedded.
        response.headers["X-Frame-Options"] = "DENY"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_set_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
