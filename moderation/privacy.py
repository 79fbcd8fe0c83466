"""What the service keeps about people, and the duties that come with it (AVG/GDPR).

``flask privacy purge`` (daily, from cron or a timer) clears client-address hashes and sent
mail older than ``PRIVACY_RETENTION_DAYS``; ``flask privacy export EMAIL`` prints, as JSON,
everything held about an address; ``flask privacy erase EMAIL`` deletes it. ``GET /privacy``
tells readers what is kept, why and for how long.

An address matches as a whole, trimmed and compared lower-cased, on every engine.
"""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import click
from flask import Blueprint, Flask, current_app, render_template
from flask.cli import AppGroup
from itsdangerous import BadSignature
from sqlalchemy import JSON, String, Text, cast, delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from .caching import touch_posts
from .extensions import db
from .models import Blog, Comment, Editor, ModerationEvent, Outbox, Role, editor_blogs, utcnow

# Editors' mail about a reaction names it only in the signed token of its action links.
_MAIL_LINK = re.compile(r"/moderation/mail/([\w.\-]+)")


def normalise(address: str) -> str:
    return address.strip().lower()


def _same_address(column: InstrumentedAttribute[str], address: str) -> ColumnElement[bool]:
    return func.lower(func.trim(column)) == address


def _mentions_address(text: str, address: str) -> bool:
    """The whole address in ``text``: not ``anna@x.nl`` inside ``hanna@x.nl``."""
    pattern = rf"(?<![\w.%+\-]){re.escape(address)}(?![\w\-]|\.[\w\-])"
    return re.search(pattern, text.lower()) is not None


def _text_contains(column: Any, address: str) -> ColumnElement[bool]:
    # A cheap first sieve in SQL (LIKE, wildcards escaped); _mentions_address decides.
    return func.lower(cast(column, Text)).contains(address, autoescape=True)


@dataclass
class Held:
    """Every row that holds an address, or is about a reaction written with it."""

    address: str
    comments: list[Comment]
    events: list[ModerationEvent]
    mails: list[Outbox]
    editor: Editor | None
    notify_blogs: list[Blog]

    def is_empty(self) -> bool:
        return not (self.comments or self.mails or self.editor or self.notify_blogs)


def find_held(address: str) -> Held:
    address = normalise(address)
    comments = list(
        db.session.scalars(
            select(Comment).where(_same_address(Comment.email, address)).order_by(Comment.id)
        )
    )
    ids = {c.id for c in comments}
    events = list(
        db.session.scalars(
            select(ModerationEvent)
            .where(ModerationEvent.comment_id.in_(ids))
            .order_by(ModerationEvent.id)
        )
    )
    editor = db.session.scalar(select(Editor).where(_same_address(Editor.email, address)))
    notify_blogs = [
        blog
        for blog in db.session.scalars(select(Blog).order_by(Blog.slug))
        if address in {normalise(a) for a in blog.notify_addresses or []}
    ]
    return Held(address, comments, events, _mails_about(address, ids), editor, notify_blogs)


def _mails_about(address: str, comment_ids: set[int]) -> list[Outbox]:
    """Mail to the address, mail that quotes it, and editors' mail about its reactions."""
    texts = (Outbox.recipients, Outbox.subject, Outbox.body_text, Outbox.body_html)
    sieve = [_text_contains(column, address) for column in (*texts, Outbox.last_error)]
    if comment_ids:
        sieve.append(Outbox.body_text.contains("/moderation/mail/"))
    found = []
    for mail in db.session.scalars(select(Outbox).where(or_(*sieve)).order_by(Outbox.id)):
        quoted = (mail.subject, mail.body_text, mail.body_html, mail.last_error)
        if (
            address in {normalise(r) for r in mail.recipients}
            or any(_mentions_address(text or "", address) for text in quoted)
            or _mail_links_to(mail, comment_ids)
        ):
            found.append(mail)
    return found


def _mail_links_to(mail: Outbox, comment_ids: set[int]) -> bool:
    if not comment_ids:
        return False
    # Imported here: the queue package imports the reactions package, which imports it back.
    from .queue.notify import _serializer as mail_link_serializer

    serializer = mail_link_serializer()
    for token in _MAIL_LINK.findall(mail.body_text):
        try:
            comment_id = serializer.loads(token)[0]
        except (BadSignature, ValueError, TypeError, IndexError, KeyError):
            continue
        if comment_id in comment_ids:
            return True
    return False


def mentions(address: str) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table with the address in a text column: (table, primary key)."""
    address = normalise(address)
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
        if not columns:
            continue
        query = select(table).where(or_(*(_text_contains(c, address) for c in columns)))
        for row in db.session.execute(query).mappings():
            if any(_mentions_address(str(row[c.name] or ""), address) for c in columns):
                found.append((table.name, {c.name: row[c.name] for c in table.primary_key}))
    return found


# --- export ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _columns(row: Any, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        c.key: _plain(getattr(row, c.key)) for c in row.__table__.columns if c.key not in leave_out
    }


def export_address(address: str) -> dict[str, Any]:
    """Everything held about the address, as plain data for JSON."""
    held = find_held(address)
    events: dict[int, list[dict[str, Any]]] = {}
    for event in held.events:
        events.setdefault(event.comment_id, []).append(_columns(event, ("comment_id",)))
    reactions = [
        {
            **_columns(comment),
            "post": {
                "blog": comment.post.blog.slug,
                "slug": comment.post.slug,
                "title": comment.post.title,
            },
            "moderation_events": events.get(comment.id, []),
        }
        for comment in held.comments
    ]
    editor = None
    if held.editor is not None:
        editor = {
            **_columns(held.editor, ("password_hash",)),
            "blogs": [blog.slug for blog in held.editor.blogs],
        }
    exported = {("comment", c.id) for c in held.comments}
    exported |= {("outbox", m.id) for m in held.mails}
    exported |= {("blog", b.id) for b in held.notify_blogs}
    if held.editor is not None:
        exported.add(("editor", held.editor.id))
    # Rows not about this person that still name the address, e.g. another reader's reaction.
    elsewhere = [
        {"table": table, "key": key}
        for table, key in mentions(held.address)
        if (table, key.get("id")) not in exported
    ]
    return {
        "address": held.address,
        "exported_at": utcnow().isoformat(),
        "reactions": reactions,
        "mails": [_columns(mail) for mail in held.mails],
        "editor_account": editor,
        "notification_lists": [blog.slug for blog in held.notify_blogs],
        "mentioned_elsewhere": elsewhere,
    }


# --- erase -------------------------------------------------------------------------------


class ErasureRefused(Exception):
    """The address also belongs to the organisation's own work; the message says how on."""


@dataclass
class Erased:
    reactions: int = 0
    events: int = 0
    mails: int = 0
    replies_detached: int = 0
    editor_account: bool = False
    notification_lists: int = 0


def check_erasable(held: Held, include_editor: bool) -> None:
    """An editor's address is only erased on purpose, and never the last admin's."""
    if not (held.editor or held.notify_blogs):
        return
    if not include_editor:
        uses, effects = [], []
        if held.editor is not None:
            uses.append(f"the editor account of {held.editor.name}")
            effects.append(
                "deletes that account (its moderation actions stay in the audit log, "
                "without a name)"
            )
        if held.notify_blogs:
            slugs = ", ".join(blog.slug for blog in held.notify_blogs)
            uses.append(f"the notification list of blog(s) {slugs}")
            effects.append("takes the address off those lists")
        raise ErasureRefused(
            f"{held.address} is used for {' and '.join(uses)}. Erasing it also "
            f"{' and '.join(effects)}. If that is what you want, run again with "
            "--include-editor."
        )
    editor = held.editor
    if editor is not None and editor.role == Role.ADMIN and editor.active:
        others = db.session.scalar(
            select(func.count()).where(
                Editor.role == Role.ADMIN, Editor.active.is_(True), Editor.id != editor.id
            )
        )
        if not others:
            raise ErasureRefused(
                f"{held.address} is the only active admin account. Make another admin first."
            )


def erase_address(address: str, *, include_editor: bool = False) -> Erased:
    """Delete everything held about the address; ErasureRefused when it is an editor's and
    ``include_editor`` is not given. The caller commits."""
    held = find_held(address)
    check_erasable(held, include_editor)
    erased = Erased()
    # Bulk statements pass the ORM by: mark the pages that showed these reactions as changed.
    touch_posts(db.session, {comment.post_id for comment in held.comments})
    theirs = select(Comment.id).where(_same_address(Comment.email, held.address))
    # Others' replies are theirs to keep: they stay, as reactions of their own.
    erased.replies_detached = _count(
        update(Comment)
        .where(Comment.parent_id.in_(theirs), ~_same_address(Comment.email, held.address))
        .values(parent_id=None)
    )
    # Explicit, not left to ON DELETE CASCADE: SQLite does not enforce foreign keys here.
    erased.events = _count(delete(ModerationEvent).where(ModerationEvent.comment_id.in_(theirs)))
    # Replies first, then what they reply to: no reaction is ever left with a missing parent.
    replies = delete(Comment).where(
        _same_address(Comment.email, held.address), Comment.parent_id.is_not(None)
    )
    erased.reactions = _count(replies) + _count(
        delete(Comment).where(_same_address(Comment.email, held.address))
    )
    if held.mails:
        erased.mails = _count(delete(Outbox).where(Outbox.id.in_([m.id for m in held.mails])))
    for blog in held.notify_blogs:
        blog.notify_addresses = [a for a in blog.notify_addresses if normalise(a) != held.address]
        erased.notification_lists += 1
    if held.editor is not None:
        editor_id = held.editor.id
        _count(
            update(ModerationEvent)
            .where(ModerationEvent.editor_id == editor_id)
            .values(editor_id=None)
        )
        _count(delete(editor_blogs).where(editor_blogs.c.editor_id == editor_id))
        _count(delete(Editor).where(Editor.id == editor_id))
        erased.editor_account = True
    db.session.flush()
    db.session.expire_all()
    return erased


def _count(statement: Any) -> int:
    """Run a bulk UPDATE or DELETE and say how many rows it touched."""
    result = db.session.execute(statement, execution_options={"synchronize_session": False})
    return int(typing.cast(CursorResult[Any], result).rowcount or 0)


# --- purge -------------------------------------------------------------------------------


@dataclass
class Purged:
    hashes: int
    mails: int


def purge_expired(now: datetime | None = None) -> Purged:
    """Clear the client-address hash of reactions, and delete mail sent, longer ago than
    ``PRIVACY_RETENTION_DAYS``. Mail not sent yet stays until it is. The caller commits."""
    cutoff = (now or utcnow()) - timedelta(days=int(current_app.config["PRIVACY_RETENTION_DAYS"]))
    hashes = _count(
        update(Comment)
        .where(Comment.created_at < cutoff, Comment.client_hash.is_not(None))
        .values(client_hash=None)
    )
    mails = _count(delete(Outbox).where(Outbox.sent_at.is_not(None), Outbox.sent_at < cutoff))
    db.session.expire_all()
    return Purged(hashes, mails)


# --- commands ----------------------------------------------------------------------------

privacy_cli = AppGroup("privacy", help="What is kept about people: purge, export, erase.")


def _address_argument(email: str) -> str:
    address = normalise(email)
    if "@" not in address.strip("@"):
        raise click.ClickException(f"Give a whole e-mail address, not {email!r}.")
    return address


@privacy_cli.command("purge")
def purge_command() -> None:
    """Clear what is older than PRIVACY_RETENTION_DAYS; run it daily."""
    days = int(current_app.config["PRIVACY_RETENTION_DAYS"])
    purged = purge_expired()
    db.session.commit()
    click.echo(
        f"Cleared the client-address hash of {purged.hashes} reactions older than {days} days."
    )
    click.echo(f"Deleted {purged.mails} mails sent more than {days} days ago.")


@privacy_cli.command("export")
@click.argument("email")
def export_command(email: str) -> None:
    """Print, as JSON, everything held about EMAIL."""
    exported = export_address(_address_argument(email))
    click.echo(json.dumps(exported, ensure_ascii=False, indent=2))


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--include-editor",
    is_flag=True,
    help="Also delete an editor account with this address and take it off notification lists.",
)
def erase_command(email: str, yes: bool, include_editor: bool) -> None:
    """Delete everything held about EMAIL: its reactions, their moderation history, its mail."""
    address = _address_argument(email)
    held = find_held(address)
    if held.is_empty():
        click.echo(f"Nothing is held about {address}.")
    else:
        try:
            check_erasable(held, include_editor)
        except ErasureRefused as refused:
            raise click.ClickException(str(refused)) from refused
        click.echo(
            f"Held about {address}: {len(held.comments)} reactions, "
            f"{len(held.events)} moderation events, {len(held.mails)} mails"
            + (", an editor account" if held.editor else "")
            + "."
        )
        if not yes:
            click.confirm("Erase all of it? This cannot be undone", abort=True)
        erased = erase_address(address, include_editor=include_editor)
        db.session.commit()
        click.echo(f"Erased {erased.reactions} reactions.")
        click.echo(f"Erased {erased.events} moderation events.")
        click.echo(f"Erased {erased.mails} mails.")
        click.echo(f"Kept {erased.replies_detached} replies by others as reactions of their own.")
        if erased.editor_account:
            click.echo("Erased the editor account.")
        if erased.notification_lists:
            click.echo(f"Took the address off {erased.notification_lists} notification lists.")
    left = mentions(address)
    if left:
        rows = ", ".join(f"{table} {key}" for table, key in left)
        click.echo(f"Still mentioned in: {rows}. Edit those by hand.", err=True)


# --- the page ----------------------------------------------------------------------------

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def statement() -> str:
    return render_template(
        "privacy.html", retention_days=int(current_app.config["PRIVACY_RETENTION_DAYS"])
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
    app.register_blueprint(bp)
