"""Error pages in the site's own style."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from .extensions import db


def _render_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    return render_template("errors/error.html", code=code, error=error), code


def _internal_error(error: Exception) -> tuple[str, int]:
    # The request's transaction is broken; the error page must not depend on it.
    db.session.rollback()
    return render_template("errors/error.html", code=500, error=None), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render_error)
    app.register_error_handler(500, _internal_error)
