"""A blog's posts and reactions are marked with the language they are written in, so that on
the English pages a screen reader still speaks a Dutch post as Dutch (WCAG 3.1.2)."""

from __future__ import annotations

import re

from moderation.extensions import db

POST = "/blogs/samen-digitaal/een-keer-bouwen"


def marked(page: str, tag: str, css_class: str) -> str | None:
    found = re.search(rf'<{tag} class="{css_class}"[^>]*\blang="(\w+)"', page)
    return found.group(1) if found else None


def test_on_the_english_pages_the_dutch_content_is_marked_dutch(client, demo):
    page = client.get(POST + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert marked(page, "article", "post") == "nl"
    assert marked(page, "ol", "reaction-list") == "nl"
    embed = client.get("/embed/samen-digitaal/een-keer-bouwen?lang=en").get_data(as_text=True)
    assert marked(embed, "article", "post") == "nl"
    home = client.get("/?lang=en").get_data(as_text=True)
    assert '<h3 lang="nl"><a href="/blogs/samen-digitaal/een-keer-bouwen">' in home
    found = client.get("/search?q=gemeente&lang=en").get_data(as_text=True)
    assert '<h2 lang="nl"><a href="/blogs/samen-digitaal/' in found
    feed = client.get("/blogs/samen-digitaal/feed.atom").get_data(as_text=True)
    assert 'xml:lang="nl"' in feed


def test_a_blog_written_in_english_is_marked_english(client, demo):
    demo.language = "en"
    db.session.commit()
    page = client.get(POST).get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert marked(page, "article", "post") == "en"
    assert marked(page, "ol", "reaction-list") == "en"
