"""The embeddable page: a post and its reactions inside another site's iframe, and its loader."""

from flask import Blueprint

from ..extensions import csrf

bp: Blueprint = Blueprint("embed", __name__)

# Like the reaction form on the blog itself, the embedded form carries its own signed preview
# token and is checked against the Origin header, so it needs no cookie in a third-party frame.
csrf.exempt(bp)

from . import routes  # noqa: E402,F401
from .routes import embed_snippet  # noqa: E402

bp.add_app_template_global(embed_snippet)
