"""The admin pages, as an admin uses them: blogs and editor accounts."""

from html import unescape

import pytest
from sqlalchemy import func, select

from moderation.admin import services
from moderation.auth import services as auth
from moderation.extensions import db
from moderation.models import Blog, Editor, ModerationMode, Role
from tests.test_auth import english, hidden, sign_in

pytestmark = pytest.mark.usefixtures("fresh_counters")

PASSWORD = "lang-genoeg-wachtwoord"
ADMIN_EMAIL = "beheer@example.org"
EDITOR_EMAIL = "eva@example.org"
BLOGS = "/moderation/admin/blogs"
NEW_BLOG = "/moderation/admin/blogs/new"
EDIT_DEMO = "/moderation/admin/blogs/samen-digitaal"
EDITORS = "/moderation/admin/editors"
NEW_EDITOR = "/moderation/admin/editors/new"


@pytest.fixture
def admin(app, demo):
    made = auth.create_editor("Ab Beheer", ADMIN_EMAIL, PASSWORD, Role.ADMIN)
    db.session.commit()
    return made


@pytest.fixture
def editor(app, demo):
    made = auth.create_editor("Eva Redacteur", EDITOR_EMAIL, PASSWORD, Role.EDITOR, [demo])
    db.session.commit()
    return made


@pytest.fixture
def as_admin(client, admin):
    english(client)
    assert sign_in(client, ADMIN_EMAIL, PASSWORD).status_code == 303
    return client


def text_of(response):
    return unescape(response.get_data(as_text=True))


def token(client, url):
    return hidden(client.get(url).get_data(as_text=True), "csrf_token")


def fresh(model, **where):
    """The row as stored now (requests commit in sessions of their own)."""
    db.session.expire_all()
    return db.session.scalar(select(model).filter_by(**where))


def blog_form(**changes):
    form = {
        "title": "Wonen en ruimte",
        "description": "Over bouwen en wonen.",
        "language": "nl",
        "moderation_mode": "post",
        "notify_addresses": "",
        "blocked_words": "",
        "suspect_words": "",
        "embed_origins": "",
        "comments_open": "y",
        "close_after_days": "",
        "max_links": "2",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def post_form(client, url, data):
    return client.post(url, data={**data, "csrf_token": token(client, url)})


def textarea(page, name):
    start = page.index(f'name="{name}"')
    return unescape(page[page.index(">", start) + 1 : page.index("</textarea>", start)]).strip()


# --- Who may come in ---

ADMIN_PAGES = [BLOGS, NEW_BLOG, EDIT_DEMO, EDITORS, NEW_EDITOR, "/moderation/admin/editors/1"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_strangers_are_sent_to_sign_in(client, admin, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/moderation/login?next=")


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_editors_who_are_not_admins_get_403(client, editor, url):
    english(client)
    assert sign_in(client, EDITOR_EMAIL, PASSWORD).status_code == 303
    response = client.get(url)
    assert response.status_code == 403
    assert "You are not allowed to do this." in text_of(response)


def test_an_editor_cannot_change_a_blog_either(client, editor):
    english(client)
    sign_in(client, EDITOR_EMAIL, PASSWORD)
    csrf = token(client, "/moderation/")
    response = client.post(EDIT_DEMO, data={**blog_form(title="Gekaapt"), "csrf_token": csrf})
    assert response.status_code == 403
    assert fresh(Blog, slug="samen-digitaal").title == "Samen digitaal"


def test_admin_pages_have_the_admin_navigation(as_admin):
    response = as_admin.get(BLOGS)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    nav = page.split('class="admin-nav"')[1].split("</nav>")[0]
    assert f'href="{BLOGS}" aria-current="page">Blogs<' in nav
    assert f'href="{EDITORS}">Editors<' in nav
    assert 'href="/moderation/">Moderation queue<' in nav
    assert as_admin.get("/moderation/admin/").headers["Location"] == BLOGS
    assert as_admin.get(f"{BLOGS}/bestaat-niet").status_code == 404
    assert as_admin.get(f"{EDITORS}/999").status_code == 404


# --- Blogs ---


def test_create_a_blog_and_see_it_listed_and_stored(as_admin):
    form = blog_form(
        slug="wonen",
        moderation_mode="pre",
        notify_addresses=" Redactie@Example.NL \n\nredactie@example.nl\nwonen@example.org",
        blocked_words="casino\n  Casino \n\nviagra",
        suspect_words="bitcoin",
        embed_origins="https://WWW.Gemeente.nl\nhttps://www.gemeente.nl:443\nhttp://localhost:8000",
        close_after_days="30",
        max_links="0",
    )
    response = post_form(as_admin, NEW_BLOG, form)
    assert response.status_code == 303
    assert response.headers["Location"] == BLOGS

    listing = text_of(as_admin.get(BLOGS))
    assert "Blog Wonen en ruimte has been created." in listing
    assert f'href="{BLOGS}/wonen">Wonen en ruimte</a>' in listing
    assert "Open, closing after 30 days" in listing

    blog = fresh(Blog, slug="wonen")
    assert blog.title == "Wonen en ruimte"
    assert blog.description == "Over bouwen en wonen."
    assert blog.moderation_mode == ModerationMode.PRE
    assert blog.notify_addresses == ["redactie@example.nl", "wonen@example.org"]
    assert blog.blocked_words == ["casino", "viagra"]
    assert blog.suspect_words == ["bitcoin"]
    assert blog.embed_origins == ["https://www.gemeente.nl", "http://localhost:8000"]
    assert (blog.comments_open, blog.close_after_days, blog.max_links) == (True, 30, 0)


def test_the_new_blog_form_starts_with_the_defaults(as_admin):
    page = as_admin.get(NEW_BLOG).get_data(as_text=True)
    assert hidden(page, "max_links") == "2"
    assert 'id="moderation_mode-0" name="moderation_mode" type="radio" value="post"' in page
    assert 'checked id="moderation_mode-0"' in page
    assert 'checked id="comments_open"' in page


def test_edit_every_field_and_read_back_the_row(as_admin, demo):
    page = text_of(as_admin.get(EDIT_DEMO))
    assert "Settings of Samen digitaal" in page
    assert textarea(page, "embed_origins") == "http://127.0.0.1:8000\nhttp://localhost:8000"
    assert 'name="slug"' not in page  # fixed once made

    form = blog_form(
        title="Samen digitaal verder",
        description="Nieuwe omschrijving.",
        language="en",
        moderation_mode="pre",
        notify_addresses="redactie@example.org",
        blocked_words="oplichting",
        suspect_words="korting\nactie",
        embed_origins="https://www.example.nl\nhttp://[::1]:8080",
        comments_open=None,  # unticked
        close_after_days="14",
        max_links="50",
    )
    response = post_form(as_admin, EDIT_DEMO, form)
    assert response.status_code == 303 and response.headers["Location"] == BLOGS
    assert "The settings of Samen digitaal verder have been saved." in text_of(as_admin.get(BLOGS))

    blog = fresh(Blog, slug="samen-digitaal")
    assert blog.title == "Samen digitaal verder"
    assert blog.description == "Nieuwe omschrijving."
    assert blog.language == "en"
    assert blog.moderation_mode == ModerationMode.PRE
    assert blog.notify_addresses == ["redactie@example.org"]
    assert blog.blocked_words == ["oplichting"]
    assert blog.suspect_words == ["korting", "actie"]
    assert blog.embed_origins == ["https://www.example.nl", "http://[::1]:8080"]
    assert (blog.comments_open, blog.close_after_days, blog.max_links) == (False, 14, 50)

    page = text_of(as_admin.get(EDIT_DEMO))
    assert textarea(page, "suspect_words") == "korting\nactie"
    assert 'value="14"' in page and 'value="50"' in page
    assert 'checked id="moderation_mode-1"' in page
    assert 'id="comments_open" name="comments_open" type="checkbox"' in page
    assert 'checked id="comments_open"' not in page

    # Back to open, never closing, and nothing to notify.
    form.update(comments_open="y", close_after_days="", notify_addresses="")
    assert post_form(as_admin, EDIT_DEMO, form).status_code == 303
    blog = fresh(Blog, slug="samen-digitaal")
    assert (blog.comments_open, blog.close_after_days, blog.notify_addresses) == (True, None, [])


BAD_ORIGINS = [
    (
        "https://www.example.nl/",
        "leave out the path, the slash at the end",
        "https://www.example.nl",
    ),
    ("https://example.nl/blog?x=1", "is more than an origin", "https://example.nl"),
    ("www.example.nl", '"www.example.nl" is not an origin', None),
    ("ftp://example.nl", '"ftp://example.nl" is not an origin', None),
    ("https://user@example.nl", "is not an origin", None),
    ("https://exa mple.nl", "is not an origin", None),
]


@pytest.mark.parametrize(("typed", "message", "suggested"), BAD_ORIGINS)
def test_a_bad_origin_is_explained_and_everything_typed_kept(
    as_admin, demo, typed, message, suggested
):
    typed_origins = f"https://goed.example.nl\n{typed}"
    form = blog_form(title="Nieuwe titel", embed_origins=typed_origins, blocked_words="Spam\nspam")
    response = post_form(as_admin, EDIT_DEMO, form)
    page = text_of(response)
    assert response.status_code == 422
    assert "The blog has not been saved yet" in page
    assert 'href="#embed_origins">Sites that may embed this blog: ' in page
    assert message in page
    if suggested:
        assert f"as in {suggested}." in page
    assert 'aria-invalid="true"' in page.split('name="embed_origins"')[0].rsplit("<textarea", 1)[1]
    assert textarea(page, "embed_origins") == typed_origins
    assert textarea(page, "blocked_words") == "Spam\nspam"
    assert 'value="Nieuwe titel"' in page
    assert fresh(Blog, slug="samen-digitaal").title == "Samen digitaal"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Eva Jansen <eva@example.org>", "Enter only the address, like eva@example.org."),
        ("eva@example", '"eva@example" is not an e-mail address'),
        ("eva", '"eva" is not an e-mail address'),
    ],
)
def test_a_bad_address_is_explained_and_kept(as_admin, demo, typed, message):
    typed_lines = f"redactie@example.org\n{typed}"
    response = post_form(as_admin, EDIT_DEMO, blog_form(notify_addresses=typed_lines))
    page = text_of(response)
    assert response.status_code == 422
    assert message in page
    assert textarea(page, "notify_addresses") == typed_lines
    assert fresh(Blog, slug="samen-digitaal").notify_addresses == []


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Samen Digitaal", "Use only lowercase letters, digits and hyphens"),
        ("-wonen", "Use only lowercase letters, digits and hyphens"),
        ("", "Give the blog a slug"),
        ("samen-digitaal", "There is already a blog with the slug samen-digitaal."),
    ],
)
def test_a_bad_or_taken_slug_is_refused_and_kept(as_admin, demo, slug, message):
    form = blog_form(slug=slug, title="Een tweede blog", suspect_words="korting")
    response = post_form(as_admin, NEW_BLOG, form)
    page = text_of(response)
    assert response.status_code == 422
    assert 'href="#slug">Slug: ' in page and message in page
    assert hidden(page, "slug") == slug
    assert 'value="Een tweede blog"' in page and textarea(page, "suspect_words") == "korting"
    assert db.session.scalar(select(func.count()).select_from(Blog)) == 1


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("close_after_days", "0", "from 1 to 3650, or leave this empty"),
        ("close_after_days", "3651", "from 1 to 3650, or leave this empty"),
        ("close_after_days", "een week", "from 1 to 3650, or leave this empty"),
        ("max_links", "51", "Enter a number from 0 to 50."),
        ("max_links", "-1", "Enter a number from 0 to 50."),
        ("max_links", "", "Enter a number from 0 to 50."),
        ("title", "", "Give the blog a title."),
        ("moderation_mode", "soms", "Choose how reactions are moderated."),
        ("language", "fr", "Choose one of the languages offered."),
    ],
)
def test_other_bad_values_are_refused_at_their_field(as_admin, demo, field, typed, message):
    response = post_form(as_admin, EDIT_DEMO, blog_form(**{field: typed}))
    page = text_of(response)
    assert response.status_code == 422
    assert message in page
    if typed and field not in ("moderation_mode", "language"):  # radios offer only theirs
        assert hidden(page, field) == typed
    assert fresh(Blog, slug="samen-digitaal").max_links == 2


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(as_admin, demo):
    response = as_admin.post(NEW_BLOG, data=blog_form(slug="wonen"))
    assert response.status_code == 400
    response = as_admin.post(EDIT_DEMO, data=blog_form(title="Zonder token"))
    assert response.status_code == 400
    assert 'name="title"' not in response.get_data(as_text=True)  # not pre-filled
    assert fresh(Blog, slug="samen-digitaal").title == "Samen digitaal"
    assert fresh(Blog, slug="wonen") is None
    form = editor_form(email="piet@example.org", role="admin", password=PASSWORD)
    assert as_admin.post(NEW_EDITOR, data=form).status_code == 400
    assert fresh(Editor, email="piet@example.org") is None


def test_an_expired_form_from_our_own_page_comes_back_as_typed(as_admin, demo):
    data = {**blog_form(title="Lang over nagedacht"), "csrf_token": "verlopen"}
    response = as_admin.post(EDIT_DEMO, data=data, headers={"Origin": "http://localhost"})
    page = text_of(response)
    assert response.status_code == 400
    assert "The form had expired, so nothing was saved." in page
    assert 'value="Lang over nagedacht"' in page and hidden(page, "csrf_token") != "verlopen"
    assert fresh(Blog, slug="samen-digitaal").title == "Samen digitaal"


# --- Editors ---


def editor_form(**changes):
    form = {"name": "Piet de Vries", "role": "editor", "blogs": [], "password": ""}
    form.update(changes)
    return form


def test_create_an_editor_who_can_then_sign_in(app, as_admin, demo, other_blog):
    form = editor_form(
        email=" Piet.de.Vries@Example.org ", blogs=[str(other_blog.id)], password=PASSWORD
    )
    response = post_form(as_admin, NEW_EDITOR, form)
    assert response.status_code == 303 and response.headers["Location"] == EDITORS

    listing = text_of(as_admin.get(EDITORS))
    assert "The account of Piet de Vries has been made." in listing
    row = listing.split(">Piet de Vries</a>")[1].split("</tr>")[0]
    assert "piet.de.vries@example.org" in row and "Editor" in row and "Active" in row
    assert "Wonen en ruimte" in row and "Samen digitaal" not in row
    made = fresh(Editor, email="piet.de.vries@example.org")
    assert "scrypt" not in listing and made.password_hash not in listing
    assert (made.name, made.role, made.active) == ("Piet de Vries", Role.EDITOR, True)
    assert [blog.slug for blog in made.blogs] == ["wonen"]

    newcomer = english(app.test_client())
    response = sign_in(newcomer, "piet.de.vries@example.org", PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/moderation/"


def test_a_taken_address_or_short_password_is_refused_and_kept(as_admin, demo):
    form = editor_form(email=ADMIN_EMAIL.upper(), role="admin", password=PASSWORD)
    response = post_form(as_admin, NEW_EDITOR, form)
    page = text_of(response)
    assert response.status_code == 422
    assert "An editor with this e-mail address already exists." in page
    assert 'value="Piet de Vries"' in page and f'value="{ADMIN_EMAIL.upper()}"' in page
    assert 'checked id="role-1"' in page

    response = post_form(
        as_admin, NEW_EDITOR, editor_form(email="piet@example.org", password="kort")
    )
    page = text_of(response)
    assert response.status_code == 422
    assert "The password must be at least 12 characters long (this one has 4)." in page
    assert 'value="kort"' not in page  # a password is never sent back
    assert db.session.scalar(select(func.count()).select_from(Editor)) == 1


def test_edit_an_editors_blogs_role_and_language(as_admin, editor, demo, other_blog):
    url = f"{EDITORS}/{editor.id}"
    page = text_of(as_admin.get(url))
    assert "Account of Eva Redacteur" in page and EDITOR_EMAIL in page
    assert f'value="{demo.id}" checked>' in page and f'value="{other_blog.id}">' in page

    form = editor_form(
        name="Eva Redacteur-Smit",
        role="admin",
        active="y",
        language="en",
        blogs=[str(other_blog.id)],
    )
    response = post_form(as_admin, url, form)
    assert response.status_code == 303 and response.headers["Location"] == EDITORS
    assert "The account of Eva Redacteur-Smit has been saved." in text_of(as_admin.get(EDITORS))

    for tampered in ("999", "wonen"):
        response = post_form(as_admin, url, {**form, "blogs": [tampered]})
        assert response.status_code == 422 and "There is no blog" in text_of(response)
    changed = fresh(Editor, id=editor.id)
    assert (changed.name, changed.role, changed.language) == (
        "Eva Redacteur-Smit",
        Role.ADMIN,
        "en",
    )
    assert [blog.slug for blog in changed.blogs] == ["wonen"]


def test_switching_an_editor_off_ends_their_session(app, as_admin, editor):
    theirs = english(app.test_client())
    sign_in(theirs, EDITOR_EMAIL, PASSWORD)
    assert theirs.get("/moderation/").status_code == 200

    form = editor_form(name="Eva Redacteur", language="nl", blogs=[])  # "active" unticked
    assert post_form(as_admin, f"{EDITORS}/{editor.id}", form).status_code == 303
    assert fresh(Editor, id=editor.id).active is False
    assert "Switched off" in text_of(as_admin.get(EDITORS))
    assert theirs.get("/moderation/").headers["Location"].startswith("/moderation/login")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "editor", "active": "y"}, "You cannot take away your own admin role."),
        ({"role": "admin"}, "You cannot switch off your own account."),
    ],
)
def test_an_admin_cannot_demote_or_switch_off_themself(as_admin, admin, changes, message):
    url = f"{EDITORS}/{admin.id}"
    response = post_form(as_admin, url, editor_form(name="Ab Beheer", language="nl", **changes))
    page = text_of(response)
    assert response.status_code == 422
    assert message in page and "Ask another admin to do it." in page
    me = fresh(Editor, id=admin.id)
    assert (me.role, me.active) == (Role.ADMIN, True)
    assert as_admin.get(BLOGS).status_code == 200


def test_an_admin_who_changes_their_own_password_stays_signed_in(app, as_admin, admin):
    new_password = "een nieuw lang wachtwoord"
    form = editor_form(
        name="Ab Beheer", role="admin", active="y", language="nl", password=new_password
    )
    assert post_form(as_admin, f"{EDITORS}/{admin.id}", form).status_code == 303
    assert as_admin.get(EDITORS).status_code == 200
    other = english(app.test_client())
    assert sign_in(other, ADMIN_EMAIL, new_password).status_code == 303


# --- In a real browser ---


@pytest.mark.browser
def test_blog_settings_page_in_the_browser(live_server, page, admin, demo, artifacts):
    page.goto(f"{live_server.url}/moderation/login?lang=en")
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.sign-in-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/moderation/")

    page.goto(f"{live_server.url}{BLOGS}")
    page.get_by_role("link", name="Samen digitaal").first.click()
    page.wait_for_url(f"{live_server.url}{EDIT_DEMO}")
    page.locator("#embed_origins").fill("https://www.example.nl/\nhttp://localhost:8000")
    page.get_by_role("button", name="Save settings").click()
    assert page.locator(".error-summary[role=alert]").is_visible()
    assert page.locator("#embed_origins").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(artifacts / "blog-settings.png"), full_page=True)

    page.locator("#embed_origins").fill("https://www.example.nl\nhttp://localhost:8000")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(f"{live_server.url}{BLOGS}")
    assert "have been saved" in page.locator(".flash").inner_text()


# --- The values one a line, as the service stores them ---


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://www.example.nl", "https://www.example.nl"),
        ("  HTTPS://WWW.Example.NL  ", "https://www.example.nl"),
        ("https://www.example.nl:443", "https://www.example.nl"),
        ("http://localhost:80", "http://localhost"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ],
)
def test_origins_are_stored_as_browsers_send_them(app, typed, stored):
    with app.test_request_context():  # the messages are in the language of a request
        assert services.normalise_origin(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "https://example.nl/",
        "https://example.nl?",
        "https://example.nl#top",
        "//example.nl",
        "https://*.example.nl",
        "https://example.nl:99999",
        "javascript:alert(1)",
        "https://",
        "",
    ],
)
def test_anything_else_is_not_an_origin(app, typed):
    with app.test_request_context("/?lang=en"), pytest.raises(ValueError, match="origin"):
        services.normalise_origin(typed)


def test_words_are_kept_once_regardless_of_case(app):
    assert services.unique_lines([" Casino", "casino ", "", "CASINO", "loterij"], str.lower) == [
        "Casino",
        "loterij",
    ]
