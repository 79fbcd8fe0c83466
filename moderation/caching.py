"""Conditional GET for the pages readers load most: a post, its embed page, a blog's feed.

Every change to what those pages show moves ``Post.changed_at`` (an ``after_flush`` hook sees
posts, reactions, blogs and authors change; bulk statements call ``touch_posts``). A page's ETag
is a digest of that moment, whether the post takes reactions now, the release of the templates
and everything in the request that can change the page (query string, cookies, languages). A
WSGI middleware answers a matching ``If-None-Match`` (or ``If-Modified-Since``) with 304 after
one indexed query, before Flask does any work; other requests pass through and leave with the
ETag and Last-Modified of the state read before the page was built, so a change that lands in
between only costs the next request a full page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.orm import Session, scoped_session

from .extensions import db
from .models import Author, Blog, Comment, Post, reactions_open, utcnow

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

POST_PAGE = re.compile(r"/(?:blogs|embed)/([a-z0-9-]+)/([a-z0-9-]+)")
FEED = re.compile(r"/blogs/([a-z0-9-]+)/feed\.atom")
ROOT = Path(__file__).resolve().parent.parent
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- Knowing when a page changed ---


def touch_posts(
    connection: Connection | Session | scoped_session[Any], post_ids: Iterable[int]
) -> None:
    """Mark these posts' pages as changed (for writes that bypass the ORM's flush)."""
    ids = sorted(set(post_ids))
    if ids:
        connection.execute(
            update(Post)
            .where(Post.id.in_(ids))
            .values(changed_at=utcnow(), updated_at=Post.updated_at)
            .execution_options(synchronize_session=False)
        )


def _changed_posts(session: Session) -> tuple[set[int], set[int], set[int]]:
    """Posts, blogs and authors whose flushed changes show on a post's pages."""
    posts: set[int] = set()
    blogs: set[int] = set()
    authors: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Comment) and obj.post_id is not None:
            posts.add(obj.post_id)
        elif isinstance(obj, Post) and obj.id is not None:
            posts.add(obj.id)
        elif isinstance(obj, Blog) and obj.id is not None:
            blogs.add(obj.id)
        elif isinstance(obj, Author) and obj.id is not None:
            authors.add(obj.id)
    return posts, blogs, authors


def _after_flush(session: Session, _context: Any) -> None:
    posts, blogs, authors = _changed_posts(session)
    connection = session.connection()
    if blogs or authors:
        related = select(Post.id).where(Post.blog_id.in_(blogs) | Post.author_id.in_(authors))
        posts.update(connection.scalars(related))
    touch_posts(connection, posts)


# --- The state a page is built from, read cheaply ---


@dataclass(frozen=True)
class PageState:
    changed_at: datetime
    accepts_reactions: bool


def post_state(connection: Connection, blog: str, post: str, now: datetime) -> PageState | None:
    row = connection.execute(
        select(
            Post.changed_at,
            Post.published_at,
            Post.comments_open,
            Blog.comments_open,
            Blog.close_after_days,
        )
        .join(Blog, Blog.id == Post.blog_id)
        .where(Blog.slug == blog, Post.slug == post)
    ).one_or_none()
    if row is None or _aware(row[1]) > now:
        return None  # not there, or not public yet: Flask answers
    published_at = _aware(row[1])
    return PageState(_aware(row[0]), reactions_open(row[2], row[3], row[4], published_at, now))


def feed_state(connection: Connection, blog: str, now: datetime) -> PageState | None:
    # The newest public post's moment and the latest change among public posts: a scheduled
    # post that becomes public changes the feed without any write.
    row = connection.execute(
        select(func.max(Post.changed_at), func.max(Post.published_at), func.count(Post.id))
        .join(Blog, Blog.id == Post.blog_id)
        .where(Blog.slug == blog, Post.published_at <= now)
    ).one()
    if not row[2]:
        return None
    changed = max(_aware(row[0]), _aware(row[1]))
    return PageState(changed, True)


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite hands back text from Core queries on aggregates
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- ETags ---


def release_digest(folders: Iterable[Path]) -> str:
    """A digest of the templates, catalogues and static files: a deploy changes every ETag."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in {".html", ".txt", ".mo", ".css", ".js"}:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def etag_for(state: PageState, environ: dict[str, Any], release: str) -> str:
    variant = "\x00".join(
        (
            release,
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_COOKIE", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            state.changed_at.isoformat(),
            "open" if state.accepts_reactions else "closed",
        )
    )
    return '"' + hashlib.sha256(variant.encode()).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in tags or "*" in tags


def _not_modified_since(header: str, changed_at: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and changed_at.replace(microsecond=0) <= since


class ConditionalGet:
    """WSGI middleware: 304 for an unchanged post, embed or feed page; validators on the 200."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.release = release_digest(
            [ROOT / "templates", ROOT / "translations", ROOT / "moderation" / "static"]
        )
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def _state(self, path: str) -> PageState | None:
        page, feed = POST_PAGE.fullmatch(path), FEED.fullmatch(path)
        if not (page or feed):
            return None
        now = utcnow()
        with self.engine.connect() as connection:
            if page:
                return post_state(connection, page.group(1), page.group(2), now)
            assert feed is not None
            return feed_state(connection, feed.group(1), now)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        state = self._state(environ.get("PATH_INFO", ""))
        if state is None:
            return self.wsgi_app(environ, start_response)
        etag = etag_for(state, environ, self.release)
        validators = [
            ("ETag", etag),
            ("Last-Modified", format_datetime(state.changed_at.astimezone(UTC), usegmt=True)),
            ("Cache-Control", "no-cache"),
            ("Vary", "Cookie, Accept-Language"),
        ]
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if (if_none_match is not None and _matches(if_none_match, etag)) or (
            if_none_match is None
            and _not_modified_since(environ.get("HTTP_IF_MODIFIED_SINCE", ""), state.changed_at)
        ):
            start_response("304 Not Modified", validators)
            return []
        return self.wsgi_app(environ, _with_validators(start_response, validators))


def _with_validators(
    start_response: StartResponse, validators: list[tuple[str, str]]
) -> StartResponse:
    def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        if status.startswith("200"):
            names = {name.lower() for name, _ in validators}
            headers = [(n, v) for n, v in headers if n.lower() not in names] + validators
        return start_response(status, headers, *args)

    return start


def init_app(app: Flask) -> None:
    from sqlalchemy import event

    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)
    app.wsgi_app = ConditionalGet(app, app.wsgi_app)  # type: ignore[method-assign]
