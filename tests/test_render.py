"""The one renderer of reader text: Textile, then bleach, then nh3 with the same allowlist."""

import pytest

from moderation.render import (
    MAX_COMMENT_LENGTH,
    RENDERER_VERSION,
    RenderRefused,
    render_comment,
    render_post,
)
from tests.html_safety import assert_no_executable, find_executable
from tests.xss_vectors import XSS_VECTORS

REL = 'rel="nofollow ugc noopener"'


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_no_vector_leaves_anything_executable(vector):
    try:
        html = render_comment(vector)
    except ValueError:
        return  # refused: nothing rendered at all
    assert_no_executable(html)
    assert html.count("<a ") == html.count(REL)


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_posts_are_sanitised_too(vector):
    try:
        html = render_post(vector)
    except ValueError:
        return
    assert_no_executable(html, allow_img=True)


def test_there_are_enough_vectors():
    assert len(XSS_VECTORS) >= 100


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("*vet* en _schuin_", "<strong>vet</strong> en <em>schuin</em>"),
        ('"de site":https://example.org/a', f'<a href="https://example.org/a" {REL}>de site</a>'),
        ("Zie https://www.rijksoverheid.nl/x.", f'<a href="https://www.rijksoverheid.nl/x" {REL}>'),
        ("# een\n# twee", "<li>twee</li>"),
        ("* punt", "<ul>"),
        ("bq. citaat", "<blockquote>"),
        ("@code@", "<code>code</code>"),
        ("-weg- en +erbij+", "<del>weg</del>"),
    ],
)
def test_plain_textile_works(source, expected):
    assert expected in render_comment(source)


def test_html_is_shown_as_text_not_run():
    html = render_comment("<b>vet</b> <script>alert(1)</script>")
    assert "&lt;b&gt;vet&lt;/b&gt;" in html and "<script" not in html


def test_images_and_styles_never_reach_reactions():
    assert "<img" not in render_comment("!https://example.org/a.png!")
    assert "style" not in render_comment("p{color:red}. rood")
    assert "style" not in render_comment("%{color:red}rood%")


def test_posts_allow_headings_and_http_images_only():
    html = render_post("h2. Kop\n\n!https://example.org/a.png(foto)!")
    assert "<h2>Kop</h2>" in html and 'src="https://example.org/a.png"' in html
    assert "javascript" not in render_post("!javascript:alert(1)!")
    assert "data:" not in render_post("!data:image/png;base64,AAAA!")


def test_deterministic():
    source = "Voetnoot[1] en *vet*.\n\nfn1. De noot."
    assert render_comment(source) == render_comment(source)


def test_renderer_version_is_a_positive_number():
    assert isinstance(RENDERER_VERSION, int) and RENDERER_VERSION >= 1


def test_too_long_is_refused_with_a_code():
    with pytest.raises(RenderRefused) as refused:
        render_comment("x" * (MAX_COMMENT_LENGTH + 1))
    assert refused.value.reason == "too_long"


@pytest.mark.parametrize(
    "unit",
    [
        "_(",
        "%{",
        "*(",
        "%(",
        "~(",
        "^(",
        "_{",
        "-(",
        "*{",
        "+(",
        "??(",
        "|",
        "%[",
        "_[",
        "\n|",
        "[[",
        "[",
    ],
)
def test_slow_constructs_are_refused_or_neutralised(unit):
    """Each of these took 0.1-1 s in Textile at 5,000 characters (docs/rendering.md)."""
    source = (unit * (MAX_COMMENT_LENGTH // len(unit) + 1))[:MAX_COMMENT_LENGTH]
    try:
        html = render_comment(source)
    except RenderRefused as refused:
        assert refused.reason in {
            "too_much_markup",
            "long_line_markup",
            "too_many_blocks",
            "too_many_cells",
        }
    else:
        assert not find_executable(html)


def test_ordinary_long_reaction_is_accepted():
    paragraph = (
        "Dit is een gewone zin met een _beetje_ opmaak en een link naar "
        "https://www.vng.nl/artikel. "
    )
    source = "\n\n".join([paragraph * 4] * 10)[:MAX_COMMENT_LENGTH]
    assert "<em>beetje</em>" in render_comment(source)
