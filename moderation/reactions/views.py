"""Pieces the reaction routes and templates share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import abort, g, request, url_for
from flask_babel import lazy_gettext as _l

from ..models import Blog, Comment, Post, utcnow
from ..refusals import refusal_text
from .forms import ReactionForm
from .services import Draft

if TYPE_CHECKING:
    from ..embed.options import EmbedOptions

NOT_PREVIEWED_TEXT = {
    "missing": _l("Check the preview of your reaction below, then place it."),
    "changed": _l(
        "Your reaction changed after the preview. Check the new preview below, then place it."
    ),
    "expired": _l("The preview is too old. Check it again below, then place your reaction."),
}


@dataclass
class PreviewComment:
    """Looks like a stored reaction to the template that shows reactions."""

    public_name: str
    website: str
    body_html: str
    created_at: datetime
    is_anonymous: bool = False
    id: int | None = None

    @classmethod
    def of(cls, draft: Draft, body_html: str) -> PreviewComment:
        return cls(draft.name, draft.website, body_html, utcnow())


def draft_from(post: Post, form: ReactionForm, parent: Comment | None) -> Draft:
    return Draft(
        post_id=post.id,
        name=form.name.data,
        email=form.email.data,
        website=form.website.data or "",
        body=form.body.data,
        parent_id=parent.id if parent else None,
    )


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def refuse_foreign_origin(blog: Blog) -> None:
    """A browser names the page a POST comes from; only our own pages and the blog's listed
    embedding sites may send reactions. (Clients that send no Origin are not browsers that
    could be tricked into posting.)"""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    allowed = {_origin_of(request.host_url), *(_origin_of(o) for o in blog.embed_origins or [])}
    if origin.lower() not in allowed:
        abort(403, description="origin")


def render_refusal_message(refused: ValueError) -> str:
    return refusal_text(refused)


# The same flow is served on the blog and inside an embedding site's iframe; each kind of page
# has an endpoint and a template on each surface (blog, embed).
ENDPOINTS = {
    "post": ("blog.post", "embed.page"),
    "preview": ("reactions.preview", "embed.preview"),
    "place": ("reactions.place", "embed.place"),
}
TEMPLATES = {
    "post": ("blog/post.html", "embed/page.html"),
    "preview": ("reactions/preview.html", "embed/preview.html"),
}


def embed_options() -> EmbedOptions | None:
    """The embed settings when this request is for the iframe, else None."""
    return g.get("embed")


def reaction_url(kind: str, post: Post, **values: Any) -> str:
    """A link or form action of the reaction flow that stays on the current surface; in the
    iframe it carries the embed settings along, since no cookie can remember them."""
    embed = embed_options()
    if embed is not None:
        values = {**embed.query(), **values}
    endpoint = ENDPOINTS[kind][embed is not None]
    return url_for(endpoint, blog=post.blog.slug, post=post.slug, **values)


def page_template(kind: str) -> str:
    return TEMPLATES[kind][embed_options() is not None]
