"""Dutch search: stemming, ranking, highlighting, paging, and queries that make no sense."""

import re

import pytest

from moderation.blog.services import save_post
from moderation.extensions import db


def test_plural_finds_the_post_that_only_has_the_singular(client, demo):
    post = demo.posts[0]
    assert "gemeente" in post.body_text and "gemeenten" not in post.body_text.lower()
    page = client.get("/search?q=gemeenten").get_data(as_text=True)
    assert "Eén keer bouwen, overal gebruiken" in page
    assert "<mark>gemeente</mark>" in page
    assert "Formulieren die meedenken" not in page


def test_all_words_must_match_and_title_words_rank_first(client, demo):
    save_post(demo, "Over formulieren", "Alleen de titel gaat erover.", author=None)
    save_post(demo, "Iets anders", "Hier staat formulieren één keer in de tekst.", author=None)
    db.session.commit()
    page = client.get("/search?q=formulier").get_data(as_text=True)
    titles = re.findall(r'<h2 lang="nl"><a href="[^"]+">(.*?)</a></h2>', page)
    assert len(titles) == 3
    # A word in the title weighs more than the same word once in the text.
    assert titles[-1] == "Iets anders"
    both = client.get("/search?q=formulier+titel").get_data(as_text=True)
    assert "1 resultaat" in both and "Over <mark>formulieren</mark>" in both


def test_results_are_paginated(app, client, demo):
    app.config["SEARCH_RESULTS_PER_PAGE"] = 2
    for n in range(5):
        save_post(demo, f"Bericht {n}", "Over de begroting.", author=None)
    db.session.commit()
    first = client.get("/search?q=begroting").get_data(as_text=True)
    assert "5 resultaten" in first and "Pagina 1 van 3" in first
    assert 'href="/search?q=begroting&amp;page=2"' in first
    last = client.get("/search?q=begroting&page=3").get_data(as_text=True)
    assert last.count('<h2 lang="nl"><a') == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "Typ een of meer woorden"),
        ("   ", "Typ een of meer woorden"),
        ("!!! ??? ***", "geen woorden"),
        ('" OR 1=1 --', "Niets gevonden"),
        ('NEAR(gemeente "x") * ^ : -', "Niets gevonden"),
        ("zzzxxyy", "Niets gevonden voor"),
        ("gemeente " * 500, "alleen de eerste"),
        ("a" * 5000, "geen woorden"),
        ("\x00\x01 gemeente", "resultaat"),
        ("😀 gemeente", "resultaat"),
    ],
)
def test_empty_or_absurd_queries_get_a_helpful_page(client, demo, query, expected):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)


def test_absurd_page_numbers_are_harmless(client, demo):
    for page in ("-3", "0", "x", "99999999999999999999"):
        response = client.get("/search", query_string={"q": "gemeente", "page": page})
        assert response.status_code == 200


def test_search_escapes_what_the_reader_typed(client, demo):
    page = client.get("/search", query_string={"q": "<script>alert(1)</script>"}).get_data(
        as_text=True
    )
    assert "<script>alert" not in page
