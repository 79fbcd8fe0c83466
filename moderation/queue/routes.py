from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..auth.services import admin_required, can_moderate, moderated_blog_ids
from ..auth.signin import safe_next
from ..extensions import db
from ..forms import without_control_characters
from ..models import MAX_ID, Blog, Comment, Editor, Status, id_from
from . import bp, notify, queries
from .services import ACTIONS, ActionRefused


def _status(value: str | None) -> Status:
    try:
        return Status(value or Status.PENDING)
    except ValueError:
        return Status.PENDING


def _id_arg(name: str) -> int | None:
    return id_from(request.args.get(name))


@bp.get("/")
@login_required
def queue() -> str:
    status = _status(request.args.get("tab"))
    filters = queries.Filters(
        blog_ids=moderated_blog_ids(current_user),
        blog_id=_id_arg("blog"),
        post_id=_id_arg("post"),
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


def _typed(name: str) -> str:
    """A text field of the action forms, without control characters, as in every form."""
    return str(without_control_characters(request.form.get(name, "")))


def _apply(comment: Comment, action: str, editor: Editor | None, note: str = "") -> None:
    """One action from a form; the commenter hears of it when their waiting reaction is
    published, or when the editor chooses to tell them why it was removed."""
    was = comment.status
    if action == "remove":
        reason = _typed("reason")
        ACTIONS[action](comment, editor, reason + note)
        if request.form.get("notify"):
            notify.tell_commenter(comment, reason)
    elif action == "anonymous":
        ACTIONS[action](comment, editor, _typed("display_name"))
    else:
        ACTIONS[action](comment, editor, _typed("note") + note)
        if action == "publish" and was == Status.PENDING:
            notify.tell_commenter(comment)


def _back() -> Response:
    # safe_next also refuses spaces and control characters: a line break in a Location
    # header would be a server error, and browsers strip the others before they parse.
    target = safe_next(request.form.get("back", ""))
    if target is None or not target.startswith("/moderation/"):
        target = url_for("moderation.queue")
    return redirect(target, 303)


@bp.post(f"/comments/<int(max={MAX_ID}):comment_id>/<action>")
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
    ids = [id_from(value) for value in request.form.getlist("ids")]
    comments = [_comment_for_editor(i) for i in ids if i is not None]
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
    before = _id_arg("before")
    events = queries.audit_page(before)
    return render_template(
        "queue/audit.html",
        events=events[: queries.AUDIT_PAGE_SIZE],
        more=len(events) > queries.AUDIT_PAGE_SIZE,
    )
