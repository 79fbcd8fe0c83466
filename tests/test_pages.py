"""The public pages as a reader sees them."""

from datetime import UTC, datetime

from moderation.blog.services import get_or_create_author, save_post
from moderation.extensions import db
from moderation.models import Comment, Status
from moderation.render import RENDERER_VERSION, render_comment


def add_reaction(post, name, email, body, status=Status.PUBLISHED, parent=None):
    comment = Comment(
        post=post,
        parent=parent,
        name=name,
        email=email,
        body_source=body,
        body_html=render_comment(body),
        renderer_version=RENDERER_VERSION,
        status=status,
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def dated_post(demo):
    author = get_or_create_author("Ida Hoogland", role="Directeur", bio="Ida schrijft graag.")
    post = save_post(
        demo,
        "Volhouden",
        "Samen werken is *volhouden*.",
        author=author,
        tags=["Samen organiseren"],
        published_at=datetime(2018, 2, 7, 10, tzinfo=UTC),
    )
    db.session.commit()
    return post


def test_home_lists_blogs_and_latest_posts(client, demo):
    page = client.get("/").get_data(as_text=True)
    assert "Samen digitaal" in page
    assert "Formulieren die meedenken" in page
    assert page.index("Formulieren die meedenken") < page.index("Eén keer bouwen")


def test_blog_page_lists_its_posts(client, demo):
    response = client.get("/blogs/samen-digitaal/")
    assert response.status_code == 200
    assert "Eén keer bouwen, overal gebruiken" in response.get_data(as_text=True)


def test_post_page_shows_author_dutch_date_tags_body_and_reactions(client, demo):
    post = dated_post(demo)
    add_reaction(post, "Karel de Boer", "karel@example.net", "Mooi _gezegd_.")
    page = client.get("/blogs/samen-digitaal/volhouden").get_data(as_text=True)
    assert "Ida Hoogland" in page and "Directeur" in page and "Ida schrijft graag." in page
    assert "7 februari 2018" in page
    assert 'href="/tags/samen-organiseren"' in page
    assert "<strong>volhouden</strong>" in page
    assert "Karel de Boer" in page and "<em>gezegd</em>" in page
    assert "karel@example.net" not in page


def test_post_page_in_english_has_an_english_date(client, demo):
    dated_post(demo)
    page = client.get(
        "/blogs/samen-digitaal/volhouden", headers={"Accept-Language": "en-GB,en;q=0.8"}
    ).get_data(as_text=True)
    assert "February 7, 2018" in page
    assert '<html lang="en">' in page


def test_only_published_reactions_are_shown_with_replies_nested(client, demo):
    post = dated_post(demo)
    first = add_reaction(post, "Karel de Boer", "k@example.net", "Eerste reactie")
    add_reaction(post, "Els Smit", "e@example.net", "Een antwoord", parent=first)
    add_reaction(post, "Jan", "j@example.net", "Zonder achternaam", status=Status.REMOVED)
    add_reaction(post, "Piet Pet", "p@example.net", "Wacht nog", status=Status.PENDING)
    page = client.get("/blogs/samen-digitaal/volhouden").get_data(as_text=True)
    assert "Eerste reactie" in page and "Een antwoord" in page
    assert page.index("Eerste reactie") < page.index('class="reaction-replies"')
    assert "Zonder achternaam" not in page and "Wacht nog" not in page


def test_anonymous_exception_shows_only_the_display_name(client, demo):
    post = dated_post(demo)
    comment = add_reaction(post, "Jan Geheim", "jan@example.net", "Vertrouwelijk punt")
    comment.is_anonymous, comment.display_name = True, "Een medewerker"
    db.session.commit()
    page = client.get("/blogs/samen-digitaal/volhouden").get_data(as_text=True)
    assert "Een medewerker" in page and "Jan Geheim" not in page


def test_tag_page_lists_tagged_posts(client, demo):
    dated_post(demo)
    page = client.get("/tags/samen-organiseren").get_data(as_text=True)
    assert "Volhouden" in page and "Formulieren die meedenken" not in page


def test_future_posts_are_not_public(client, demo):
    save_post(
        demo, "Later", "Nog niet.", author=None, published_at=datetime(2999, 1, 1, tzinfo=UTC)
    )
    db.session.commit()
    assert client.get("/blogs/samen-digitaal/later").status_code == 404
    assert "Later" not in client.get("/blogs/samen-digitaal/").get_data(as_text=True)


def test_unknown_pages_get_the_site_404(client, demo):
    for url in ("/blogs/nope/", "/blogs/samen-digitaal/nope", "/tags/nope", "/elders"):
        response = client.get(url)
        assert response.status_code == 404, url
        page = response.get_data(as_text=True)
        assert "Pagina niet gevonden" in page and 'href="#main"' in page


def test_a_crash_gets_the_site_500_page(app, client):
    @app.get("/kapot")
    def broken():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/kapot")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Er ging iets mis" in page and "boom" not in page


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_demo_reactions_never_show_addresses(client, demo):
    from moderation.demo import REACTIONS

    page = client.get("/blogs/samen-digitaal/een-keer-bouwen").get_data(as_text=True)
    for name, email, _ in REACTIONS:
        assert name in page and email not in page
