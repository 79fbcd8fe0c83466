"""Writes for the admin pages: blogs and editor accounts.

Plain data in. Every value is checked here too, so no caller (a form, a command, a test) can
store an origin a browser would never send or lock the last admin out. Writes flush and log
who made them; the request commits. Messages are translated: the forms show them at the field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.services import create_editor, normalise_email, set_password
from ..blog.services import create_blog
from ..extensions import db
from ..models import Blog, Editor, ModerationMode, Role

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG_LENGTH = 80  # the width of Blog.slug
MAX_WORD_LENGTH = 100
CLOSE_AFTER_DAYS = (1, 3650)
MAX_LINKS = (0, 50)
DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


class SlugRefused(ValueError):
    """This slug cannot be used: not in the form of a slug, or another blog has it."""


class SelfLockout(ValueError):
    """An admin tried to take away their own admin role or switch off their own account."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- One value a line: what the textareas of the blog form accept ---


def normalise_origin(text: str) -> str:
    """``text`` as a browser sends it in ``Origin`` (lower case, punycode, no default port),
    which is what the embed checks compare with; ValueError saying what to change."""
    value = text.strip()
    not_an_origin = _(
        '"%(value)s" is not an origin. Write it like https://www.example.nl or '
        "http://localhost:8000.",
        value=value,
    )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(not_an_origin) from None
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc:
        raise ValueError(not_an_origin)
    if ":" in host:
        try:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise ValueError(not_an_origin) from None
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(not_an_origin) from None
        if not _HOST.fullmatch(host):
            raise ValueError(not_an_origin)
    origin = f"{scheme}://{host}"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        origin += f":{port}"
    if parts.path or parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError(
            _(
                '"%(value)s" is more than an origin: leave out the path, the slash at the end '
                "and anything after them, as in %(origin)s.",
                value=value,
                origin=origin,
            )
        )
    return origin


def normalise_address(text: str) -> str:
    """A plain address in one spelling (as editors' addresses are), or ValueError."""
    value = text.strip()
    if "<" in value or ">" in value:
        address = parseaddr(value)[1] or "name@example.nl"
        raise ValueError(
            _(
                '"%(value)s" has a name with the address. Enter only the address, '
                "like %(address)s.",
                value=value,
                address=address,
            )
        )
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(
            _('"%(value)s" is not an e-mail address: %(reason)s', value=value, reason=str(exc))
        ) from None
    return normalise_email(checked.normalized)


def normalise_word(text: str) -> str:
    value = text.strip()
    if len(value) > MAX_WORD_LENGTH:
        raise ValueError(
            _(
                '"%(start)s..." is too long: a word or phrase has at most %(max)d characters.',
                start=value[:20],
                max=MAX_WORD_LENGTH,
            )
        )
    return value


def unique_lines(values: Iterable[str], key: Callable[[str], str] = str) -> list[str]:
    """Trimmed, empty ones dropped, each once by ``key``; the first spelling is kept."""
    seen: dict[str, str] = {}
    for value in values:
        value = value.strip()
        if value and key(value) not in seen:
            seen[key(value)] = value
    return list(seen.values())


# --- Blogs ---


@dataclass(frozen=True)
class BlogSettings:
    """Everything about a blog an admin may change (the slug is fixed once made)."""

    title: str
    description: str = ""
    moderation_mode: ModerationMode = ModerationMode.POST
    notify_addresses: list[str] = field(default_factory=list)
    blocked_words: list[str] = field(default_factory=list)
    suspect_words: list[str] = field(default_factory=list)
    embed_origins: list[str] = field(default_factory=list)
    language: str = "nl"
    comments_open: bool = True
    close_after_days: int | None = None
    max_links: int = 2


def settings_of(blog: Blog) -> BlogSettings:
    return BlogSettings(
        title=blog.title,
        description=blog.description or "",
        moderation_mode=blog.moderation_mode,
        notify_addresses=list(blog.notify_addresses or []),
        blocked_words=list(blog.blocked_words or []),
        suspect_words=list(blog.suspect_words or []),
        embed_origins=list(blog.embed_origins or []),
        language=blog.language,
        comments_open=blog.comments_open,
        close_after_days=blog.close_after_days,
        max_links=blog.max_links,
    )


def _columns(settings: BlogSettings) -> dict[str, object]:
    """The settings as column values, checked and normalised; ValueError if one is wrong."""
    title = settings.title.strip()
    if not title:
        raise ValueError(_("Give the blog a title."))
    low, high = CLOSE_AFTER_DAYS
    if settings.close_after_days is not None and not low <= settings.close_after_days <= high:
        raise ValueError(_("Close after 1 to 3650 days, or never."))
    if not MAX_LINKS[0] <= settings.max_links <= MAX_LINKS[1]:
        raise ValueError(_("Allow 0 to 50 links."))
    if settings.language not in current_app.config["LANGUAGES"]:
        raise ValueError(_("Choose one of the languages offered."))
    return {
        "title": title,
        "description": settings.description.strip(),
        "moderation_mode": ModerationMode(settings.moderation_mode),
        "notify_addresses": unique_lines(map(normalise_address, settings.notify_addresses)),
        "blocked_words": unique_lines(map(normalise_word, settings.blocked_words), str.lower),
        "suspect_words": unique_lines(map(normalise_word, settings.suspect_words), str.lower),
        "embed_origins": unique_lines(map(normalise_origin, settings.embed_origins)),
        "language": settings.language,
        "comments_open": bool(settings.comments_open),
        "close_after_days": settings.close_after_days,
        "max_links": settings.max_links,
    }


def all_blogs() -> list[Blog]:
    return list(db.session.scalars(select(Blog).order_by(Blog.title, Blog.slug)))


def find_blog(slug: str) -> Blog | None:
    if "\x00" in slug:  # no slug has one, and PostgreSQL cannot compare text with a NUL
        return None
    return db.session.scalar(select(Blog).where(Blog.slug == slug))


def add_blog(slug: str, settings: BlogSettings, by: Editor) -> Blog:
    """A new blog; SlugRefused, or ValueError for another setting, with a message to show."""
    slug = slug.strip()
    if len(slug) > MAX_SLUG_LENGTH or not SLUG.fullmatch(slug):
        raise SlugRefused(_("Use only lowercase letters, digits and hyphens, like samen-digitaal."))
    if find_blog(slug) is not None:
        raise SlugRefused(_("There is already a blog with the slug %(slug)s.", slug=slug))
    columns = _columns(settings)
    title = str(columns.pop("title"))
    description = str(columns.pop("description"))
    blog = create_blog(slug, title, description, **columns)
    current_app.logger.info("Blog %s created by %s", slug, by.email)
    return blog


def update_blog(blog: Blog, settings: BlogSettings, by: Editor) -> Blog:
    for name, value in _columns(settings).items():
        setattr(blog, name, value)
    db.session.flush()
    current_app.logger.info("Blog %s changed by %s", blog.slug, by.email)
    return blog


# --- Editors ---


@dataclass(frozen=True)
class NewEditor:
    name: str
    email: str
    password: str
    role: Role = Role.EDITOR
    blog_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class EditorChanges:
    name: str
    role: Role
    active: bool
    language: str
    blog_ids: list[int] = field(default_factory=list)
    password: str | None = None  # None or empty: keep the current one


def find_editor_by_id(editor_id: int) -> Editor | None:
    return db.session.get(Editor, editor_id)


def all_editors() -> list[Editor]:
    return list(db.session.scalars(select(Editor).order_by(Editor.name, Editor.email)))


def blogs_by_ids(ids: Iterable[int]) -> list[Blog]:
    """These blogs, by title; LookupError if one does not exist."""
    wanted = set(ids)
    found = list(db.session.scalars(select(Blog).where(Blog.id.in_(wanted)).order_by(Blog.title)))
    if len(found) != len(wanted):
        raise LookupError(_("One of the chosen blogs no longer exists."))
    return found


def add_editor(new: NewEditor, by: Editor) -> Editor:
    """A new, active account; EditorExists for a taken address, ValueError for the rest."""
    editor = create_editor(new.name, new.email, new.password, new.role, blogs_by_ids(new.blog_ids))
    current_app.logger.info("Editor %s added by %s", editor.email, by.email)
    return editor


def update_editor(editor: Editor, changes: EditorChanges, by: Editor) -> bool:
    """Apply the changes; True when the password was replaced (which ends the editor's other
    sessions). An admin cannot demote or switch off themself: that is SelfLockout."""
    if editor.id == by.id and changes.role != Role.ADMIN:
        raise SelfLockout(
            "role", _("You cannot take away your own admin role. Ask another admin to do it.")
        )
    if editor.id == by.id and not changes.active:
        raise SelfLockout(
            "active", _("You cannot switch off your own account. Ask another admin to do it.")
        )
    name = changes.name.strip()
    if not name:
        raise ValueError(_("The editor needs a name."))
    if changes.language not in current_app.config["LANGUAGES"]:
        raise ValueError(_("Choose one of the languages offered."))
    editor.name = name
    editor.role = Role(changes.role)
    editor.active = changes.active
    editor.language = changes.language
    editor.blogs = blogs_by_ids(changes.blog_ids)
    if changes.password:
        set_password(editor, changes.password)
    db.session.flush()
    current_app.logger.info(
        "Editor %s changed by %s (%s, %s%s)",
        editor.email,
        by.email,
        editor.role.value,
        "active" if editor.active else "switched off",
        ", new password" if changes.password else "",
    )
    return bool(changes.password)
