"""Fuzzing every route in the URL map: each form field and query parameter gets any unicode
(surrogates and control characters too), huge values, numbers where text is expected and the
other way round, missing and repeated fields, invalid UTF-8, broken percent-encoding, odd
content types, JSON and file parts where a form is expected.

What must hold for every request: no server error; a refused editor request (4xx, or no valid
form token) changes no row; the reaction routes store nothing that was not previewed exactly
as sent, and queue no mail. Routes come from the URL map, so a new route is fuzzed without
editing this file. The examples are fixed (``derandomize``): a run repeats the one before.
"""

from __future__ import annotations

import gc
import json
import os
import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.security import generate_password_hash

from moderation.extensions import db, limiter
from moderation.forms import Form
from moderation.models import Comment, Editor, ModerationEvent, Role, Status, utcnow
from moderation.queue.notify import MAIL_ACTIONS, action_token
from moderation.queue.services import ACTIONS
from moderation.render import RENDERER_VERSION, render_comment
from tests.test_auth import hidden

pytestmark = [
    pytest.mark.usefixtures("fresh_counters"),
    # Werkzeug drops the file part of a multipart body that is cut off after it without
    # closing it (its buffer is freed when collected): a library leak, not an answer.
    pytest.mark.filterwarnings(
        "ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning"
    ),
]

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "lang-genoeg-wachtwoord"
EDITOR_EMAIL = "eva@example.org"
ADMIN_EMAIL = "beheer@example.org"
SIGN_IN = "/moderation/login"
# Where a request can sign a client in or out, or give it a new session (a new password).
SESSION_PATHS = (b"/moderation/log", b"/moderation/admin/editors")
BLOG = "samen-digitaal"
POSTS = ("een-keer-bouwen", "formulieren-die-meedenken")
HOST_ORIGIN = "http://localhost"
LISTED_ORIGIN = "http://localhost:8000"  # one of the demo blog's embedding sites
FORM_TYPE = "application/x-www-form-urlencoded"
VARIABLE = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?(\w+)>")

# Examples per test; see the report at the end of a run for the number of requests. The
# module runs in under a minute on SQLite on two cores. FUZZ_SCALE=10 in the environment hunts
# ten times longer; the examples stay fixed for a given scale.
FUZZ_SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
GET_EXAMPLES = 400
REACTION_EXAMPLES = 400
EDITOR_EXAMPLES = 180
ADMIN_EXAMPLES = 180
STRANGER_EXAMPLES = 120


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, round(examples * FUZZ_SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# --- The record of every request -----------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request as a server hands it to the app: the path percent-decoded to raw bytes,
    the query string and the body as sent."""

    who: str
    method: str
    path: bytes
    query: bytes = b""
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    environ: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        def short(raw: bytes, size: int = 300) -> str:
            more = f"... ({len(raw)} bytes)" if len(raw) > size else ""
            return repr(raw[:size]) + more

        path = quote_from_bytes(self.path, safe="/")
        path = path[:200] + f"... ({len(path)} characters)" if len(path) > 200 else path
        return (
            f"{self.who}: {self.method} {path} query={short(self.query)} "
            f"content_type={self.content_type!r} headers={dict(self.headers)} "
            f"environ={dict(self.environ)} body={short(self.body)}"
        )


@dataclass
class Ledger:
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def record(self, call: Call, status: int, problem: str = "") -> None:
        for ledger in (self, TOTAL):
            ledger.statuses[status] += 1
            if status >= 500:
                ledger.errors.append(f"{status} for {call.describe()}\n{problem}")

    def assert_no_server_errors(self) -> None:
        shown = "\n\n".join(self.errors[:5])
        assert not self.errors, f"{len(self.errors)} server errors, the first ones:\n\n{shown}"


TOTAL = Ledger()


@pytest.fixture(scope="module", autouse=True)
def _report_totals(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and TOTAL.requests:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(TOTAL.statuses.items()))
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nfuzz: {TOTAL.requests} requests ({statuses}); {len(TOTAL.errors)} server errors"
            )


def _problem(exc: BaseException) -> str:
    """The exception and the last frames it passed, the service's own first."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if f"{ROOT}/moderation/" in f.filename] or frames
    where = "; ".join(
        f"{f.filename.removeprefix(f'{ROOT}/').split('site-packages/')[-1]}:{f.lineno} {f.name}"
        for f in own[-4:]
    )
    return f"{type(exc).__name__}: {str(exc)[:300]} (at {where})"


def send(world: World, call: Call, ledger: Ledger) -> int:
    """Send ``call`` as a WSGI server would (PATH_INFO and QUERY_STRING as latin-1 strings of
    the raw bytes). An exception that escapes the app (the test configuration propagates
    them) counts as the 500 it would be in production."""
    environ = {
        "PATH_INFO": call.path.decode("latin-1"),
        "QUERY_STRING": call.query.decode("latin-1"),
        **dict(call.environ),
    }
    headers = dict(call.headers)
    if call.content_type is not None:
        headers["Content-Type"] = call.content_type
    try:
        response = world.clients[call.who].open(
            "/", method=call.method, data=call.body, headers=headers, environ_overrides=environ
        )
    except Exception as exc:
        world.after(call, 500)
        ledger.record(call, 500, _problem(exc))
        return 500
    response.close()
    world.after(call, response.status_code)
    ledger.record(call, response.status_code)
    return response.status_code


def snapshot() -> dict[str, list[str]]:
    """Every row of every table, as stored now (requests commit in sessions of their own)."""
    with db.engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()))
            for table in db.metadata.sorted_tables
        }


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    return {
        name: {
            "gone": sorted(set(before[name]) - set(after[name]))[:3],
            "new": sorted(set(after[name]) - set(before[name]))[:3],
        }
        for name in before
        if before[name] != after[name]
    }


class Writes:
    """Every INSERT, UPDATE and DELETE that was committed, seen on the engine: cheaper than a
    snapshot per request and stricter (a row written and written back counts too)."""

    WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)

    def __init__(self) -> None:
        self.pending: dict[int, list[str]] = {}
        self.committed: list[str] = []

    def statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.WRITE.match(statement):
            self.pending.setdefault(id(conn), []).append(statement.split(" WHERE ")[0][:120])

    def commit(self, conn: Any) -> None:
        self.committed.extend(self.pending.pop(id(conn), []))

    def rollback(self, conn: Any) -> None:
        self.pending.pop(id(conn), None)

    def take(self) -> list[str]:
        taken, self.committed = self.committed, []
        return taken


@pytest.fixture(autouse=True)
def _collect_dropped_files() -> Iterator[None]:
    """Collect Werkzeug's dropped file parts (see ``pytestmark``) before the test ends."""
    yield
    gc.collect()


@pytest.fixture
def writes(app: Flask) -> Iterator[Writes]:
    log = Writes()
    hooks = {"before_cursor_execute": log.statement, "commit": log.commit, "rollback": log.rollback}
    for name, hook in hooks.items():
        sa.event.listen(db.engine, name, hook)
    yield log
    for name, hook in hooks.items():
        sa.event.remove(db.engine, name, hook)


# --- Routes, from the URL map --------------------------------------------------------------


def _methods(rule: Rule) -> set[str]:
    return set(rule.methods or ()) - {"HEAD", "OPTIONS"}


def is_reaction_route(rule: Rule) -> bool:
    """The reader's preview and place steps, on the blog and in the iframe."""
    return "POST" in _methods(rule) and rule.rule.endswith(("/preview", "/comments"))


def routes(
    app: Flask, method: str, where: Callable[[Rule], bool] = lambda rule: True
) -> list[Rule]:
    found = [r for r in app.url_map.iter_rules() if method in _methods(r) and where(r)]
    return sorted(found, key=lambda r: r.rule)


@cache
def form_field_names() -> tuple[str, ...]:
    """Every field of every form in the service, found from the form classes."""
    names: set[str] = set()
    todo: list[type] = [Form]
    while todo:
        form_class = todo.pop()
        todo.extend(form_class.__subclasses__())
        names.update(
            name
            for name in dir(form_class)
            if type(getattr(form_class, name, None)).__name__ == "UnboundField"
        )
    return tuple(sorted(names))


# Parameters the routes read from the query string and the form besides the forms' fields.
QUERY_NAMES = [
    "q", "page", "lang", "reply", "placed", "view", "theme", "accent", "background", "text",
    "font", "radius", "post", "tab", "blog", "status", "cursor", "before", "after", "next",
]  # fmt: skip
EXTRA_FIELDS = [
    "homepage", "reason", "notify", "display_name", "note", "back", "action", "ids",
    "csrf_token", "token", "parent",
]  # fmt: skip


# --- Values --------------------------------------------------------------------------------
# Strategies are built once (here, or once per world in ``Fuzz``): Hypothesis works out what
# it needs to know about a strategy once per object, so building them anew for every example
# would cost more than the requests do.

ANY_CHAR = st.characters(exclude_categories=())  # every code point, surrogates included
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
ODD_CHAR = st.characters(max_codepoint=0x1F) | st.sampled_from(
    "\x00\x7f\x85\xa0\u2028\u2029\u200b\u200e\u202e\ufeff\ufffd\uffff\U0010ffff%&=+;#?/\\\"'<>"
)
TEXT = st.text(st.one_of(ANY_CHAR, ANY_CHAR, SURROGATE, ODD_CHAR), max_size=60)
NUMBER = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats().map(repr),
    st.sampled_from(
        [
            "0",
            "-1",
            "1e309",
            "NaN",
            "inf",
            "0x10",
            "1_000",
            " 7 ",
            "+3",
            "١٢",
            "²",
            "\uff11\uff12",
            "9" * 40,
        ]
    ),
)


def _repeated(piece: str, size: int) -> str:
    return (piece * (size // len(piece) + 1))[:size]


def huge_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """A long value, made by repeating a short piece (generating it char by char is slow)."""
    piece = st.text(st.one_of(ANY_CHAR, ODD_CHAR), min_size=1, max_size=6)
    return st.builds(_repeated, piece, st.integers(min_size, max_size))


# Bodies up to past MAX_CONTENT_LENGTH (256 KB); a URL only to twice what gunicorn takes (4 KB).
HUGE_BODY_VALUE = huge_text(2_000, 400_000)
HUGE_URL_VALUE = huge_text(500, 8_000)
ONE_IN = {n: st.integers(1, n) for n in (2, 4, 6, 8, 10, 15, 20)}
CODECS = st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16", "cp1252"])
ENCODING_STYLES = st.sampled_from(["quoted", "quoted", "quoted", "raw", "garbage"])
GARBAGE_ESCAPES = st.sampled_from([b"%", b"%f", b"%zz", b"%ff%fe", b"%C0%80", b"%ED%A0%80", b"%00"])
SEPARATORS = st.sampled_from([b"&", b"&", b";", b"&&"])
FIELD_FATES = st.sampled_from(["keep", "keep", "fuzz", "extend", "drop", "twice"])
TOKEN_FATES = st.sampled_from(["valid", "valid", "none", "garbage", "header", "twice"])
BODY_KINDS = st.sampled_from(["form", "form", "form", "multipart", "multipart", "json", "raw"])
MULTIPART_DAMAGE = st.sampled_from(["none", "none", "none", "cut", "other-boundary", "quoted"])
FORM_CONTENT_TYPES = st.sampled_from([FORM_TYPE, FORM_TYPE, f"{FORM_TYPE}; charset=utf-8", None])
JSON_CONTENT_TYPES = st.sampled_from(["application/json", "application/vnd.fuzz+json"])
ODD_CONTENT_TYPES = st.sampled_from(
    [
        FORM_TYPE,
        f"{FORM_TYPE}; charset=utf-16",
        f"{FORM_TYPE}; charset=latin-1",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/mixed; boundary=x",
        "text/plain",
        "application/json",
        "application/octet-stream",
        "text/html; charset=utf-8",
        "",
        ";;;",
        "*/*",
    ]
)
METHODS = st.sampled_from(["POST"] * 30 + ["PUT", "GET"])
BOUNDARY = st.text(st.sampled_from("abcXYZ0123456789'()+_,-./:=?"), min_size=1, max_size=70)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
RAW_BYTES = st.binary(max_size=2_000)
GARBAGE_BYTES = st.binary(max_size=40)
RANDOMS = st.randoms(use_true_random=False)
LYING_LENGTHS = st.sampled_from(["0", "1", "-1", "abc", "99999999999999999999", "300000"])
NUMBER_PATHS = st.one_of(
    st.integers(min_value=0, max_value=2**80).map(str),
    st.sampled_from(["0", "00001", "١٢", "9" * 19, str(2**31), str(2**63), str(2**63 - 1)]),
)
TEXT_PATHS = st.one_of(
    st.text(st.one_of(ANY_CHAR, SURROGATE, ODD_CHAR), min_size=1, max_size=60),
    st.binary(min_size=1, max_size=30),
    HUGE_URL_VALUE,
)
KNOWN_HEADERS = st.sampled_from(
    [
        (),
        (),
        (),
        (("Accept-Language", "en"),),
        (("Origin", HOST_ORIGIN),),
        (("Origin", LISTED_ORIGIN),),
        (("Origin", "null"),),
        (("Origin", "http://evil.example"),),
        (("If-None-Match", "*"),),
        (("If-Modified-Since", "Thu, 01 Jan 2099 00:00:00 GMT"),),
    ]
)
# What a server passes on in a header value: HTAB, printable ASCII and bytes 0x80-0xFF, read as
# latin-1 (gunicorn refuses the other control characters, RFC 9110 section 5.5).
HEADER_CHAR = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    st.sampled_from('\t,;=*"W/'),
)
HEADER_VALUE = st.text(HEADER_CHAR, max_size=60)
HEADER_NAME = st.sampled_from(
    ["Accept-Language", "Origin", "If-None-Match", "If-Modified-Since", "X-CSRFToken", "Referer"]
)
HEADERS = st.one_of(KNOWN_HEADERS, KNOWN_HEADERS, st.tuples(st.tuples(HEADER_NAME, HEADER_VALUE)))


def encode(value: str | bytes, codec: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if codec == "utf-8":
        return value.encode("utf-8", "surrogatepass")  # a lone surrogate: invalid UTF-8
    return value.encode(codec, "replace")


def as_request_target(raw: bytes) -> bytes:
    """What a server lets through: gunicorn refuses a request target with anything but
    printable ASCII (RFC 9112), so a client percent-encodes every other byte, invalid UTF-8
    included. Broken escapes such as ``%zz`` or a lone ``%`` do get through as they are."""
    return re.sub(rb"[^\x21-\x7e]", lambda m: b"%%%02X" % m.group()[0], raw)


def multipart(parts: list[tuple[bytes, bytes, bool]], boundary: bytes) -> bytes:
    body = b""
    for name, value, as_file in parts:
        disposition = b'form-data; name="' + name.replace(b'"', b"%22") + b'"'
        if as_file:
            disposition += b'; filename="fuzz.txt"\r\nContent-Type: application/octet-stream'
        body += b"--" + boundary + b"\r\nContent-Disposition: " + disposition + b"\r\n\r\n"
        body += value + b"\r\n"
    return body + b"--" + boundary + b"--\r\n"


Draw = Callable[[st.SearchStrategy[Any]], Any]
Pairs = list[tuple[str, str]]


def url_encoded(draw: Draw, pairs: Pairs, separator: bytes = b"&") -> bytes:
    """Pairs as a query string or form body: mostly well quoted (the bytes of any code point,
    in some encoding), sometimes raw, sometimes with broken escapes."""
    codec = draw(CODECS)
    parts = []
    for key, value in pairs:
        style = draw(ENCODING_STYLES)
        k, v = encode(key, codec), encode(value, codec)
        if style == "quoted":
            parts.append(quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode())
        elif style == "raw":
            parts.append(k + b"=" + v)
        else:
            parts.append(quote_from_bytes(k).encode() + b"=" + draw(GARBAGE_ESCAPES) + v[:20])
    if draw(ONE_IN[10]) == 1:
        parts.append(draw(GARBAGE_BYTES))
    return separator.join(parts)


def body_of(draw: Draw, pairs: Pairs) -> tuple[bytes, str | None]:
    """The pairs as a body of some kind (form, multipart with file parts, JSON, raw bytes),
    and its Content-Type."""
    kind = draw(BODY_KINDS)
    if kind == "form":
        return url_encoded(draw, pairs), draw(FORM_CONTENT_TYPES)
    if kind == "multipart":
        codec = draw(CODECS)
        parts = [(encode(k, codec), encode(v, codec), draw(ONE_IN[6]) == 1) for k, v in pairs]
        boundary = draw(BOUNDARY)
        body = multipart(parts, boundary.encode())
        damage = draw(MULTIPART_DAMAGE)
        if damage == "cut":
            body = body[: draw(st.integers(0, len(body)))]
        elif damage == "other-boundary":
            boundary = draw(BOUNDARY)
        elif damage == "quoted":
            boundary = f'"{boundary}"'
        return body, f"multipart/form-data; boundary={boundary}"
    if kind == "json":
        document: Any = draw(JSON_VALUES)
        if draw(ONE_IN[2]) == 1:
            document = {k: v if draw(ONE_IN[2]) == 1 else draw(JSON_VALUES) for k, v in pairs}
        text = json.dumps(document, ensure_ascii=draw(st.booleans()))
        return encode(text, "utf-8"), draw(JSON_CONTENT_TYPES)
    raw = draw(RAW_BYTES) if draw(ONE_IN[2]) == 1 else url_encoded(draw, pairs)
    return raw, draw(ODD_CONTENT_TYPES)


# --- The world the requests hit ----------------------------------------------------------

REACTION = {
    "name": "Piet de Vries",
    "email": "piet@example.net",
    "website": "https://example.nl/",
    "body": "Een *goede* reactie.",
}
POST_FORM = {
    "title": "Een nieuw bericht",
    "author_name": "Sanne Koster",
    "author_role": "Programmamanager",
    "author_bio": "Werkt aan dienstverlening.",
    "published_on": "2018-02-07",
    "tags": "wonen, zorg",
    "comments_open": "y",
    "body": "Een *nieuw* bericht.",
    "action": "preview",
}
BLOG_FORM = {
    "title": "Wonen en ruimte",
    "description": "Over bouwen.",
    "moderation_mode": "post",
    "notify_addresses": "redactie@example.nl",
    "blocked_words": "casino",
    "suspect_words": "gratis",
    "embed_origins": "https://www.example.nl",
    "comments_open": "y",
    "close_after_days": "30",
    "max_links": "2",
}
EDITOR_FORM = {"name": "Nieuwe Redacteur", "role": "editor", "blogs": "1", "language": "nl"}


@cache
def _password_hash() -> str:
    return generate_password_hash(PASSWORD)


def _reaction(post: Any, name: str, status: Status, reasons: list[str]) -> Comment:
    comment = Comment(
        post=post,
        name=name,
        email="piet@example.net",
        body_source="Een reactie",
        body_html=render_comment("Een reactie"),
        renderer_version=RENDERER_VERSION,
        status=status,
        reasons=reasons,
        created_at=utcnow(),
    )
    db.session.add(comment)
    return comment


@dataclass
class World:
    """The demo blog, a second blog, an editor of the demo blog, an admin, reactions in every
    state, and a client for each kind of visitor."""

    app: Flask
    clients: dict[str, FlaskClient]
    blog_posts: list[dict[str, str]]
    path_values: dict[str, list[str]]
    words: list[str]
    base_forms: dict[str, dict[str, str]]
    preview_tokens: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    # Clients whose session a request may have changed (signed in or out, a new password).
    unsure: set[str] = field(default_factory=lambda: {"stranger", "editor", "admin"})

    def csrf_token(self, who: str) -> str:
        """A valid form token for this client's session, from a page."""
        if who not in self.tokens:
            page = self.clients[who].get(SIGN_IN).get_data(as_text=True)
            self.tokens[who] = hidden(page, "csrf_token")
        return self.tokens[who]

    def signed_in(self, who: str) -> None:
        """Sign the client in again when a fuzzed request may have signed it out; a new
        session has a new form token."""
        if who not in self.unsure:
            return
        self.unsure.discard(who)
        self.tokens.pop(who, None)
        if who == "stranger":
            return
        client = self.clients[who]
        with client.session_transaction() as session:
            if session.get("_user_id"):
                return
        limiter.reset()  # fuzzed sign-ins may have paused this address
        email = EDITOR_EMAIL if who == "editor" else ADMIN_EMAIL
        data = {"email": email, "password": PASSWORD, "csrf_token": self.csrf_token(who)}
        assert client.post(SIGN_IN, data=data).status_code == 303
        self.tokens.pop(who, None)

    def after(self, call: Call, status: int) -> None:
        if call.path.startswith(SESSION_PATHS) or (status == 302 and call.who != "stranger"):
            self.unsure.add(call.who)

    def base_form(self, rule: Rule, path: bytes) -> dict[str, str]:
        """Good values for the route's form, so that fuzzed fields get past the first check;
        a route not named in ``base_forms`` gets fuzzed fields only."""
        if is_reaction_route(rule):
            post = path.rstrip(b"/").split(b"/")[-2].decode("utf-8", "replace")
            token = self.preview_tokens.get(post, self.preview_tokens[POSTS[0]])
            return {**REACTION, "token": token, "homepage": "", "parent": ""}
        return self.base_forms.get(rule.endpoint, {})


@pytest.fixture
def world(app: Flask, demo: Any, other_blog: Any) -> World:
    editor = Editor(name="Eva Redacteur", email=EDITOR_EMAIL, role=Role.EDITOR, blogs=[demo])
    admin = Editor(name="Ab Beheer", email=ADMIN_EMAIL, role=Role.ADMIN)
    for account in (editor, admin):
        account.password_hash = _password_hash()
        account.active = True
        db.session.add(account)
    other_blog.comments_open = False  # its post's form answers 403 "closed"
    first, second = demo.posts[0], demo.posts[1]
    pending = _reaction(first, "Piet de Vries", Status.PENDING, ["too-many-links"])
    _reaction(second, "Jan", Status.REMOVED, ["no-surname"])
    _reaction(other_blog.posts[0], "Kees Spam", Status.SPAM, ["blocked-word"])
    db.session.commit()
    published = db.session.scalar(
        sa.select(Comment.id).where(Comment.status == Status.PUBLISHED).limit(1)
    )
    comment_ids = [str(i) for i in db.session.scalars(sa.select(Comment.id))]
    tags = [tag.slug for post in (first, second) for tag in post.tags]
    post_ids = [str(p.id) for p in (first, second, other_blog.posts[0])]
    blog_posts = [
        *({"blog": BLOG, "post": post} for post in POSTS + POSTS),
        {"blog": other_blog.slug, "post": other_blog.posts[0].slug},
    ]
    path_values = {
        "blog": [BLOG, other_blog.slug],
        "post": [*POSTS, other_blog.posts[0].slug],
        "tag": tags,
        "slug": [BLOG, other_blog.slug],
        "post_id": post_ids,
        "editor_id": [str(editor.id), str(admin.id)],
        "comment_id": comment_ids,
        "action": list(ACTIONS),
        "token": [action_token(pending, action, EDITOR_EMAIL) for action in MAIL_ACTIONS],
        "filename": ["site.css", "embed.js", "../moderation/__init__.py"],
    }
    base_forms = {
        "auth.login": {"email": EDITOR_EMAIL, "password": "niet-het-wachtwoord"},
        "posts.new": {**POST_FORM, "blog": str(demo.id), "slug": "een-nieuw-bericht"},
        "posts.edit": POST_FORM,
        "admin.new_blog": {**BLOG_FORM, "slug": "nieuw-blog"},
        "admin.edit_blog": BLOG_FORM,
        "admin.new_editor": {**EDITOR_FORM, "email": "nieuw@example.org", "password": ""},
        "admin.edit_editor": {**EDITOR_FORM, "active": "y", "password": ""},
        "moderation.act": {"reason": "Persoonlijke aanval", "note": "", "back": "/moderation/"},
        "moderation.bulk": {"action": "spam", "ids": str(published), "reason": ""},
    }
    clients = {who: app.test_client() for who in ("stranger", "editor", "admin")}
    # Each base reaction is previewed and placed here, once: a fuzzed request that sends it
    # back unchanged finds it placed already, so every fuzzed reaction request stores nothing.
    preview_tokens = {}
    for post in POSTS:
        url = f"/blogs/{BLOG}/{post}"
        page = clients["stranger"].post(f"{url}/preview", data=REACTION).get_data(as_text=True)
        preview_tokens[post] = hidden(page, "token")
        placed = {**REACTION, "token": preview_tokens[post]}
        assert clients["stranger"].post(f"{url}/comments", data=placed).status_code == 303
    words = [
        *comment_ids, *post_ids, str(demo.id), str(editor.id), *path_values["blog"], *POSTS,
        *tags, *ACTIONS, *(s.value for s in Status), "y", "on", "true", "false", "save",
        "preview", "editor", "admin", "nl", "en", "post", "pre", "full", "comments", "dark",
        "#fff", "#123456", "Arial", "12px", "99", EDITOR_EMAIL, ADMIN_EMAIL,
        "https://example.nl", "/moderation/", "//evil.example", "2018-02-07", "2025-13-45",
        "Piet de Vries", "2018-02-07T10:00:00+00:00_1", "x" * 12,
    ]  # fmt: skip
    return World(app, clients, blog_posts, path_values, words, base_forms, preview_tokens)


class Fuzz:
    """The strategies for one world, built once."""

    def __init__(self, world: World) -> None:
        self.world = world
        words = st.sampled_from(world.words)
        self.value = st.one_of(TEXT, NUMBER, words, words, st.just(""))
        query_name = st.sampled_from(QUERY_NAMES)
        query_pair = st.tuples(st.one_of(query_name, query_name, TEXT), self.value)
        self.query_pairs = st.lists(query_pair, max_size=6)
        field_name = st.sampled_from(sorted({*form_field_names(), *EXTRA_FIELDS}))
        extra_pair = st.tuples(st.one_of(field_name, field_name, TEXT), self.value)
        self.extra_pairs = st.lists(extra_pair, max_size=4)
        self.known = {name: st.sampled_from(values) for name, values in world.path_values.items()}
        self.anything = st.sampled_from(
            sorted({v for vs in world.path_values.values() for v in vs})
        )
        self.blog_posts = st.sampled_from(world.blog_posts)
        self.variables: dict[str, list[tuple[str, str, bool]]] = {}
        self.fuzzed_variable: dict[str, st.SearchStrategy[int]] = {}
        for rule in world.app.url_map.iter_rules():
            found, position = [], 0
            for match in VARIABLE.finditer(rule.rule):
                number = isinstance(rule._converters.get(match.group(2)), IntegerConverter)
                found.append((rule.rule[position : match.start()], match.group(2), number))
                position = match.end()
            self.variables[rule.rule] = found
            # Five times in six every variable has a valid value, else one is fuzzed.
            self.fuzzed_variable[rule.rule] = (
                st.integers(-5, len(found) - 1).map(lambda i: max(i, -1)) if found else st.just(-1)
            )

    def path(self, draw: Draw, rule: Rule) -> bytes:
        """The rule's path, as raw bytes (PATH_INFO after the server percent-decoded it)."""
        fuzzed = draw(self.fuzzed_variable[rule.rule])
        blog_post = draw(self.blog_posts)  # a blog and a post of it, for rules with both
        out = b""
        for index, (before, name, number) in enumerate(self.variables[rule.rule]):
            value: str | bytes
            if index == fuzzed:
                value = draw(NUMBER_PATHS if number else TEXT_PATHS)
            elif name in blog_post:
                value = blog_post[name]
            else:
                value = draw(self.known.get(name, self.anything))
            out += before.encode() + encode(value, "utf-8")
        return out + rule.rule[rule.rule.rfind(">") + 1 :].encode()

    def query(self, draw: Draw) -> bytes:
        pairs = draw(self.query_pairs)
        if pairs and draw(ONE_IN[2]) == 1:
            pairs.append((pairs[0][0], draw(self.value)))  # the same name twice
        if pairs and draw(ONE_IN[20]) == 1:
            pairs[0] = (pairs[0][0], draw(HUGE_URL_VALUE))
        return as_request_target(url_encoded(draw, pairs, draw(SEPARATORS)))

    def form(self, draw: Draw, base: dict[str, str]) -> Pairs:
        """A form that starts from good values: each field kept, fuzzed, extended, left out
        or sent twice; a few other fields; now and then one huge value; in any order."""
        pairs: Pairs = []
        for key, good in base.items():
            fate = draw(FIELD_FATES)
            if fate == "keep":
                pairs.append((key, good))
            elif fate == "fuzz":
                pairs.append((key, draw(self.value)))
            elif fate == "extend":
                pairs.append((key, good + draw(self.value)))
            elif fate == "twice":
                pairs.extend([(key, good), (key, draw(self.value))])
        pairs.extend(draw(self.extra_pairs))
        if pairs and draw(ONE_IN[15]) == 1:
            index = draw(st.integers(0, len(pairs) - 1))
            pairs[index] = (pairs[index][0], draw(HUGE_BODY_VALUE))
        draw(RANDOMS).shuffle(pairs)
        return pairs

    def post(self, draw: Draw, rules: list[Rule], who: str) -> tuple[Call, bool]:
        """A POST (mostly) to one of ``rules``, and whether it carried a valid form token."""
        rule = draw(st.sampled_from(rules))
        path = self.path(draw, rule)
        pairs = self.form(draw, self.world.base_form(rule, path))
        headers = list(draw(HEADERS))
        token_fate = draw(TOKEN_FATES)
        if token_fate != "none" and not is_reaction_route(rule):
            token = self.world.csrf_token(who)
            if token_fate == "valid":
                pairs.insert(0, ("csrf_token", token))
            elif token_fate == "garbage":
                pairs.insert(0, ("csrf_token", token[:-2] if draw(ONE_IN[2]) == 1 else draw(TEXT)))
            elif token_fate == "header":
                headers.append(("X-CSRFToken", token))
            else:
                pairs[:0] = [("csrf_token", "nep"), ("csrf_token", token)]
        body, content_type = body_of(draw, pairs)
        query = self.query(draw) if draw(ONE_IN[4]) == 1 else b""
        environ = (("CONTENT_LENGTH", draw(LYING_LENGTHS)),) if draw(ONE_IN[15]) == 1 else ()
        call = Call(who, draw(METHODS), path, query, body, content_type, tuple(headers), environ)
        return call, token_fate in ("valid", "header")


# --- The fuzz tests --------------------------------------------------------------------------


def test_every_route_in_the_url_map_is_fuzzed(app: Flask) -> None:
    fuzzed = {r.rule for r in routes(app, "GET")} | {r.rule for r in routes(app, "POST")}
    assert {r.rule for r in app.url_map.iter_rules()} <= fuzzed
    assert len(routes(app, "POST", is_reaction_route)) == 4
    assert {"name", "email", "website", "body", "title", "slug", "password"} <= set(
        form_field_names()
    )


def test_get_routes_answer_fuzzed_paths_and_query_strings(world: World, writes: Writes) -> None:
    ledger, fuzz = Ledger(), Fuzz(world)
    rules = routes(world.app, "GET")
    before = snapshot()

    @fuzz_settings(GET_EXAMPLES)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(["stranger", "stranger", "editor", "admin"]))
        world.signed_in(who)
        rule = data.draw(st.sampled_from(rules))
        path, query = fuzz.path(data.draw, rule), fuzz.query(data.draw)
        call = Call(who, "GET", path, query, headers=data.draw(HEADERS))
        send(world, call, ledger)
        assert writes.take() == [], call.describe()

    run()
    ledger.assert_no_server_errors()
    assert changes(before, snapshot()) == {}


def test_reaction_posts_store_nothing_that_was_not_previewed(world: World, writes: Writes) -> None:
    """Every fuzzed request differs from what was previewed, or was placed already (by the
    fixture): nothing is stored, no mail is queued, whatever the status."""
    ledger, fuzz = Ledger(), Fuzz(world)
    rules = routes(world.app, "POST", is_reaction_route)
    limits = {key: value for key, value in world.app.config.items() if key.endswith("RATE_LIMIT")}
    exhausted = dict.fromkeys(limits, "1 per hour")
    before = snapshot()

    @fuzz_settings(REACTION_EXAMPLES)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        call, _token = fuzz.post(data.draw, rules, "stranger")
        # Mostly within the rate limits; now and then over them, which has a page of its own.
        over_the_limit = data.draw(ONE_IN[15]) == 1
        world.app.config.update(exhausted if over_the_limit else limits)
        limiter.reset()
        for _attempt in range(2 if over_the_limit else 1):
            send(world, call, ledger)
        assert writes.take() == [], call.describe()

    try:
        run()
    finally:
        world.app.config.update(limits)
    ledger.assert_no_server_errors()
    assert changes(before, snapshot()) == {}


def _posts_by(world: World, writes: Writes, who: str, examples: int) -> None:
    """Fuzzed posts to every other route. One that is refused (4xx) or carries no valid form
    token commits nothing; a stranger's commit nothing unless they hold a mail link."""
    ledger, fuzz = Ledger(), Fuzz(world)
    rules = routes(world.app, "POST", lambda rule: not is_reaction_route(rule))

    @fuzz_settings(examples)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        world.signed_in(who)
        if who == "stranger":
            limiter.reset()  # fuzzed sign-ins would pause this address at once
        call, token_sent = fuzz.post(data.draw, rules, who)
        writes.take()
        status = send(world, call, ledger)
        refused = status >= 400 or not token_sent
        if refused or (who == "stranger" and not call.path.startswith(b"/moderation/mail/")):
            assert writes.take() == [], f"{status} {call.describe()}"

    run()
    ledger.assert_no_server_errors()


def test_editor_posts_that_are_refused_change_nothing(world: World, writes: Writes) -> None:
    _posts_by(world, writes, "editor", EDITOR_EXAMPLES)


def test_admin_posts_that_are_refused_change_nothing(world: World, writes: Writes) -> None:
    _posts_by(world, writes, "admin", ADMIN_EXAMPLES)


def test_posts_by_strangers_change_nothing(world: World, writes: Writes) -> None:
    _posts_by(world, writes, "stranger", STRANGER_EXAMPLES)


def _first_valid_path(rule: Rule, world: World) -> bytes:
    def first(match: re.Match[str]) -> str:
        return world.path_values.get(match.group(2), ["x"])[0]

    return VARIABLE.sub(first, rule.rule).encode()


@pytest.mark.parametrize("who", ["stranger", "editor", "admin"])
def test_bodies_over_the_size_limit_answer_413(world: World, who: str) -> None:
    ledger = Ledger()
    world.signed_in(who)
    too_much = b"x" * (world.app.config["MAX_CONTENT_LENGTH"] + 1)
    token = quote_from_bytes(world.csrf_token(who).encode()).encode()
    before = snapshot()
    for rule in routes(world.app, "POST"):
        for body, content_type in [
            (b"csrf_token=" + token + b"&body=" + too_much, FORM_TYPE),
            (
                multipart([(b"csrf_token", token, False), (b"body", too_much, False)], b"b"),
                "multipart/form-data; boundary=b",
            ),
        ]:
            call = Call(who, "POST", _first_valid_path(rule, world), b"", body, content_type)
            assert send(world, call, ledger) == 413, call.describe()
    ledger.assert_no_server_errors()
    assert changes(before, snapshot()) == {}


# --- Regressions: each server error the fuzzing found, in its smallest form ------------------

POST_URL = f"/blogs/{BLOG}/{POSTS[0]}"
HUGE_ID = "29802138996909490176"  # past 64 bits: SQLite cannot even compare it


def _account(role: Role, blogs: list[Any]) -> Editor:
    email = EDITOR_EMAIL if role == Role.EDITOR else ADMIN_EMAIL
    editor = Editor(name="Eva Redacteur", email=email, role=role, blogs=blogs, active=True)
    editor.password_hash = _password_hash()
    db.session.add(editor)
    db.session.commit()
    return editor


def _signed_in(client: FlaskClient, editor: Editor) -> str:
    """Sign ``client`` in as ``editor``; returns the session's form token."""
    token = hidden(client.get(SIGN_IN).get_data(as_text=True), "csrf_token")
    data = {"email": editor.email, "password": PASSWORD, "csrf_token": token}
    assert client.post(SIGN_IN, data=data).status_code == 303
    return hidden(client.get(SIGN_IN).get_data(as_text=True), "csrf_token")


@pytest.fixture
def editor_token(app: Flask, client: FlaskClient, demo: Any) -> str:
    return _signed_in(client, _account(Role.EDITOR, [demo]))


@pytest.fixture
def admin_token(app: Flask, client: FlaskClient, demo: Any) -> str:
    return _signed_in(client, _account(Role.ADMIN, []))


def _pending(post: Any) -> Comment:
    comment = _reaction(post, "Piet de Vries", Status.PENDING, ["too-many-links"])
    db.session.commit()
    return comment


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"name": 1, "email": None, "body": ["Een reactie"], "parent": 5}),
        json.dumps(["POSTS_PER_PAGE", -3.7e16, None]),
        json.dumps("name=Piet"),
    ],
)
def test_a_json_body_is_no_reaction_form(client: FlaskClient, demo: Any, body: str) -> None:
    """Flask-WTF read a JSON body as the form: numbers and lists in text fields, a 500."""
    for step in ("preview", "comments"):
        response = client.post(f"{POST_URL}/{step}", data=body, content_type="application/json")
        assert response.status_code == 422


def test_a_json_body_is_no_post_form(client: FlaskClient, editor_token: str) -> None:
    """The expired-form page built the post form from a JSON list: ValueError, a 500."""
    response = client.post(
        "/moderation/posts/new",
        data=json.dumps(["title", 1, None]),
        content_type="application/json",
        headers={"Origin": HOST_ORIGIN},
    )
    assert response.status_code == 400


def test_a_file_part_is_no_form_field(client: FlaskClient, demo: Any) -> None:
    """A file part named ``parent`` reached the reply lookup as a FileStorage: a 500."""
    body = multipart(
        [(b"name", b"Piet de Vries", False), (b"parent", b"1", True), (b"body", b"Hoi", False)],
        b"grens",
    )
    content_type = "multipart/form-data; boundary=grens"
    response = client.post(f"{POST_URL}/preview", data=body, content_type=content_type)
    assert response.status_code == 422
    assert "Piet de Vries" in response.get_data(as_text=True)  # kept, as typed


def test_a_multipart_part_without_a_name_is_left_out(client: FlaskClient, demo: Any) -> None:
    """Werkzeug files such a part under the key None, on which Flask-WTF's token check
    raised: a 500 on every form with a token."""
    body = b'--g\r\nContent-Disposition: form-data\r\n\r\nx\r\n--g\r\nContent-Disposition: form-data; name="a\rb"\r\n\r\ny\r\n--g--\r\n'  # noqa: E501
    response = client.post(SIGN_IN, data=body, content_type="multipart/form-data; boundary=g")
    assert response.status_code == 400  # no form token: refused, not a server error


@pytest.mark.parametrize(
    "path",
    [
        f"/moderation/comments/{HUGE_ID}/spam",
        f"/moderation/comments/{2**31}/spam",
        f"/moderation/posts/{HUGE_ID}",
        f"/moderation/posts/{HUGE_ID}/embed",
        f"/moderation/admin/editors/{HUGE_ID}",
    ],
)
def test_an_id_past_every_id_column_is_not_found(
    client: FlaskClient, admin_token: str, path: str
) -> None:
    """SQLite raised OverflowError comparing an id column with a number past 64 bits."""
    method = "POST" if path.endswith("/spam") else "GET"
    response = client.open(path, method=method, data={"csrf_token": admin_token})
    assert response.status_code == 404


def test_ids_in_query_strings_and_forms_that_are_no_ids_are_ignored(
    client: FlaskClient, admin_token: str, demo: Any
) -> None:
    """Huge numbers (OverflowError on SQLite) and digits int() refuses ('²' is a digit to
    str.isdigit): filters and pages as if they were not given, never a 500."""
    after = f"2018-02-07T10:00:00+00:00_{HUGE_ID}"
    page = client.get(f"/moderation/?blog={HUGE_ID}&post=%C2%B2&after={after}")
    assert page.status_code == 200
    assert client.get(f"/moderation/audit?before={HUGE_ID}").status_code == 200
    comment = _pending(demo.posts[0])
    data = {"csrf_token": admin_token, "action": "spam", "ids": [HUGE_ID, "²", str(comment.id)]}
    assert client.post("/moderation/bulk", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == Status.SPAM  # the real id still counts


def test_a_parent_that_is_no_id_is_no_parent(client: FlaskClient, demo: Any) -> None:
    assert client.get(f"{POST_URL}?reply=%C2%B2").status_code == 200
    data = {**REACTION, "parent": "²"}
    assert client.post(f"{POST_URL}/preview", data=data).status_code == 200
    data = {**REACTION, "parent": HUGE_ID}
    assert client.post(f"{POST_URL}/preview", data=data).status_code == 200


def test_an_error_page_that_cannot_read_the_body_still_answers(
    app: Flask, client: FlaskClient, demo: Any, other_blog: Any
) -> None:
    """The 429 and 'closed' pages show the reaction that was sent; reading a body over
    MAX_CONTENT_LENGTH (413) or shorter than its Content-Length (400) inside the error
    handler made them a 500."""
    too_much = b"body=" + b"x" * app.config["MAX_CONTENT_LENGTH"]
    other_blog.comments_open = False
    db.session.commit()
    closed = f"/blogs/{other_blog.slug}/bouwen/preview"
    assert client.post(closed, data=too_much, content_type=FORM_TYPE).status_code == 403
    app.config["PREVIEW_RATE_LIMIT"] = "1 per hour"
    url = f"{POST_URL}/preview"
    assert client.post(url, data=REACTION).status_code == 200
    assert client.post(url, data=too_much, content_type=FORM_TYPE).status_code == 429
    short = client.post(
        url, data=b"", content_type=FORM_TYPE, environ_overrides={"CONTENT_LENGTH": "10"}
    )
    assert short.status_code == 429
    typed = client.post(url, data={**REACTION, "body": "Wat ik schreef"})
    assert typed.status_code == 429 and "Wat ik schreef" in typed.get_data(as_text=True)


def test_an_expired_form_for_a_blog_that_does_not_exist_is_not_found(
    client: FlaskClient, admin_token: str
) -> None:
    """The expired-form handler showed the form again by running the view, whose 404 for an
    unknown blog was raised inside the error handler: a 500."""
    response = client.post(
        "/moderation/admin/blogs/bestaat-niet",
        data={"title": "Nieuw", "csrf_token": "verlopen"},
        headers={"Origin": HOST_ORIGIN},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/blogs/%00/",
        f"/blogs/{BLOG}/%00",
        f"/blogs/%00/{POSTS[0]}/preview",
        f"/embed/{BLOG}/x%00y",
        "/tags/%00",
        f"/embed/demo?post={BLOG}/%00",
    ],
)
def test_a_nul_in_a_slug_is_not_found(client: FlaskClient, demo: Any, path: str) -> None:
    """PostgreSQL refuses text with a NUL even to compare it: a 500 there, 404 on SQLite."""
    method = "POST" if path.endswith("/preview") else "GET"
    assert client.open(path, method=method, data=REACTION).status_code == 404


def test_a_nul_in_an_admin_blog_address_is_not_found(client: FlaskClient, admin_token: str) -> None:
    assert client.get("/moderation/admin/blogs/%00").status_code == 404


def test_control_characters_in_an_action_note_are_dropped(
    client: FlaskClient, editor_token: str, demo: Any
) -> None:
    """The queue's action forms are read directly, not through a form class: a NUL in the
    reason was a 500 on PostgreSQL (and stored as typed on SQLite)."""
    comment = _pending(demo.posts[0])
    data = {"csrf_token": editor_token, "reason": "Persoonlijke\x00 aanval\x07"}
    assert client.post(f"/moderation/comments/{comment.id}/remove", data=data).status_code == 303
    note = db.session.scalar(sa.select(ModerationEvent.note))
    assert note == "Persoonlijke aanval"


@pytest.mark.parametrize("back", ["/moderation/\n", "/moderation/\r\nX-Evil: 1", "/moderation/ x"])
def test_a_way_back_with_a_line_break_goes_to_the_queue(
    client: FlaskClient, editor_token: str, demo: Any, back: str
) -> None:
    """A line break in ``back`` made Werkzeug refuse the Location header: a 500."""
    comment = _pending(demo.posts[0])
    data = {"csrf_token": editor_token, "back": back}
    response = client.post(f"/moderation/comments/{comment.id}/spam", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/moderation/"
