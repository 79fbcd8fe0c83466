"""The renderer's refusals in the reader's language: ``moderation.render`` stays free of Flask
and speaks English; its stable refusal codes are translated here."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .render import RenderRefused

# By refusal code (``RenderRefused.reason``): the renderer's own messages are English only.
REFUSAL_TEXT = {
    "too_much_markup": _l(
        "This text contains too many repeated markup characters (such as '*', '_', '-', "
        "'%' or '['). Please simplify it."
    ),
    "long_line_markup": _l(
        "This text has a very long paragraph with a lot of markup characters (such as '*', "
        "'_' or '['). Please split it into shorter paragraphs or use less markup."
    ),
    "too_many_blocks": _l(
        "This text has too many paragraphs, list items or table rows. Please combine some."
    ),
    "too_many_cells": _l("This text contains too many '|' characters. Please simplify it."),
    "unparseable": _l("This text could not be formatted. Please check its markup."),
}


def refusal_text(refused: ValueError) -> str:
    """The renderer's refusal in the current language (its own message if it has no code)."""
    if isinstance(refused, RenderRefused):
        if refused.reason == "too_long":
            return _(
                "This text is too long. Please shorten it to at most %(limit)s characters.",
                limit=format_decimal(refused.limit),
            )
        if refused.reason in REFUSAL_TEXT:
            return str(REFUSAL_TEXT[refused.reason])
    return str(refused)
