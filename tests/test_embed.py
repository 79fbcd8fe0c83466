"""The embeddable page and its loader: framing rules, no cookies, the flow, settings, sizes."""

from __future__ import annotations

import gzip
import re

import pytest
from sqlalchemy import delete, func, select

from moderation.extensions import db
from moderation.models import Comment, Post, Status
from tests.test_reactions import hidden

EMBED = "/embed/samen-digitaal/een-keer-bouwen"
HOST = "https://www.gemeente-voorbeeld.nl"
FIELDS = {
    "name": "Ilse de Boer",
    "email": "ilse.deboer@example.net",
    "website": "",
    "body": "Een reactie vanaf de site van de gemeente.",
    "parent": "",
}


@pytest.fixture
def listed(demo):
    demo.embed_origins = [HOST, "http://localhost:8000"]
    db.session.commit()
    return demo


def frame_ancestors(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    found = re.search(r"frame-ancestors ([^;]+)", policy)
    assert found, policy
    return found.group(1).split()


def test_embed_page_may_be_framed_by_the_listed_sites_only(client, listed):
    response = client.get(EMBED)
    assert response.status_code == 200
    assert frame_ancestors(response) == ["'self'", HOST, "http://localhost:8000"]
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/blogs/samen-digitaal/",
        "/blogs/samen-digitaal/een-keer-bouwen",
        "/embed/demo",
        "/moderation/login",
        "/search?q=bouwen",
        "/embed/samen-digitaal/bestaat-niet",
    ],
)
def test_every_other_page_refuses_to_be_framed(client, listed, path):
    response = client.get(path)
    assert frame_ancestors(response) == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_blog_without_listed_sites_is_framed_only_by_the_service_itself(client, demo):
    demo.embed_origins = []
    db.session.commit()
    assert frame_ancestors(client.get(EMBED)) == ["'self'"]


def test_the_embed_page_sets_no_cookie_even_when_asked_for_a_language(client, listed):
    for path in (EMBED, EMBED + "?lang=en", EMBED + "?view=comments&lang=nl"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, path
    assert 'lang="en"' in client.get(EMBED + "?lang=en").get_data(as_text=True)


def test_comments_view_shows_the_reactions_without_the_post(client, listed):
    full = client.get(EMBED).get_data(as_text=True)
    only = client.get(EMBED + "?view=comments").get_data(as_text=True)
    assert 'id="post-title"' in full and 'id="post-title"' not in only
    assert "Wie een paspoort aanvraagt" in full and "Wie een paspoort aanvraagt" not in only
    assert 'id="reaction-form"' in only and "reaction-list" in only


def test_settings_become_custom_properties_and_anything_else_is_ignored(client, listed):
    page = client.get(
        EMBED + "?theme=dark&accent=%23aa3300&background=%23111&text=%23eeeeee"
        "&font=Georgia,%20serif&radius=99"
    ).get_data(as_text=True)
    assert 'class="embed theme-dark"' in page
    style = re.search(r"<style nonce=\"[^\"]+\">(.*?)</style>", page).group(1)
    assert "--accent: #aa3300;" in style and "--paper: #111;" in style
    assert "--ink: #eeeeee;" in style and "--font: Georgia, serif;" in style
    assert "--radius: 32px;" in style  # capped

    hostile = client.get(
        EMBED + "?theme=x&accent=red;}</style><script>alert(1)</script>"
        "&font=a;background:url(https://evil.example)&radius=1e9&text=expression(1)"
    ).get_data(as_text=True)
    assert "<style nonce" not in hostile  # nothing valid: no inline style at all
    assert "evil.example" not in hostile and "alert(1)" not in hostile
    assert 'class="embed theme-light"' in hostile


def test_the_inline_style_carries_this_responses_nonce(client, listed):
    response = client.get(EMBED + "?accent=%23aa3300")
    nonce = re.search(r'<style nonce="([^"]+)"', response.get_data(as_text=True)).group(1)
    policy = response.headers["Content-Security-Policy"]
    assert f"style-src 'self' 'nonce-{nonce}'" in policy
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy


def test_preview_and_place_inside_the_frame_keep_the_settings(client, listed):
    origin = {"Origin": "http://localhost"}
    preview = client.post(EMBED + "/preview?view=comments&lang=en", data=FIELDS, headers=origin)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Preview of your reaction" in html
    assert f'action="{EMBED}/comments?view=comments&amp;lang=en#reaction-form"' in html
    assert frame_ancestors(preview)[1:] == [HOST, "http://localhost:8000"]
    assert (
        db.session.scalar(select(func.count(Comment.id)).where(Comment.name == "Ilse de Boer")) == 0
    )

    token = hidden(html, "token")
    placed = client.post(
        EMBED + "/comments?view=comments&lang=en", data={**FIELDS, "token": token}, headers=origin
    )
    assert placed.status_code == 303
    assert placed.headers["Location"].startswith(f"{EMBED}?view=comments&lang=en&placed=")
    assert placed.headers["Location"].endswith("#outcome")
    comment = db.session.scalar(select(Comment).where(Comment.name == "Ilse de Boer"))
    assert comment.status == Status.PUBLISHED

    outcome = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Thank you, your reaction has been placed." in outcome
    assert "ilse.deboer@example.net" not in outcome


def test_an_error_inside_the_frame_stays_in_the_frame_with_everything_typed(client, listed):
    response = client.post(
        EMBED + "/preview", data={**FIELDS, "email": "geen-adres"}, headers={"Origin": HOST}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="embed theme-light"' in html and "error-summary" in html
    assert 'value="Ilse de Boer"' in html and "Een reactie vanaf de site" in html
    assert frame_ancestors(response)[0] == "'self'"


def test_a_forged_post_from_an_unlisted_site_is_refused_even_with_a_valid_token(client, listed):
    token = hidden(client.post(EMBED + "/preview", data=FIELDS).get_data(as_text=True), "token")
    response = client.post(
        EMBED + "/comments",
        data={**FIELDS, "token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "Niet verstuurd vanaf deze site" in response.get_data(as_text=True)
    assert (
        db.session.scalar(select(func.count(Comment.id)).where(Comment.name == "Ilse de Boer")) == 0
    )


def test_closed_reactions_are_explained_inside_the_frame(client, listed):
    post = db.session.scalar(select(Post).where(Post.slug == "een-keer-bouwen"))
    post.comments_open = False
    db.session.commit()
    response = client.post(EMBED + "/preview", data=FIELDS, headers={"Origin": HOST})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert 'class="embed theme-light"' in html and "Een reactie vanaf de site" in html
    assert HOST in frame_ancestors(response)


def fetch(client, path):
    with client.get(path) as response:
        return response.status_code, response.headers, response.get_data()


def test_the_loader_is_small_and_cacheable(client):
    status, headers, script = fetch(client, "/embed.js")
    assert status == 200
    assert headers["Content-Type"].startswith("text/javascript")
    assert "max-age=3600" in headers["Cache-Control"]
    size = len(gzip.compress(script, 9))
    assert size < 5 * 1024, size


def test_the_embed_page_weighs_under_50_kb_without_reactions(client, listed):
    db.session.execute(delete(Comment))
    db.session.commit()
    html = client.get(EMBED).get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert len(assets) == 3  # site.css, embed.css, embed-frame.js
    total = len(html.encode()) + sum(len(fetch(client, path)[2]) for path in assets)
    assert total < 50 * 1024, total


def test_the_demo_page_shows_the_snippet_and_the_live_widget(client, listed):
    html = client.get("/embed/demo").get_data(as_text=True)
    assert (
        "&lt;script src=&#34;http://localhost/embed.js&#34; "
        "data-post=&#34;samen-digitaal/formulieren-die-meedenken&#34; async&gt;&lt;/script&gt;"
    ) in html  # the newest post, as text to copy
    assert '<script src="/embed.js" data-post="samen-digitaal/formulieren-die-meedenken"' in html
    chosen = client.get("/embed/demo?post=samen-digitaal/een-keer-bouwen")
    assert 'data-post="samen-digitaal/een-keer-bouwen"' in chosen.get_data(as_text=True)
    assert client.get("/embed/demo?post=samen-digitaal/nergens").status_code == 404


def test_origins_command_adds_lists_and_removes(runner, demo):
    assert runner.invoke(args=["blogs", "origins", "list", "samen-digitaal"]).output.split() == [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
    ]
    added = runner.invoke(
        args=["blogs", "origins", "add", "samen-digitaal", "HTTPS://WWW.Voorbeeld.NL:443"]
    )
    assert added.exit_code == 0, added.output
    assert "https://www.voorbeeld.nl may now embed samen-digitaal" in added.output
    again = runner.invoke(
        args=["blogs", "origins", "add", "samen-digitaal", "https://www.voorbeeld.nl"]
    )
    assert "already listed" in again.output
    db.session.expire_all()
    assert demo.embed_origins[-1] == "https://www.voorbeeld.nl"

    removed = runner.invoke(
        args=["blogs", "origins", "remove", "samen-digitaal", "http://localhost:8000"]
    )
    assert removed.exit_code == 0, removed.output
    listing = runner.invoke(args=["blogs", "origins", "list", "samen-digitaal"]).output.split()
    assert listing == ["http://127.0.0.1:8000", "https://www.voorbeeld.nl"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "samen-digitaal", "www.voorbeeld.nl"], "is not an origin"),
        (["add", "samen-digitaal", "javascript:alert(1)"], "is not an origin"),
        (["remove", "samen-digitaal", "https://nooit.example"], "is not listed"),
        (["list", "bestaat-niet"], "There is no blog"),
    ],
)
def test_origins_command_refuses_with_a_reason(runner, demo, args, message):
    result = runner.invoke(args=["blogs", "origins", *args])
    assert result.exit_code != 0
    assert message in result.output
