"""Conditional GET for the pages readers load most: a post, its embed page, a blog's feed.

Every change to what those pages show moves ``Post.changed_at`` (an ``after_flush`` hook sees
posts, reactions, blogs and authors change; bulk statements call ``touch_posts``). A page's ETag
is a digest of that moment, whether the post takes reactions now, the release of the templates
and everything in the request that can change the page (query string, cookies, languages). A
WSGI middleware answers a matching ``If-None-Match`` (or ``If-Modified-Since``) with 304 before
Flask does any work; other requests pass through and leave with the ETag and Last-Modified of
the state read before the page was built, so a change that lands in between only costs the
next request a full page.

On SQLite the state is one indexed query per request, in process. On PostgreSQL, where that
query is a round trip to another process, each app process keeps the posts' states in memory
and learns of changes through ``LISTEN``: every transaction that touches a post's pages sends
``NOTIFY`` (delivered at commit, so every instance hears of it), and a commit in this process
forgets the states at once. Without a working listener, states are read per request again.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from select import POLLIN, poll
from typing import Any, NamedTuple

from flask import Flask, request
from sqlalchemy import Connection, Dialect, Engine, bindparam, event, func, select, text, update
from sqlalchemy.orm import Session, scoped_session

from .extensions import db
from .models import Author, Blog, Comment, Post, reactions_open, utcnow

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

POST_PAGE = re.compile(r"/(?:blogs|embed)/([a-z0-9-]+)/([a-z0-9-]+)")
FEED = re.compile(r"/blogs/([a-z0-9-]+)/feed\.atom")
ROOT = Path(__file__).resolve().parent.parent


# --- Knowing when a page changed ---


# The channel every transaction that changes a post's pages notifies on PostgreSQL.
CHANNEL = "moderation_pages"


def touch_posts(
    connection: Connection | Session | scoped_session[Any], post_ids: Iterable[int]
) -> None:
    """Mark these posts' pages as changed (for writes that bypass the ORM's flush)."""
    ids = sorted(set(post_ids))
    if not ids:
        return
    connection.execute(
        update(Post)
        .where(Post.id.in_(ids))
        .values(changed_at=utcnow(), updated_at=Post.updated_at)
        .execution_options(synchronize_session=False)
    )
    if isinstance(connection, Session | scoped_session):
        connection.info[CHANGED] = True
        dialect = connection.get_bind().dialect
    else:
        dialect = connection.dialect
    if dialect.name == "postgresql":
        # Delivered to every listening process when the transaction commits, never before.
        connection.execute(text(f"NOTIFY {CHANNEL}"))


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
    if posts:
        session.info[CHANGED] = True
    touch_posts(connection, posts)


# A session's info holds this key from a change to a post's pages until it commits or rolls
# back; the commit then moves this process's generation on, which forgets every kept state.
CHANGED = "moderation.pages_changed"


class Generation:
    """How many times this process has learnt that post pages changed: a state kept under an
    earlier generation is no longer trusted."""

    value = 0

    @classmethod
    def advance(cls) -> None:
        cls.value += 1


def _after_commit(session: Session) -> None:
    if session.info.pop(CHANGED, False):
        Generation.advance()


def _after_rollback(session: Session) -> None:
    session.info.pop(CHANGED, None)


# --- The state a page is built from, read cheaply ---


class PageState(NamedTuple):
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


# A post's stored facts: changed_at and published_at (aware), the post's and the blog's
# switches, the blog's closing period.
PostRow = tuple[datetime, datetime, bool, bool, int | None]


def _post_row(row: Any) -> PostRow | None:
    if row is None:
        return None
    return (_aware(row[0]), _aware(row[1]), row[2], row[3], row[4])


def _post_state(row: PostRow | None, now: datetime) -> PageState | None:
    if row is None or row[1] > now:
        return None  # not there, or not public yet: Flask answers
    return PageState(row[0], reactions_open(row[2], row[3], row[4], row[1], now))


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
        return _post_state(self.post_row(blog, post), now)

    def post_row(self, blog: str, post: str) -> PostRow | None:
        """The stored facts a post's state is made of (None: no such post)."""
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
            return _post_row(row)
        return None  # pragma: no cover (the loop returns or raises)


class ChangeListener:
    """A connection of this process's own that LISTENs for changes to post pages (PostgreSQL).

    ``generation()`` takes in what has arrived without waiting (a poll of its socket, and a
    read when something came) and answers this process's generation, or None while it is not
    listening: then nothing kept may be trusted. A lost connection forgets everything; a new
    one is tried at most once a second. Forked processes open their own."""

    RETRY_SECONDS = 1.0

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.connection: Any = None
        self.pid = 0
        self.next_try = 0.0
        self.readable = poll()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def close(self) -> None:
        with self.lock:
            self._drop()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and self.pid == os.getpid():
            with suppress(Exception):
                connection.close()
        Generation.advance()

    def _listen(self) -> None:
        now = time.monotonic()
        if now < self.next_try:
            return
        self.next_try = now + self.RETRY_SECONDS
        try:
            pooled = self.engine.raw_connection()
        except self.engine.dialect.loaded_dbapi.Error:
            return
        connection: Any = pooled.driver_connection
        pooled.detach()
        try:
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
        except self.engine.dialect.loaded_dbapi.Error:
            with suppress(Exception):
                connection.close()
            return
        self.connection, self.pid = connection, os.getpid()
        self.readable = poll()
        self.readable.register(connection.fileno(), POLLIN)
        # Whatever was kept before now may have missed a notification.
        Generation.advance()

    def generation(self) -> int | None:
        with self.lock:
            if self.connection is not None and self.pid != os.getpid():
                self.connection = None  # the parent's: leave its socket alone
            if self.connection is None:
                self._listen()
                if self.connection is None:
                    return None
            pgconn = self.connection.pgconn
            # Usually nothing has arrived: one poll, no read. A server ending the session
            # (a restart, pg_terminate_backend) sends a message and then closes, which the
            # second round reads as the end of the stream.
            for _ in range(8):
                if not self.readable.poll(0):
                    break
                try:
                    pgconn.consume_input()
                except self.engine.dialect.loaded_dbapi.Error:
                    self._drop()
                    return None
                heard = False
                while pgconn.notifies() is not None:
                    heard = True
                if heard:
                    Generation.advance()
            if pgconn.status != 0:  # 0: CONNECTION_OK
                self._drop()
                return None
            return Generation.value


@dataclass(frozen=True)
class KeptRow:
    row: PostRow
    generation: int
    fresh_until: float


class PostStates:
    """A post's state for the middleware: from memory while this process's generation holds
    and the row is younger than ``max_age`` seconds (a bound in case notifications stop
    without the connection failing), else read. Only with a listener; else always read."""

    MAX_KEPT = 4096

    def __init__(self, engine: Engine, max_age: float) -> None:
        self.reader = StateReader(engine)
        self.listener = (
            ChangeListener(engine) if engine.dialect.name == "postgresql" and max_age > 0 else None
        )
        self.max_age = max_age
        self.kept: dict[tuple[str, str], KeptRow] = {}

    def post_state(self, blog: str, post: str, now: datetime) -> PageState | None:
        generation = self.listener.generation() if self.listener is not None else None
        if generation is None:
            return self.reader.post_state(blog, post, now)
        key = (blog, post)
        kept = self.kept.get(key)
        moment = time.monotonic()
        if kept is not None and kept.generation == generation and moment < kept.fresh_until:
            return _post_state(kept.row, now)
        row = self.reader.post_row(blog, post)
        if row is not None:  # a missing post is not kept: any address can be asked for
            if len(self.kept) >= self.MAX_KEPT:
                self.kept.clear()
            self.kept[key] = KeptRow(row, generation, moment + self.max_age)
        return _post_state(row, now)


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


# The same page is asked for again and again between two changes: its validators are worked
# out once per variant (a digest and a date cost more than the rest of a 304). Only variants
# of ordinary size are remembered, so large made-up headers cannot fill a worker's memory.
VARIANT_REMEMBERED = 256


def _validators(
    state: PageState, release: str, path: str, query: str, cookie: str, languages: str
) -> tuple[tuple[str, str], ...]:
    if len(path) + len(query) + len(cookie) + len(languages) <= VARIANT_REMEMBERED:
        return _remembered_validators(state, release, path, query, cookie, languages)
    return _make_validators(state, release, path, query, cookie, languages)


def _make_validators(
    state: PageState, release: str, path: str, query: str, cookie: str, languages: str
) -> tuple[tuple[str, str], ...]:
    variant = "\x00".join(
        (
            release,
            path,
            query,
            cookie,
            languages,
            state.changed_at.isoformat(),
            "open" if state.accepts_reactions else "closed",
        )
    )
    etag = '"' + hashlib.sha256(variant.encode()).hexdigest()[:32] + '"'
    return (
        ("ETag", etag),
        ("Last-Modified", format_datetime(state.changed_at.astimezone(UTC), usegmt=True)),
        ("Cache-Control", "no-cache"),
        ("Vary", "Cookie, Accept-Language"),
    )


_remembered_validators = lru_cache(maxsize=4096)(_make_validators)


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
        self._states: PostStates | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def _state(self, path: str) -> PageState | None:
        page = POST_PAGE.fullmatch(path)
        if page:
            if self._states is None:
                max_age = float(self.app.config["PAGE_STATE_MAX_AGE"])
                self._states = PostStates(self.engine, max_age)
            return self._states.post_state(page.group(1), page.group(2), utcnow())
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
        validators = list(
            _validators(
                state,
                self.release,
                environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""),
                environ.get("HTTP_COOKIE", ""),
                environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            )
        )
        etag = validators[0][1]
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
    for name, hook in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)
    app.wsgi_app = ConditionalGet(app, app.wsgi_app)  # type: ignore[method-assign]
