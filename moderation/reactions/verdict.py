"""The rules that decide a placed reaction's status, each decision with its reasons.

One step in placing: ``judge`` looks at the reaction and its blog and returns a verdict. The
order is the spec's: no surname -> removed; spam signals -> spam; reasons to hold -> pending;
otherwise published. Reasons are stable codes; ``REASON_TEXT`` says them to people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ..extensions import db
from ..models import Blog, Comment, ModerationMode, Status, utcnow
from ..rules import has_surname

NO_SURNAME = "no-surname"
HONEYPOT = "honeypot"
TOO_FAST = "too-fast"
BLOCKED_WORD = "blocked-word"
DUPLICATE = "duplicate"
TOO_MANY_LINKS = "too-many-links"
SUSPECT_WORD = "suspect-word"
PRE_MODERATION = "pre-moderation"

REASON_TEXT = {
    NO_SURNAME: _l("The name has no surname."),
    HONEYPOT: _l("A field meant only for robots was filled in."),
    TOO_FAST: _l("It was sent sooner after the form appeared than a person can type."),
    BLOCKED_WORD: _l("It contains a blocked word."),
    DUPLICATE: _l("The same text was placed within the hour."),
    TOO_MANY_LINKS: _l("It has more links than this blog allows without a check."),
    SUSPECT_WORD: _l("It contains a word the editors check first."),
    PRE_MODERATION: _l("On this blog an editor reads every reaction first."),
}

DUPLICATE_WINDOW = timedelta(hours=1)
_LINK = re.compile(r"<a\s", re.IGNORECASE)


@dataclass
class Verdict:
    status: Status
    reasons: list[str] = field(default_factory=list)


@dataclass
class Reaction:
    name: str
    body_source: str
    body_html: str
    website: str = ""
    honeypot: str = ""
    too_fast: bool = False


def _contains_word(text: str, words: list[str]) -> bool:
    lowered = text.lower()
    return any(
        re.search(rf"(?<!\w){re.escape(w.lower())}(?!\w)", lowered) for w in words if w.strip()
    )


def _is_duplicate(post_id: int, body_source: str) -> bool:
    since = utcnow() - DUPLICATE_WINDOW
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Comment.post_id == post_id,
                    Comment.body_source == body_source,
                    Comment.created_at >= since,
                )
            )
        )
    )


def judge(blog: Blog, post_id: int, reaction: Reaction, *, check_duplicate: bool = True) -> Verdict:
    if not has_surname(reaction.name):
        return Verdict(Status.REMOVED, [NO_SURNAME])

    spam = []
    if reaction.honeypot:
        spam.append(HONEYPOT)
    if reaction.too_fast:
        spam.append(TOO_FAST)
    if _contains_word(reaction.body_source, blog.blocked_words or []):
        spam.append(BLOCKED_WORD)
    if check_duplicate and _is_duplicate(post_id, reaction.body_source):
        spam.append(DUPLICATE)
    if spam:
        return Verdict(Status.SPAM, spam)

    hold = []
    if len(_LINK.findall(reaction.body_html)) > blog.max_links:
        hold.append(TOO_MANY_LINKS)
    if _contains_word(reaction.body_source, blog.suspect_words or []):
        hold.append(SUSPECT_WORD)
    if blog.moderation_mode == ModerationMode.PRE:
        hold.append(PRE_MODERATION)
    if hold:
        return Verdict(Status.PENDING, hold)
    return Verdict(Status.PUBLISHED)
