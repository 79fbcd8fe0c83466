from __future__ import annotations

from typing import Any

from flask import Response, current_app, render_template, request

from .. import search
from ..models import Post
from ..reactions.forms import ReactionForm
from ..reactions.services import comment_from_outcome_token, reply_parent
from . import bp, queries

FEED_LENGTH = 20


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.get("/")
def home() -> str:
    latest = queries.paginate(queries.visible_posts(), 1, current_app.config["POSTS_PER_PAGE"])
    return render_template("blog/home.html", blogs=queries.all_blogs(), posts=latest.items)


@bp.get("/blogs/<blog>/")
def blog(blog: str) -> str:
    found = queries.blog_or_404(blog)
    posts = queries.paginate(
        queries.posts_in_blog(found),
        _page_number(),
        current_app.config["POSTS_PER_PAGE"],
    )
    return render_template("blog/blog.html", blog=found, page=posts)


def post_context(found: Post) -> dict[str, Any]:
    """What a post's page shows, on the blog and in the iframe: its reactions, an empty form
    (or a reply form), and the outcome of a reaction just placed."""
    placed = request.args.get("placed")
    return {
        "post": found,
        "reactions": queries.published_threads(
            found, _page_number(), current_app.config["REACTIONS_PER_PAGE"]
        ),
        "form": ReactionForm(formdata=None),
        "parent": reply_parent(found, request.args.get("reply")),
        "outcome": comment_from_outcome_token(found, placed) if placed else None,
    }


@bp.get("/blogs/<blog>/<post>")
def post(blog: str, post: str) -> str:
    return render_template("blog/post.html", **post_context(queries.post_or_404(blog, post)))


@bp.get("/tags/<tag>")
def tag(tag: str) -> str:
    found = queries.tag_or_404(tag)
    posts = queries.paginate(
        queries.posts_with_tag(found), _page_number(), current_app.config["POSTS_PER_PAGE"]
    )
    return render_template("blog/tag.html", tag=found, page=posts)


@bp.get("/search")
def search_page() -> str:
    config = current_app.config
    query = search.Query.parse(
        request.args.get("q", ""), config["SEARCH_MAX_QUERY_LENGTH"], config["SEARCH_MAX_TERMS"]
    )
    page = min(_page_number(), 1000)
    results = search.search_posts(query, page, config["SEARCH_RESULTS_PER_PAGE"])
    return render_template("blog/search.html", results=results)


@bp.get("/blogs/<blog>/feed.atom")
def feed(blog: str) -> Response:
    """The blog's newest posts as an Atom feed, for feed readers and other sites."""
    found = queries.blog_or_404(blog)
    posts = queries.paginate(queries.posts_in_blog(found), 1, FEED_LENGTH).items
    xml = render_template("blog/feed.xml", blog=found, posts=posts)
    return Response(xml, mimetype="application/atom+xml")
