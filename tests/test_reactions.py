"""The reader's flow: form, mandatory preview, placing exactly what was previewed."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from moderation.extensions import db
from moderation.models import Comment, Status

POST_URL = "/blogs/samen-digitaal/een-keer-bouwen"
GOOD = {
    "name": "Marloes van der Linden",
    "email": "marloes.linden@example.net",
    "website": "https://marloes.example.net",
    "body": "Goed _plan_. Zie ook https://example.org/plan voor meer.",
}


def comment_count():
    return db.session.scalar(select(func.count()).select_from(Comment))


def hidden(page, name):
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    return unescape(match.group(1)) if match else ""


def preview(client, data, url=POST_URL, **kwargs):
    return client.post(f"{url}/preview", data=data, **kwargs)


def place(client, data, url=POST_URL, **kwargs):
    return client.post(f"{url}/comments", data=data, **kwargs)


def previewed(client, data=GOOD):
    page = preview(client, data).get_data(as_text=True)
    return {**data, "token": hidden(page, "token"), "parent": hidden(page, "parent")}


def test_post_page_form_explains_the_rules(client, demo):
    page = client.get(POST_URL).get_data(as_text=True)
    for name in ("name", "email", "website", "body"):
        assert f'name="{name}"' in page
    assert "met * zijn verplicht" in page
    assert "e-mailadres wordt nooit getoond" in page
    assert "zonder achternaam halen we weg" in page
    assert "overleg met de redactie" in page
    assert "Textile" in page and "<details" in page
    form = page[page.index('class="reaction-form"') :]
    assert "/preview" in form[:300]
    assert "Reactie plaatsen" not in page


def test_preview_shows_the_rendered_reaction_and_stores_nothing(client, demo):
    response = preview(client, GOOD)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Voorbeeld van uw reactie" in page
    assert "<em>plan</em>" in page
    assert 'href="https://example.org/plan" rel="nofollow ugc noopener"' in page
    assert "Reactie plaatsen" in page and hidden(page, "token")
    assert hidden(page, "email") == GOOD["email"]
    assert comment_count() == 3


def test_preview_then_place_publishes(client, demo):
    data = previewed(client)
    response = place(client, data)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(POST_URL + "?placed=")
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert comment.status == Status.PUBLISHED and comment.name == GOOD["name"]
    assert comment.body_html.strip().startswith("<p>Goed <em>plan</em>")
    assert comment.client_hash and comment.client_hash != "127.0.0.1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "uw reactie is geplaatst" in page
    assert f'id="reaction-{comment.id}"' in page
    assert GOOD["email"] not in page


def test_placing_twice_stores_once(client, demo):
    data = previewed(client)
    first = place(client, data)
    second = place(client, data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert comment_count() == 4


def test_post_straight_to_comments_stores_nothing_and_goes_to_preview(client, demo):
    response = place(client, GOOD)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Voorbeeld van uw reactie" in page
    assert "Bekijk het voorbeeld" in page
    assert hidden(page, "name") == GOOD["name"] and GOOD["body"] in unescape(page)
    assert comment_count() == 3


def test_a_changed_body_needs_a_fresh_preview(client, demo):
    data = previewed(client)
    data["body"] = "Iets heel anders"
    response = place(client, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "veranderd na het voorbeeld" in page and "Iets heel anders" in page
    assert comment_count() == 3
    assert place(client, {**data, "token": hidden(page, "token")}).status_code == 303
    assert comment_count() == 4


@pytest.mark.parametrize("field", ["name", "email", "website", "parent"])
def test_any_changed_field_needs_a_fresh_preview(client, demo, field):
    data = previewed(client)
    data[field] = {
        "name": "Els Smit",
        "email": "els@example.net",
        "website": "https://x.nl",
        "parent": "1",
    }[field]
    assert place(client, data).status_code == 422
    assert comment_count() == 3


def test_a_forged_token_is_not_accepted(client, demo):
    data = previewed(client)
    data["token"] = data["token"][:-2] + "xx"
    assert place(client, data).status_code == 422
    assert comment_count() == 3


def test_missing_fields_get_a_summary_and_messages_and_keep_input(client, demo):
    response = preview(
        client, {"name": "", "email": "geen-adres", "website": "ftp://x", "body": ""}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    for field in ("name", "email", "website", "body"):
        assert f'href="#{field}"' in page
        assert re.search(
            rf'<[^>]+aria-invalid="true"[^>]*id="{field}"|<[^>]+id="{field}"'
            rf'[^>]*aria-invalid="true"',
            page,
        ), field
    assert 'aria-describedby="name-hint name-error"' in page
    assert "Vul uw naam in" in page
    assert 'value="geen-adres"' in page and 'value="ftp://x"' in page
    assert comment_count() == 3


def test_errors_in_english(client, demo):
    page = preview(
        client, {"name": "", "email": "x", "body": ""}, headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Enter your name" in page and "Write your reaction." in page


def test_limits_on_length(client, demo):
    data = {**GOOD, "name": "A" * 50 + " " + "B" * 60, "body": "x" * 5001}
    page = preview(client, data).get_data(as_text=True)
    assert "maximaal 100 tekens" in page and "maximaal 5000 tekens" in page
    assert comment_count() == 3


def test_preview_warns_about_a_missing_surname_and_placing_removes(client, demo):
    data = {**GOOD, "name": "Marloes"}
    page = preview(client, data).get_data(as_text=True)
    assert "geen achternaam" in page and "verwijderd" in page
    response = place(client, previewed(client, data))
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert comment.status == Status.REMOVED and comment.reasons == ["no-surname"]
    outcome = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "niet geplaatst" in outcome and "geen achternaam" in outcome
    assert "Marloes" not in outcome.split('class="reaction-list"')[-1].split("reaction-form")[0]


def test_many_links_wait_for_an_editor(client, demo):
    body = "Zie https://a.nl/x, https://b.nl/y en https://c.nl/z."
    page = preview(client, {**GOOD, "body": body}).get_data(as_text=True)
    assert "wacht op een redacteur" in page
    response = place(client, previewed(client, {**GOOD, "body": body}))
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert comment.status == Status.PENDING and comment.reasons == ["too-many-links"]
    outcome = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nadat een redacteur" in outcome
    assert body.split()[0] not in outcome.split('id="outcome"')[0]


def test_reply_is_one_level_deep(client, demo):
    top = db.session.scalar(select(Comment).order_by(Comment.id))
    page = client.get(f"{POST_URL}?reply={top.id}").get_data(as_text=True)
    assert f"U reageert op {top.name}" in page
    assert hidden(page, "parent") == str(top.id)
    place(client, previewed(client, {**GOOD, "parent": str(top.id)}))
    reply = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert reply.parent_id == top.id
    # Replying to a reply attaches to the same thread.
    place(client, previewed(client, {**GOOD, "body": "Nog een", "parent": str(reply.id)}))
    second = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert second.parent_id == top.id


def test_closed_posts_refuse_and_show_what_was_typed(client, demo):
    post = demo.posts[0]
    post.comments_open = False
    db.session.commit()
    assert "gesloten" in client.get(POST_URL).get_data(as_text=True)
    response = preview(client, GOOD)
    assert response.status_code == 403 and "Goed _plan_" in response.get_data(as_text=True)
    assert comment_count() == 3


def test_blog_closes_reactions_after_n_days(client, demo):
    demo.close_after_days = 3
    demo.posts[0].published_at = datetime.now(UTC) - timedelta(days=4)
    db.session.commit()
    assert preview(client, GOOD).status_code == 403


def test_a_post_from_an_unlisted_origin_is_refused(client, demo):
    data = previewed(client)
    response = place(client, data, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert comment_count() == 3
    ok = place(client, data, headers={"Origin": "http://localhost"})
    assert ok.status_code == 303


def test_render_refusal_is_explained_and_keeps_input(client, demo):
    body = "_(" * 2500  # quadratic in Textile: refused before it costs a second
    response = preview(client, {**GOOD, "body": body})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="body-error"' in page and body in unescape(page)
    assert comment_count() == 3


def test_control_characters_are_dropped_not_stored(client, demo):
    data = previewed(client, {**GOOD, "name": "Marloes\x00 van\x07 Dijk", "body": "a\x00b\r\nc"})
    assert place(client, data).status_code == 303
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert comment.name == "Marloes van Dijk" and comment.body_source == "ab\nc"


def test_an_expired_preview_goes_back_to_a_fresh_preview(client, demo, monkeypatch):
    from moderation.reactions import services

    data = previewed(client)
    monkeypatch.setattr(services, "PREVIEW_MAX_AGE", timedelta(seconds=-1))
    response = place(client, data)
    assert response.status_code == 422 and "te oud" in response.get_data(as_text=True)
    assert comment_count() == 3
