"""Signing in and out: a password checked under the throttle, then a session that ends.

Kept apart from the routes so the rules (same answer for an unknown address and a wrong
password, no password check while throttled, where ``next`` may lead) are testable and read
in one place.
"""

from __future__ import annotations

import hmac
import secrets
from functools import cache
from urllib.parse import urlsplit

from flask import current_app, session, url_for
from flask_login import login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import Editor
from . import throttle
from .services import find_editor, normalise_email

# Ties a session to the password it was opened with: a new password ends older sessions.
SESSION_KEY = "_editor_key"
QUEUE_ENDPOINT = "moderation.queue"
QUEUE_PATH = "/moderation/"


class SignInRefused(Exception):
    """Base for every way a sign-in attempt is turned down."""


class WrongCredentials(SignInRefused):
    """Unknown address or wrong password: deliberately one case, so the answer does not tell
    a stranger which addresses have accounts."""


class AccountInactive(SignInRefused):
    """The password was right, but the account has been switched off."""


class Throttled(SignInRefused):
    """Too many failures lately; the password was not even looked at."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@cache
def _stand_in_hash() -> str:
    # Checked against for unknown addresses, so they take as long as known ones.
    return generate_password_hash(secrets.token_urlsafe(24))


def authenticate(email: str, password: str, client: str) -> Editor:
    """The editor these credentials belong to, or a SignInRefused saying why not."""
    account = normalise_email(email)
    wait = throttle.seconds_until_allowed(account, client)
    if wait is not None:
        raise Throttled(wait)
    editor = find_editor(account)
    stored = editor.password_hash if editor is not None else _stand_in_hash()
    if not check_password_hash(stored, password) or editor is None:
        throttle.record_failure(account, client)
        current_app.logger.info("Failed sign-in for %s from %s", account, client)
        raise WrongCredentials
    throttle.forget_account_failures(account)
    if not editor.is_active:
        raise AccountInactive
    return editor


def session_key(editor: Editor) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    message = f"{editor.id}:{editor.password_hash}".encode()
    return hmac.new(secret, message, "sha256").hexdigest()


def session_matches(editor: Editor) -> bool:
    return hmac.compare_digest(str(session.get(SESSION_KEY, "")), session_key(editor))


def start_session(editor: Editor) -> None:
    """A fresh session (nothing carried over from before sign-in) that expires after
    ``PERMANENT_SESSION_LIFETIME``; no remember-me cookie that would outlive it."""
    session.clear()
    login_user(editor, remember=False)
    session.permanent = True
    session[SESSION_KEY] = session_key(editor)
    current_app.logger.info("Editor %s signed in", editor.email)


def end_session() -> None:
    logout_user()
    session.clear()


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None. Refuses ``//host`` and ``/\\host``
    (browsers read both as another site) and anything with spaces or control characters,
    which browsers strip before they parse the rest."""
    if not target or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch.isspace() or ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def landing_url() -> str:
    """The moderation queue, by endpoint once it exists, else its public path."""
    if QUEUE_ENDPOINT in current_app.view_functions:
        return url_for(QUEUE_ENDPOINT)
    return QUEUE_PATH
