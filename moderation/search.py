"""Dutch full-text search over posts.

Both engines stem with the same Snowball algorithm, so ``gemeenten`` finds ``gemeente``:
PostgreSQL through ``to_tsvector('dutch', ...)`` and a GIN expression index, SQLite through an
FTS5 table that holds the Python-stemmed words of each post (``dutch_porter`` is the algorithm
PostgreSQL's ``dutch`` configuration uses). Snippets are made here, the same way for both.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup, escape
from sqlalchemy import select, text

from .extensions import db
from .models import Post, utcnow

WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERM_LENGTH = 40
SNIPPET_WORDS = 36
FTS_TABLE = "post_search"
PUBLISHED = "post.published_at <= :now"  # future posts are not public yet
PG_DOCUMENT = "to_tsvector('dutch', post.title || ' ' || post.body_text)"  # as indexed
PG_WEIGHTED = (
    "setweight(to_tsvector('dutch', post.title), 'A') || "
    "setweight(to_tsvector('dutch', post.body_text), 'D')"
)

_stemmer = snowballstemmer.stemmer("dutch_porter")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word.lower()))


def words(value: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFKC", value))


def stemmed(value: str) -> str:
    return " ".join(stem(w) for w in words(value))


@dataclass
class Query:
    """A reader's query reduced to what the engines can use safely."""

    raw: str
    terms: list[str] = field(default_factory=list)
    truncated: bool = False

    @classmethod
    def parse(cls, raw: str, max_length: int, max_terms: int) -> Query:
        raw = raw.strip()
        truncated = len(raw) > max_length
        found = [w for w in words(raw[:max_length]) if len(w) <= MAX_TERM_LENGTH]
        unique = list(dict.fromkeys(w.lower() for w in found))
        if len(unique) > max_terms:
            truncated = True
        return cls(raw=raw, terms=unique[:max_terms], truncated=truncated)

    @property
    def stems(self) -> set[str]:
        return {stem(t) for t in self.terms}


@dataclass
class Hit:
    post: Post
    title: Markup
    snippet: Markup


@dataclass
class Results:
    query: Query
    hits: list[Hit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def index_post(post: Post) -> None:
    """Keep the SQLite FTS5 table in step with a post (PostgreSQL indexes by expression)."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.flush()
    db.session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": post.id})  # noqa: S608
    db.session.execute(
        text(f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (:id, :title, :body)"),  # noqa: S608
        {"id": post.id, "title": stemmed(post.title), "body": stemmed(post.body_text)},
    )


def reindex_all() -> int:
    posts = db.session.scalars(select(Post)).all()
    for post in posts:
        index_post(post)
    return len(posts)


def search_posts(query: Query, page: int, per_page: int) -> Results:
    if not query.terms:
        return Results(query, [], 0, 1, per_page)
    if db.session.get_bind().dialect.name == "sqlite":
        ids, total = _sqlite_ids(query, page, per_page)
    else:
        ids, total = _postgres_ids(query, page, per_page)
    posts = {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(ids)))}
    stems = query.stems
    hits = [
        Hit(posts[i], highlight(posts[i].title, stems), snippet(posts[i].body_text, stems))
        for i in ids
        if i in posts
    ]
    return Results(query, hits, total, page, per_page)


def _sqlite_ids(query: Query, page: int, per_page: int) -> tuple[list[int], int]:
    # Every term is a run of word characters, quoted: FTS5 syntax cannot leak in.
    match = " AND ".join(f'"{stem(t)}"' for t in query.terms)
    base = (
        f"FROM {FTS_TABLE} JOIN post ON post.id = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH :match AND {PUBLISHED}"
    )
    params = {"match": match, "now": utcnow()}
    total = db.session.execute(text(f"SELECT count(*) {base}"), params).scalar_one()
    rows = db.session.execute(
        text(
            f"SELECT post.id {base} "
            f"ORDER BY bm25({FTS_TABLE}, 4.0, 1.0), post.published_at DESC "
            "LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": per_page, "offset": (page - 1) * per_page},
    )
    return [r[0] for r in rows], int(total)


def _postgres_ids(query: Query, page: int, per_page: int) -> tuple[list[int], int]:
    where = f"{PG_DOCUMENT} @@ plainto_tsquery('dutch', :q) AND {PUBLISHED}"
    params = {"q": " ".join(query.terms), "now": utcnow()}
    total = db.session.execute(
        text(f"SELECT count(*) FROM post WHERE {where}"),  # noqa: S608
        params,
    ).scalar_one()
    rows = db.session.execute(
        text(
            f"SELECT post.id FROM post WHERE {where} "  # noqa: S608
            f"ORDER BY ts_rank({PG_WEIGHTED}, plainto_tsquery('dutch', :q)) DESC, "
            "post.published_at DESC LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": per_page, "offset": (page - 1) * per_page},
    )
    return [r[0] for r in rows], int(total)


def highlight(value: str, stems: set[str]) -> Markup:
    parts: list[str] = []
    last = 0
    for m in WORD.finditer(value):
        if stem(m.group()) in stems:
            parts.append(str(escape(value[last : m.start()])))
            parts.append(f"<mark>{escape(m.group())}</mark>")
            last = m.end()
    parts.append(str(escape(value[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped


def snippet(body: str, stems: set[str], size: int = SNIPPET_WORDS) -> Markup:
    """The stretch of the body with the most matching words, highlighted."""
    tokens = list(WORD.finditer(body))
    if not tokens:
        return Markup()
    matches = [i for i, m in enumerate(tokens) if stem(m.group()) in stems]
    best_start, best_count = 0, -1
    for i in matches:
        start = max(0, i - size // 3)
        count = bisect_left(matches, start + size) - bisect_left(matches, start)
        if count > best_count:
            best_start, best_count = start, count
    end = min(len(tokens), best_start + size)
    begin_char = tokens[best_start].start() if best_start else 0
    end_char = tokens[end - 1].end() if end < len(tokens) else len(body)
    text_part = highlight(body[begin_char:end_char], stems)
    prefix = "… " if best_start else ""
    suffix = " …" if end < len(tokens) else ""
    return escape(prefix) + text_part + escape(suffix)
