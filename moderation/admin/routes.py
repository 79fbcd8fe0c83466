"""Admin pages. Thin: check the form, call one service, redirect or show the form again.

Every page is for admins only (``admin_required``): strangers are sent to sign in, editors
get 403. A form with errors comes back with status 422 and everything as it was typed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..auth import signin
from ..auth.services import MIN_PASSWORD_LENGTH, EditorExists, admin_required, current_editor
from ..extensions import db
from ..models import MAX_ID, Blog, Editor, Role
from . import bp, services
from .forms import BlogForm, EditEditorForm, NewBlogForm, NewEditorForm

FORM_ENDPOINTS = {"admin.new_blog", "admin.edit_blog", "admin.new_editor", "admin.edit_editor"}


def _me() -> Editor:
    editor = current_editor()
    assert editor is not None  # admin_required let us in
    return editor


@bp.get("/")
@admin_required
def index() -> Response:
    return redirect(url_for(".blogs"), 303)


# --- Blogs ---


@bp.get("/blogs")
@admin_required
def blogs() -> str:
    return render_template("admin/blogs.html", blogs=services.all_blogs())


def _blog_page(form: BlogForm, blog: Blog | None) -> tuple[str, int]:
    status = 422 if form.errors else 200
    return render_template("admin/blog_form.html", form=form, blog=blog), status


@bp.route("/blogs/new", methods=["GET", "POST"])
@admin_required
def new_blog() -> ResponseReturnValue:
    form = NewBlogForm()
    if not form.validate_on_submit():
        return _blog_page(form, None)
    try:
        blog = services.add_blog(form.slug.data, form.settings(), by=_me())
    except services.SlugRefused as refused:
        form.slug.errors = [str(refused)]
        return _blog_page(form, None)
    db.session.commit()
    flash(_("Blog %(title)s has been created.", title=blog.title), "ok")
    return redirect(url_for(".blogs"), 303)


@bp.route("/blogs/<slug>", methods=["GET", "POST"])
@admin_required
def edit_blog(slug: str) -> ResponseReturnValue:
    blog = services.find_blog(slug) or abort(404)
    form = BlogForm(data=vars(services.settings_of(blog)))
    if not form.validate_on_submit():
        return _blog_page(form, blog)
    services.update_blog(blog, form.settings(), by=_me())
    db.session.commit()
    flash(_("The settings of %(title)s have been saved.", title=blog.title), "ok")
    return redirect(url_for(".blogs"), 303)


# --- Editors ---


@bp.get("/editors")
@admin_required
def editors() -> str:
    return render_template("admin/editors.html", editors=services.all_editors(), me=_me())


def _blog_choices() -> list[tuple[int, str]]:
    return [(blog.id, blog.title) for blog in services.all_blogs()]


def _editor_page(form: NewEditorForm | EditEditorForm, editor: Editor | None) -> tuple[str, int]:
    status = 422 if form.errors else 200
    page = render_template(
        "admin/editor_form.html",
        form=form,
        editor=editor,
        me=_me(),
        min_password=MIN_PASSWORD_LENGTH,
    )
    return page, status


@bp.route("/editors/new", methods=["GET", "POST"])
@admin_required
def new_editor() -> ResponseReturnValue:
    form = NewEditorForm()
    form.offer_blogs(_blog_choices())
    if not form.validate_on_submit():
        return _editor_page(form, None)
    try:
        editor = services.add_editor(form.new_editor(), by=_me())
    except EditorExists:
        form.email.errors = [_("An editor with this e-mail address already exists.")]
        return _editor_page(form, None)
    except ValueError as refused:
        form.email.errors = [str(refused)]
        return _editor_page(form, None)
    db.session.commit()
    flash(_("The account of %(name)s has been made.", name=editor.name), "ok")
    return redirect(url_for(".editors"), 303)


@bp.route(f"/editors/<int(max={MAX_ID}):editor_id>", methods=["GET", "POST"])
@admin_required
def edit_editor(editor_id: int) -> ResponseReturnValue:
    editor = services.find_editor_by_id(editor_id) or abort(404)
    form = EditEditorForm(
        data={
            "name": editor.name,
            "role": editor.role.value,
            "active": editor.active,
            "language": editor.language,
            "blogs": [blog.id for blog in editor.blogs],
        }
    )
    form.offer_blogs(_blog_choices())
    if not form.validate_on_submit():
        return _editor_page(form, editor)
    me = _me()
    try:
        new_password = services.update_editor(editor, form.changes(), by=me)
    except services.SelfLockout as refused:
        getattr(form, refused.field).errors = [str(refused)]
        return _editor_page(form, editor)
    db.session.commit()
    if new_password and editor.id == me.id:
        # A new password ends the other sessions; this one goes on with the new key.
        signin.start_session(editor)
    flash(_("The account of %(name)s has been saved.", name=editor.name), "ok")
    return redirect(url_for(".editors"), 303)


# --- Around every page ---


def _same_origin() -> bool:
    origin = request.headers.get("Origin", "")
    own = urlsplit(request.host_url)
    return origin.lower() == f"{own.scheme}://{own.netloc}".lower()


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> ResponseReturnValue:
    """A form sent without a valid token is refused (400) and nothing changes. When it was
    our own page (its token outlived ``WTF_CSRF_TIME_LIMIT``) and an admin is still signed
    in, the form comes back as typed with a new token, so a long edit is not lost. A POST
    from another site gets only the error page: it must not pre-fill an admin's form."""
    editor = current_editor()
    own_form = request.endpoint in FORM_ENDPOINTS and _same_origin()
    if not own_form or editor is None or editor.role != Role.ADMIN:
        return render_template("errors/error.html", code=400, error=error), 400
    view = current_app.ensure_sync(current_app.view_functions[str(request.endpoint)])
    try:
        page = view(**(request.view_args or {}))
    except HTTPException as refused:
        # The view's own answer (no such blog): raised from an error handler it would be a 500.
        code = refused.code or 400
        return render_template("errors/error.html", code=code, error=refused), code
    response = current_app.make_response(page)
    response.status_code = 400
    return response


@bp.after_request
def not_stored(response: Response) -> Response:
    # Pages about accounts and settings stay out of shared and back-button caches.
    response.headers["Cache-Control"] = "no-store"
    return response
