"""A real SMTP server on loopback for tests: aiosmtpd in a thread, keeping what arrives.

Use it by importing the fixture into a test module: ``from tests.smtp import smtp_server``.
The fixture points the app's Flask-Mail at the server and checks that no thread outlives it.
"""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from flask import Flask

from moderation.extensions import mail

HOST = "127.0.0.1"


class RecordingHandler:
    """Keeps every envelope; refuses the recipients listed in ``refused`` as a server would."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refused: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """A server that can be stopped and started again on the same port, as a real one can."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname=HOST, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def envelopes(self) -> list[Envelope]:
        return self.handler.envelopes

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            cast(EmailMessage, email.message_from_bytes(e.content, policy=policy.default))
            for e in self.handler.envelopes
            if isinstance(e.content, bytes)
        ]


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SmtpServer]:
    threads_before = set(threading.enumerate())
    server = SmtpServer()
    server.start()
    app.config.update(MAIL_SERVER=HOST, MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False)
    mail.init_app(app)  # Flask-Mail reads its settings once, in init_app
    try:
        yield server
    finally:
        server.stop()
    left = set(threading.enumerate()) - threads_before
    assert not left, f"threads left running: {left}"
