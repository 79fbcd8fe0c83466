"""The public blog: home, blogs, posts with their reactions, tags and search."""

from flask import Blueprint

bp = Blueprint("blog", __name__)

from . import routes  # noqa: E402,F401
