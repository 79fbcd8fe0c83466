"""``assert_no_executable``: does this HTML contain anything a browser would execute?

The HTML is parsed with html5lib, which implements the WHATWG parsing algorithm that
browsers use (including foreign content, raw-text elements and entity decoding): as a
fragment inside a ``<div>`` and as a whole document body, each with scripting enabled
(``<noscript>`` content is raw text, as in a browser running JavaScript) and disabled.
Every element and attribute of all four trees is then checked.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import html5lib

FORBIDDEN_ELEMENTS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "param", "form", "input", "button", "textarea", "select", "option", "keygen",
        "isindex", "svg", "math", "meta", "link", "base", "audio", "video", "source",
        "track", "picture", "canvas", "template", "noscript", "xmp", "noembed", "noframes",
        "plaintext", "title", "portal", "marquee", "image",
    }
)  # fmt: skip
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "background", "poster", "srcset", "data",
        "dynsrc", "lowsrc", "codebase", "cite", "longdesc", "usemap", "ping", "manifest",
        "icon", "profile", "classid", "archive", "code", "xmlns",
    }
)  # fmt: skip
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200f\u2028-\u202f\ufeff]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def _local(name: str) -> str:
    """``{namespace}local`` (html5lib/etree spelling) or ``prefix:local`` -> ``local``."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see in ``value`` (``None`` for a relative URL).

    ``value`` is already entity-decoded once by the parser; it is decoded once more so that
    double-encoded schemes are caught too, then every whitespace and control character is
    removed (browsers drop tabs and newlines inside URLs) and the result is lowercased.
    """
    cleaned = _CONTROL_OR_SPACE.sub("", html.unescape(value)).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


def _elements(html_text: str) -> Iterator[ET.Element]:
    document = "<!DOCTYPE html><html><head></head><body>" + html_text
    for scripting in (True, False):
        fragment = html5lib.parseFragment(html_text, treebuilder="etree", scripting=scripting)
        yield from fragment.iter()
        yield from html5lib.parse(document, treebuilder="etree", scripting=scripting).iter()


def find_executable(html_text: str, *, allow_img: bool = False) -> list[str]:
    """Every executable construct in ``html_text``, as human-readable problems."""
    problems: list[str] = []
    for element in _elements(html_text):
        if not isinstance(element.tag, str):  # comments and processing instructions
            continue
        tag = _local(element.tag)
        if tag in FORBIDDEN_ELEMENTS or (tag == "img" and not allow_img):
            problems.append(f"forbidden element <{tag}>")
        for raw_name, value in element.attrib.items():
            name = _local(raw_name)
            if name.startswith("on"):
                problems.append(f"event handler {name}= on <{tag}>")
            elif name == "style":
                problems.append(f"style attribute on <{tag}>")
            elif name in URL_ATTRIBUTES or name.endswith("href"):
                candidates = value.split(",") if name == "srcset" else [value]
                for candidate in candidates:
                    parts = candidate.strip().split()
                    scheme = url_scheme(parts[0] if parts and name == "srcset" else candidate)
                    if scheme is not None and scheme not in SAFE_SCHEMES:
                        problems.append(f"{scheme}: URL in {name}= on <{tag}>")
    return list(dict.fromkeys(problems))  # each tree reports the same problems


def assert_no_executable(html_text: str, *, allow_img: bool = False) -> None:
    """Fail if a browser parsing ``html_text`` would find anything it can execute.

    Forbidden: script-capable or embedding elements (script, style, iframe, object, svg,
    math, form controls, meta/link/base, ...; ``img`` unless ``allow_img``), any ``on*``
    attribute, any ``style`` attribute, and any URL attribute whose scheme, after entity
    decoding and removal of whitespace/control characters, is not http, https or mailto.
    """
    problems = find_executable(html_text, allow_img=allow_img)
    assert not problems, f"executable HTML: {problems} in {html_text!r}"
