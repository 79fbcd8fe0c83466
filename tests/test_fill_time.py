"""A minimum fill time: a reaction placed sooner after its form appeared than a person can
type, or without the form's signed moment, waits in the Spam tab instead of the page."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from moderation.extensions import db
from moderation.models import Comment, Status
from tests.test_reactions import hidden

POST = "/blogs/samen-digitaal/een-keer-bouwen"
DATA = {"name": "Lars de Graaf", "email": "lars@example.net", "body": "Mijn reactie.", "parent": ""}


@pytest.fixture
def minimum(app, demo):
    app.config["REACTION_MIN_FILL_SECONDS"] = 2
    return app


def preview_from_the_form(client, started):
    page = client.post(POST + "/preview", data={**DATA, "started": started})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return hidden(html, "token"), hidden(html, "started")


def placed(client, token, started):
    response = client.post(POST + "/comments", data={**DATA, "token": token, "started": started})
    assert response.status_code == 303  # placed either way: nothing is lost
    return db.session.scalar(select(Comment).where(Comment.name == "Lars de Graaf"))


def test_the_form_carries_a_signed_moment_through_the_preview(client, minimum):
    started = hidden(client.get(POST).get_data(as_text=True), "started")
    assert started.count(".") == 2  # payload, time, signature
    _, kept = preview_from_the_form(client, started)
    assert kept == started


def test_placing_faster_than_a_person_types_goes_to_spam(client, minimum):
    started = hidden(client.get(POST).get_data(as_text=True), "started")
    token, started = preview_from_the_form(client, started)
    comment = placed(client, token, started)
    assert comment.status == Status.SPAM and comment.reasons == ["too-fast"]
    assert "Lars de Graaf" not in client.get(POST).get_data(as_text=True)


def test_a_reader_who_took_their_time_is_published(client, minimum):
    started = hidden(client.get(POST).get_data(as_text=True), "started")
    token, started = preview_from_the_form(client, started)
    time.sleep(2.1)
    comment = placed(client, token, started)
    assert comment.status == Status.PUBLISHED and comment.reasons == []


@pytest.mark.parametrize("started", ["", "1.abc.def", "niet-ondertekend"])
def test_a_missing_or_forged_moment_counts_as_too_fast(client, minimum, started):
    token, _ = preview_from_the_form(client, "")
    comment = placed(client, token, started)
    assert comment.status == Status.SPAM and "too-fast" in comment.reasons
