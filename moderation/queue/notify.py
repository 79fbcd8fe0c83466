"""Mail about reactions: to editors when one needs them, to commenters when theirs is decided.

Links in mail to editors are signed, expire, and name one action on one reaction in one
state: once anything has happened to the reaction, every earlier link stops working. A link
opens a confirm page; only its POST acts (mail scanners follow GET links).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from ..extensions import db
from ..models import Comment, Editor, ModerationEvent, Status
from ..outbox import UnsafeHeader, queue_mail
from ..reactions.verdict import REASON_TEXT

LINK_MAX_AGE = timedelta(days=7)
MAIL_ACTIONS = {"publish": _l("Publish"), "remove": _l("Remove"), "spam": _l("Mark as spam")}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="moderation-mail-link")


def _state(comment: Comment) -> str:
    """Changes whenever anything happens to the reaction, which spends earlier links."""
    last = db.session.scalar(
        select(func.max(ModerationEvent.id)).where(ModerationEvent.comment_id == comment.id)
    )
    return f"{comment.status.value}:{last or 0}"


def action_token(comment: Comment, action: str, recipient: str) -> str:
    return str(_serializer().dumps([comment.id, action, recipient, _state(comment)]))


@dataclass
class MailAction:
    comment: Comment
    action: str
    recipient: str


class LinkInvalid(Exception):
    """Expired, tampered with, or already used."""


def read_action_token(token: str) -> MailAction:
    try:
        comment_id, action, recipient, state = _serializer().loads(
            token, max_age=int(LINK_MAX_AGE.total_seconds())
        )
    except (BadSignature, ValueError, TypeError) as exc:
        raise LinkInvalid from exc
    comment = db.session.get(Comment, comment_id)
    if comment is None or action not in MAIL_ACTIONS or _state(comment) != state:
        raise LinkInvalid
    return MailAction(comment, action, recipient)


def _editor_recipients(comment: Comment) -> dict[str, str]:
    """Address -> language: the blog's notification addresses and its active editors."""
    blog = comment.post.blog
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    recipients = {address: default for address in blog.notify_addresses or []}
    editors = db.session.scalars(
        select(Editor).where(Editor.active.is_(True), Editor.blogs.any(id=blog.id))
    )
    for editor in editors:
        recipients[editor.email] = editor.language or default
    return recipients


def queue_for_editor(comment: Comment) -> int:
    """Mail each editor of the blog about a reaction that waits; returns how many mails."""
    db.session.flush()
    recipients = _editor_recipients(comment)
    queued = 0
    for address, language in recipients.items():
        with force_locale(language):
            links = [
                (
                    str(label),
                    url_for(
                        "moderation.mail_link",
                        token=action_token(comment, action, address),
                        _external=True,
                    ),
                )
                for action, label in MAIL_ACTIONS.items()
            ]
            reasons = [str(REASON_TEXT.get(r, r)) for r in comment.reasons]
        try:
            queue_mail(
                [address],
                "reaction_needs_editor",
                language,
                blog_title=comment.post.blog.title,
                post_title=comment.post.title,
                commenter=comment.name,
                placed_at=comment.created_at,
                text=comment.body_source,
                reasons=reasons,
                links=links,
            )
        except UnsafeHeader:
            # A bad address in the blog's settings must never cost the reader their reaction.
            current_app.logger.warning("Not mailing %r about reaction %s", address, comment.id)
        else:
            queued += 1
    return queued


def tell_commenter(comment: Comment, reason: str = "") -> None:
    """A waiting reaction was decided: tell the commenter, in the language they wrote in."""
    if comment.status not in (Status.PUBLISHED, Status.REMOVED):
        return
    queue_mail(
        [comment.email],
        "reaction_decided",
        comment.language,
        name=comment.name,
        outcome=comment.status.value,
        reason=reason,
        blog_title=comment.post.blog.title,
        post_title=comment.post.title,
        text=comment.body_source,
        post_url=url_for(
            "blog.post", blog=comment.post.blog.slug, post=comment.post.slug, _external=True
        ),
    )
