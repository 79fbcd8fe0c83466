"""The privacy duties: purge after the retention period, export and erase by address, and the
page that tells readers what is kept. Reactions are placed the way a reader places them."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from moderation.auth import services as auth
from moderation.extensions import db
from moderation.models import Comment, Editor, ModerationEvent, Outbox, Role, Status, utcnow
from tests.smtp import smtp_server
from tests.test_auth import hidden, sign_in
from tests.test_reactions import POST_URL, place, previewed

pytestmark = pytest.mark.usefixtures("fresh_counters")

__all__ = ["smtp_server"]

# Written with capitals; erase and export are asked with another spelling of the same address.
ADDRESS = "Wis.Mij-8841@Voorbeeld.example"
ASKED = "  wis.mij-8841@VOORBEELD.example "
NEEDLES = ["wis.mij-8841@voorbeeld.example", "wis.mij-8841"]
OTHER = "otto.anders@example.net"
PASSWORD = "lang-genoeg-wachtwoord"
LINKS = "Drie links: https://a.nl/1 https://b.nl/2 https://c.nl/3"


def placed(client, name, body, email=ADDRESS, parent=None, **extra):
    data = {"name": name, "email": email, "body": body, **extra}
    if parent is not None:
        data["parent"] = str(parent.id)
    response = place(client, previewed(client, data))
    assert response.status_code == 303, response.get_data(as_text=True)
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert comment.body_source == body
    return comment, response.headers["Location"]


@pytest.fixture
def editor(app, demo):
    demo.notify_addresses = ["meldingen@example.org"]
    made = auth.create_editor("Eva Redacteur", "eva@example.org", PASSWORD, Role.EDITOR, [demo])
    db.session.commit()
    return made


@pytest.fixture
def reader(client, demo, editor, smtp_server):
    """One reader's reactions of every kind, and other readers' around them."""
    someone_else = db.session.scalar(select(Comment).order_by(Comment.id))
    top, top_outcome = placed(
        client, "Wendela Verhoeven", "Een eerste reactie.", website="https://wendela.example"
    )
    reply_by_other, _ = placed(client, "Otto Anders", "Eens met u.", email=OTHER, parent=top)
    own_reply, _ = placed(client, "Wendela Verhoeven", "Een antwoord.", parent=someone_else)
    removed_by_rules, _ = placed(client, "Wendela", "Zonder achternaam.")
    waiting, _ = placed(client, "Wendela Verhoeven", LINKS)
    decided, _ = placed(client, "Wendela Verhoeven", LINKS + " en meer")
    others_waiting, _ = placed(client, "Otto Anders", LINKS + " van Otto", email=OTHER)

    # An editor removes one waiting reaction and tells the reader why, by mail.
    assert sign_in(client, "eva@example.org", PASSWORD).status_code == 303
    queue = client.get("/moderation/").get_data(as_text=True)
    response = client.post(
        f"/moderation/comments/{decided.id}/remove",
        data={"csrf_token": hidden(queue, "csrf_token"), "reason": "Te veel links", "notify": "1"},
    )
    assert response.status_code == 303
    signed_out = client.post("/moderation/logout", data={"csrf_token": hidden(queue, "csrf_token")})
    assert signed_out.status_code in (302, 303)

    db.session.expire_all()
    assert removed_by_rules.status == Status.REMOVED
    assert waiting.status == Status.PENDING and decided.status == Status.REMOVED
    assert reply_by_other.parent_id == top.id and reply_by_other.status == Status.PUBLISHED
    mails = db.session.scalars(select(Outbox)).all()
    # Two editors' mails for each of three waiting reactions, and one to the reader.
    assert len(mails) == 7
    assert any(ADDRESS in m.recipients for m in mails)
    return {
        # Ids, not rows: the rows are gone once erased.
        "theirs": [c.id for c in (top, own_reply, removed_by_rules, waiting, decided)],
        "top_outcome": top_outcome,
        "reply_by_other": reply_by_other,
        "others_waiting": others_waiting,
        "someone_else": someone_else,
    }


def every_row_as_text():
    db.session.expire_all()
    return {
        table.name: str(db.session.execute(select(table)).all()).lower()
        for table in db.metadata.sorted_tables
    }


def test_export_holds_every_row_about_the_address(runner, reader):
    result = runner.invoke(args=["privacy", "export", ASKED])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)

    assert exported["address"] == "wis.mij-8841@voorbeeld.example"
    reactions = {r["id"]: r for r in exported["reactions"]}
    assert set(reactions) == set(reader["theirs"])
    top = reactions[reader["theirs"][0]]
    assert top["email"] == ADDRESS and top["name"] == "Wendela Verhoeven"
    assert top["website"] == "https://wendela.example"
    assert top["body_source"] == "Een eerste reactie." and top["status"] == "published"
    assert top["client_hash"] and top["post"]["slug"] == POST_URL.rsplit("/", 1)[1]
    statuses = sorted(r["status"] for r in reactions.values())
    assert statuses == ["pending", "published", "published", "removed", "removed"]
    assert reactions[reader["theirs"][2]]["reasons"] == ["no-surname"]
    [event] = reactions[reader["theirs"][4]]["moderation_events"]
    assert event["to_status"] == "removed" and "Te veel links" in event["note"]

    # The mail to the reader, and the editors' mails about their two waiting reactions.
    mails = exported["mails"]
    assert len(mails) == 5
    assert [m["recipients"] for m in mails if ADDRESS in m["recipients"]] == [[ADDRESS]]
    assert all("Otto" not in m["body_text"] for m in mails)
    assert exported["editor_account"] is None and exported["notification_lists"] == []
    assert exported["mentioned_elsewhere"] == []
    assert OTHER not in result.output
    assert "password_hash" not in result.output


def test_export_of_an_editor_leaves_out_the_password_hash(runner, editor):
    result = runner.invoke(args=["privacy", "export", "EVA@example.org"])
    exported = json.loads(result.output)
    assert exported["editor_account"]["name"] == "Eva Redacteur"
    assert exported["editor_account"]["blogs"] == ["samen-digitaal"]
    assert "password_hash" not in exported["editor_account"]
    assert "scrypt" not in result.output


def test_erase_asks_first_and_leaves_no_trace(app, client, runner, reader):
    assert any(NEEDLES[0] in text for text in every_row_as_text().values())

    declined = runner.invoke(args=["privacy", "erase", ASKED], input="n\n")
    assert declined.exit_code == 1 and "Held about" in declined.output
    assert db.session.scalar(select(Comment).where(Comment.id == reader["theirs"][0]))

    result = runner.invoke(args=["privacy", "erase", ASKED, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Erased 5 reactions." in result.output
    assert "Erased 1 moderation events." in result.output
    assert "Erased 5 mails." in result.output
    assert "Kept 1 replies by others as reactions of their own." in result.output
    assert "Still mentioned" not in result.output

    for table, text in every_row_as_text().items():
        for needle in NEEDLES:
            assert needle not in text, (table, needle)
    assert db.session.scalar(select(ModerationEvent)) is None

    # Others' reactions and the editors' mail about them stay; the reply stands on its own.
    reply = db.session.get(Comment, reader["reply_by_other"].id)
    assert reply is not None and reply.parent_id is None and reply.status == Status.PUBLISHED
    assert db.session.get(Comment, reader["others_waiting"].id) is not None
    assert db.session.get(Comment, reader["someone_else"].id) is not None
    assert len(db.session.scalars(select(Outbox)).all()) == 2

    # The post page no longer serves them, by any way in.
    page = client.get(POST_URL).get_data(as_text=True)
    assert "Wendela" not in page and "Een eerste reactie." not in page
    assert "Een antwoord." not in page
    for comment_id in reader["theirs"]:
        assert f'id="reaction-{comment_id}"' not in page
    assert f'id="reaction-{reply.id}"' in page and "Eens met u." in page
    assert reader["someone_else"].name in page
    top_id = reader["theirs"][0]
    replying = client.get(f"{POST_URL}?reply={top_id}").get_data(as_text=True)
    assert "U reageert op" not in replying
    outcome = client.get(reader["top_outcome"]).get_data(as_text=True)
    assert "uw reactie is geplaatst" not in outcome and "Een eerste reactie." not in outcome
    assert sign_in(client, "eva@example.org", PASSWORD).status_code == 303
    queue = client.get("/moderation/?tab=removed").get_data(as_text=True)
    assert "Wendela" not in queue
    response = client.post(
        f"/moderation/comments/{top_id}/publish",
        data={"csrf_token": hidden(queue, "csrf_token")},
    )
    assert response.status_code == 404

    again = runner.invoke(args=["privacy", "erase", ADDRESS, "--yes"])
    assert again.exit_code == 0 and "Nothing is held" in again.output


def test_erase_refuses_an_editors_address_unless_asked(runner, reader, editor):
    event = db.session.scalar(select(ModerationEvent))
    assert event.editor_id == editor.id

    refused = runner.invoke(args=["privacy", "erase", "eva@example.org", "--yes"])
    assert refused.exit_code != 0
    assert "editor account of Eva Redacteur" in refused.output
    assert "--include-editor" in refused.output
    assert db.session.scalar(select(Editor)) is not None

    result = runner.invoke(
        args=["privacy", "erase", "Eva@Example.org", "--yes", "--include-editor"]
    )
    assert result.exit_code == 0, result.output
    assert "Erased the editor account." in result.output
    assert "eva@example.org" not in " ".join(every_row_as_text().values())
    db.session.expire_all()
    assert db.session.scalar(select(Editor)) is None
    kept = db.session.get(ModerationEvent, event.id)
    assert kept is not None and kept.editor_id is None  # the audit log keeps the action


def test_erase_refuses_what_is_not_an_address(runner, reader):
    result = runner.invoke(args=["privacy", "erase", "wis.mij", "--yes"])
    assert result.exit_code != 0 and "whole e-mail address" in result.output
    assert len(db.session.scalars(select(Comment)).all()) == 3 + 7


def test_purge_clears_old_client_hashes_and_old_sent_mail(app, client, runner, editor):
    old, _ = placed(client, "Wendela Verhoeven", "Lang geleden.")
    new, _ = placed(client, "Otto Anders", "Net geplaatst.", email=OTHER)
    assert old.client_hash and new.client_hash
    days = app.config["PRIVACY_RETENTION_DAYS"]
    assert days == 30
    old.created_at = utcnow() - timedelta(days=days, hours=1)
    new.created_at = utcnow() - timedelta(days=days - 1)
    sent_long_ago = Outbox(
        recipients=[OTHER], subject="oud", body_text="oud", sent_at=utcnow() - timedelta(days=31)
    )
    sent_lately = Outbox(
        recipients=[OTHER], subject="nieuw", body_text="nieuw", sent_at=utcnow() - timedelta(days=2)
    )
    never_sent = Outbox(
        recipients=[OTHER],
        subject="wacht",
        body_text="wacht",
        created_at=utcnow() - timedelta(days=40),
        next_attempt_at=utcnow() + timedelta(days=1),
    )
    db.session.add_all([sent_long_ago, sent_lately, never_sent])
    db.session.commit()

    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "Cleared the client-address hash of 1 reactions older than 30 days." in result.output
    assert "Deleted 1 mails sent more than 30 days ago." in result.output

    db.session.expire_all()
    assert db.session.get(Comment, old.id).client_hash is None
    assert db.session.get(Comment, new.id).client_hash == new.client_hash
    subjects = sorted(db.session.scalars(select(Outbox.subject)))
    assert subjects == ["nieuw", "wacht"]


@pytest.mark.parametrize(
    ("language", "says"),
    [("nl", '<html lang="nl">'), ("en", "How long: cleared after 30 days.")],
)
def test_privacy_page_in_both_languages(client, demo, language, says):
    response = client.get("/privacy", headers={"Accept-Language": language})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in page and says in page
    assert "30" in page.split("<main", 1)[1]
    home = client.get("/", headers={"Accept-Language": language}).get_data(as_text=True)
    assert 'href="/privacy"' in home.split("<footer", 1)[1]


def test_privacy_page_states_the_configured_retention(app, client, demo):
    app.config["PRIVACY_RETENTION_DAYS"] = 7
    page = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "cleared after 7 days" in page and "and then 7 more days" in page
    assert "30" not in page.split("<main", 1)[1]
