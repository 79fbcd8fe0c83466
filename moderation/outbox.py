"""Outgoing mail: recorded in the outbox with the change, sent after the commit.

A mail about a reaction must exist exactly when the reaction does. So ``queue_mail`` writes the
mail as a row in the caller's transaction (a rollback takes the mail with it) and the sending
waits for the commit (no one hears of a change that never happened). A mail server that is down
costs time, never mail: the row stays, is retried with growing pauses, and ``flask outbox send``
(run every minute by cron or a timer) delivers it once the server is back.
"""

from __future__ import annotations

import re
import smtplib
from contextlib import closing
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import click
from flask import Flask, current_app, render_template
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_mail import Connection, Message
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from .extensions import db
from .models import Outbox, utcnow

QUEUED = "outbox.queued"  # key in session.info: mails added in the open transaction
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=1)
SUBJECT_LENGTH = 300  # the width of Outbox.subject
# Everything that ends or folds a header line somewhere between Python's email package and the
# receiving server: CR and LF, the other control characters, NEL and Unicode line separators.
_LINE_BREAK = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_PLAIN_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\\\"]+@[^\s@<>()\[\],;:\\\"]+")


class UnsafeHeader(ValueError):
    """A recipient or subject that could smuggle a header into a mail."""


def queue_mail(
    recipients: list[str], template: str, language: str | None = None, **context: Any
) -> Outbox:
    """Render ``mail/<template>.subject.txt``, ``.txt`` and ``.html`` in ``language`` (the
    default one when None or unknown) and add the mail to the session; the caller commits it
    with the change it reports, and it goes out after that commit.

    Headers carry nothing unchecked: recipients must be plain addresses, and the subject (from
    the template) is refused when a value put a line break in it: ``UnsafeHeader``.
    """
    addresses = list(dict.fromkeys(_checked_address(a) for a in recipients))
    if not addresses:
        raise UnsafeHeader("A mail needs at least one recipient.")
    config = current_app.config
    if language not in config["LANGUAGES"]:
        language = config["BABEL_DEFAULT_LOCALE"]
    context["language"] = language
    with force_locale(language):
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()
        if _LINE_BREAK.search(subject):
            raise UnsafeHeader(f"The subject of mail {template!r} would hold a line break.")
        context["subject"] = subject
        body_text = _tidy(render_template(f"mail/{template}.txt", **context))
        body_html = render_template(f"mail/{template}.html", **context)
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    row = Outbox(recipients=addresses, subject=subject, body_text=body_text, body_html=body_html)
    db.session.add(row)
    info = db.session().info
    info[QUEUED] = info.get(QUEUED, 0) + 1
    return row


def send_due(limit: int = 50) -> tuple[int, int]:
    """Send up to ``limit`` due mails, oldest first, and return (sent, failed).

    Each mail is claimed, sent and marked in a transaction of its own on a session of its own:
    the caller's session is never touched (this also runs inside ``after_commit``), and a crash
    loses at most the mark of the one mail in flight, which is then sent again: at least once,
    never lost. ``FOR UPDATE SKIP LOCKED`` lets several workers share the outbox on PostgreSQL;
    SQLite's compiler leaves the clause out, and there two workers could send a mail twice.
    """
    due = (
        select(Outbox)
        .where(Outbox.sent_at.is_(None), Outbox.next_attempt_at <= utcnow())
        .order_by(Outbox.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    sent = failed = 0
    with Session(db.engine) as session, closing(_Smtp()) as smtp:
        for _ in range(limit):
            with session.begin():
                row = session.scalars(due).first()
                if row is None:
                    break
                try:
                    smtp.send(_message(row))
                except Exception as error:  # whatever it is, this mail waits, the rest goes on
                    _postpone(row, error)
                    failed += 1
                    if smtp.unreachable:  # the rest would wait on the same server: leave it due
                        break
                else:
                    row.sent_at = utcnow()
                    sent += 1
    return sent, failed


def pause_after(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: 1 minute, 2, 4 ... at most an hour. Doubling
    gets past a short outage quickly; the cap keeps mail from idling long after a long one."""
    return min(FIRST_PAUSE * 2 ** min(max(attempts - 1, 0), 10), LONGEST_PAUSE)


def _checked_address(address: str) -> str:
    if _LINE_BREAK.search(address) or not _PLAIN_ADDRESS.fullmatch(address):
        raise UnsafeHeader(f"Not a plain e-mail address: {address!r}")
    return address


def _tidy(text: str) -> str:
    """Mail templates keep their tags on lines of their own; drop the blank runs they leave."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", lines) + "\n"


def _message(row: Outbox) -> Message:
    message = Message(
        subject=row.subject,
        recipients=list(row.recipients),
        body=row.body_text,
        html=row.body_html or None,
        # No auto-replies (out-of-office) to a machine, from any mail program (RFC 3834).
        extra_headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    # One Message-ID per row: a mail sent twice (sent, then the mark lost) is still one mail.
    domain = parseaddr(str(message.sender))[1].rpartition("@")[2] or "localhost"
    message.msgId = f"<outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{domain}>"
    return message


def _postpone(row: Outbox, error: Exception) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.next_attempt_at = utcnow() + pause_after(row.attempts)
    current_app.logger.warning("Mail %s not sent (try %s): %s", row.id, row.attempts, error)


class _TimedConnection(Connection):
    """Flask-Mail's connection with a timeout (MAIL_TIMEOUT): without one, a server that
    accepts and then stalls would hold the request that committed, or a worker, for minutes."""

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        kind = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = kind(state.server, state.port, timeout=float(current_app.config["MAIL_TIMEOUT"]))
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


class _Smtp:
    """One SMTP connection for a run of ``send_due``: opened for the first mail, opened again
    after a failure (the server may have dropped us), closed at the end. ``unreachable`` says
    the server could not be reached at all, so a run pays one timeout, not one per mail."""

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.unreachable = False

    def send(self, message: Message) -> None:
        if self.connection is None:
            try:
                self.connection = _TimedConnection(current_app.extensions["mail"]).__enter__()
            except Exception:
                self.unreachable = True
                raise
        try:
            self.connection.send(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None or connection.host is None:
            return
        try:
            connection.host.quit()
        except (smtplib.SMTPException, OSError):
            connection.host.close()


def _send_after_commit(session: Session) -> None:
    """Send what this transaction queued, now that it is committed. A failure here is logged,
    never raised: the change is saved, the mail is in the outbox, and the request that made
    the change must not fail over a mail server."""
    if session.in_nested_transaction():  # a savepoint released: the real commit is to come
        return
    queued = session.info.pop(QUEUED, 0)
    limit = int(current_app.config["OUTBOX_SEND_AFTER_COMMIT"])
    if not queued or limit <= 0:
        return
    try:
        send_due(limit=limit)
    except Exception:
        current_app.logger.exception("Sending the outbox after a commit failed")


def _forget_queued(session: Session, transaction: SessionTransaction) -> None:
    """A rolled back (or closed) transaction took its mails with it: nothing to send."""
    if transaction.parent is None:
        session.info.pop(QUEUED, None)


outbox_cli = AppGroup("outbox", help="Outgoing mail.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="Send at most this many.")
def send_command(limit: int) -> None:
    """Send the mail that is due: new mail, and retries whose pause is over."""
    sent, failed = send_due(limit)
    click.echo(f"Sent {sent}, failed {failed}.")
    if failed:
        click.echo(f"{failed} wait in the outbox for a retry: see 'flask outbox list'.", err=True)


@outbox_cli.command("list")
def list_command() -> None:
    """Show the mail not sent yet (never the bodies: they quote what readers wrote)."""
    rows = db.session.scalars(
        select(Outbox).where(Outbox.sent_at.is_(None)).order_by(Outbox.next_attempt_at, Outbox.id)
    ).all()
    if not rows:
        click.echo("Nothing waiting: all mail has been sent.")
        return
    click.echo(f"{'id':>6}  {'to':>3}  {'attempts':>8}  {'next attempt (UTC)':<19}  subject")
    for row in rows:
        when = f"{row.next_attempt_at:%Y-%m-%d %H:%M:%S}"
        click.echo(
            f"{row.id:>6}  {len(row.recipients):>3}  {row.attempts:>8}  {when:<19}  {row.subject}"
        )
        if row.last_error:
            click.echo(f"{'':>6}  last error: {row.last_error[:200]}")


def init_app(app: Flask) -> None:
    app.config.setdefault("MAIL_TIMEOUT", 10)  # seconds, per SMTP connection
    # Mails sent right after the commit that queued them; the rest, and retries, wait for
    # ``flask outbox send``. 0 leaves all sending to that command (or a worker running it).
    app.config.setdefault("OUTBOX_SEND_AFTER_COMMIT", 10)
    app.cli.add_command(outbox_cli)
    # db.session is one scoped session shared by every app of this process: listen once.
    if not event.contains(db.session, "after_commit", _send_after_commit):
        event.listen(db.session, "after_commit", _send_after_commit)
        event.listen(db.session, "after_transaction_end", _forget_queued)
