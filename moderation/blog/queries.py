"""Reads for the public pages. Only what is published, and never a commenter's e-mail."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import abort
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Blog, Comment, Post, Status, Tag, post_tags, utcnow


@dataclass
class Page:
    items: list[Post]
    page: int
    pages: int
    total: int


def visible_posts() -> Select[Post]:
    return (
        select(Post)
        .where(Post.published_at <= utcnow())
        .options(selectinload(Post.author), selectinload(Post.tags), selectinload(Post.blog))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def paginate(query: Select[Post], page: int, per_page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-int(total or 0) // per_page))
    page = min(max(page, 1), pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, pages, int(total or 0))


def all_blogs() -> list[Blog]:
    return list(db.session.scalars(select(Blog).order_by(Blog.title)))


def _findable_or_404(*slugs: str) -> None:
    """A slug from a URL with a NUL in it names nothing, and PostgreSQL refuses to even
    compare text that holds one: not found, before any query."""
    if any("\x00" in slug for slug in slugs):
        abort(404)


def blog_or_404(slug: str) -> Blog:
    _findable_or_404(slug)
    blog = db.session.scalar(select(Blog).where(Blog.slug == slug))
    if blog is None:
        abort(404)
    return blog


def post_or_404(blog_slug: str, post_slug: str) -> Post:
    _findable_or_404(blog_slug, post_slug)
    post = db.session.scalar(
        visible_posts().join(Post.blog).where(Blog.slug == blog_slug, Post.slug == post_slug)
    )
    if post is None:
        abort(404)
    return post


def latest_post() -> Post | None:
    return db.session.scalar(visible_posts().limit(1))


def tag_or_404(slug: str) -> Tag:
    _findable_or_404(slug)
    tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if tag is None:
        abort(404)
    return tag


def posts_in_blog(blog: Blog) -> Select[Post]:
    return visible_posts().where(Post.blog_id == blog.id)


def posts_with_tag(tag: Tag) -> Select[Post]:
    return visible_posts().join(post_tags).where(post_tags.c.tag_id == tag.id)


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment]


@dataclass
class Reactions:
    """One page of a post's published reactions: top-level reactions with their replies."""

    threads: list[Thread]
    page: int
    pages: int
    total: int  # every published reaction of the post, replies included


def published_threads(post: Post, page: int = 1, per_page: int = 50) -> Reactions:
    """Published reactions in order, each with its published replies (one level), a page of
    ``per_page`` top-level reactions at a time. Three queries, however many reactions."""
    published = (Comment.post_id == post.id) & (Comment.status == Status.PUBLISHED)
    total, top_level = db.session.execute(
        select(func.count(Comment.id), func.count(case((Comment.parent_id.is_(None), 1)))).where(
            published
        )
    ).one()
    pages = max(1, -(-int(top_level) // per_page))
    page = min(max(page, 1), pages)
    comments = db.session.scalars(
        select(Comment)
        .where(published, Comment.parent_id.is_(None))
        .order_by(Comment.created_at, Comment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    replies: dict[int, list[Comment]] = defaultdict(list)
    if comments:
        for reply in db.session.scalars(
            select(Comment)
            .where(published, Comment.parent_id.in_([c.id for c in comments]))
            .order_by(Comment.created_at, Comment.id)
        ):
            replies[reply.parent_id or 0].append(reply)
    threads = [Thread(c, replies[c.id]) for c in comments]
    return Reactions(threads, page, pages, int(total))


def reaction_page(comment: Comment, per_page: int) -> int:
    """The page of its post on which a published reaction (or the one it replies to) shows."""
    top = comment.parent or comment
    before = db.session.scalar(
        select(func.count(Comment.id)).where(
            Comment.post_id == top.post_id,
            Comment.status == Status.PUBLISHED,
            Comment.parent_id.is_(None),
            (Comment.created_at < top.created_at)
            | ((Comment.created_at == top.created_at) & (Comment.id < top.id)),
        )
    )
    return int(before or 0) // per_page + 1
