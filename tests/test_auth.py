"""Editors signing in and out: what they see, what is refused, and the ``editors`` commands."""

import re
import time
from datetime import timedelta
from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from moderation.auth import services
from moderation.auth.services import admin_required, editor_required
from moderation.extensions import db
from moderation.models import Blog, Editor, Role

pytestmark = pytest.mark.usefixtures("fresh_counters")

LOGIN = "/moderation/login"
PASSWORD = "correct horse battery"
EMAIL = "eva.jansen@example.org"
WRONG_TEXT = "do not match an editor account"
THROTTLED_TEXT = "Too many failed attempts to sign in"


def hidden(page, name):
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    return unescape(match.group(1)) if match else ""


def error_summary(response):
    return response.get_data(as_text=True).split('class="error-summary"')[1].split("</div>")[0]


def english(client):
    """English UI for this client, so the checks read the same before and after the Dutch
    catalogue has these strings."""
    client.get(f"{LOGIN}?lang=en")
    return client


def token(client, url=LOGIN):
    return hidden(client.get(url).get_data(as_text=True), "csrf_token")


def sign_in(client, email=EMAIL, password=PASSWORD, query="", csrf=None):
    csrf = token(client) if csrf is None else csrf
    data = {"email": email, "password": password, "csrf_token": csrf}
    return client.post(LOGIN + query, data=data)


def signed_in_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return english(client)


@pytest.fixture
def blogs(app):
    first = Blog(slug="samen-digitaal", title="Samen digitaal")
    second = Blog(slug="wonen", title="Wonen en ruimte")
    db.session.add_all([first, second])
    db.session.commit()
    return first, second


@pytest.fixture
def editor(app, blogs):
    made = services.create_editor("Eva Jansen", EMAIL, PASSWORD, Role.EDITOR, [blogs[0]])
    db.session.commit()
    return made


@pytest.fixture
def admin(app):
    made = services.create_editor("Ab Beheer", "beheer@example.org", PASSWORD, Role.ADMIN)
    db.session.commit()
    return made


@pytest.fixture
def probes(app):
    """Two pages behind the guards, as the moderation pages will use them. Ask for it before
    any fixture that sends a request: Flask takes no new routes after the first one."""
    app.add_url_rule(
        "/moderation/probe/editor", "probe_editor", editor_required(lambda: "editor page")
    )
    app.add_url_rule("/moderation/probe/admin", "probe_admin", admin_required(lambda: "admins"))
    return app


@pytest.fixture
def en(client):
    return english(client)


# --- The page ---


def test_login_page_is_dutch_by_default_and_labelled(client):
    response = client.get(LOGIN)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="nl">' in page and '<main id="main"' in page
    assert '<label for="email">' in page and '<label for="password">' in page
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page
    assert 'type="password"' in page and hidden(page, "csrf_token")
    assert response.headers["Cache-Control"] == "no-store"


# --- Signing in ---


def test_sign_in_redirects_to_the_queue_with_an_eight_hour_session(en, editor):
    response = sign_in(en)
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/"
    assert signed_in_id(en) == str(editor.id)
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie
    assert en.application.permanent_session_lifetime == timedelta(hours=8)
    page = en.get(LOGIN).get_data(as_text=True)
    assert "You are signed in as Eva Jansen" in page and "Sign out" in page


def test_address_is_not_case_sensitive(en, editor):
    assert sign_in(en, email="  Eva.Jansen@Example.ORG ").status_code == 303


def test_a_local_next_is_followed(en, editor):
    response = sign_in(en, query="?next=" + quote("/moderation/?tab=spam"))
    assert response.headers["Location"] == "/moderation/?tab=spam"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example/moderation/",
    ],
)
def test_a_foreign_next_is_ignored(en, editor, target):
    login_page = en.get(f"{LOGIN}?next={quote(target)}").get_data(as_text=True)
    assert f'action="{LOGIN}"' in login_page
    response = sign_in(en, query=f"?next={quote(target)}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/"


def test_wrong_password_and_unknown_address_get_the_same_answer(en, editor):
    wrong = sign_in(en, password="not the password at all")
    unknown = sign_in(en, email="nobody@example.org", password=PASSWORD)
    for response, typed in ((wrong, EMAIL), (unknown, "nobody@example.org")):
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert WRONG_TEXT in page
        assert 'role="alert"' in page
        assert f'value="{typed}"' in page
        assert PASSWORD not in page and "not the password" not in page
    assert error_summary(wrong) == error_summary(unknown)
    assert signed_in_id(en) is None


def test_empty_fields_are_named_in_the_summary(en, editor):
    response = sign_in(en, email="", password="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#email">E-mail address: Enter the e-mail address' in page
    assert '<a href="#password">Password: Enter your password.' in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="email-error"' in page


def test_a_switched_off_account_cannot_sign_in(en, editor):
    editor.active = False
    db.session.commit()
    right = sign_in(en)
    assert right.status_code == 403 and "switched off" in right.get_data(as_text=True)
    assert WRONG_TEXT in sign_in(en, password="wrong password 123").get_data(as_text=True)
    assert signed_in_id(en) is None


def test_sign_in_without_a_valid_csrf_token_is_refused(en, editor):
    for csrf in ("", "forged-token"):
        response = sign_in(en, csrf=csrf)
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "form had expired" in page and f'value="{EMAIL}"' in page
        assert signed_in_id(en) is None


# --- Signing out and sessions ending ---


def test_sign_out_needs_a_post_with_the_csrf_token(probes, en, editor):
    sign_in(en)
    assert en.get("/moderation/logout").status_code == 405
    refused = en.post("/moderation/logout", data={})
    assert refused.status_code == 400
    assert en.get("/moderation/probe/editor").get_data(as_text=True) == "editor page"

    response = en.post("/moderation/logout", data={"csrf_token": token(en)})
    assert response.status_code == 303
    assert response.headers["Location"] == LOGIN
    assert "You have been signed out." in en.get(LOGIN).get_data(as_text=True)
    assert signed_in_id(en) is None
    assert en.get("/moderation/probe/editor").status_code == 302


def test_an_expired_session_sends_the_editor_back_to_sign_in(probes, app, en, editor):
    app.config["PERMANENT_SESSION_LIFETIME"] = 1
    sign_in(en)
    assert en.get("/moderation/probe/editor").status_code == 200
    time.sleep(2.1)
    response = en.get("/moderation/probe/editor")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(
        "/moderation/login?next=%2Fmoderation%2Fprobe%2Feditor"
    )
    assert "Please sign in to moderate reactions." in en.get(LOGIN).get_data(as_text=True)


def test_a_new_password_ends_open_sessions(probes, en, editor):
    sign_in(en)
    assert en.get("/moderation/probe/editor").status_code == 200
    services.change_password(EMAIL, "a brand new passphrase")
    db.session.commit()
    assert en.get("/moderation/probe/editor").status_code == 302


def test_guards_send_strangers_to_sign_in_and_editors_away_from_admin_pages(
    probes, app, en, editor, admin
):
    stranger = app.test_client().get("/moderation/probe/admin")
    assert stranger.status_code == 302 and stranger.headers["Location"].startswith(LOGIN)
    sign_in(en)
    assert en.get("/moderation/probe/admin").status_code == 403
    other = english(app.test_client())
    sign_in(other, email="beheer@example.org")
    assert other.get("/moderation/probe/admin").get_data(as_text=True) == "admins"


# --- Throttling ---


def test_too_many_wrong_passwords_pause_the_account(app, editor):
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_FAILURE_WINDOW=2)
    client = client_at(app, "10.0.0.1")
    csrf = token(client)
    for _ in range(3):
        assert sign_in(client, password="guess guess guess", csrf=csrf).status_code == 422

    refused = sign_in(client, csrf=csrf)  # even the right password
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert THROTTLED_TEXT in page and f'value="{EMAIL}"' in page
    assert signed_in_id(client) is None
    # The account is paused from every address, not only the guessing one.
    elsewhere = client_at(app, "10.0.0.2")
    assert sign_in(elsewhere).status_code == 429

    time.sleep(2.1)
    assert sign_in(client).status_code == 303


def test_too_many_failures_from_one_address_pause_that_address(app, editor):
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_FAILURE_WINDOW=60)
    guesser = client_at(app, "10.0.0.9")
    csrf = token(guesser)
    for number in range(3):
        sign_in(guesser, email=f"someone{number}@example.org", password="x" * 12, csrf=csrf)
    refused = sign_in(guesser, csrf=csrf)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert THROTTLED_TEXT in refused.get_data(as_text=True)
    # The account itself was never guessed at: from another address it works.
    assert sign_in(client_at(app, "10.0.0.10")).status_code == 303


def test_a_right_password_clears_the_account_count(app, editor):
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_MAX_CLIENT_FAILURES=10)
    client = client_at(app, "10.0.0.3")
    for _ in range(2):
        sign_in(client, password="wrong wrong wrong")
    assert sign_in(client).status_code == 303
    client.post("/moderation/logout", data={"csrf_token": token(client)})
    for _ in range(2):
        assert sign_in(client, password="wrong wrong wrong").status_code == 422
    assert sign_in(client).status_code == 303


# --- Who may moderate what ---


def test_can_moderate_editor_versus_admin(editor, admin, blogs):
    own, other = blogs
    assert services.can_moderate(editor, own) is True
    assert services.can_moderate(editor, other) is False
    assert services.can_moderate(admin, own) and services.can_moderate(admin, other)
    assert services.moderated_blog_ids(editor) == [own.id]
    assert services.moderated_blog_ids(admin) is None
    editor.active = False
    assert services.can_moderate(editor, own) is False


def test_passwords_need_twelve_characters(editor):
    with pytest.raises(ValueError, match="at least 12 characters"):
        services.set_password(editor, "short")
    with pytest.raises(services.EditorExists, match="already exists"):
        services.create_editor("Eva Twee", "EVA.JANSEN@example.org", PASSWORD)


# --- The command line ---


def editor_row(email):
    return db.session.scalar(select(Editor).where(Editor.email == email))


def test_cli_create_prompts_twice_and_stores_a_hash(runner, blogs):
    result = runner.invoke(
        args=[
            *("editors", "create", "Piet@Example.org", "--name", "Piet de Vries"),
            *("--blog", "samen-digitaal", "--blog", "wonen"),
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Editor piet@example.org created (editor; moderates samen-digitaal, wonen)" in (
        result.output
    )
    assert PASSWORD not in result.output
    piet = editor_row("piet@example.org")
    assert piet.name == "Piet de Vries" and piet.role == Role.EDITOR
    assert [b.slug for b in piet.blogs] == ["samen-digitaal", "wonen"]
    assert piet.password_hash.startswith("scrypt:")
    assert check_password_hash(piet.password_hash, PASSWORD)


def test_cli_create_admin_from_stdin(runner, en):
    result = runner.invoke(
        args=[
            *("editors", "create", "root@example.org", "--name", "Beheer"),
            *("--admin", "--password-stdin"),
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert editor_row("root@example.org").is_admin
    assert sign_in(en, email="root@example.org").status_code == 303


def test_cli_create_explains_what_is_wrong(runner, editor):
    duplicate = runner.invoke(args=["editors", "create", EMAIL, "--name", "Eva"], input="")
    assert duplicate.exit_code == 1
    assert f"An editor with e-mail address {EMAIL} already exists." in duplicate.output
    unknown_blog = runner.invoke(
        args=["editors", "create", "new@example.org", "--name", "N", "--blog", "nope"]
    )
    assert "No blog with slug 'nope'." in unknown_blog.output
    short = runner.invoke(
        args=["editors", "create", "new@example.org", "--name", "Nina Bos"],
        input="too short\n" * 3,
    )
    assert short.exit_code == 1
    assert "at least 12 characters long (this one has 9)" in short.output
    mismatch = runner.invoke(
        args=["editors", "create", "new@example.org", "--name", "Nina Bos"],
        input=f"{PASSWORD}\nsomething else!!\n" * 3,
    )
    assert "the two passwords are not the same" in mismatch.output
    assert mismatch.exit_code == 1
    short_stdin = runner.invoke(
        args=["editors", "create", "new@example.org", "--name", "Nina", "--password-stdin"],
        input="tiny\n",
    )
    assert short_stdin.exit_code == 1 and "at least 12 characters" in short_stdin.output
    assert editor_row("new@example.org") is None


def test_cli_set_password(runner, en, editor):
    new = "an entirely new passphrase"
    result = runner.invoke(args=["editors", "set-password", EMAIL], input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert f"New password set for {EMAIL}." in result.output
    assert sign_in(en).status_code == 422
    assert sign_in(en, password=new).status_code == 303
    unknown = runner.invoke(args=["editors", "set-password", "ghost@example.org"])
    assert unknown.exit_code == 1
    assert "There is no editor with e-mail address ghost@example.org." in unknown.output


def test_cli_list_shows_editors_without_hashes(runner, editor, admin):
    result = runner.invoke(args=["editors", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["E-MAIL", "NAME", "ROLE", "ACTIVE", "BLOGS"]
    assert re.match(r"beheer@example\.org\s+Ab Beheer\s+admin\s+yes\s+\(all\)$", lines[1])
    assert re.match(rf"{re.escape(EMAIL)}\s+Eva Jansen\s+editor\s+yes\s+samen-digitaal$", lines[2])
    assert "scrypt" not in result.output and editor.password_hash not in result.output
    assert db.session.scalar(select(func.count()).select_from(Editor)) == 2


def test_cli_list_when_empty(runner):
    assert "No editors yet" in runner.invoke(args=["editors", "list"]).output


def test_control_characters_in_the_sign_in_form_are_harmless(client, editor):
    response = sign_in(client, email="eva\x00@example.org", password="x\x00")
    assert response.status_code == 422  # the form again with its message, no server error
