"""Writing posts from the editors' pages: plain data in, the session flushed, the caller
commits. Rendering, authors, tags and the search index are ``blog.services``' business."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..auth.services import moderated_blog_ids
from ..blog.services import get_or_create_author, save_post, slugify
from ..extensions import db
from ..i18n import local_date
from ..models import Author, Blog, Editor, Post, utcnow
from ..render import render_post

MAX_AUTHOR_SUGGESTIONS = 500


class SlugTaken(ValueError):
    """Another post of the same blog already lives at this address."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(slug)


@dataclass(frozen=True)
class PostDraft:
    """What an editor typed, checked by the form. An empty ``slug`` is made from the title."""

    title: str
    author_name: str
    published_on: date
    body: str
    author_role: str = ""
    author_bio: str = ""
    tags: list[str] = field(default_factory=list)
    comments_open: bool = True
    slug: str = ""

    @property
    def effective_slug(self) -> str:
        return self.slug or slugify(self.title)


@dataclass(frozen=True)
class Byline:
    name: str
    role: str
    bio: str


@dataclass(frozen=True)
class PostPreview:
    """Looks like a stored post to the template that shows one."""

    title: str
    author: Byline
    published_at: datetime
    tags: list[str]
    body_html: str


# --- Reads ---


def writable_blogs(editor: Editor) -> list[Blog]:
    """The blogs this editor may write in: all of them for an admin."""
    query = select(Blog).order_by(Blog.title)
    ids = moderated_blog_ids(editor)
    if ids is not None:
        query = query.where(Blog.id.in_(ids))
    return list(db.session.scalars(query))


def posts_for(editor: Editor) -> Select[Post]:
    """The posts of the editor's blogs, newest first, scheduled ones included."""
    query = (
        select(Post)
        .options(selectinload(Post.blog), selectinload(Post.author))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )
    ids = moderated_blog_ids(editor)
    if ids is not None:
        query = query.where(Post.blog_id.in_(ids))
    return query


def author_names() -> list[str]:
    return list(
        db.session.scalars(select(Author.name).order_by(Author.name).limit(MAX_AUTHOR_SUGGESTIONS))
    )


def slug_taken(blog: Blog, slug: str) -> bool:
    return (
        db.session.scalar(select(Post.id).where(Post.blog_id == blog.id, Post.slug == slug))
        is not None
    )


# --- Dates ---


def today() -> date:
    return local_date(utcnow())


def publication_time(day: date, current: datetime | None = None) -> datetime:
    """When a post dated ``day`` goes public: its present time if the day did not change,
    now for today (so it sorts above this morning's post), else the start of that day."""
    if current is not None and local_date(current) == day:
        return current
    now = utcnow().replace(microsecond=0)
    if day == local_date(now):
        return now
    return datetime.combine(
        day, time.min, tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    ).astimezone(UTC)


# --- Writes ---


def preview_post(draft: PostDraft, blog: Blog, post: Post | None = None) -> PostPreview:
    """The post as readers would see it, stored nowhere. Raises ``SlugTaken`` for a new post
    whose address is in use and ``ValueError`` (with a reader-facing message) for a body the
    renderer refuses."""
    if post is None and slug_taken(blog, draft.effective_slug):
        raise SlugTaken(draft.effective_slug)
    body_html = render_post(draft.body)
    known = db.session.scalar(select(Author).where(Author.name == draft.author_name))
    # Not added to the session: an empty role or bio keeps what is on file, as saving does.
    author = Byline(
        name=draft.author_name,
        role=draft.author_role or (known.role if known else ""),
        bio=draft.author_bio or (known.bio if known else ""),
    )
    published_at = publication_time(draft.published_on, post.published_at if post else None)
    return PostPreview(draft.title, author, published_at, draft.tags, body_html)


def create_post(blog: Blog, draft: PostDraft, editor: Editor) -> Post:
    """A new post in ``blog``; never overwrites another post. Raises ``SlugTaken`` when the
    address is in use, and ``IntegrityError`` when someone takes it at the same moment."""
    slug = draft.effective_slug
    if slug_taken(blog, slug):
        raise SlugTaken(slug)
    render_post(draft.body)  # refused input raises before anything is added
    # Claim the address with an insert first: ``save_post`` updates whatever post has this
    # slug, so only the unique constraint can tell a new post from a concurrent one.
    db.session.add(Post(blog=blog, slug=slug, title=draft.title))
    db.session.flush()
    return _store(blog, slug, draft, editor, current=None)


def update_post(post: Post, draft: PostDraft, editor: Editor) -> Post:
    """The same post with new contents; its blog and address stay."""
    render_post(draft.body)  # refused input raises before anything changes
    return _store(post.blog, post.slug, draft, editor, current=post.published_at)


def _store(
    blog: Blog, slug: str, draft: PostDraft, editor: Editor, current: datetime | None
) -> Post:
    author = get_or_create_author(draft.author_name, draft.author_role, draft.author_bio)
    post = save_post(
        blog,
        draft.title,
        draft.body,
        author=author,
        tags=draft.tags,
        published_at=publication_time(draft.published_on, current),
        slug=slug,
    )
    post.comments_open = draft.comments_open
    db.session.flush()
    current_app.logger.info("Post %s/%s saved by editor %s", blog.slug, slug, editor.email)
    return post
