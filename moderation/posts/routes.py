"""Editors write and edit posts. Thin: the form is checked here, the writes are in
``services``; every error shows the form again with everything that was typed."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError

from ..auth.services import can_moderate, current_editor, editor_required
from ..blog.queries import paginate
from ..extensions import db
from ..models import MAX_ID, Blog, Editor, Post, utcnow
from ..refusals import refusal_text
from . import bp, services
from .forms import NewPostForm, PostForm, values_of
from .services import PostPreview, SlugTaken

POSTS_PER_PAGE = 50


def _editor() -> Editor:
    editor = current_editor()
    if editor is None:  # editor_required sent strangers away already
        abort(403)
    return editor


def _post_for(editor: Editor, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    if not can_moderate(editor, post.blog):
        abort(403)
    return post


def _new_form(editor: Editor) -> tuple[NewPostForm, list[Blog]]:
    blogs = services.writable_blogs(editor)
    if not blogs:
        abort(403)
    form = NewPostForm()
    form.blog.choices = [(blog.id, blog.title) for blog in blogs]
    return form, blogs


def _form_page(
    form: PostForm,
    post: Post | None = None,
    *,
    preview: PostPreview | None = None,
    notice: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return (
        render_template(
            "posts/form.html",
            form=form,
            post=post,
            heading=_("Edit post") if post else _("New post"),
            preview=preview,
            notice=notice,
            authors=services.author_names(),
        ),
        status,
    )


def _slug_error(form: PostForm, slug: str) -> None:
    message = _(
        "Another post in this blog already has the web address “%(slug)s”. Choose another slug.",
        slug=slug,
    )
    if isinstance(form, NewPostForm):
        form.slug.errors = [*form.slug.errors, message]
    else:
        form.form_errors.append(message)


@bp.get("/")
@editor_required
def index() -> str:
    editor = _editor()
    page = paginate(
        services.posts_for(editor),
        max(1, request.args.get("page", 1, type=int) or 1),
        POSTS_PER_PAGE,
    )
    return render_template(
        "posts/list.html",
        page=page,
        can_write=bool(services.writable_blogs(editor)),
        now=utcnow(),
    )


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def new() -> ResponseReturnValue:
    editor = _editor()
    form, blogs = _new_form(editor)
    if request.method == "GET":
        return _form_page(form)
    if not form.validate():
        return _form_page(form, status=422)
    blog = next(b for b in blogs if b.id == form.blog.data)
    return _preview_or_save(form, blog, None, editor)


@bp.route(f"/<int(max={MAX_ID}):post_id>", methods=["GET", "POST"])
@editor_required
def edit(post_id: int) -> ResponseReturnValue:
    editor = _editor()
    post = _post_for(editor, post_id)
    if request.method == "GET":
        return _form_page(PostForm(data=values_of(post)), post)
    form = PostForm()
    if not form.validate():
        return _form_page(form, post, status=422)
    return _preview_or_save(form, post.blog, post, editor)


def _preview_or_save(
    form: PostForm, blog: Blog, post: Post | None, editor: Editor
) -> ResponseReturnValue:
    draft = form.draft()
    try:
        if request.form.get("action") != "save":
            # Enter in a text field presses the first button, Preview: nothing is stored.
            preview = services.preview_post(draft, blog, post)
            return _form_page(form, post, preview=preview)
        if post is None:
            saved = services.create_post(blog, draft, editor)
        else:
            saved = services.update_post(post, draft, editor)
        db.session.commit()
    except SlugTaken as taken:
        _slug_error(form, taken.slug)
    except IntegrityError:
        # Someone saved the same address (or a new author or tag) a moment earlier.
        db.session.rollback()
        if post is None and services.slug_taken(blog, draft.effective_slug):
            _slug_error(form, draft.effective_slug)
        else:
            form.form_errors.append(_("Another change came in at the same moment. Save again."))
    except ValueError as refused:
        db.session.rollback()
        form.body.errors = [*form.body.errors, refusal_text(refused)]
    else:
        flash(_("The post “%(title)s” has been saved.", title=saved.title), "ok")
        return redirect(url_for("posts.index"), 303)
    return _form_page(form, post, status=422)


def _from_this_site() -> bool:
    origin = request.headers.get("Origin", "")
    return bool(origin) and urlsplit(origin).netloc == request.host


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> ResponseReturnValue:
    """A form left open past its token's lifetime: nothing is stored, but an editor on our
    own page gets the form back with everything typed and a fresh token. Anything else (a
    post from another site, a stranger, a post they may not edit) gets the plain refusal."""
    editor = current_editor()
    if editor is not None and _from_this_site():
        notice = _("The form had expired, so nothing was saved. Check it and press Save again.")
        post_id = (request.view_args or {}).get("post_id")
        if request.endpoint == "posts.new" and services.writable_blogs(editor):
            form, _blogs = _new_form(editor)
            return _form_page(form, notice=notice, status=400)
        if request.endpoint == "posts.edit" and post_id is not None:
            post = db.session.get(Post, post_id)
            if post is not None and can_moderate(editor, post.blog):
                return _form_page(PostForm(), post, notice=notice, status=400)
    return render_template("errors/error.html", code=400, error=error), 400


@bp.get(f"/<int(max={MAX_ID}):post_id>/embed")
@editor_required
def embed(post_id: int) -> str:
    """The snippet that shows this post and its reactions on another site, and the sites that
    are allowed to."""
    post = _post_for(_editor(), post_id)
    return render_template("posts/embed.html", post=post, public=post.published_at <= utcnow())
