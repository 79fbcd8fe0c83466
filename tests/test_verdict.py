"""Rules at placement: every decision with its reasons, through the reader's own flow."""

import pytest
from sqlalchemy import select

from moderation.extensions import db
from moderation.models import Comment, ModerationMode, Status
from tests.test_reactions import place, previewed

READER = {"name": "Noor van Dam", "email": "noor@example.net", "website": ""}


def placed(client, body, **extra):
    data = previewed(client, {**READER, "body": body})
    assert place(client, {**data, **extra}).status_code == 303
    return db.session.scalar(select(Comment).order_by(Comment.id.desc()))


@pytest.fixture
def words(demo):
    demo.blocked_words = ["casino"]
    demo.suspect_words = ["oplichter"]
    db.session.commit()
    return demo


def test_plain_reaction_is_published_with_no_reasons(client, words):
    comment = placed(client, "Een gewone reactie.")
    assert (comment.status, comment.reasons) == (Status.PUBLISHED, [])


def test_honeypot_is_spam(client, words):
    comment = placed(client, "Ik ben een robot.", homepage="https://spam.example")
    assert (comment.status, comment.reasons) == (Status.SPAM, ["honeypot"])


def test_blocked_word_is_spam_whole_words_only(client, words):
    assert placed(client, "Speel in het Casino!").reasons == ["blocked-word"]
    assert placed(client, "De casinostraat is dicht.").status == Status.PUBLISHED


def test_same_text_again_within_the_hour_is_spam(client, words):
    assert placed(client, "Twee keer hetzelfde.").status == Status.PUBLISHED
    # Another reader pasting the same text (the same reader twice is one placing).
    data = previewed(client, {**READER, "name": "Ander Persoon", "body": "Twee keer hetzelfde."})
    place(client, data)
    again = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert (again.status, again.reasons) == (Status.SPAM, ["duplicate"])


def test_suspect_word_waits_for_an_editor(client, words):
    comment = placed(client, "Wat een oplichter.")
    assert (comment.status, comment.reasons) == (Status.PENDING, ["suspect-word"])


def test_pre_moderated_blog_holds_everything(client, words):
    words.moderation_mode = ModerationMode.PRE
    db.session.commit()
    comment = placed(client, "Gewoon maar wacht.")
    assert (comment.status, comment.reasons) == (Status.PENDING, ["pre-moderation"])


def test_no_surname_wins_over_everything(client, words):
    data = previewed(client, {**READER, "name": "Noor", "body": "casino oplichter"})
    place(client, data)
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert (comment.status, comment.reasons) == (Status.REMOVED, ["no-surname"])


def test_links_over_the_blog_limit_wait(client, words):
    words.max_links = 0
    db.session.commit()
    comment = placed(client, "Zie https://www.rijksoverheid.nl/onderwerpen")
    assert (comment.status, comment.reasons) == (Status.PENDING, ["too-many-links"])
