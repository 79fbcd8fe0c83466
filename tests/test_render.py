"""moderation.render: safety against XSS, Textile features, determinism and the guard.

Timing is not tested here (bench/render.py measures it); the slow constructs are tested
for correctness: each is either refused with a ``ValueError`` or rendered safely.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import html5lib
import pytest

from moderation.render import (
    COMMENT_BUDGET_MS,
    LINK_REL,
    MAX_COMMENT_LENGTH,
    REFUSAL_MESSAGES,
    RENDERER_VERSION,
    RenderRefused,
    check_renderable,
    estimate_cost,
    render_comment,
    render_post,
)
from tests.html_safety import assert_no_executable, find_executable
from tests.xss_vectors import XSS_VECTORS

ROOT = Path(__file__).resolve().parent.parent
# Each vector is also tried inside Textile constructs that give it a different context.
CONTEXTS = ["{}", "*{}*", "* {}\n* b", "bq. {}", '"{}":https://example.nl/', "x {} y\n\nz"]


def elements(html: str, tag: str) -> list[ET.Element]:
    root = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    return [element for element in root.iter() if element.tag == tag]


def assert_links_have_rel(html: str) -> None:
    for link in elements(html, "a"):
        assert link.get("rel") == LINK_REL, html
        assert link.get("target") is None, html


def rendered_or_refused(render: object, source: str) -> str | None:
    assert callable(render)
    try:
        return str(render(source))
    except RenderRefused:
        return None


# -- XSS ---------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_comment_never_contains_executable_html(vector: str) -> None:
    for context in CONTEXTS:
        html = rendered_or_refused(render_comment, context.replace("{}", vector))
        if html is not None:
            assert_no_executable(html)
            assert_links_have_rel(html)


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_post_never_contains_executable_html(vector: str) -> None:
    for context in CONTEXTS:
        html = rendered_or_refused(render_post, context.replace("{}", vector))
        if html is not None:
            assert_no_executable(html, allow_img=True)
            assert_links_have_rel(html)


def test_there_are_enough_vectors() -> None:
    assert len(XSS_VECTORS) >= 120
    assert len(set(XSS_VECTORS)) == len(XSS_VECTORS)


@pytest.mark.parametrize(
    "bad",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href=" JAVA\nSCRIPT:alert(1)">x</a>',
        '<a href="&amp;#106;avascript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<p style="color:red">x</p>',
        "<style>p{}</style>",
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
        "<math><mtext>x</mtext></math>",
        '<iframe src="https://example.nl/"></iframe>',
        '<form action="https://example.nl/"><button>x</button></form>',
        '<object data="x"></object>',
        '<meta http-equiv="refresh" content="0">',
        '<base href="https://evil.example/">',
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        '<img srcset="https://example.nl/a.png 1x, javascript:alert(1) 2x">',
        '<p onclick="alert(1)">x</p>',
    ],
)
def test_the_safety_check_itself_catches_executable_html(bad: str) -> None:
    assert find_executable(bad, allow_img=True)
    with pytest.raises(AssertionError):
        assert_no_executable(bad, allow_img=True)


def test_the_safety_check_passes_safe_html_and_images_only_when_allowed() -> None:
    safe = '<p><a href="https://example.nl/" rel="x">a</a> <a href="/pad">b</a> <em>c</em></p>'
    assert_no_executable(safe)
    image = '<img src="https://example.nl/a.png" alt="">'
    assert_no_executable(image, allow_img=True)
    with pytest.raises(AssertionError):
        assert_no_executable(image)


# -- Textile features --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("*vet*", "<strong>vet</strong>"),
        ("_nadruk_", "<em>nadruk</em>"),
        ("**vet**", "<b>vet</b>"),
        ("-weg- en +erbij+", "<del>weg</del> en <ins>erbij</ins>"),
        ("tekst ^boven^ en ~onder~", "<sup>boven</sup> en <sub>onder</sub>"),
        ("@code@", "<code>code</code>"),
        ("??bron??", "<cite>bron</cite>"),
        ("* een\n* twee", "<li>een</li>"),
        ("# een\n# twee", "<ol>"),
        ("bq. Een citaat.", "<blockquote>"),
        ("regel 1\nregel 2", "regel 1<br>"),
        ("VNG(Vereniging van Nederlandse Gemeenten)", '<abbr title="Vereniging'),
        ("%[en]English% tekst", '<span lang="en">English</span>'),
        ('"de site":https://example.nl/pad', '<a href="https://example.nl/pad" rel="'),
        ('"de site(Titel)":https://example.nl/', 'title="Titel"'),
        ("zie https://example.nl/pad?a=1&b=2.", 'href="https://example.nl/pad?a=1&amp;b=2"'),
        ("zie www.example.nl.", 'href="http://www.example.nl"'),
        ('"mail":mailto:iemand@example.nl', 'href="mailto:iemand'),
        ("a|b {c} d", "a|b {c} d"),
        ('"Quotes" -- en...', "\u201cQuotes\u201d \u2014 en\u2026"),
    ],
)
def test_plain_textile_features_work(source: str, expected: str) -> None:
    html = render_comment(source)
    assert expected in html
    assert_no_executable(html)
    assert_links_have_rel(html)


def test_every_link_gets_rel_and_no_target() -> None:
    html = render_comment(
        '"a":https://example.nl/ https://example.org/ www.example.com [1] "b":/pad\n\nfn1. c'
    )
    assert len(elements(html, "a")) >= 4
    assert_links_have_rel(html)


def test_comment_images_are_shown_as_text() -> None:
    html = render_comment("!https://example.nl/a.png!")
    assert "<img" not in html
    assert html.startswith("\t<p>!<a href=")  # the image is shown as its text, linkified
    assert html.endswith(">https://example.nl/a.png</a>!</p>")


def test_comment_raw_html_is_shown_as_text() -> None:
    html = render_comment("<b>vet</b> <h2>kop</h2>")
    assert "&lt;b&gt;vet&lt;/b&gt;" in html
    assert "<h2" not in html


def test_comment_styles_classes_and_ids_are_not_kept() -> None:
    html = render_comment("p(klasse#anker){color:red}. tekst\n\n%(x){color:red}woord%")
    assert "class=" not in html
    assert "id=" not in html
    assert "style" not in html
    assert "tekst" in html


def test_post_allows_headings_images_and_tables() -> None:
    html = render_post(
        "h2. Kop\n\nh3. Sub\n\n!https://example.nl/a.png(Uitleg)!\n\n!/media/b.png!\n\n|a|b|\n|c|d|"
    )
    assert "<h2>Kop</h2>" in html
    assert "<h3>Sub</h3>" in html
    assert '<img alt="Uitleg" src="https://example.nl/a.png" title="Uitleg">' in html
    assert 'src="/media/b.png"' in html
    assert "<td>a</td>" in html
    assert_no_executable(html, allow_img=True)


@pytest.mark.parametrize(
    "source",
    [
        "!javascript:alert(1)!",
        '<img src="javascript:alert(1)">',
        "!data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+!",
        '<img src="mailto:a@example.nl">',
        '<img src="https://example.nl/a.png" onerror="alert(1)" style="x">',
    ],
)
def test_post_images_only_from_http_or_relative_urls(source: str) -> None:
    html = render_post(source)
    assert_no_executable(html, allow_img=True)
    for image in elements(html, "img"):
        src = image.get("src")
        assert src is None or src.startswith("https://"), html


def test_post_still_sanitises_and_adds_rel() -> None:
    html = render_post('<script>alert(1)</script><a href="https://example.nl/" target="_top">x</a>')
    assert "<script" not in html
    assert_links_have_rel(html)


# -- determinism ---------------------------------------------------------------------------

DETERMINISM_SAMPLE = 'Zie "site":https://example.nl/ en noot[1]. VNG(Vereniging) *ja*\n\nfn1. Noot.'


def test_rendering_is_deterministic_within_a_process() -> None:
    for source in [DETERMINISM_SAMPLE, *XSS_VECTORS[:40]]:
        assert render_comment(source) == render_comment(source)
        assert render_post(source) == render_post(source)


def test_rendering_is_deterministic_across_processes() -> None:
    code = "import sys; from moderation.render import render_comment as r; print(r(sys.argv[1]))"
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, DETERMINISM_SAMPLE],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for _ in range(2)
    }
    assert runs == {render_comment(DETERMINISM_SAMPLE) + "\n"}


def test_renderer_version_is_a_positive_int() -> None:
    assert isinstance(RENDERER_VERSION, int)
    assert RENDERER_VERSION >= 1


# -- the guard -----------------------------------------------------------------------------


def repeat(unit: str, length: int = MAX_COMMENT_LENGTH) -> str:
    return (unit * (length // len(unit) + 1))[:length]


LONG_ITEM = "woord " * 150
# Every slow construct found by bench/render.py, at the length cap (see docs/rendering.md).
SLOW_CONSTRUCTS = {
    "style starts %{": repeat("%{"),
    "style starts _{": repeat("_{"),
    "class starts %(": repeat("%("),
    "table cells": repeat("|"),
    "brackets": repeat("["),
    "note references #[": repeat("#["),
    "unclosed spans": repeat("*a "),
    "spans after entities": repeat("_&"),
    "spans after >": repeat(">^"),
    "opening parentheses (linkify)": repeat("("),
    "-_ runs (linkify)": repeat("-_"),
    "long list item": "* " + LONG_ITEM + "\n* b",
    "long nested item": "* a\n** " + LONG_ITEM,
    "nested list start": repeat("## "),
    "definition lists": repeat(";: "),
    "span before punctuation run": "*" + "!" * (MAX_COMMENT_LENGTH - 1),
    "capitals words": repeat("ABC "),
    "capitals paragraphs": repeat("ABC\n\n"),
    "paragraphs": repeat("a\n\n"),
    "list items": repeat("* a\n"),
    "lines": repeat("a\n"),
    "links": repeat('"a":https://example.nl/ '),
    "spans": repeat("*a* "),
    "ampersands": repeat("&"),
    "quotes": repeat('"'),
    "quotes in code": "bc. " + '"' * (MAX_COMMENT_LENGTH - 4),
}
# Neutralised rather than refused: these must render.
NEUTRALISED = [
    "style starts %{",
    "style starts _{",
    "table cells",
    "opening parentheses (linkify)",
    "-_ runs (linkify)",
    "long list item",
    "long nested item",
    "nested list start",
]


@pytest.mark.parametrize("name", sorted(SLOW_CONSTRUCTS))
def test_slow_constructs_are_refused_or_rendered_safely(name: str) -> None:
    source = SLOW_CONSTRUCTS[name]
    assert len(source) <= MAX_COMMENT_LENGTH
    try:
        html = render_comment(source)
    except ValueError as refused:
        assert isinstance(refused, RenderRefused)
        assert refused.reason in REFUSAL_MESSAGES
        assert str(refused) == REFUSAL_MESSAGES[refused.reason].format(limit=refused.limit)
        assert name not in NEUTRALISED
    else:
        assert_no_executable(html)


@pytest.mark.parametrize(
    "unit",
    ["_(", "*(", "~(", "^(", "-(", "*{", "+(", "??(", "%[", "_[", "\n|", "[[", "!*", "'_", '"%'],
)
def test_more_repeated_units_are_refused_or_rendered_safely(unit: str) -> None:
    html = rendered_or_refused(render_comment, repeat(unit))
    if html is not None:
        assert_no_executable(html)


@pytest.mark.parametrize("name", NEUTRALISED)
def test_neutralised_constructs_render(name: str) -> None:
    check_renderable(SLOW_CONSTRUCTS[name])
    assert render_comment(SLOW_CONSTRUCTS[name])


def test_neutralised_list_items_keep_their_text() -> None:
    html = render_comment("* " + LONG_ITEM + "\n** b\n* c")
    assert LONG_ITEM.strip() in html
    assert html.count("<li>") == 3


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (repeat("*a "), "long_line_markup"),
        (repeat("*a* b\n"), "too_much_markup"),
        (repeat("a\n\n"), "too_many_blocks"),
        (repeat("* a\n"), "too_many_blocks"),
        (repeat("&"), "too_much_markup"),
    ],
)
def test_refusals_name_the_construct(source: str, reason: str) -> None:
    with pytest.raises(RenderRefused) as refused:
        render_comment(source)
    assert refused.value.reason == reason
    assert "Please" in str(refused.value)


def test_too_long_input_is_refused() -> None:
    render_comment("a" * MAX_COMMENT_LENGTH)
    with pytest.raises(ValueError, match="5000 characters") as refused:
        render_comment("a" * (MAX_COMMENT_LENGTH + 1))
    assert isinstance(refused.value, RenderRefused)
    assert refused.value.reason == "too_long"
    assert refused.value.limit == MAX_COMMENT_LENGTH


def test_post_tables_are_bounded_too() -> None:
    with pytest.raises(RenderRefused) as refused:
        render_post(repeat("|", 40_000))
    assert refused.value.reason == "too_many_cells"


TYPICAL = (
    "Goed dat het programma hier *open* over communiceert. In onze gemeente zien we dat "
    "_vooral kleinere organisaties_ moeite hebben met de regels van het IPO en de VNG. "
    'Zie "het verslag (pdf)":https://www.example.nl/verslag.pdf en https://example.nl/x.\n\n'
    "* een duidelijke planning voor 2025\n* wie de kosten draagt\n* hoe burgers meedoen\n\n"
)


@pytest.mark.parametrize(
    "source",
    [
        repeat(TYPICAL),
        repeat("Een gewone zin zonder opmaak, met een komma en een punt. "),
        repeat("* Een lijstitem met wat meer tekst erin, zo'n zeventig tekens lang.\n"),
        repeat(
            'Een alinea van zo\'n 300 tekens met *nadruk* en een "link":/pad. '
            + "Tekst. " * 33
            + "\n\n"
        ),
        "* " + "woord " * 800 + "\n* twee",
        "\n\n".join(["Een zin met een _beetje_ opmaak en https://www.vng.nl/artikel. " * 4] * 10),
    ],
)
def test_ordinary_long_reactions_are_not_refused(source: str) -> None:
    assert sum(estimate_cost(source).values()) < COMMENT_BUDGET_MS
    assert_no_executable(render_comment(source))


def test_placeholders_in_the_input_are_dropped() -> None:
    assert "\ue000" not in render_comment("a\ue000b\ue001c")
    assert "abc" in render_comment("a\ue000b\ue001c")


def test_textile_crashes_are_refusals() -> None:
    with pytest.raises(RenderRefused) as refused:
        render_post("|: b c; ## \n;: * \n|* # # |")
    assert refused.value.reason == "unparseable"
