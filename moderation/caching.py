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
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, request
from sqlalchemy import Connection, Dialect, Engine, bindparam, event, func, select, update
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


# Read on every request for a post's pages: built and compiled once, run as the driver's SQL
# (constructing and compiling the statement each time cost more than running it).
_POST_STATE = (
    select(
        Post.changed_at,
        Post.published_at,
        Post.comments_open,
        Blog.comments_open,
        Blog.close_after_days,
    )
    .join(Blog, Blog.id == Post.blog_id)
    .where(Blog.slug == bindparam("blog"), Post.slug == bindparam("post"))
)


@lru_cache(maxsize=8)
def _driver_sql(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    compiled = _POST_STATE.compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup) if compiled.positiontup else None


def _params(order: tuple[str, ...] | None, blog: str, post: str) -> Any:
    values = {"blog": blog, "post": post}
    return tuple(values[name] for name in order) if order else values


def _post_state(row: Any, now: datetime) -> PageState | None:
    if row is None or _aware(row[1]) > now:
        return None  # not there, or not public yet: Flask answers
    published_at = _aware(row[1])
    return PageState(_aware(row[0]), reactions_open(row[2], row[3], row[4], published_at, now))


class StateReader:
    """The post-state query on a connection of each thread's own, outside the pool and in
    autocommit, so every read sees the latest commit: checking a connection out of the pool
    and resetting it cost more than the query. A broken connection is replaced once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sql, self.order = _driver_sql(engine.dialect)
        self.local = threading.local()
        self.opened: list[Any] = []
        # Disposing of the engine (a test's end, a shutdown) closes these too.
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def close(self) -> None:
        while self.opened:
            with suppress(Exception):
                self.opened.pop().close()
        self.local = threading.local()

    def _connection(self) -> Any:
        connection: Any = getattr(self.local, "connection", None)
        if connection is None:
            pooled = self.engine.raw_connection()
            connection = pooled.driver_connection
            pooled.detach()  # ours now: the pool neither resets nor reuses it
            if self.engine.dialect.name == "sqlite":
                connection.isolation_level = None  # no implicit transaction around reads
            else:
                connection.autocommit = True
            self.local.connection = connection
            self.opened.append(connection)
        return connection

    def post_state(self, blog: str, post: str, now: datetime) -> PageState | None:
        for attempt in (1, 2):
            connection = self._connection()
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(self.sql, _params(self.order, blog, post))
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except self.engine.dialect.loaded_dbapi.Error:
                self.local.connection = None
                with suppress(Exception):
                    connection.close()
                if attempt == 2:
                    raise
                continue
            return _post_state(row, now)
        return None  # pragma: no cover (the loop returns or raises)


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


@dataclass(frozen=True)
class CachedPage:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


class ConditionalGet:
    """WSGI middleware: 304 for an unchanged post, embed or feed page; validators on the 200;
    and the page itself from memory while its ETag holds, so a popular post is rendered once
    per change and worker instead of once per reader."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.release = release_digest(
            [ROOT / "templates", ROOT / "translations", ROOT / "moderation" / "static"]
        )
        # Imported here: the reactions package imports this module.
        from .reactions.services import started_serializer

        self.session_cookie = str(app.config["SESSION_COOKIE_NAME"]) + "="
        self.started = started_serializer(str(app.config["SECRET_KEY"]))
        self.pages: OrderedDict[str, CachedPage] = OrderedDict()
        self.max_pages = int(app.config["PAGE_CACHE_ENTRIES"])
        self._engine: Engine | None = None
        self._reader: StateReader | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def _state(self, path: str) -> PageState | None:
        page = POST_PAGE.fullmatch(path)
        if page:
            if self._reader is None:
                self._reader = StateReader(self.engine)
            return self._reader.post_state(page.group(1), page.group(2), utcnow())
        feed = FEED.fullmatch(path)
        if feed:
            with self.engine.connect() as connection:
                return feed_state(connection, feed.group(1), utcnow())
        return None

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
        if environ["REQUEST_METHOD"] != "GET" or self.session_cookie in environ.get(
            "HTTP_COOKIE", ""
        ):
            # HEAD, and editors' pages (their own header, their own session): never kept.
            return self.wsgi_app(environ, _with_validators(start_response, validators))
        cached = self.pages.get(etag)
        if cached is None:
            return self._send(self._render(environ, validators, etag), start_response)
        self.pages.move_to_end(etag)
        return self._send(self._fresh(cached), start_response)

    def _render(
        self, environ: dict[str, Any], validators: list[tuple[str, str]], etag: str
    ) -> CachedPage:
        """Build the page once through the app, and keep it when it may be shared."""
        captured: list[Any] = []

        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        chunks = self.wsgi_app(environ, _with_validators(start, validators))
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        if not captured:
            raise RuntimeError("the application returned without starting a response")
        status, headers = captured
        page = CachedPage(status, headers, body)
        started = environ.get(FORM_STARTED_KEY)
        shareable = status.startswith("200") and not any(
            name.lower() == "set-cookie"
            or (name.lower() == "content-security-policy" and "'nonce-" in value)
            for name, value in headers
        )
        if shareable:
            # The form's signed moment is the one part made per reader: kept as a marker.
            marked = body.replace(started.encode(), STARTED_MARKER) if started else body
            self.pages[etag] = CachedPage(status, headers, marked)
            while len(self.pages) > self.max_pages:
                self.pages.popitem(last=False)
        return page

    def _fresh(self, page: CachedPage) -> CachedPage:
        if STARTED_MARKER not in page.body:
            return page
        token = str(self.started.dumps(1)).encode()
        return CachedPage(page.status, page.headers, page.body.replace(STARTED_MARKER, token))

    @staticmethod
    def _send(page: CachedPage, start_response: StartResponse) -> list[bytes]:
        headers = [(n, v) for n, v in page.headers if n.lower() != "content-length"]
        start_response(page.status, [*headers, ("Content-Length", str(len(page.body)))])
        return [page.body]


STARTED_MARKER = b"\x00form-started\x00"
FORM_STARTED_KEY = "moderation.form_started"


def _with_validators(
    start_response: StartResponse, validators: list[tuple[str, str]]
) -> StartResponse:
    def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        if status.startswith("200"):
            names = {name.lower() for name, _ in validators}
            headers = [(n, v) for n, v in headers if n.lower() not in names] + validators
        return start_response(status, headers, *args)

    return start


def remember_form_started(token: str) -> None:
    """Called by the template that puts the form's moment in the page (see ConditionalGet)."""
    request.environ[FORM_STARTED_KEY] = token


def init_app(app: Flask) -> None:
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)
    app.wsgi_app = ConditionalGet(app, app.wsgi_app)  # type: ignore[method-assign]
