"""Pages that cost almost nothing to serve again: ETags and 304s that every change invalidates,
a fixed number of queries per page, reactions in pages, and the blog's feed."""

from __future__ import annotations

import os
import re
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text, update

from moderation.caching import CHANNEL, ChangeListener, StateReader, _remembered_validators
from moderation.extensions import db
from moderation.models import Comment, Post, Status, utcnow
from moderation.privacy import erase_address
from moderation.queue import services as actions
from moderation.render import RENDERER_VERSION, render_comment
from tests.test_reactions import hidden

POST = "/blogs/samen-digitaal/een-keer-bouwen"
EMBED_PAGE = "/embed/samen-digitaal/een-keer-bouwen"
PAGES = [POST, EMBED_PAGE, "/blogs/samen-digitaal/feed.atom"]


def add_reaction(post, name="Karin Smit", status=Status.PUBLISHED, parent=None, minutes=0, **kw):
    body = kw.pop("body", f"Reactie van {name}.")
    comment = Comment(
        post=post,
        parent=parent,
        name=name,
        email=kw.pop("email", "karin.smit@example.net"),
        body_source=body,
        body_html=render_comment(body),
        renderer_version=RENDERER_VERSION,
        status=status,
        reasons=[],
        created_at=utcnow() - timedelta(minutes=minutes),
        **kw,
    )
    db.session.add(comment)
    return comment


@pytest.fixture
def post(demo):
    return db.session.scalar(select(Post).where(Post.slug == "een-keer-bouwen"))


@pytest.fixture
def reader(app):
    """Another visitor, without the cookies of the test's own client."""
    return app.test_client()


def etag(client, path=POST):
    response = client.get(path)
    assert response.status_code == 200
    return response.headers["ETag"]


@pytest.mark.parametrize("path", PAGES)
def test_an_unchanged_page_answers_304_to_its_etag_and_its_date(reader, demo, path):
    first = reader.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"] and "Accept-Language" in first.headers["Vary"]
    again = reader.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    by_date = reader.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
    stale = reader.get(path, headers={"If-None-Match": '"iets-anders"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_language_query_and_cookies_each_have_their_own_etag(reader, app, demo):
    tags = {
        etag(reader),
        etag(reader, POST + "?lang=en"),
        etag(reader, POST + "?reply=1"),
    }
    other = app.test_client()
    other.set_cookie("lang", "en")
    tags.add(etag(other))
    assert len(tags) == 4
    english = reader.get(POST, headers={"Accept-Language": "en", "If-None-Match": etag(reader)})
    assert english.status_code == 200


def test_large_made_up_headers_get_validators_without_being_remembered(reader, demo):
    languages = "nl;q=0.9, " + ", ".join(f"x-{n:04d};q=0.1" for n in range(120))
    remembered = _remembered_validators.cache_info().currsize
    first = reader.get(POST, headers={"Accept-Language": languages})
    assert first.status_code == 200
    again = reader.get(
        POST, headers={"Accept-Language": languages, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert _remembered_validators.cache_info().currsize == remembered
    assert etag(reader) != first.headers["ETag"]  # an ordinary reader's page, remembered
    assert _remembered_validators.cache_info().currsize == remembered + 1


def test_every_status_change_gives_the_page_a_new_etag(reader, demo, post):
    waiting = add_reaction(post, name="Bram Visser", status=Status.PENDING)
    db.session.commit()
    seen = [etag(reader)]

    def changed() -> str:
        db.session.commit()
        response = reader.get(POST, headers={"If-None-Match": seen[-1]})
        assert response.status_code == 200, "the old ETag still matched"
        seen.append(response.headers["ETag"])
        return response.get_data(as_text=True)

    actions.publish_comment(waiting, None)
    assert "Bram Visser" in changed()
    actions.remove_comment(waiting, None, "Geen achternaam")
    assert "Bram Visser" not in changed()
    actions.restore_as_anonymous(waiting, None, "Een inwoner")
    assert "Een inwoner" in changed()
    actions.mark_spam(waiting, None)
    assert "Een inwoner" not in changed()
    add_reaction(post, name="Nina Bos")
    assert "Nina Bos" in changed()
    assert len(set(seen)) == len(seen)


def test_placing_through_the_form_changes_the_etag(reader, demo):
    before = etag(reader)
    data = {"name": "Tom Peters", "email": "tom@example.net", "body": "Goed stuk.", "parent": ""}
    token = hidden(reader.post(POST + "/preview", data=data).get_data(as_text=True), "token")
    assert reader.post(POST + "/comments", data={**data, "token": token}).status_code == 303
    assert reader.get(POST, headers={"If-None-Match": before}).status_code == 200


def test_editing_the_post_its_blog_or_its_author_changes_the_etag(reader, demo, post):
    for change in (
        lambda: setattr(post, "title", "Een nieuwe titel"),
        lambda: setattr(post.blog, "title", "Samen digitaal (nieuw)"),
        lambda: setattr(post.author, "role", "Kwartiermaker"),
        lambda: setattr(post.blog, "comments_open", False),
    ):
        before = etag(reader)
        change()
        db.session.commit()
        assert reader.get(POST, headers={"If-None-Match": before}).status_code == 200


def test_erasing_an_address_changes_the_etag(reader, demo, post):
    add_reaction(post, name="Wim Kok", email="wim.kok@example.net")
    db.session.commit()
    before = etag(reader)
    erase_address("wim.kok@example.net")
    db.session.commit()
    response = reader.get(POST, headers={"If-None-Match": before})
    assert response.status_code == 200 and "Wim Kok" not in response.get_data(as_text=True)


def test_closing_by_date_changes_the_etag_without_any_write(app, demo, post):
    post.blog.close_after_days = 30
    db.session.commit()
    reader = StateReader(db.engine)  # what the middleware reads a page's state with
    now = post.published_at + timedelta(days=29)
    before = reader.post_state("samen-digitaal", "een-keer-bouwen", now)
    after = reader.post_state("samen-digitaal", "een-keer-bouwen", now + timedelta(days=2))
    reader.close()
    assert before.accepts_reactions and not after.accepts_reactions


# --- What each process keeps, and how it learns of changes made elsewhere ---

ON_POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="PostgreSQL only: there each process keeps posts' states and LISTENs for changes",
)


def change_behind_the_app(notify=False):
    """A write as another process makes it: none of this process's hooks see it."""
    with db.engine.connect() as connection:
        connection.execute(
            update(Post).where(Post.slug == "een-keer-bouwen").values(changed_at=utcnow())
        )
        if notify:
            connection.execute(text(f"NOTIFY {CHANNEL}"))
        connection.commit()


def answers(reader, before, timeout=0.0):
    """The status of a conditional request, asked again until it is no longer 304 or the
    time is up."""
    deadline = time.monotonic() + timeout
    while True:
        status = reader.get(POST, headers={"If-None-Match": before}).status_code
        if status != 304 or time.monotonic() >= deadline:
            return status
        time.sleep(0.01)


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite only: PostgreSQL keeps states (tests below)")
def test_on_sqlite_every_request_reads_the_state(reader, demo, post):
    before = etag(reader)
    change_behind_the_app()
    assert answers(reader, before) == 200


@postgresql_only
def test_a_kept_state_holds_until_another_process_notifies_a_change(app, reader, demo, post):
    app.config["PAGE_STATE_MAX_AGE"] = 3600
    before = etag(reader)
    change_behind_the_app()
    assert answers(reader, before) == 304  # kept: the database was not asked
    change_behind_the_app(notify=True)
    assert answers(reader, before, timeout=2) == 200


@postgresql_only
def test_a_kept_state_is_trusted_for_its_maximum_age_at_most(app, reader, demo, post):
    app.config["PAGE_STATE_MAX_AGE"] = 0.5
    before = etag(reader)
    change_behind_the_app()  # and no notification: as if they had stopped arriving
    assert answers(reader, before) == 304
    time.sleep(0.6)
    assert answers(reader, before) == 200


@postgresql_only
def test_a_lost_listener_forgets_every_kept_state(app, reader, demo, post):
    app.config["PAGE_STATE_MAX_AGE"] = 3600
    before = etag(reader)
    assert answers(reader, before) == 304
    listening = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = :listen"
    )
    with db.engine.connect() as connection:
        pids = connection.scalars(listening, {"listen": f"LISTEN {CHANNEL}"}).all()
        assert len(pids) == 1
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})
        deadline = time.monotonic() + 5
        while connection.scalars(listening, {"listen": f"LISTEN {CHANNEL}"}).all():
            assert time.monotonic() < deadline, "the listener's backend did not end"
            connection.commit()  # the activity view is a snapshot per transaction
            time.sleep(0.05)
    change_behind_the_app(notify=True)  # nobody hears this one
    assert answers(reader, before) == 200
    # Listening again, on a new connection, and keeping again.
    again = etag(reader)
    time.sleep(ChangeListener.RETRY_SECONDS)
    assert answers(reader, again) == 304
    change_behind_the_app(notify=True)
    assert answers(reader, again, timeout=2) == 200


def test_a_post_that_is_not_public_yet_gets_no_etag(reader, demo, post):
    post.published_at = utcnow() + timedelta(days=3)
    db.session.commit()
    response = reader.get(POST)
    assert response.status_code == 404 and "ETag" not in response.headers
    assert reader.get(POST, headers={"If-None-Match": "*"}).status_code == 404


# --- No N+1: the number of queries does not grow with the reactions ---


def count_queries(client, path):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return len(statements)


def fill(post, threads, replies_each=2):
    for n in range(threads):
        top = add_reaction(
            post, name=f"Lid {n} Jansen", minutes=10_000 - n, website="https://example.org"
        )
        for r in range(replies_each):
            add_reaction(post, name=f"Antwoord {r} de Wit", parent=top, minutes=5_000 - n)
        if n % 5 == 0:
            add_reaction(post, name=f"Anoniem {n}", is_anonymous=True, display_name="Een inwoner")
    db.session.commit()


@pytest.mark.parametrize("path", PAGES[:2])
def test_the_number_of_queries_does_not_grow_with_the_reactions(reader, demo, post, path):
    few = count_queries(reader, path)
    fill(post, 45)
    many = count_queries(reader, path)
    assert "Lid 44 Jansen" in reader.get(path).get_data(as_text=True)
    assert many == few, (few, many)


# --- Long threads come in pages ---


def test_long_threads_are_paginated_with_replies_kept_with_their_reaction(reader, demo, post):
    db.session.execute(Comment.__table__.delete())
    fill(post, 120, replies_each=1)  # 120 + 24 anonymous top-level reactions, 120 replies
    first = reader.get(POST).get_data(as_text=True)
    assert "264 reacties" in first
    assert first.count('class="reaction"') == 50 + 50  # 50 top-level, each with its reply
    assert "Pagina 1 van 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = reader.get(POST + "?page=3").get_data(as_text=True)
    assert "Pagina 3 van 3" in last and 'rel="prev"' in last
    assert re.findall(r"Lid (\d+) Jansen", last)[-1] == "119"
    beyond = reader.get(POST + "?page=99").get_data(as_text=True)
    assert "Pagina 3 van 3" in beyond


def test_placing_on_a_long_thread_shows_the_outcome_on_the_page_with_the_reaction(
    app, reader, demo, post
):
    fill(post, 60, replies_each=0)
    data = {"name": "Els Bakker", "email": "els@example.net", "body": "Tot slot.", "parent": ""}
    token = hidden(reader.post(POST + "/preview", data=data).get_data(as_text=True), "token")
    placed = reader.post(POST + "/comments", data={**data, "token": token})
    assert "page=2" in placed.headers["Location"]
    page = reader.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Dank u wel, uw reactie is geplaatst." in page and "Els Bakker" in page


# --- The feed ---


def test_the_feed_lists_public_posts_escaped_and_without_addresses(reader, demo, post):
    post.title = "Titel met <script>alert(1)</script> & meer"
    add_reaction(post, email="geheim.adres@example.net")
    db.session.commit()
    response = reader.get("/blogs/samen-digitaal/feed.atom")
    assert response.mimetype == "application/atom+xml"
    assert "geheim.adres" not in response.get_data(as_text=True)
    root = ET.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [t.text for t in root.findall("a:entry/a:title", ns)]
    assert "Titel met <script>alert(1)</script> & meer" in titles
    assert len(titles) == 2
    assert reader.get("/blogs/bestaat-niet/feed.atom").status_code == 404


# --- A popular page is built once per change, not once per reader ---


def test_an_unchanged_page_is_served_from_memory_with_a_fresh_form_moment(reader, demo, post):
    first = reader.get(POST)
    # Only the page's state is read, on the middleware's own connection: nothing through the
    # app's engine, no rendering.
    assert count_queries(reader, POST) == 0
    time.sleep(1.1)  # the moment is signed to the second
    second = reader.get(POST)
    assert second.headers["ETag"] == first.headers["ETag"]
    started = [hidden(r.get_data(as_text=True), "started") for r in (first, second)]
    assert started[0] != started[1] and all(started)
    assert second.get_data(as_text=True).replace(started[1], "") == first.get_data(
        as_text=True
    ).replace(started[0], "")
    add_reaction(post, name="Nieuwe Lezer")
    db.session.commit()
    assert "Nieuwe Lezer" in reader.get(POST).get_data(as_text=True)


def test_pages_with_a_nonce_or_a_cookie_are_built_for_each_request(reader, demo):
    themed = EMBED_PAGE + "?accent=%23aa3300"
    reader.get(themed)
    assert count_queries(reader, themed) > 1
    switched = reader.get(POST + "?lang=en")
    assert "Set-Cookie" in switched.headers  # the language switch: never shared
    assert count_queries(reader, POST + "?lang=nl") > 1


def test_an_editors_page_is_never_kept_for_others(app, demo, post):
    from moderation.auth import services as auth
    from moderation.models import Role
    from tests.test_auth import sign_in

    auth.create_editor(
        "Eva Redacteur", "eva@example.org", "lang-genoeg-wachtwoord", Role.EDITOR, [demo]
    )
    db.session.commit()
    editor = app.test_client()
    assert sign_in(editor, "eva@example.org", "lang-genoeg-wachtwoord").status_code == 303
    assert "/moderation/" in editor.get(POST).get_data(as_text=True)  # the editors' menu
    stranger = app.test_client().get(POST).get_data(as_text=True)
    assert 'href="/moderation/"' not in stranger
