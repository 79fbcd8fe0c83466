"""Outgoing mail: recorded in the outbox with the change, sent after the commit."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
