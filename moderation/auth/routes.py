"""Sign-in and sign-out pages. Thin: the form is checked here, the decisions are in
``signin`` (passwords, throttle, sessions)."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from . import bp, signin
from .forms import LoginForm
from .services import current_editor

WRONG_CREDENTIALS_TEXT = _l(
    "This e-mail address and password do not match an editor account. Check both and try again."
)
INACTIVE_TEXT = _l(
    "This editor account has been switched off. Ask an administrator if you need it again."
)
EXPIRED_TEXT = _l("The sign-in form had expired, so nothing was sent. Please try again.")


def _throttled_text(seconds: int) -> str:
    wait = format_timedelta(timedelta(seconds=seconds), threshold=1)
    return _(
        "Too many failed attempts to sign in. To protect the accounts, signing in is "
        "paused for a while. Try again in %(wait)s.",
        wait=wait,
    )


def _login_page(
    form: LoginForm, target: str | None, refusal: str | None = None, status: int = 200
) -> tuple[str, int]:
    form.password.data = ""
    return (
        render_template(
            "auth/login.html",
            form=form,
            next=target,
            refusal=refusal,
            editor=current_editor(),
            queue_url=signin.landing_url(),
        ),
        status,
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    target = signin.safe_next(request.args.get("next"))
    form = LoginForm()
    if request.method == "GET":
        if target and current_editor() is not None:
            return redirect(target, 303)
        return _login_page(form, target)
    if not form.validate():
        return _login_page(form, target, status=422)
    try:
        editor = signin.authenticate(
            form.email.data or "", form.password.data or "", client=get_remote_address()
        )
    except signin.Throttled as refused:
        page, status = _login_page(form, target, _throttled_text(refused.retry_after), 429)
        return page, status, {"Retry-After": str(refused.retry_after)}
    except signin.AccountInactive:
        return _login_page(form, target, str(INACTIVE_TEXT), 403)
    except signin.WrongCredentials:
        return _login_page(form, target, str(WRONG_CREDENTIALS_TEXT), 422)
    signin.start_session(editor)
    return redirect(target or signin.landing_url(), 303)


@bp.post("/logout")
def logout() -> Response:
    signin.end_session()
    flash(_("You have been signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> ResponseReturnValue:
    """A sign-in form without a valid token (left open past the session, or forged) is
    refused, shown again with the address kept, and nobody is signed in."""
    if request.endpoint != "auth.login":
        return render_template("errors/error.html", code=400, error=error), 400
    target = signin.safe_next(request.args.get("next"))
    return _login_page(LoginForm(), target, str(EXPIRED_TEXT), 400)


@bp.after_request
def not_stored(response: Response) -> Response:
    # Pages about someone's account stay out of shared and back-button caches.
    response.headers["Cache-Control"] = "no-store"
    return response
