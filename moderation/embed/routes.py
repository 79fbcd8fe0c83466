from __future__ import annotations

import hashlib
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import g, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..blog import queries
from ..blog.routes import post_context
from ..models import Post
from ..reactions.routes import (
    PLACE_LIMIT,
    PREVIEW_LIMIT,
    place_reaction,
    preview_reaction,
    refuse_unless_open,
)
from ..security import allow_framing_by
from . import bp
from .options import EmbedOptions

LOADER_MAX_AGE = 3600


def _framed_post(blog: str, post: str) -> Post:
    """The post for the iframe: only the blog's listed sites (and our own pages) may frame it."""
    found = queries.post_or_404(blog, post)
    g.embed = EmbedOptions.parse(request.args)
    allow_framing_by(found.blog.embed_origins or [])
    return found


def frame_for(view_args: dict[str, Any]) -> None:
    """Set the frame up for an error page of the embed flow, when the post exists."""
    blog, post = view_args.get("blog"), view_args.get("post")
    if isinstance(blog, str) and isinstance(post, str):
        # No such post: an ordinary error page, framed by no one.
        with suppress(HTTPException):
            _framed_post(blog, post)


def embed_snippet(post: Post) -> str:
    """The script tag an embedding site puts where the post and its reactions should appear."""
    loader_url = url_for("embed.loader", _external=True)
    return f'<script src="{loader_url}" data-post="{post.blog.slug}/{post.slug}" async></script>'


@lru_cache(maxsize=1)
def _loader_script() -> bytes:
    return (Path(__file__).resolve().parent.parent / "static" / "embed.js").read_bytes()


@bp.get("/embed.js")
def loader() -> Response:
    """The loader lives at a stable address (not under /static/) so that snippets keep working;
    it is cached for an hour and revalidated by its ETag."""
    script = _loader_script()
    response = Response(script, mimetype="text/javascript")
    response.set_etag(hashlib.sha256(script).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = LOADER_MAX_AGE
    return response.make_conditional(request)


@bp.get("/embed/<blog>/<post>")
def page(blog: str, post: str) -> str:
    return render_template("embed/page.html", **post_context(_framed_post(blog, post)))


@bp.post("/embed/<blog>/<post>/preview")
@PREVIEW_LIMIT
def preview(blog: str, post: str) -> tuple[str, int]:
    return preview_reaction(refuse_unless_open(_framed_post(blog, post)))


@bp.post("/embed/<blog>/<post>/comments")
@PLACE_LIMIT
def place(blog: str, post: str) -> Response | tuple[str, int]:
    return place_reaction(refuse_unless_open(_framed_post(blog, post)))


@bp.get("/embed/demo")
def demo() -> str:
    """What embedding looks like: the snippet for a post and the live widget under it."""
    wanted = request.args.get("post", "")
    blog_slug, _, post_slug = wanted.partition("/")
    post = queries.post_or_404(blog_slug, post_slug) if post_slug else queries.latest_post()
    return render_template("embed/demo.html", post=post)
