"""Editors: sign-in, sessions, roles, and the ``flask editors`` commands."""

from __future__ import annotations

from flask import Blueprint, Flask

from ..extensions import db, login_manager
from ..models import Editor

bp = Blueprint("auth", __name__, url_prefix="/moderation")


@login_manager.user_loader
def load_editor(editor_id: str) -> Editor | None:
    if not editor_id.isdigit():
        return None
    editor = db.session.get(Editor, int(editor_id))
    return editor if editor is not None and editor.active else None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
