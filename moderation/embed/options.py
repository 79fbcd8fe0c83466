"""How an embedding site asks the widget to look: ``data-*`` on the script tag, passed on as
query parameters. Every value is checked against a strict pattern before it reaches the
page's style sheet; anything else is ignored."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from flask import current_app
from werkzeug.datastructures import MultiDict

VIEWS = ("full", "comments")
THEMES = ("light", "dark", "auto")
COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
FONT = re.compile(r"[A-Za-z0-9 ,-]{1,80}")
RADIUS = re.compile(r"(\d{1,2})(?:px)?")
MAX_RADIUS = 32

# Which CSS custom property of the page each colour or font setting fills.
PROPERTIES = {
    "accent": ("--accent", "--accent-dark"),
    "background": ("--paper",),
    "text": ("--ink",),
    "font": ("--font",),
    "radius": ("--radius",),
}


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else allowed[0]


def _match(pattern: re.Pattern[str], value: str | None) -> str:
    return value if value and pattern.fullmatch(value) else ""


@dataclass(frozen=True)
class EmbedOptions:
    view: str = "full"
    theme: str = "light"
    accent: str = ""
    background: str = ""
    text: str = ""
    font: str = ""
    radius: str = ""
    lang: str = ""

    @classmethod
    def parse(cls, args: MultiDict[str, str]) -> EmbedOptions:
        radius = RADIUS.fullmatch(args.get("radius") or "")
        lang = args.get("lang") or ""
        return cls(
            view=_choice(args.get("view"), VIEWS),
            theme=_choice(args.get("theme"), THEMES),
            accent=_match(COLOUR, args.get("accent")),
            background=_match(COLOUR, args.get("background")),
            text=_match(COLOUR, args.get("text")),
            font=_match(FONT, args.get("font")),
            radius=f"{min(int(radius.group(1)), MAX_RADIUS)}px" if radius else "",
            lang=lang if lang in current_app.config["LANGUAGES"] else "",
        )

    def query(self) -> dict[str, str]:
        """The settings that differ from the defaults, to carry on in every link and form."""
        defaults = asdict(EmbedOptions())
        return {key: value for key, value in asdict(self).items() if value != defaults[key]}

    def custom_properties(self) -> list[tuple[str, str]]:
        """``(property, value)`` pairs for the page's ``:root``; every value matched a pattern."""
        values = asdict(self)
        return [
            (prop, values[key])
            for key, props in PROPERTIES.items()
            if values[key]
            for prop in props
        ]
