from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request
from werkzeug.wrappers import Response

from ..blog import queries
from ..extensions import csrf, db, limiter
from ..i18n import current_language
from ..models import Post, Status
from ..queue.notify import queue_for_editor
from . import bp, services
from .forms import ReactionForm
from .views import (
    NOT_PREVIEWED_TEXT,
    PreviewComment,
    draft_from,
    page_template,
    reaction_url,
    refuse_foreign_origin,
    render_refusal_message,
)

# Per client address, shared by the blog's form and the embedded one: a reader previews as
# often as they like within reason; placing is rarer still.
PREVIEW_LIMIT = limiter.shared_limit(
    lambda: str(current_app.config["PREVIEW_RATE_LIMIT"]), scope="reaction-preview"
)
PLACE_LIMIT = limiter.shared_limit(
    lambda: str(current_app.config["PLACE_RATE_LIMIT"]), scope="reaction-place"
)

# The reaction form carries its own stateless proof (the signed preview token) and is checked
# against the Origin header, so it works in an iframe where the browser keeps no cookie.
csrf.exempt(bp)


def _post_or_refuse(blog: str, post: str) -> Post:
    return refuse_unless_open(queries.post_or_404(blog, post))


def refuse_unless_open(found: Post) -> Post:
    refuse_foreign_origin(found.blog)
    if not found.accepts_reactions():
        abort(403, description="closed")
    return found


def _form_page(post: Post, form: ReactionForm, status: int = 422) -> tuple[str, int]:
    """The post page again with the errors; everything typed stays in the form."""
    parent = services.reply_parent(post, form.parent.data)
    return (
        render_template(
            page_template("post"),
            post=post,
            reactions=queries.published_threads(post, 1, current_app.config["REACTIONS_PER_PAGE"]),
            form=form,
            parent=parent,
        ),
        status,
    )


def _preview_page(post: Post, form: ReactionForm, notice: str | None = None) -> tuple[str, int]:
    parent = services.reply_parent(post, form.parent.data)
    draft = draft_from(post, form, parent)
    try:
        body_html = services.render_draft(draft)
    except ValueError as refused:
        form.body.errors = [*form.body.errors, render_refusal_message(refused)]
        return _form_page(post, form)
    verdict = services.foresee(post, draft, body_html)
    form.token.data = services.preview_token(draft)
    return (
        render_template(
            page_template("preview"),
            post=post,
            form=form,
            parent=parent,
            preview=PreviewComment.of(draft, body_html),
            verdict=verdict,
            notice=notice,
        ),
        200 if notice is None else 422,
    )


@bp.post("/blogs/<blog>/<post>/preview")
@PREVIEW_LIMIT
def preview(blog: str, post: str) -> tuple[str, int]:
    return preview_reaction(_post_or_refuse(blog, post))


@bp.post("/blogs/<blog>/<post>/comments")
@PLACE_LIMIT
def place(blog: str, post: str) -> Response | tuple[str, int]:
    return place_reaction(_post_or_refuse(blog, post))


def preview_reaction(found: Post) -> tuple[str, int]:
    """The preview step, on the blog or in the iframe: shows, stores nothing."""
    form = ReactionForm()
    if not form.validate():
        return _form_page(found, form)
    return _preview_page(found, form)


def place_reaction(found: Post) -> Response | tuple[str, int]:
    """Place exactly what was previewed, once, then show the outcome on the post's page."""
    form = ReactionForm()
    if not form.validate():
        return _form_page(found, form)
    parent = services.reply_parent(found, form.parent.data)
    draft = draft_from(found, form, parent)
    try:
        submission_key = services.check_preview_token(draft, form.token.data or "")
    except services.NotPreviewed as not_previewed:
        # Back to the preview, with everything kept: only a previewed reaction is placed.
        return _preview_page(found, form, notice=str(NOT_PREVIEWED_TEXT[not_previewed.reason]))
    comment = services.find_placed(submission_key)
    if comment is None:
        try:
            comment = services.place_comment(
                found,
                draft,
                submission_key=submission_key,
                client_address=request.remote_addr,
                language=current_language(),
                honeypot=request.form.get("homepage", ""),
                too_fast=services.filled_too_fast(
                    form.started.data, current_app.config["REACTION_MIN_FILL_SECONDS"]
                ),
            )
        except ValueError as refused:
            form.body.errors = [render_refusal_message(refused)]
            return _form_page(found, form)
        if comment.status == Status.PENDING:
            queue_for_editor(comment)
        db.session.commit()
    # The outcome shows on the page of reactions where a published reaction appears.
    per_page = current_app.config["REACTIONS_PER_PAGE"]
    page = queries.reaction_page(comment, per_page) if comment.status == Status.PUBLISHED else 1
    return redirect(
        reaction_url(
            "post",
            found,
            page=page if page > 1 else None,
            placed=services.outcome_token(comment),
            _anchor="outcome",
        ),
        303,
    )
