"""Admin pages: where admins manage blogs and editor accounts, at /moderation/admin/."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/moderation/admin")


def init_app(app: Flask) -> None:
    from . import routes  # noqa: F401  (registers the views on bp)
    from .cli import blogs_cli

    app.register_blueprint(bp)
    app.cli.add_command(blogs_cli)
