"""The domain: blogs, authors, posts, tags, reactions, editors, the audit log and the outbox."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


# The largest id an id column holds on every engine (INTEGER is 32 bits on PostgreSQL; SQLite
# cannot even compare a number past 64 bits). Routes take no larger id in their paths.
MAX_ID = 2**31 - 1


def id_from(value: object) -> int | None:
    """The row id a client sent as text (in a query string or a form), or None when it is not
    one: only the digits 0-9, and no larger than ``MAX_ID``."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite keeps no zone and hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Status(enum.StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"
    REMOVED = "removed"
    SPAM = "spam"


class ModerationMode(enum.StrEnum):
    POST = "post"  # publish at once; rules may remove or hold
    PRE = "pre"  # hold everything for an editor


class Role(enum.StrEnum):
    EDITOR = "editor"
    ADMIN = "admin"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as the value; a CHECK constraint instead of a native type keeps migrations simple.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)

editor_blogs = Table(
    "editor_blogs",
    db.metadata,
    Column("editor_id", ForeignKey("editor.id", ondelete="CASCADE"), primary_key=True),
    Column("blog_id", ForeignKey("blog.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Blog(db.Model):  # type: ignore[name-defined]
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    embed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The language its posts and reactions are written in, marked on them in every page, so
    # that a screen reader speaks a Dutch post as Dutch on the English pages too.
    language: Mapped[str] = mapped_column(String(8), default="nl", server_default="nl")
    moderation_mode: Mapped[ModerationMode] = mapped_column(
        _enum(ModerationMode, "moderation_mode"), default=ModerationMode.POST
    )
    notify_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    comments_open: Mapped[bool] = mapped_column(Boolean, default=True)
    close_after_days: Mapped[int | None] = mapped_column(Integer)
    max_links: Mapped[int] = mapped_column(Integer, default=2)
    blocked_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    suspect_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    posts: Mapped[list[Post]] = relationship(back_populates="blog")


class Author(db.Model):  # type: ignore[name-defined]
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")


class Tag(db.Model):  # type: ignore[name-defined]
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(80))


class Post(db.Model):  # type: ignore[name-defined]
    __table_args__ = (
        UniqueConstraint("blog_id", "slug", name="uq_post_blog_id_slug"),
        Index("ix_post_blog_id_published_at", "blog_id", "published_at"),
        Index("ix_post_published_at", "published_at"),
        # Dutch full-text search on PostgreSQL; SQLite uses the FTS5 table post_search.
        Index(
            "ix_post_search_nl",
            text("to_tsvector('dutch', title || ' ' || body_text)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    blog_id: Mapped[int] = mapped_column(ForeignKey("blog.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("author.id", ondelete="SET NULL"), index=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Plain text of the body, for search and snippets.
    body_text: Mapped[str] = mapped_column(Text, default="")
    renderer_version: Mapped[int] = mapped_column(Integer, default=0)
    comments_open: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # When anything its public pages show last changed: the post, its blog or author, or any
    # of its reactions. The pages' ETag and Last-Modified come from it (moderation.caching).
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=text("'1970-01-01 00:00:00'")
    )

    blog: Mapped[Blog] = relationship(back_populates="posts")
    author: Mapped[Author | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, order_by="Tag.name")

    def accepts_reactions(self, now: datetime | None = None) -> bool:
        return reactions_open(
            self.comments_open,
            self.blog.comments_open,
            self.blog.close_after_days,
            self.published_at,
            now or utcnow(),
        )


def reactions_open(
    post_open: bool,
    blog_open: bool,
    close_after_days: int | None,
    published_at: datetime,
    now: datetime,
) -> bool:
    """Whether a post takes reactions at ``now``: both switches on, and not past the blog's
    closing period."""
    if not (post_open and blog_open):
        return False
    if close_after_days is None:
        return True
    return now < published_at + timedelta(days=close_after_days)


class Comment(db.Model):  # type: ignore[name-defined]
    __table_args__ = (
        # A post's published reactions in order, and the queue's tabs with keyset pagination.
        Index("ix_comment_post_id_status_created_at", "post_id", "status", "created_at", "id"),
        Index("ix_comment_status_created_at", "status", "created_at", "id"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), index=True)
    website: Mapped[str] = mapped_column(String(500), default="")
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    renderer_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[Status] = mapped_column(_enum(Status, "comment_status"))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Digest of the preview token it was placed with: placing twice stores it once.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    post: Mapped[Post] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id])

    @property
    def public_name(self) -> str:
        """The name readers see: the editors' display name for an anonymous exception."""
        if self.is_anonymous and self.display_name:
            return self.display_name
        return self.name


class Editor(UserMixin, db.Model):  # type: ignore[name-defined]
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "editor_role"), default=Role.EDITOR)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    blogs: Mapped[list[Blog]] = relationship(secondary=editor_blogs, order_by="Blog.title")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ModerationEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "moderation_event"
    __table_args__ = (
        Index("ix_moderation_event_comment_id_created_at", "comment_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    editor_id: Mapped[int | None] = mapped_column(
        ForeignKey("editor.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    comment: Mapped[Comment] = relationship()
    editor: Mapped[Editor | None] = relationship()


class Outbox(db.Model):  # type: ignore[name-defined]
    __table_args__ = (Index("ix_outbox_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
