"""Previewing and placing reactions. Nothing is stored before the reader places."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from ..extensions import db
from ..models import Comment, Post, Status, id_from, utcnow
from ..render import RENDERER_VERSION, render_comment
from .verdict import Reaction, Verdict, judge

PREVIEW_MAX_AGE = timedelta(hours=12)
OUTCOME_MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class Draft:
    """What the reader typed, exactly as previewed."""

    post_id: int
    name: str
    email: str
    website: str
    body: str
    parent_id: int | None

    def digest(self) -> str:
        fields = (self.post_id, self.name, self.email, self.website, self.body, self.parent_id)
        return hashlib.sha256("\x1f".join(map(str, fields)).encode()).hexdigest()


class NotPreviewed(Exception):
    """The reaction cannot be placed as sent; ``reason`` says why, for the reader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def started_serializer(secret_key: str) -> URLSafeTimedSerializer:
    """Signs the moment a form was shown (also used where pages are served from memory)."""
    return URLSafeTimedSerializer(secret_key, salt="reaction-form-started")


def form_started_token() -> str:
    """A signed moment: when the reader was shown the form. Carried through the preview."""
    return str(started_serializer(current_app.config["SECRET_KEY"]).dumps(1))


def form_started_token_or_new(token: str | None) -> str:
    """Keep the reader's own moment through preview after preview; a missing or forged one is
    replaced, so placing later measures from this preview."""
    try:
        started_serializer(current_app.config["SECRET_KEY"]).loads(token or "")
    except BadSignature:
        return form_started_token()
    return str(token)


def filled_too_fast(token: str | None, minimum: float) -> bool:
    """Placed sooner than ``minimum`` seconds after the form was shown, or without a valid
    moment at all: a signal of a robot, never a reason to lose the reaction."""
    if minimum <= 0:
        return False
    try:
        _, signed_at = started_serializer(current_app.config["SECRET_KEY"]).loads(
            token or "", return_timestamp=True
        )
    except BadSignature:
        return True
    return (utcnow() - signed_at).total_seconds() < minimum


def preview_token(draft: Draft) -> str:
    """Signed proof that exactly this draft was previewed."""
    return str(_serializer("reaction-preview").dumps(draft.digest()))


def check_preview_token(draft: Draft, token: str) -> str:
    if not token:
        raise NotPreviewed("missing")
    try:
        digest = _serializer("reaction-preview").loads(
            token, max_age=int(PREVIEW_MAX_AGE.total_seconds())
        )
    except SignatureExpired as exc:
        raise NotPreviewed("expired") from exc
    except BadSignature as exc:
        raise NotPreviewed("missing") from exc
    if not hmac.compare_digest(str(digest), draft.digest()):
        raise NotPreviewed("changed")
    return hashlib.sha256(token.encode()).hexdigest()


def outcome_token(comment: Comment) -> str:
    return str(_serializer("reaction-outcome").dumps(comment.id))


def comment_from_outcome_token(post: Post, token: str) -> Comment | None:
    try:
        comment_id = _serializer("reaction-outcome").loads(
            token, max_age=int(OUTCOME_MAX_AGE.total_seconds())
        )
    except BadSignature:
        return None
    comment = db.session.get(Comment, comment_id)
    return comment if comment is not None and comment.post_id == post.id else None


def client_hash(address: str | None) -> str | None:
    """A keyed hash of the client address: comparable, not reversible without the key."""
    if not address:
        return None
    key = hashlib.sha256(b"client-address\x00" + current_app.config["SECRET_KEY"].encode())
    return hmac.new(key.digest(), address.encode(), hashlib.sha256).hexdigest()


def render_draft(draft: Draft) -> str:
    return render_comment(draft.body)


def foresee(post: Post, draft: Draft, body_html: str) -> Verdict:
    """What placing would decide, for the preview's warnings."""
    reaction = Reaction(draft.name, draft.body, body_html, draft.website)
    return judge(post.blog, post.id, reaction, check_duplicate=False)


def find_placed(submission_key: str) -> Comment | None:
    return db.session.scalar(select(Comment).where(Comment.submission_key == submission_key))


def place_comment(
    post: Post,
    draft: Draft,
    *,
    submission_key: str,
    client_address: str | None,
    language: str,
    honeypot: str = "",
    too_fast: bool = False,
) -> Comment:
    """Store the previewed reaction with the status the rules decide."""
    body_html = render_draft(draft)
    verdict = judge(
        post.blog,
        post.id,
        Reaction(draft.name, draft.body, body_html, draft.website, honeypot, too_fast),
    )
    comment = Comment(
        post=post,
        parent_id=draft.parent_id,
        name=draft.name,
        email=draft.email,
        website=draft.website,
        body_source=draft.body,
        body_html=body_html,
        renderer_version=RENDERER_VERSION,
        status=verdict.status,
        reasons=verdict.reasons,
        language=language,
        client_hash=client_hash(client_address),
        submission_key=submission_key,
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def rerender_comments(everything: bool = False, batch: int = 500) -> tuple[int, int]:
    """Render stored reactions again with the current renderer, in committed batches.

    Reads never render; this is the one place stored HTML is replaced. A reaction the current
    renderer refuses keeps its earlier HTML and version, and is counted."""
    changed = refused = 0
    last_id = 0
    while True:
        query = select(Comment).where(Comment.id > last_id).order_by(Comment.id).limit(batch)
        if not everything:
            query = query.where(Comment.renderer_version < RENDERER_VERSION)
        comments = db.session.scalars(query).all()
        if not comments:
            return changed, refused
        for comment in comments:
            try:
                comment.body_html = render_comment(comment.body_source)
            except ValueError:
                refused += 1
                continue
            comment.renderer_version = RENDERER_VERSION
            changed += 1
        last_id = comments[-1].id
        db.session.commit()


def reply_parent(post: Post, parent: str | None) -> Comment | None:
    """The published reaction on this post being replied to; replies go one level deep."""
    comment_id = id_from(parent)
    if comment_id is None:
        return None
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.post_id != post.id or comment.status != Status.PUBLISHED:
        return None
    if comment.parent_id is not None:
        return comment.parent
    return comment
