from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..auth.services import admin_required, can_moderate, moderated_blog_ids
from ..extensions import db
from ..models import Blog, Comment, Editor, Status
from . import bp, notify, queries
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


def _apply(comment: Comment, action: str, editor: Editor | None, note: str = "") -> None:
    """One action from a form; the commenter hears of it when their waiting reaction is
    published, or when the editor chooses to tell them why it was removed."""
    was = comment.status
    form = request.form
    if action == "remove":
        reason = form.get("reason", "")
        ACTIONS[action](comment, editor, reason + note)
        if form.get("notify"):
            notify.tell_commenter(comment, reason)
    elif action == "anonymous":
        ACTIONS[action](comment, editor, form.get("display_name", ""))
    else:
        ACTIONS[action](comment, editor, form.get("note", "") + note)
        if action == "publish" and was == Status.PENDING:
            notify.tell_commenter(comment)


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
        _apply(comment, action, current_user)
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
            _apply(comment, action, current_user)
            done += 1
        except ActionRefused:
            continue
    db.session.commit()
    flash(_("%(count)s reactions changed.", count=done), "ok")
    return _back()


def _mail_action() -> notify.MailAction | None:
    try:
        return notify.read_action_token(request.view_args["token"])  # type: ignore[index]
    except notify.LinkInvalid:
        return None


@bp.route("/mail/<token>", methods=["GET", "POST"])
def mail_link(token: str) -> Response | tuple[str, int] | str:
    """A link from a mail to editors: GET shows what will happen, only POST does it."""
    found = _mail_action()
    if found is None:
        return render_template("queue/mail_link.html", found=None), 410
    if request.method == "GET":
        return render_template(
            "queue/mail_link.html", found=found, label=notify.MAIL_ACTIONS[found.action]
        )
    editor = db.session.scalar(select(Editor).where(Editor.email == found.recipient))
    note = "" if editor else f" (mail link to {found.recipient})"
    try:
        _apply(found.comment, found.action, editor, note)
    except ActionRefused as refused:
        flash(_("Not done: %(reason)s", reason=str(refused)), "error")
        return redirect(request.path, 303)
    db.session.commit()
    return render_template(
        "queue/mail_link.html", found=found, done=True, label=notify.MAIL_ACTIONS[found.action]
    )


@bp.get("/audit")
@admin_required
def audit() -> str:
    """Every editor action, newest first, a page at a time."""
    before = request.args.get("before", type=int)
    events = queries.audit_page(before)
    return render_template(
        "queue/audit.html",
        events=events[: queries.AUDIT_PAGE_SIZE],
        more=len(events) > queries.AUDIT_PAGE_SIZE,
    )
