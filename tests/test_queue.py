"""The moderation queue as an editor uses it."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from moderation.auth import services as auth
from moderation.extensions import db
from moderation.models import Comment, ModerationEvent, Role, Status, utcnow
from moderation.render import RENDERER_VERSION, render_comment
from tests.test_auth import hidden, sign_in

pytestmark = pytest.mark.usefixtures("fresh_counters")

PASSWORD = "lang-genoeg-wachtwoord"
QUEUE = "/moderation/"


@pytest.fixture
def editor(app, demo, other_blog):
    made = auth.create_editor("Eva Redacteur", "eva@example.org", PASSWORD, Role.EDITOR, [demo])
    db.session.commit()
    return made


@pytest.fixture
def signed_in(client, editor):
    assert sign_in(client, "eva@example.org", PASSWORD).status_code == 303
    return client


def reaction(
    post,
    name="Piet de Vries",
    email="piet@example.net",
    status=Status.PENDING,
    reasons=("too-many-links",),
    body="Een reactie",
    minutes=0,
):
    comment = Comment(
        post=post,
        name=name,
        email=email,
        body_source=body,
        body_html=render_comment(body),
        renderer_version=RENDERER_VERSION,
        status=status,
        reasons=list(reasons),
        created_at=utcnow() - timedelta(minutes=minutes),
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def csrf(client, url=QUEUE):
    return hidden(client.get(url).get_data(as_text=True), "csrf_token")


def act(client, comment, action, **data):
    return client.post(
        f"/moderation/comments/{comment.id}/{action}", data={"csrf_token": csrf(client), **data}
    )


def test_queue_needs_a_signed_in_editor(client, editor):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/moderation/login" in response.headers["Location"]


def test_pending_tab_shows_everything_an_editor_needs(signed_in, demo):
    post = demo.posts[0]
    comment = reaction(post)
    reaction(post, status=Status.REMOVED, reasons=["no-surname"], body="eerder")
    page = signed_in.get(QUEUE).get_data(as_text=True)
    assert "Piet de Vries" in page and "piet@example.net" in page
    assert "Een reactie" in page and post.title in page
    assert re.search(
        r"Pending\s*<span class=\"count\">1</span>|Wachtend\s*<span class=\"count\">1", page
    )
    assert "2 reactions, 1 removed" in page or "2 reacties, 1 verwijderd" in page
    assert f'action="/moderation/comments/{comment.id}/publish"' in page


def test_publish_records_the_event_and_shows_the_reaction(signed_in, demo, editor):
    comment = reaction(demo.posts[0], body="Nu zichtbaar")
    response = act(signed_in, comment, "publish")
    assert response.status_code == 303
    db.session.refresh(comment)
    assert comment.status == Status.PUBLISHED
    event = db.session.scalar(select(ModerationEvent))
    assert (event.editor_id, event.from_status, event.to_status) == (
        editor.id,
        "pending",
        "published",
    )
    assert "Nu zichtbaar" in signed_in.get("/blogs/samen-digitaal/een-keer-bouwen").get_data(
        as_text=True
    )


def test_remove_needs_a_reason(signed_in, demo):
    comment = reaction(demo.posts[0], status=Status.PUBLISHED, reasons=())
    act(signed_in, comment, "remove", reason="")
    db.session.refresh(comment)
    assert comment.status == Status.PUBLISHED
    act(signed_in, comment, "remove", reason="Persoonlijke aanval")
    db.session.refresh(comment)
    assert comment.status == Status.REMOVED
    assert db.session.scalar(select(ModerationEvent.note)) == "Persoonlijke aanval"


def test_anonymous_exception_shows_only_the_chosen_name(signed_in, demo):
    comment = reaction(
        demo.posts[0],
        name="Jan",
        status=Status.REMOVED,
        reasons=["no-surname"],
        body="Liever anoniem",
    )
    act(signed_in, comment, "anonymous", display_name="Een ambtenaar")
    public = signed_in.get("/blogs/samen-digitaal/een-keer-bouwen").get_data(as_text=True)
    assert "Liever anoniem" in public and "Een ambtenaar" in public
    assert ">Jan<" not in public and "Reaction by Jan" not in public
    queue = signed_in.get(QUEUE + "?tab=published").get_data(as_text=True)
    assert "Jan" in queue and "Een ambtenaar" in queue


def test_a_post_without_csrf_token_is_refused(signed_in, demo):
    comment = reaction(demo.posts[0])
    response = signed_in.post(f"/moderation/comments/{comment.id}/publish", data={})
    assert response.status_code == 400
    db.session.refresh(comment)
    assert comment.status == Status.PENDING


def test_an_editor_cannot_touch_another_blog(signed_in, other_blog):
    comment = reaction(other_blog.posts[0], body="Elders")
    assert "Elders" not in signed_in.get(QUEUE).get_data(as_text=True)
    assert act(signed_in, comment, "publish").status_code == 403
    db.session.refresh(comment)
    assert comment.status == Status.PENDING
    assert db.session.scalar(select(func.count()).select_from(ModerationEvent)) == 0


def test_bulk_publish(signed_in, demo):
    comments = [reaction(demo.posts[0], body=f"Bulk {n}") for n in range(3)]
    data = {
        "csrf_token": csrf(signed_in),
        "action": "publish",
        "ids": [str(c.id) for c in comments[:2]],
    }
    assert signed_in.post("/moderation/bulk", data=data).status_code == 303
    statuses = [db.session.get(Comment, c.id).status for c in comments]
    db.session.expire_all()
    statuses = [db.session.get(Comment, c.id).status for c in comments]
    assert statuses == [Status.PUBLISHED, Status.PUBLISHED, Status.PENDING]


def test_keyset_pages_do_not_overlap(signed_in, demo):
    for n in range(30):
        reaction(demo.posts[0], body=f"Nummer {n:02d}", minutes=n)
    first = signed_in.get(QUEUE).get_data(as_text=True)
    seen_first = set(re.findall(r"Nummer \d\d", first))
    assert len(seen_first) == 25 and "Nummer 00" in seen_first
    next_url = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = signed_in.get(next_url).get_data(as_text=True)
    seen_second = set(re.findall(r"Nummer \d\d", second))
    assert len(seen_second) == 5 and not seen_first & seen_second
    assert 'rel="next"' not in second


def test_audit_log_is_for_admins(client, signed_in, demo):
    comment = reaction(demo.posts[0], body="Voor het logboek")
    act(signed_in, comment, "publish")
    assert signed_in.get("/moderation/audit").status_code == 403
    auth.create_editor("Ab Beheer", "ab@example.org", PASSWORD, Role.ADMIN)
    db.session.commit()
    admin = client.application.test_client()
    assert sign_in(admin, "ab@example.org", PASSWORD).status_code == 303
    page = admin.get("/moderation/audit").get_data(as_text=True)
    assert "Eva Redacteur" in page and "pending → published" in page and "Piet de Vries" in page


def test_queue_announces_keyboard_shortcuts(signed_in, demo):
    reaction(demo.posts[0])
    page = signed_in.get(QUEUE).get_data(as_text=True)
    assert 'id="shortcuts-on"' in page and "queue.js" in page
    assert 'data-key="p"' in page and 'data-key="r"' in page and 'data-key="s"' in page


def test_filter_by_post(signed_in, demo):
    first, second = demo.posts
    reaction(first, body="Bij het eerste")
    reaction(second, body="Bij het tweede")
    page = signed_in.get(QUEUE).get_data(as_text=True)
    assert "Bij het eerste" in page and "Bij het tweede" in page
    link = re.search(rf'href="(/moderation/\?tab=pending&amp;post={second.id})"', page).group(1)
    only = signed_in.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Bij het tweede" in only and "Bij het eerste" not in only
    assert "Show every post again" in only or "Toon weer alle berichten" in only
