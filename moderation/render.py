"""Reader text -> safe HTML: Textile, then bleach (allowlist + linkify), then nh3.

``render_comment`` is the only way reader text becomes HTML; ``render_post`` is the same
pipeline with a wider allowlist for editors.  Sanitising happens *after* Textile, because
Textile itself emits attributes and URLs (``%[en" onclick="..."]x%``, ``"x":javascript:``).
Textile is slow (some constructs quadratically) on crafted input, so ``check_renderable``
refuses input whose estimated rendering time is over budget; docs/rendering.md lists the
slow constructs and bench/render.py measures them.
"""

from __future__ import annotations

import functools
import html
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import bleach
import nh3
from bleach.linkifier import LinkifyFilter
from textile.core import Textile, make_glyph_replacers
from textile.core import re as textile_re
from textile.regex_strings import regex_snippets

#: Bump whenever the output for some input changes, so stored HTML can be re-rendered.
RENDERER_VERSION: Final = 1
MAX_COMMENT_LENGTH: Final = 5000
MAX_POST_LENGTH: Final = 50_000
COMMENT_BUDGET_MS: Final = 75.0  # estimated; measured worst case in docs/rendering.md
POST_BUDGET_MS: Final = 750.0
LINK_REL: Final = "nofollow ugc noopener"
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES: Final = frozenset({"http", "https"})

COMMENT_TAGS: Final = frozenset(
    {"p", "br", "a", "em", "strong", "b", "i", "cite", "code", "pre", "blockquote", "ul"}
    | {"ol", "li", "del", "ins", "sub", "sup", "span", "abbr"}
)
COMMENT_ATTRIBUTES: Final[Mapping[str, frozenset[str]]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "span": frozenset({"lang"}),
}
POST_TAGS: Final = COMMENT_TAGS | {"h2", "h3", "h4", "img", "table", "thead", "tbody"} | {
    "tr", "th", "td"
}  # fmt: skip
POST_ATTRIBUTES: Final[Mapping[str, frozenset[str]]] = {
    **COMMENT_ATTRIBUTES,
    "img": frozenset({"src", "alt", "title"}),
}

# -- the guard ---------------------------------------------------------------------------

#: ``RenderRefused.reason`` codes and their English messages (the web layer translates).
REFUSAL_MESSAGES: Final[Mapping[str, str]] = {
    "too_long": "This text is too long. Please shorten it to at most {limit} characters.",
    "too_much_markup": (
        "This text contains too many repeated markup characters (such as '*', '_', '-', "
        "'%' or '['). Please simplify it."
    ),
    "long_line_markup": (
        "This text has a very long paragraph with a lot of markup characters (such as '*', "
        "'_' or '['). Please split it into shorter paragraphs or use less markup."
    ),
    "too_many_blocks": (
        "This text has too many paragraphs, list items or table rows. Please combine some."
    ),
    "too_many_cells": "This text contains too many '|' characters. Please simplify it.",
    "unparseable": "This text could not be formatted. Please check its markup.",
}


class RenderRefused(ValueError):
    """Input that is not rendered; ``reason`` is a key of ``REFUSAL_MESSAGES``."""

    def __init__(self, reason: str, limit: int = 0) -> None:
        self.reason = reason
        self.limit = limit  # the exceeded limit, for "too_long"
        super().__init__(REFUSAL_MESSAGES[reason].format(limit=limit))


# '{' only opens Textile style attributes, which are never allowed, and '|' only builds
# tables, which comments do not allow: hide them from Textile behind private-use
# characters and restore them afterwards.  Styles can then never reach the sanitisers,
# and the slow '%{', '_{' and '|' constructs are plain text.
_HIDDEN: Final[Mapping[str, str]] = {"{": "\ue000", "|": "\ue001"}
_PERCENT_ENCODED: Final[Mapping[str, str]] = {"\ue000": "%EE%80%80", "\ue001": "%EE%80%81"}


def _hide(source: str, chars: str) -> str:
    for char, placeholder in _HIDDEN.items():
        source = source.replace(placeholder, "")
        if char in chars:
            source = source.replace(char, placeholder)
    return source


def _unhide(text: str) -> str:
    for char, placeholder in _HIDDEN.items():
        encoded = f"%{ord(char):02X}"
        text = text.replace(placeholder, char).replace(_PERCENT_ENCODED[placeholder], encoded)
    return text


#: Estimated milliseconds per occurrence of each construct on the reference machine
#: (fitted with bench/render.py; deliberately on the high side), and the refusal reason.
COST_MS: Final[Mapping[str, tuple[float, str]]] = {
    "character": (0.0015, "too_long"),
    "entity": (0.025, "too_much_markup"),  # & < > " ' can become entities, costly for bleach
    "markup": (0.35, "too_much_markup"),  # each inline-markup start (MARKUP_START)
    "link": (0.5, "too_much_markup"),  # each '":' of a Textile link
    "caps": (0.1, "too_much_markup"),  # each word of 3+ capitals (Textile wraps it in a span)
    "scan": (0.00015, "long_line_markup"),  # markup start x length of its line: quadratic
    "caps_scan": (0.00004, "long_line_markup"),  # the same for capitals words
    "run": (0.00002, "too_much_markup"),  # markup start x squared punctuation runs on its line
    "line": (0.06, "too_many_blocks"),
    "item": (0.25, "too_many_blocks"),  # list item, definition or table row
    "paragraph": (0.55, "too_many_blocks"),
    "cell": (0.2, "too_many_cells"),  # '|', when tables are parsed at all
}
#: Where Textile starts an inline span (``* _ - + ~ ^ % ?? ==``, ``@``) or a bracket: after
#: the start, whitespace, punctuation or an escaped ``&<>``, and not before a space.  Each
#: start may scan to the end of its line before failing, hence the "scan" term.
_TEXTILE_PUNCTUATION: Final = r".,\"'?!;:\u2039\u203a\xab\xbb\u201e\u201c\u201d\u201a\u2018\u2019"
MARKUP_START: Final = re.compile(
    rf"(?<![^\s>{_TEXTILE_PUNCTUATION}(\[{{&<|])(?:[*_\-+~^%]|\?\?|==)"
    r"(?![ \t\x0b\xa0\u2000-\u200a])|(?<![^\s>(\[{|])@|\["
)
#: A span's content and its closing punctuation compete for such a run: quadratic in its length.
_PUNCTUATION_RUN: Final = re.compile(rf"[{_TEXTILE_PUNCTUATION}]{{2,}}")
#: Capitals as Textile sees them (its own Unicode class); each such word is looked ahead of.
_CAPS_WORD: Final = textile_re.compile(rf"[{regex_snippets['abr']}]{{3,}}")
_ITEM: Final = re.compile(r"^[ \t]*[*#;:|-]", re.MULTILINE)
_PARAGRAPH_BREAK: Final = re.compile(r"\n[ \t]*\n")


def estimate_cost(source: str, *, tables: bool = False) -> dict[str, float]:
    """Estimated rendering milliseconds of ``source``, per construct of ``COST_MS``.

    Counts what Textile will see: with ``{`` (and, without tables, ``|``) hidden.
    """
    source = _hide(source, "{" if tables else "{|")
    counts = dict.fromkeys(COST_MS, 0)
    counts["character"] = len(source)
    counts["entity"] = sum(map(source.count, "&<>\"'"))
    counts["link"] = source.count('":')
    for line in source.split("\n"):
        if line.strip():
            counts["line"] += 1
        starts = len(MARKUP_START.findall(line))
        caps = len(_CAPS_WORD.findall(line))
        escaped_length = len(line) + 4 * line.count("&") + 3 * (line.count("<") + line.count(">"))
        counts["markup"] += starts
        counts["caps"] += caps
        counts["scan"] += starts * escaped_length
        counts["caps_scan"] += caps * escaped_length
        if starts:
            counts["run"] += starts * sum(len(run) ** 2 for run in _PUNCTUATION_RUN.findall(line))
    counts["item"] = len(_ITEM.findall(source))
    counts["paragraph"] = len(_PARAGRAPH_BREAK.findall(source.strip())) + 1
    counts["cell"] = source.count("|") if tables else 0
    return {name: COST_MS[name][0] * count for name, count in counts.items()}


def check_renderable(
    source: str,
    max_length: int = MAX_COMMENT_LENGTH,
    budget_ms: float = COMMENT_BUDGET_MS,
    *,
    tables: bool = False,
) -> None:
    """Raise ``RenderRefused`` unless ``source`` can be rendered in bounded time.

    Refuses text longer than ``max_length`` and text whose ``estimate_cost`` exceeds
    ``budget_ms``; the reason is that of the construct contributing most.
    """
    if len(source) > max_length:
        raise RenderRefused("too_long", max_length)
    costs = estimate_cost(source, tables=tables)
    if sum(costs.values()) > budget_ms:
        raise RenderRefused(COST_MS[max(costs, key=costs.__getitem__)][1])


# -- Textile -----------------------------------------------------------------------------

_LINE_BREAK: Final = textile_re.compile(
    r"^(.+)(?!(?<=</dd>|</dt>|</li>|<br/>)|(?<=<br>)|(?<=<br />))\n(?![#*;:\s|])",
    textile_re.I | textile_re.M,
)
_PROCESS_UID: Final = secrets.token_hex(16)  # Textile's private marker, fixed per process


class _Textile(Textile):  # type: ignore[misc,unused-ignore]
    """Textile 4.0.4 with three output-preserving changes for speed.

    * ``doBr`` anchors Textile's own line-break pattern at line starts.  Unanchored it is
      retried at every position of a line and is quadratic: one 1,200-character list item
      followed by another item took 0.2 s.  Matches can only start at line starts anyway.
    * Typographic glyphs are emitted as characters, not numeric entities, which bleach
      handles one by one (5,000 quotes cost 80 ms).
    * The marker Textile shelves text under is random per process, not per parser.  Textile
      compiles regexes containing it, so a new marker per render filled the regex module's
      500-entry cache; it then evicted Textile's own patterns at random, and recompiling
      them made one render in a hundred or so take 0.1-0.4 s.
    """

    glyph_definitions: Mapping[str, str] = {
        name: value if name == "ampersand" else html.unescape(value)
        for name, value in Textile.glyph_definitions.items()
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.uid = f"textileRef:{_PROCESS_UID}:"
        self.linkPrefix = f"{_PROCESS_UID}-"
        self.glyph_replacers = make_glyph_replacers(
            self.html_type, self.uid, self.glyph_definitions
        )

    def doBr(self, match: Any) -> str:  # Textile's method name
        content = _LINE_BREAK.sub(r"\1<br />", match.group(3))
        return f"<{match.group(1)}{match.group(2)}>{content}{match.group(4)}"


# -- the pipeline ------------------------------------------------------------------------

#: What linkify turns into a link: an explicit http(s):// or www. address.  Bleach's default
#: pattern also links bare domains but is quadratic on runs of '(' and of '-_' (0.5 s for
#: 5,000 characters); this one is linear, and leaves trailing punctuation out of the link.
LINKIFY_URL: Final = re.compile(
    r"\b(?:https?://|www\.)[^\s{}|\\^`<>\"']*[^\s{}|\\^`<>\"'!.,;:?]", re.IGNORECASE
)
_URL_JUNK: Final = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def _url_allowed(value: str, schemes: frozenset[str]) -> bool:
    """Relative, or one of ``schemes`` once whitespace and control characters are gone."""
    try:
        scheme = urlsplit(_URL_JUNK.sub("", value)).scheme.lower()
    except ValueError:
        return False
    return scheme == "" or scheme in schemes


def _attribute_allowed(
    allowed: Mapping[str, frozenset[str]], tag: str, name: str, value: str
) -> bool:
    """bleach attribute filter: the allowlist, and images only from http(s) or relative."""
    if name not in allowed.get(tag, ()):
        return False
    return not (tag == "img" and name == "src") or _url_allowed(value, IMAGE_SCHEMES)


def _nh3_url_filter(tag: str, name: str, value: str) -> str | None:
    """nh3 has applied the allowlist (and sets ``rel`` itself).  Vet image URLs, and drop
    any URL that would name another scheme if its entities were decoded once more."""
    if name in ("href", "src") and not _url_allowed(html.unescape(value), URL_SCHEMES):
        return None
    if tag == "img" and name == "src" and not _url_allowed(value, IMAGE_SCHEMES):
        return None
    return value


_Attrs = dict[tuple[str | None, str], str]


def _set_rel(attrs: _Attrs, new: bool = False) -> _Attrs:
    """bleach linkify callback: every link, old or new, gets our rel and no target."""
    attrs[(None, "rel")] = LINK_REL
    attrs.pop((None, "target"), None)
    return attrs


@dataclass(frozen=True)
class _Profile:
    name: str
    tags: frozenset[str]
    attributes: Mapping[str, frozenset[str]]
    max_length: int
    budget_ms: float
    editor: bool  # images, tables and inline HTML (still sanitised)


_COMMENT: Final = _Profile(
    "comment", COMMENT_TAGS, COMMENT_ATTRIBUTES, MAX_COMMENT_LENGTH, COMMENT_BUDGET_MS, False
)
_POST: Final = _Profile("post", POST_TAGS, POST_ATTRIBUTES, MAX_POST_LENGTH, POST_BUDGET_MS, True)
_local = threading.local()  # a bleach Cleaner holds parser state: one per thread


def _cleaner(profile: _Profile) -> bleach.Cleaner:
    cleaners: dict[str, bleach.Cleaner] = _local.__dict__.setdefault("cleaners", {})
    if profile.name not in cleaners:
        linkify = functools.partial(
            LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"}, url_re=LINKIFY_URL
        )
        cleaners[profile.name] = bleach.Cleaner(
            tags=profile.tags,
            attributes=functools.partial(_attribute_allowed, profile.attributes),
            protocols=URL_SCHEMES,
            strip=True,
            strip_comments=True,
            filters=[linkify],
        )
    return cleaners[profile.name]


def _render(source: str, profile: _Profile) -> str:
    check_renderable(source, profile.max_length, profile.budget_ms, tables=profile.editor)
    # Comments: restricted Textile shows raw HTML as text, allows no images.
    parser = _Textile(restricted=not profile.editor, noimage=not profile.editor, html_type="html5")
    try:
        text = parser.parse(_hide(source, "{" if profile.editor else "{|"))
    except Exception as exc:  # Textile bugs, e.g. on some malformed tables
        raise RenderRefused("unparseable") from exc
    # Footnote links carry the per-process prefix; drop it to stay deterministic.
    text = _cleaner(profile).clean(_unhide(text.replace(parser.linkPrefix, "")))
    return nh3.clean(
        text,
        tags=set(profile.tags),
        attributes={tag: set(names) for tag, names in profile.attributes.items()},
        attribute_filter=_nh3_url_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_comment(source: str) -> str:
    """Reader text (Textile) -> safe HTML.  Raises ``RenderRefused`` (a ``ValueError``)."""
    return _render(source, _COMMENT)


def render_post(source: str) -> str:
    """Editor text (Textile, inline HTML allowed) -> safe HTML; adds h2-h4, images, tables."""
    return _render(source, _POST)
