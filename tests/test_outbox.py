"""The outbox: mail written with the change, sent after the commit, kept while the server is
down, and delivered once when it is back. Against a real SMTP server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text

from moderation.extensions import csrf, db
from moderation.models import Outbox, utcnow
from moderation.outbox import UnsafeHeader, pause_after, queue_mail, send_due
from moderation.reactions.verdict import BLOCKED_WORD, REASON_TEXT
from tests.smtp import smtp_server

__all__ = ["smtp_server"]  # the fixture, imported for pytest

EDITORS = ["redactie@example.org", "eindredactie@example.org"]
PLACED = datetime(2018, 2, 7, 10, 30, tzinfo=UTC)


def needs_editor(**changes: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "blog_title": "Samen digitaal",
        "post_title": "Bikkelen op de begroting",
        "commenter": "Jan Jansen",
        "text": "Mooi stuk.\n\nMaar hoe zit het met de kosten?",
        "reasons": [REASON_TEXT[BLOCKED_WORD]],
        "links": [("Publish", "https://example.org/moderation/confirm?a=1&b=2")],
        "placed_at": PLACED,
    }
    context.update(changes)
    return context


def decided(**changes: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "blog_title": "Samen digitaal",
        "post_title": "Bikkelen op de begroting",
        "post_url": "https://example.org/blogs/samen-digitaal/bikkelen",
        "name": "Jan",
        "text": "Mooi stuk.",
        "outcome": "removed",
        "reason": "The name has no surname.",
    }
    context.update(changes)
    return context


def rows() -> list[Outbox]:
    db.session.expire_all()  # sending happens on a session of its own
    return list(db.session.scalars(select(Outbox).order_by(Outbox.id)))


def make_due(row: Outbox) -> None:
    """Move time on: the pause before the next attempt is over."""
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def bodies(message: Any) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def test_committed_mail_arrives_in_dutch_with_text_and_html(app, smtp_server):
    queue_mail(EDITORS, "reaction_needs_editor", **needs_editor())
    assert smtp_server.envelopes == []  # queued is not sent: the commit decides
    db.session.commit()

    [envelope] = smtp_server.envelopes
    assert sorted(envelope.rcpt_tos) == sorted(EDITORS)
    assert envelope.mail_from == app.config["MAIL_DEFAULT_SENDER"]
    [message] = smtp_server.messages
    assert "Bikkelen op de begroting" in message["Subject"]
    assert "Samen digitaal" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    plain, html = bodies(message)
    with force_locale("nl"):
        dutch_reason = str(REASON_TEXT[BLOCKED_WORD])
    assert dutch_reason != "It contains a blocked word."
    for part in (plain, html):
        assert "7 februari 2018" in part
        assert dutch_reason in part
        assert "Jan Jansen" in part
        assert "Mooi stuk. Maar hoe zit het met de kosten?" in part
    assert "Publish: https://example.org/moderation/confirm?a=1&b=2" in plain
    assert '<a href="https://example.org/moderation/confirm?a=1&amp;b=2">Publish</a>' in html
    assert '<html lang="nl">' in html
    [row] = rows()
    assert row.sent_at is not None
    assert row.attempts == 0
    assert message["Message-ID"].startswith(f"<outbox.{row.id}.")


def test_mail_in_english_when_asked(app, smtp_server):
    queue_mail(["jan@example.org"], "reaction_decided", "en", **decided())
    db.session.commit()

    [message] = smtp_server.messages
    assert message["To"] == "jan@example.org"
    assert message["Subject"] == "Your reaction on “Bikkelen op de begroting” has been removed"
    plain, html = bodies(message)
    assert '<html lang="en">' in html
    for part in (plain, html):
        assert "Dear Jan," in part
        assert "The name has no surname." in part
        assert "your first name or initials, and your surname" in part
    assert "https://example.org/blogs/samen-digitaal/bikkelen" in plain
    assert '<a href="https://example.org/blogs/samen-digitaal/bikkelen">' in html


def test_published_reaction_mail_says_so(app, smtp_server):
    queue_mail(["jan@example.org"], "reaction_decided", "en", **decided(outcome="published"))
    db.session.commit()

    [message] = smtp_server.messages
    assert message["Subject"].endswith("has been published")
    plain, _ = bodies(message)
    assert "published it" in plain
    assert "removed" not in plain


def test_readers_text_is_escaped_in_html_and_kept_in_text(app, smtp_server):
    queue_mail(
        EDITORS,
        "reaction_needs_editor",
        **needs_editor(commenter="Jan <b>Jansen</b>", text='<script>alert("x")</script> hoi'),
    )
    db.session.commit()

    plain, html = bodies(smtp_server.messages[0])
    assert "<script" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "Jan &lt;b&gt;Jansen&lt;/b&gt;" in html
    assert '<script>alert("x")</script> hoi' in plain


def test_rolled_back_mail_is_never_sent(app, smtp_server):
    queue_mail(EDITORS, "reaction_needs_editor", **needs_editor())
    db.session.rollback()
    # A later commit in the same session has nothing of it left to send.
    db.session.execute(text("SELECT 1"))
    db.session.commit()

    assert smtp_server.envelopes == []
    assert rows() == []


def test_a_released_savepoint_does_not_send_before_the_commit(app, smtp_server):
    with db.session.begin_nested():
        queue_mail(EDITORS, "reaction_needs_editor", **needs_editor())
    assert smtp_server.envelopes == []
    db.session.commit()
    assert len(smtp_server.envelopes) == 1


def test_server_down_keeps_the_mail_and_the_request_succeeds(app, client, runner, smtp_server):
    @app.post("/test-only/notify")
    def notify() -> tuple[str, int]:
        queue_mail(EDITORS, "reaction_needs_editor", **needs_editor())
        db.session.commit()
        return "saved", 201

    csrf.exempt(notify)
    smtp_server.stop()
    before = utcnow()

    response = client.post("/test-only/notify")

    assert response.status_code == 201
    [row] = rows()
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.next_attempt_at >= before + timedelta(minutes=1)

    smtp_server.start()
    early = runner.invoke(args=["outbox", "send"])
    assert early.exit_code == 0
    assert "Sent 0, failed 0." in early.output  # the pause is respected
    assert smtp_server.envelopes == []

    make_due(row)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0." in result.output
    again = runner.invoke(args=["outbox", "send"])
    assert "Sent 0, failed 0." in again.output

    [envelope] = smtp_server.envelopes
    assert sorted(envelope.rcpt_tos) == sorted(EDITORS)
    [row] = rows()
    assert row.sent_at is not None


def test_send_command_reports_failures_and_still_exits_zero(app, runner, smtp_server):
    queue_mail(EDITORS, "reaction_needs_editor", **needs_editor())
    smtp_server.stop()
    db.session.commit()
    make_due(rows()[0])

    result = runner.invoke(args=["outbox", "send"])

    assert result.exit_code == 0
    assert "Sent 0, failed 1." in result.output
    assert "flask outbox list" in result.output
    assert rows()[0].attempts == 2


def test_an_unreachable_server_costs_one_attempt_per_run_not_one_per_mail(app, runner, smtp_server):
    smtp_server.stop()
    for name in ("jan", "piet", "kees"):
        queue_mail([f"{name}@example.org"], "reaction_decided", **decided(name=name))
    db.session.commit()

    assert [(r.attempts, r.sent_at) for r in rows()] == [(1, None), (0, None), (0, None)]

    smtp_server.start()
    make_due(rows()[0])
    result = runner.invoke(args=["outbox", "send"])
    assert "Sent 3, failed 0." in result.output
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [
        "jan@example.org",
        "kees@example.org",
        "piet@example.org",
    ]


def test_a_refused_mail_waits_and_the_next_one_still_goes(app, smtp_server):
    smtp_server.handler.refused.add("weg@example.org")
    queue_mail(["weg@example.org"], "reaction_decided", **decided())
    queue_mail(["jan@example.org"], "reaction_decided", **decided())
    db.session.commit()

    refused, delivered = rows()
    assert refused.sent_at is None
    assert refused.attempts == 1
    assert "550" in refused.last_error
    assert delivered.sent_at is not None
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["jan@example.org"]]


def test_the_pause_doubles_up_to_an_hour(app, smtp_server):
    smtp_server.stop()
    queue_mail(EDITORS, "reaction_needs_editor", **needs_editor())
    before = utcnow()
    db.session.commit()  # the first attempt, right after the commit

    pauses = [round((rows()[0].next_attempt_at - before).total_seconds() / 60)]
    for _ in range(8):
        row = rows()[0]
        make_due(row)
        before = utcnow()
        assert send_due() == (0, 1)
        pause = rows()[0].next_attempt_at - before
        pauses.append(round(pause.total_seconds() / 60))

    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert rows()[0].attempts == 9
    # Mail keeps its hourly retry however long the server stays away.
    assert pause_after(10_000) == timedelta(hours=1)


@pytest.mark.parametrize(
    "recipient",
    [
        "jan@example.org\r\nBcc: everyone@example.org",
        "jan@example.org\nBcc: everyone@example.org",
        "Jan <jan@example.org>",
        "jan@example.org, piet@example.org",
        "jan example.org",
        "",
    ],
)
def test_a_recipient_that_is_not_a_plain_address_is_refused(app, recipient):
    with pytest.raises(UnsafeHeader):
        queue_mail(["redactie@example.org", recipient], "reaction_decided", **decided())
    db.session.commit()
    assert rows() == []


@pytest.mark.parametrize("title", ["Hallo\r\nBcc: everyone@example.org", "Hallo\nBcc: x", "a\x0bb"])
def test_a_subject_with_a_line_break_is_refused(app, title):
    with pytest.raises(UnsafeHeader):
        queue_mail(["jan@example.org"], "reaction_decided", **decided(post_title=title))
    db.session.commit()
    assert rows() == []


def test_a_mail_needs_a_recipient(app):
    with pytest.raises(UnsafeHeader):
        queue_mail([], "reaction_decided", **decided())


def test_a_long_subject_is_shortened_to_fit(app, smtp_server):
    queue_mail(["jan@example.org"], "reaction_decided", **decided(post_title="lang " * 100))
    db.session.commit()
    [row] = rows()
    assert len(row.subject) == 300
    assert row.subject.endswith("…")
    assert row.sent_at is not None


def test_outbox_list_shows_waiting_mail_without_bodies(app, runner, smtp_server):
    empty = runner.invoke(args=["outbox", "list"])
    assert "Nothing waiting" in empty.output

    smtp_server.stop()
    queue_mail(EDITORS, "reaction_needs_editor", **needs_editor(text="Geheim woord hier"))
    db.session.commit()
    result = runner.invoke(args=["outbox", "list"])

    assert result.exit_code == 0
    [row] = rows()
    line = next(li for li in result.output.splitlines() if li.strip().startswith(str(row.id)))
    assert line.split()[:3] == [str(row.id), "2", "1"]
    assert row.subject in line
    assert "last error:" in result.output
    assert "Geheim" not in result.output


def test_a_mail_another_worker_holds_is_skipped(app, smtp_server):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    smtp_server.stop()
    queue_mail(EDITORS, "reaction_needs_editor", **needs_editor())
    db.session.commit()
    make_due(rows()[0])
    smtp_server.start()

    with db.engine.connect() as other_worker, other_worker.begin():
        other_worker.execute(select(Outbox.id).with_for_update())
        assert send_due() == (0, 0)
    assert send_due() == (1, 0)
    assert len(smtp_server.envelopes) == 1
