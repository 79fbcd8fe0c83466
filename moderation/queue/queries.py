"""Reads for the moderation queue: tabs with counts, keyset pages, commenter history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Comment, ModerationEvent, Post, Status, id_from

PAGE_SIZE = 25
COUNT_CAP = 1000
TABS = (Status.PENDING, Status.REMOVED, Status.SPAM, Status.PUBLISHED)


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the newest-first order is (created_at, id) descending."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.created_at.isoformat()}_{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        if not value:
            return None
        stamp, _, ident = value.rpartition("_")
        comment_id = id_from(ident)
        if comment_id is None:
            return None
        try:
            return cls(datetime.fromisoformat(stamp), comment_id)
        except ValueError:
            return None


@dataclass
class Filters:
    blog_ids: Sequence[int] | None  # None: every blog (admins)
    blog_id: int | None = None
    post_id: int | None = None


SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


def _scoped(query: SelectT, filters: Filters) -> SelectT:
    if filters.post_id is not None:
        query = query.where(Comment.post_id == filters.post_id)
    if filters.blog_id is not None or filters.blog_ids is not None:
        query = query.join(Post, Post.id == Comment.post_id)
        if filters.blog_id is not None:
            query = query.where(Post.blog_id == filters.blog_id)
        if filters.blog_ids is not None:
            query = query.where(Post.blog_id.in_(filters.blog_ids))
    return query


def tab_counts(filters: Filters) -> dict[Status, int]:
    """Reactions per tab, counted up to ``COUNT_CAP`` (shown as "999+"): an exact count of a
    tab with a million reactions would cost more than the rest of the page together."""
    counts = {}
    for tab in TABS:
        capped = _scoped(select(Comment.id), filters).where(Comment.status == tab).limit(COUNT_CAP)
        counts[tab] = db.session.scalar(select(func.count()).select_from(capped.subquery())) or 0
    return counts


@dataclass
class QueuePage:
    comments: list[Comment]
    next_cursor: Cursor | None


def queue_page(status: Status, filters: Filters, after: Cursor | None) -> QueuePage:
    query = _scoped(select(Comment), filters).where(Comment.status == status)
    if after is not None:
        query = query.where(
            or_(
                Comment.created_at < after.created_at,
                and_(Comment.created_at == after.created_at, Comment.id < after.id),
            )
        )
    query = query.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(PAGE_SIZE + 1)
    query = query.options(selectinload(Comment.post).selectinload(Post.blog))
    rows = list(db.session.scalars(query))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    last = rows[-1] if more and rows else None
    return QueuePage(rows, Cursor(last.created_at, last.id) if last else None)


@dataclass
class History:
    total: int
    removed: int


def commenter_history(comments: Sequence[Comment]) -> dict[str, History]:
    """Per address on this page: how many reactions it placed and how many were removed."""
    emails = {c.email for c in comments}
    if not emails:
        return {}
    rows = db.session.execute(
        select(
            Comment.email,
            func.count(),
            func.sum(case((Comment.status == Status.REMOVED, 1), else_=0)),
        )
        .where(Comment.email.in_(emails))
        .group_by(Comment.email)
    ).all()
    return {email: History(int(total), int(removed or 0)) for email, total, removed in rows}


def events_for(comments: Sequence[Comment]) -> dict[int, list[ModerationEvent]]:
    ids = [c.id for c in comments]
    if not ids:
        return {}
    events = db.session.scalars(
        select(ModerationEvent)
        .where(ModerationEvent.comment_id.in_(ids))
        .options(selectinload(ModerationEvent.editor))
        .order_by(ModerationEvent.created_at, ModerationEvent.id)
    )
    grouped: dict[int, list[ModerationEvent]] = {i: [] for i in ids}
    for event in events:
        grouped[event.comment_id].append(event)
    return grouped


AUDIT_PAGE_SIZE = 50


def audit_page(before: int | None) -> list[ModerationEvent]:
    """One page of the audit log, newest first; one row more tells whether more follow."""
    query = select(ModerationEvent).order_by(ModerationEvent.id.desc())
    if before is not None:
        query = query.where(ModerationEvent.id < before)
    query = query.options(
        selectinload(ModerationEvent.editor),
        selectinload(ModerationEvent.comment).selectinload(Comment.post).selectinload(Post.blog),
    )
    return list(db.session.scalars(query.limit(AUDIT_PAGE_SIZE + 1)))
