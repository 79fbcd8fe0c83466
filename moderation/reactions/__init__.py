"""Reactions: the form, the mandatory preview, and placing what was previewed."""

from flask import Blueprint

bp = Blueprint("reactions", __name__)

from ..caching import remember_form_started  # noqa: E402
from . import routes  # noqa: E402,F401
from .forms import ReactionForm  # noqa: E402
from .services import form_started_token_or_new  # noqa: E402
from .verdict import REASON_TEXT  # noqa: E402
from .views import reaction_url  # noqa: E402

bp.add_app_template_global(reaction_url)


@bp.app_template_global()
def form_started(form: ReactionForm) -> str:
    token = form_started_token_or_new(form.started.data)
    remember_form_started(token)
    return token


@bp.app_context_processor
def reason_text() -> dict[str, object]:
    return {"REASON_TEXT": REASON_TEXT}
