"""Posts in the editors' pages: the list, writing a new post, editing one, with a preview."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("posts", __name__, url_prefix="/moderation/posts")


def init_app(app: Flask) -> None:
    from . import routes  # noqa: F401  (registers the views on bp)

    app.register_blueprint(bp)
