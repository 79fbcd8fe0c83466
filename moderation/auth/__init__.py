"""Editors: sign-in, sessions, roles, and the ``flask editors`` commands."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from ..models import Editor

bp = Blueprint("auth", __name__, url_prefix="/moderation")


@login_manager.user_loader
def load_editor(editor_id: str) -> Editor | None:
    from .signin import session_matches

    if not editor_id.isdigit():
        return None
    editor = db.session.get(Editor, int(editor_id))
    if editor is None or not editor.active or not session_matches(editor):
        # Switched off, or the password changed since this session began: signed out.
        return None
    return editor


def init_app(app: Flask) -> None:
    from . import routes  # noqa: F401  (registers the views on bp)
    from .cli import editors_cli

    app.config.setdefault("LOGIN_MAX_FAILURES", 5)
    app.config.setdefault("LOGIN_FAILURE_WINDOW", 900)
    # None: the same limit per client address as per account.
    app.config.setdefault("LOGIN_MAX_CLIENT_FAILURES", None)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to moderate reactions.")
    login_manager.login_message_category = "info"
    # The message is translated when it is flashed, in the reader's language of that moment.
    login_manager.localize_callback = str
    login_manager.session_protection = "strong"

    app.register_blueprint(bp)
    app.cli.add_command(editors_cli)
