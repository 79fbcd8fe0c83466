"""Editor accounts and who may moderate what: the helpers other blueprints use.

Writes flush and log; the request (or the CLI command) commits once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import ParamSpec

from email_validator import EmailNotValidError, validate_email
from flask import abort, current_app
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..extensions import db, login_manager
from ..models import Blog, Editor, Role

MIN_PASSWORD_LENGTH = 12
# scrypt reads all of it; a bound keeps a pasted novel from costing the server anything.
MAX_PASSWORD_LENGTH = 1024

P = ParamSpec("P")


class EditorExists(ValueError):
    """Another editor already has this e-mail address."""


def normalise_email(email: str) -> str:
    """One spelling per address, for lookups and throttle counters alike."""
    return email.strip().lower()


def find_editor(email: str) -> Editor | None:
    # Compared lower-cased on both sides, so rows made before normalising still match.
    return db.session.scalar(
        select(Editor).where(func.lower(Editor.email) == normalise_email(email))
    )


def password_problem(password: str) -> str | None:
    """Why this password will not do, in a sentence an operator understands; None if fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long "
            f"(this one has {len(password)})."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password can be at most {MAX_PASSWORD_LENGTH} characters long."
    if not password.strip():
        return "The password cannot be only spaces."
    return None


def set_password(editor: Editor, password: str) -> None:
    """Store a scrypt hash. Changing it also ends the editor's other sessions (see
    ``session_key``), which is what someone changing a leaked password wants."""
    problem = password_problem(password)
    if problem is not None:
        raise ValueError(problem)
    editor.password_hash = generate_password_hash(password)


def create_editor(
    name: str,
    email: str,
    password: str,
    role: Role = Role.EDITOR,
    blogs: Iterable[Blog] = (),
) -> Editor:
    """A new, active editor. Raises ValueError (EditorExists for a taken address) with a
    message fit to show; nothing is added to the session when it does."""
    name = name.strip()
    if not name:
        raise ValueError("The editor needs a name.")
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{email!r} is not a usable e-mail address: {exc}") from exc
    address = normalise_email(checked.normalized)
    if find_editor(address) is not None:
        raise EditorExists(f"An editor with e-mail address {address} already exists.")
    editor = Editor(name=name, email=address, role=role, active=True, blogs=list(blogs))
    set_password(editor, password)
    db.session.add(editor)
    db.session.flush()
    current_app.logger.info("Editor %s created (%s)", address, role.value)
    return editor


def change_password(email: str, password: str) -> Editor:
    """Set a new password for the editor with this address; LookupError if there is none."""
    editor = find_editor(email)
    if editor is None:
        raise LookupError(f"There is no editor with e-mail address {normalise_email(email)}.")
    set_password(editor, password)
    db.session.flush()
    current_app.logger.info("Password changed for editor %s", editor.email)
    return editor


def blogs_by_slug(slugs: Iterable[str]) -> list[Blog]:
    """The blogs with these slugs, in the order given; LookupError naming the unknown ones."""
    wanted = list(dict.fromkeys(slugs))
    found = {b.slug: b for b in db.session.scalars(select(Blog).where(Blog.slug.in_(wanted)))}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise LookupError(f"No blog with slug {', '.join(repr(s) for s in unknown)}.")
    return [found[slug] for slug in wanted]


def all_editors() -> list[Editor]:
    return list(db.session.scalars(select(Editor).order_by(Editor.email)))


# --- Who may moderate what ---


def can_moderate(editor: Editor, blog: Blog) -> bool:
    """Admins moderate every blog; an editor only the blogs they were given."""
    if not editor.is_active:
        return False
    if editor.is_admin:
        return True
    return any(own.id == blog.id for own in editor.blogs)


def moderated_blog_ids(editor: Editor) -> list[int] | None:
    """The ids of the blogs this editor moderates, for a ``WHERE blog_id IN``; None means
    every blog (an admin), which a caller turns into no filter at all."""
    if editor.is_admin:
        return None
    return sorted(blog.id for blog in editor.blogs)


def current_editor() -> Editor | None:
    """The signed-in editor, typed (Flask-Login's ``current_user`` is a proxy of anything)."""
    user = current_user._get_current_object()
    return user if isinstance(user, Editor) else None


def editor_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Any signed-in, active editor; everyone else goes to the sign-in page and back."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if current_editor() is None:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return guarded


def admin_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Admins only: strangers are sent to sign in, editors who are not admins get 403."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        editor = current_editor()
        if editor is None:
            return login_manager.unauthorized()
        if not editor.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return guarded
