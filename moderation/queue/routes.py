from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..auth.services import can_moderate, moderated_blog_ids
from ..extensions import db
from ..models import Blog, Comment, Status
from . import bp, queries
from .services import ACTIONS, ActionRefused


def _status(value: str | None) -> Status:
    try:
        return Status(value or Status.PENDING)
    except ValueError:
        return Status.PENDING


def _int_arg(name: str) -> int | None:
    return request.args.get(name, type=int)


@bp.get("/")
@login_required
def queue() -> str:
    status = _status(request.args.get("tab"))
    filters = queries.Filters(
        blog_ids=moderated_blog_ids(current_user),
        blog_id=_int_arg("blog"),
        post_id=_int_arg("post"),
    )
    page = queries.queue_page(status, filters, queries.Cursor.decode(request.args.get("after")))
    blog_query = select(Blog).order_by(Blog.title)
    if filters.blog_ids is not None:
        blog_query = blog_query.where(Blog.id.in_(filters.blog_ids))
    blogs = db.session.scalars(blog_query).all()
    return render_template(
        "queue/queue.html",
        status=status,
        tabs=queries.TABS,
        counts=queries.tab_counts(filters),
        filters=filters,
        page=page,
        blogs=blogs,
        history=queries.commenter_history(page.comments),
        events=queries.events_for(page.comments),
    )


def _comment_for_editor(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    if not can_moderate(current_user, comment.post.blog):
        abort(403)
    return comment


def _apply(comment: Comment, action: str) -> None:
    if action == "remove":
        ACTIONS[action](comment, current_user, request.form.get("reason", ""))
    elif action == "anonymous":
        ACTIONS[action](comment, current_user, request.form.get("display_name", ""))
    else:
        ACTIONS[action](comment, current_user, request.form.get("note", ""))


def _back() -> Response:
    target = request.form.get("back", "")
    if not target.startswith("/moderation/") or target.startswith("//"):
        target = url_for("moderation.queue")
    return redirect(target, 303)


@bp.post("/comments/<int:comment_id>/<action>")
@login_required
def act(comment_id: int, action: str) -> Response:
    if action not in ACTIONS:
        abort(404)
    comment = _comment_for_editor(comment_id)
    try:
        _apply(comment, action)
    except ActionRefused as refused:
        flash(_("Not done: %(reason)s", reason=str(refused)), "error")
        return _back()
    db.session.commit()
    flash(
        _(
            "Done: reaction by %(name)s is now %(status)s.",
            name=comment.name,
            status=comment.status.value,
        ),
        "ok",
    )
    return _back()


@bp.post("/bulk")
@login_required
def bulk() -> Response:
    action = request.form.get("action", "")
    if action not in ("publish", "remove", "spam"):
        abort(400)
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    comments = [_comment_for_editor(i) for i in ids]
    done = 0
    for comment in comments:
        try:
            _apply(comment, action)
            done += 1
        except ActionRefused:
            continue
    db.session.commit()
    flash(_("%(count)s reactions changed.", count=done), "ok")
    return _back()
