"""Error pages in the site's own style."""

from __future__ import annotations

import math
import time

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .extensions import db, limiter

# When no limit says how long to wait (it always should), ask for a minute.
DEFAULT_RETRY_AFTER = 60


def _in_frame() -> None:
    """An error in the embed flow shows inside the frame, framed like the page it replaces,
    also when it happened before the view (a rate limit) had set the frame up."""
    if request.blueprint == "embed" and g.get("embed") is None and request.view_args:
        from .embed.routes import frame_for

        frame_for(request.view_args)


def typed_reaction() -> str:
    """The reaction the refused request carried, for its error page to hand back. Nothing
    when the body cannot be read: an error page that failed on it would be a server error."""
    try:
        return str(request.form.get("body", ""))
    except HTTPException:  # over MAX_CONTENT_LENGTH, or shorter than its Content-Length
        return ""


def _render_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    _in_frame()
    return render_template("errors/error.html", code=code, error=error), code


def _too_many_requests(error: HTTPException) -> Response:
    """A clear message, how long to wait (also in Retry-After), and what was typed."""
    current = limiter.current_limit
    wait = math.ceil(current.reset_at - time.time()) if current else DEFAULT_RETRY_AFTER
    wait = max(1, wait)
    _in_frame()
    response = Response(
        render_template("errors/error.html", code=429, error=error, retry_after=wait),
        429,
        mimetype="text/html",
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _internal_error(error: Exception) -> tuple[str, int]:
    # The request's transaction is broken; the error page must not depend on it.
    db.session.rollback()
    return render_template("errors/error.html", code=500, error=None), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render_error)
    app.register_error_handler(429, _too_many_requests)
    app.register_error_handler(500, _internal_error)
    app.jinja_env.globals["typed_reaction"] = typed_reaction
