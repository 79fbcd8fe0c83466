"""Writes for blogs and posts: plain data in, the session flushed, the caller commits."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

import nh3
from sqlalchemy import select

from .. import search
from ..extensions import db
from ..models import Author, Blog, Post, Tag
from ..render import RENDERER_VERSION, render_post

_BLOCK_END = re.compile(r"</(p|li|h\d|blockquote|pre|td|th|dd|dt)>|<br\s*/?>", re.IGNORECASE)


def slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "x"


def plain_text(body_html: str) -> str:
    """Readable text of rendered HTML, for search and snippets."""
    spaced = _BLOCK_END.sub(lambda m: m.group(0) + " ", body_html)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return re.sub(r"\s+", " ", text).strip()


def get_or_create_author(name: str, role: str = "", bio: str = "") -> Author:
    author = db.session.scalar(select(Author).where(Author.name == name))
    if author is None:
        author = Author(name=name, role=role, bio=bio)
        db.session.add(author)
    else:
        author.role = role or author.role
        author.bio = bio or author.bio
    return author


def get_or_create_tags(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        slug = slugify(name)
        tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
        if tag is None:
            tag = Tag(slug=slug, name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def create_blog(slug: str, title: str, description: str = "", **settings: object) -> Blog:
    blog = Blog(slug=slug, title=title, description=description, **settings)
    db.session.add(blog)
    db.session.flush()
    return blog


def save_post(
    blog: Blog,
    title: str,
    body_source: str,
    *,
    author: Author | None,
    tags: Iterable[str] = (),
    published_at: datetime | None = None,
    slug: str | None = None,
) -> Post:
    """Create the post, or update the one with the same slug in this blog."""
    slug = slug or slugify(title)
    post = db.session.scalar(select(Post).where(Post.blog_id == blog.id, Post.slug == slug))
    if post is None:
        post = Post(blog=blog, slug=slug)
        db.session.add(post)
    post.title = title
    post.author = author
    post.body_source = body_source
    post.body_html = render_post(body_source)
    post.body_text = plain_text(post.body_html)
    post.renderer_version = RENDERER_VERSION
    post.tags = get_or_create_tags(tags)
    if published_at is not None:
        post.published_at = published_at
    db.session.flush()
    search.index_post(post)
    return post
