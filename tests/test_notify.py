"""Mail about reactions, through a real SMTP server on loopback."""

import re

import pytest
from sqlalchemy import select

from moderation.auth import services as auth
from moderation.extensions import db
from moderation.models import Comment, ModerationEvent, Role, Status
from tests.smtp import smtp_server
from tests.test_reactions import place, previewed

pytestmark = pytest.mark.usefixtures("fresh_counters")

__all__ = ["smtp_server"]

LINK = re.compile(r"(https?://\S+/moderation/mail/[\w.\-]+)")


@pytest.fixture
def editors(app, demo):
    demo.notify_addresses = ["redactie@example.org"]
    eva = auth.create_editor("Eva Redacteur", "eva@example.org", "x" * 16, Role.EDITOR, [demo])
    eva.language = "en"
    db.session.commit()
    return eva


def text_part(message):
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_content()
    raise AssertionError("no text part")


def place_pending(client):
    body = "Drie links: https://a.nl/1 https://b.nl/2 https://c.nl/3"
    data = previewed(client, {"name": "Bram de Wit", "email": "bram@example.net", "body": body})
    assert place(client, data).status_code == 303
    return db.session.scalar(select(Comment).where(Comment.name == "Bram de Wit"))


def test_a_waiting_reaction_mails_each_editor_in_their_language(client, editors, smtp_server):
    comment = place_pending(client)
    assert comment.status == Status.PENDING
    by_recipient = {m["To"]: m for m in smtp_server.messages}
    assert set(by_recipient) == {"redactie@example.org", "eva@example.org"}
    dutch = by_recipient["redactie@example.org"]
    english = by_recipient["eva@example.org"]
    assert "wacht op een redacteur" in dutch["Subject"]
    assert "A reaction needs an editor" in english["Subject"]
    assert "bram@example.net" not in str(dutch)
    assert len(LINK.findall(text_part(english))) == 3


def test_a_mail_link_confirms_on_get_and_acts_once_on_post(client, editors, smtp_server):
    comment = place_pending(client)
    english = next(m for m in smtp_server.messages if m["To"] == "eva@example.org")
    publish = LINK.findall(text_part(english))[0]
    path = publish.split("localhost", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "Bram de Wit" in page.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.status == Status.PENDING  # a GET changes nothing
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    smtp_server.envelopes.clear()
    done = client.post(path, data={"csrf_token": token})
    assert done.status_code == 200
    db.session.refresh(comment)
    assert comment.status == Status.PUBLISHED
    event = db.session.scalar(select(ModerationEvent))
    assert event.editor_id == editors.id and event.to_status == "published"
    # The commenter hears of it, in the language they wrote in.
    [told] = smtp_server.messages
    assert told["To"] == "bram@example.net" and "geplaatst" in told["Subject"]
    # The link is spent: the next GET and POST are refused and change nothing.
    assert client.get(path).status_code == 410
    assert client.post(path, data={"csrf_token": token}).status_code == 410
    assert len(db.session.scalars(select(ModerationEvent)).all()) == 1


def test_a_tampered_link_is_refused(client, editors, smtp_server):
    place_pending(client)
    link = LINK.findall(text_part(smtp_server.messages[0]))[0]
    path = link.split("localhost", 1)[1]
    assert client.get(path[:-3] + "abc").status_code == 410


def test_mail_server_down_loses_nothing(client, editors, smtp_server):
    smtp_server.stop()
    comment = place_pending(client)
    assert comment.status == Status.PENDING  # the reader's placing still worked
    from moderation.models import Outbox

    rows = db.session.scalars(select(Outbox)).all()
    assert len(rows) == 2 and all(r.sent_at is None for r in rows)


def test_a_bad_notification_address_never_costs_the_reaction(client, editors, smtp_server):
    editors.blogs[0].notify_addresses = ["Redactie <redactie@example.org>"]
    db.session.commit()
    comment = place_pending(client)
    assert comment.status == Status.PENDING
    assert [m["To"] for m in smtp_server.messages] == ["eva@example.org"]
