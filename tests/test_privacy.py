"""A commenter's e-mail address appears in no public response."""

import re

from flask import url_for
from sqlalchemy import select

from moderation.extensions import db
from moderation.models import Comment, Post, Status, Tag

from .test_reactions import POST_URL, place, previewed

ADDRESSES = [
    "zeldzaam.adres.7431@example.net",
    "ANDERS+tag-9912@voorbeeld.nl",
    "x.y.z@sub.domein.example",
]


def public_urls(app):
    """Every GET route of the public site, filled in with real blogs, posts and tags."""
    blog_post = db.session.scalars(select(Post)).all()
    tags = db.session.scalars(select(Tag)).all()
    values = {
        "blog": [p.blog.slug for p in blog_post],
        "post": [p.slug for p in blog_post],
        "tag": [t.slug for t in tags],
    }
    urls = set()
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in {"static", "healthz"}:
                continue
            if not rule.arguments:
                urls.add(url_for(rule.endpoint))
            elif rule.arguments == {"blog"}:
                urls.update(url_for(rule.endpoint, blog=b) for b in values["blog"])
            elif rule.arguments == {"blog", "post"}:
                for post in blog_post:
                    urls.add(url_for(rule.endpoint, blog=post.blog.slug, post=post.slug))
            elif rule.rule.startswith("/moderation/"):
                # Editors' pages: anyone may ask; a stranger must get nothing but a redirect.
                fill = {
                    a: 1 if rule._converters[a].regex == r"\d+" else "x" for a in rule.arguments
                }
                urls.add(url_for(rule.endpoint, **fill))
            elif rule.arguments == {"tag"}:
                urls.update(url_for(rule.endpoint, tag=t) for t in values["tag"])
            else:
                raise AssertionError(f"crawl does not know how to fill {rule}")
    return urls


def test_no_address_in_any_public_response(app, client, demo):
    outcomes = []
    for n, address in enumerate(ADDRESSES):
        data = previewed(
            client,
            {
                "name": f"Lezer Nummer{chr(65 + n)}",
                "email": address,
                "website": "",
                "body": f"Reactie {n} met een eigen adres.",
            },
        )
        outcomes.append(place(client, data).headers["Location"])
    # A removed, a pending and a reply too.
    place(client, previewed(client, {"name": "Zonder", "email": ADDRESSES[0], "body": "x y"}))
    top = db.session.scalar(select(Comment).where(Comment.email == ADDRESSES[1]))
    place(
        client,
        previewed(
            client,
            {"name": "Anna de Wit", "email": ADDRESSES[2], "body": "re", "parent": str(top.id)},
        ),
    )
    assert db.session.scalar(select(Comment).where(Comment.status == Status.REMOVED))

    urls = public_urls(app) | set(outcomes)
    urls |= {
        f"{POST_URL}?reply={top.id}",
        "/search?q=adres",
        "/search?q=reactie",
        "/geen-pagina",
        "/blogs/geen/",
        "/tags/geen",
        f"{POST_URL}/preview",
        f"{POST_URL}/comments",
        "/?lang=en",
        "/healthz",
    }
    assert len(urls) >= 12
    needles = [a.lower() for a in ADDRESSES] + [a.split("@")[0].lower() for a in ADDRESSES]
    for url in sorted(urls):
        response = client.get(url, headers={"Accept-Language": "nl"})
        body = response.get_data(as_text=True).lower()
        headers = str(response.headers).lower()
        for needle in needles:
            assert needle not in body and needle not in headers, (url, needle)


def test_crawl_really_sees_the_reactions(client, demo):
    """The crawl above would pass trivially if reactions were not on the pages at all."""
    data = previewed(client, {"name": "Lezer Zichtbaar", "email": ADDRESSES[0], "body": "Zien"})
    place(client, data)
    page = client.get(POST_URL).get_data(as_text=True)
    assert "Lezer Zichtbaar" in page and re.search(r"<p>Zien</p>", page)
