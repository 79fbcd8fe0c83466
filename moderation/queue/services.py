"""What editors do to reactions. Each action records who did what in the audit log.

Plain data in, the session flushed, the request commits once. Mail to the commenter is
queued in the outbox in the same transaction, so it is never lost and never sent for a change
that was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable

from ..extensions import db
from ..models import Comment, Editor, ModerationEvent, Status


class ActionRefused(ValueError):
    """The action does not apply to this reaction; the message says why."""


def _record(comment: Comment, editor: Editor | None, to: Status, note: str = "") -> None:
    db.session.add(
        ModerationEvent(
            comment=comment,
            editor=editor,
            from_status=comment.status.value if comment.status else None,
            to_status=to.value,
            note=note.strip(),
        )
    )
    comment.status = to


def publish_comment(comment: Comment, editor: Editor | None, note: str = "") -> None:
    if comment.status == Status.PUBLISHED:
        raise ActionRefused("already published")
    _record(comment, editor, Status.PUBLISHED, note)
    db.session.flush()


def remove_comment(comment: Comment, editor: Editor | None, reason: str) -> None:
    if not reason.strip():
        raise ActionRefused("a reason is needed")
    if comment.status == Status.REMOVED:
        raise ActionRefused("already removed")
    _record(comment, editor, Status.REMOVED, reason)
    db.session.flush()


def mark_spam(comment: Comment, editor: Editor | None, note: str = "") -> None:
    if comment.status == Status.SPAM:
        raise ActionRefused("already spam")
    _record(comment, editor, Status.SPAM, note)
    db.session.flush()


def restore_as_anonymous(comment: Comment, editor: Editor | None, display_name: str) -> None:
    """The anonymous exception: published under a name the editors choose; the real name
    stays on the record for editors only."""
    display_name = display_name.strip()
    if not display_name:
        raise ActionRefused("a display name is needed")
    comment.is_anonymous = True
    comment.display_name = display_name[:100]
    _record(comment, editor, Status.PUBLISHED, f"anonymous exception as {display_name!r}")
    db.session.flush()


ACTIONS: dict[str, Callable[..., None]] = {
    "publish": publish_comment,
    "remove": remove_comment,
    "spam": mark_spam,
    "anonymous": restore_as_anonymous,
}
