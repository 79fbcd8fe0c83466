"""Editors writing and editing posts in the web UI: what they and the readers see."""

from datetime import date, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from moderation.auth import services as auth
from moderation.extensions import db
from moderation.models import Author, Post, Role, Tag
from moderation.posts import services
from tests.test_auth import english, hidden, sign_in

pytestmark = pytest.mark.usefixtures("fresh_counters")

PASSWORD = "lang-genoeg-wachtwoord"
POSTS = "/moderation/posts/"
NEW = "/moderation/posts/new"
PUBLIC = "/blogs/samen-digitaal/"
BODY = 'h2. Wat er gebeurde\n\nHet *loket* lag _twee uur_ stil. Lees "het verslag":https://example.org/verslag.'


def editor_of(blog, email="eva@example.org", role=Role.EDITOR):
    made = auth.create_editor("Eva Redacteur", email, PASSWORD, role, [blog] if blog else [])
    db.session.commit()
    return made


@pytest.fixture
def signed_in(client, demo, other_blog):
    editor_of(demo)
    english(client)
    assert sign_in(client, "eva@example.org", PASSWORD).status_code == 303
    return client


def page_of(response):
    return response.get_data(as_text=True)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def post_at(slug):
    db.session.expire_all()
    return db.session.scalar(select(Post).where(Post.slug == slug))


def new_post(client, demo, **changes):
    """What an editor types into the new-post form, with any field changed."""
    data = {
        "csrf_token": hidden(page_of(client.get(NEW)), "csrf_token"),
        "blog": str(demo.id),
        "title": "Samen leren van storingen",
        "slug": "",
        "author_name": "Pieter de Groot",
        "author_role": "Architect bij de gemeente Utrecht",
        "author_bio": "Pieter bouwt al twintig jaar aan gemeentelijke systemen.",
        "published_on": "2018-02-07",
        "tags": "storingen, leren, Storingen!",
        "comments_open": "y",
        "body": BODY,
        "action": "save",
    }
    data.update(changes)
    return client.post(NEW, data={k: v for k, v in data.items() if v is not None})


def assert_kept(page, **typed):
    """Everything the editor typed is in the form again."""
    for name, value in typed.items():
        if name in ("body", "author_bio"):
            assert f"{escape(value)}</textarea>" in page, name
        else:
            assert hidden(page, name) == value, name


# --- Who may ---


def test_strangers_are_sent_to_sign_in(client, demo):
    post = post_at("een-keer-bouwen")
    for url in (POSTS, NEW, f"{POSTS}{post.id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/moderation/login?next=")


def test_the_list_shows_the_editors_own_posts_newest_first(signed_in):
    page = page_of(signed_in.get(POSTS))
    assert "<h1>Posts</h1>" in page and f'href="{NEW}"' in page
    assert 'aria-current="page">Posts</a>' in page and 'href="/moderation/"' in page
    newest, older = page.index("Formulieren die meedenken"), page.index("Eén keer bouwen")
    assert newest < older
    assert "Samen digitaal" in page and ">open</td>" in page
    edit = post_at("een-keer-bouwen")
    assert f'href="{POSTS}{edit.id}"' in page and f'href="{PUBLIC}een-keer-bouwen"' in page
    assert "Bouwen<" not in page.replace("Eén keer bouwen", "")


def test_an_editor_of_another_blog_gets_403_and_sees_none_of_its_posts(client, demo, other_blog):
    editor_of(other_blog, "wim@example.org")
    english(client)
    sign_in(client, "wim@example.org", PASSWORD)
    post = post_at("een-keer-bouwen")
    listing = page_of(client.get(POSTS))
    assert "Bouwen" in listing and "Eén keer bouwen" not in listing
    assert client.get(f"{POSTS}{post.id}").status_code == 403
    token = hidden(page_of(client.get(NEW)), "csrf_token")
    changed = client.post(
        f"{POSTS}{post.id}", data={"csrf_token": token, "title": "Gekaapt", "action": "save"}
    )
    assert changed.status_code == 403 and post_at("een-keer-bouwen").title != "Gekaapt"

    before = count(Post)
    forged = new_post(client, demo)  # the demo blog is not in this editor's choices
    assert forged.status_code == 422 and "Choose one of your blogs." in page_of(forged)
    assert count(Post) == before


def test_an_editor_without_blogs_cannot_write(client, demo):
    editor_of(None, "leeg@example.org")
    english(client)
    sign_in(client, "leeg@example.org", PASSWORD)
    listing = page_of(client.get(POSTS))
    assert "There are no posts in your blogs yet." in listing and f'href="{NEW}"' not in listing
    assert client.get(NEW).status_code == 403


def test_an_admin_writes_in_every_blog(client, demo, other_blog):
    editor_of(None, "beheer@example.org", Role.ADMIN)
    english(client)
    sign_in(client, "beheer@example.org", PASSWORD)
    assert "Bouwen" in page_of(client.get(POSTS))
    form = page_of(client.get(NEW))
    assert f'<option value="{other_blog.id}">Wonen en ruimte</option>' in form
    # The same address in another blog is no collision.
    saved = new_post(client, demo, blog=str(other_blog.id), slug="een-keer-bouwen")
    assert saved.status_code == 303
    assert client.get("/blogs/wonen/een-keer-bouwen").status_code == 200


# --- Writing ---


def test_the_new_form_starts_with_today_open_reactions_and_known_authors(signed_in, demo):
    page = page_of(signed_in.get(NEW))
    assert hidden(page, "published_on") == services.today().isoformat()
    assert 'type="date"' in page
    assert '<input checked id="comments_open"' in page
    assert 'aria-invalid="None"' not in page and 'aria-describedby="None"' not in page
    assert 'list="author-names"' in page and '<option value="Sanne Koster">' in page
    assert f'<option value="{demo.id}">Samen digitaal</option>' in page


def test_preview_shows_the_rendered_post_and_stores_nothing(signed_in, demo):
    before = (count(Post), count(Author), count(Tag))
    response = new_post(signed_in, demo, action="preview")
    page = page_of(response)
    assert response.status_code == 200
    preview = page.split('class="post-preview"')[1].split("</section>")[0]
    assert "<h2>Wat er gebeurde</h2>" in preview and "<strong>loket</strong>" in preview
    assert "<em>twee uur</em>" in preview and 'href="https://example.org/verslag"' in preview
    assert "Samen leren van storingen" in preview and "by Pieter de Groot" in preview
    assert "February 7, 2018" in preview and "Architect bij de gemeente Utrecht" in preview
    assert preview.count('class="tag"') == 2
    assert "Nothing has been saved yet." in page
    assert_kept(page, title="Samen leren van storingen", body=BODY, published_on="2018-02-07")
    assert (count(Post), count(Author), count(Tag)) == before


def test_save_publishes_the_post_with_author_date_and_tags(app, signed_in, demo):
    response = new_post(signed_in, demo)
    assert response.status_code == 303 and response.headers["Location"] == POSTS
    listing = page_of(signed_in.get(POSTS))
    assert "The post “Samen leren van storingen” has been saved." in listing

    reader = app.test_client()
    public = reader.get(f"{PUBLIC}samen-leren-van-storingen")
    page = page_of(public)
    assert public.status_code == 200 and '<html lang="nl">' in page
    assert '<h1 id="post-title">Samen leren van storingen</h1>' in page
    assert "7 februari 2018" in page and "<h2>Wat er gebeurde</h2>" in page
    assert "Pieter de Groot" in page and "Architect bij de gemeente Utrecht" in page
    assert "Pieter bouwt al twintig jaar" in page
    assert 'href="/tags/storingen">storingen</a>' in page and 'href="/tags/leren">leren</a>' in page
    found = page_of(reader.get("/search?q=storingen"))
    assert f'href="{PUBLIC}samen-leren-van-storingen"' in found
    assert post_at("samen-leren-van-storingen").comments_open is True


def test_reactions_can_be_closed_for_a_post(signed_in, demo):
    assert new_post(signed_in, demo, comments_open=None, slug="dicht").status_code == 303
    assert post_at("dicht").comments_open is False
    assert ">closed</td>" in page_of(signed_in.get(POSTS))


def test_editing_changes_the_public_page(app, signed_in):
    post = post_at("een-keer-bouwen")
    published_at, before = post.published_at, count(Post)
    url = f"{POSTS}{post.id}"
    form = page_of(signed_in.get(url))
    assert_kept(form, title="Eén keer bouwen, overal gebruiken", author_name="Sanne Koster")
    assert hidden(form, "tags") == "dienstverlening, samenwerking"
    assert_kept(form, body=post.body_source)
    assert 'name="slug"' not in form and 'name="blog"' not in form
    data = {
        "csrf_token": hidden(form, "csrf_token"),
        "title": "Eén keer bouwen, vaak delen",
        "author_name": "Sanne Koster",
        "published_on": hidden(form, "published_on"),
        "tags": "samenwerking",
        "comments_open": "y",
        "body": "Een *nieuwe* versie.",
        "action": "save",
    }
    response = signed_in.post(url, data=data)
    assert response.status_code == 303 and response.headers["Location"] == POSTS
    page = page_of(app.test_client().get(f"{PUBLIC}een-keer-bouwen"))
    assert "Eén keer bouwen, vaak delen" in page and "<strong>nieuwe</strong>" in page
    assert "Wie een paspoort aanvraagt" not in page and 'href="/tags/dienstverlening"' not in page
    assert "Programmamanager Samen digitaal" in page  # an empty role line keeps the author's
    assert count(Post) == before and post_at("een-keer-bouwen").published_at == published_at


# --- Errors keep everything ---


def test_a_body_the_renderer_refuses_is_an_error_at_the_field(signed_in, demo):
    before = count(Post)
    body = "*a* " * 3000
    response = new_post(signed_in, demo, body=body)
    page = page_of(response)
    assert response.status_code == 422
    assert "The post has not been saved. Please check:" in page
    assert '<a href="#body">Text: This text ' in page
    assert 'aria-describedby="body-hint body-error"' in page
    assert_kept(
        page,
        title="Samen leren van storingen",
        author_name="Pieter de Groot",
        author_role="Architect bij de gemeente Utrecht",
        author_bio="Pieter bouwt al twintig jaar aan gemeentelijke systemen.",
        published_on="2018-02-07",
        tags="storingen, leren, Storingen!",
        body=body.strip(),
    )
    assert count(Post) == before


def test_an_empty_title_and_a_bad_date_keep_the_rest(signed_in, demo):
    response = new_post(signed_in, demo, title="  ", published_on="2018-02-31", action="preview")
    page = page_of(response)
    assert response.status_code == 422 and 'class="post-preview"' not in page
    assert '<a href="#title">Title: Enter a title.</a>' in page
    assert "Publication date: Enter a date like 2018-02-07." in page
    assert_kept(page, published_on="2018-02-31", author_name="Pieter de Groot", body=BODY)


@pytest.mark.parametrize(
    "changes",
    [{"slug": "een-keer-bouwen"}, {"title": "Formulieren die meedenken"}],
    ids=["typed-slug", "slug-from-title"],
)
def test_a_taken_address_is_refused_on_create(signed_in, demo, changes):
    taken = changes.get("slug") or "formulieren-die-meedenken"
    before, original = count(Post), post_at(taken).title
    response = new_post(signed_in, demo, **changes)
    page = page_of(response)
    assert response.status_code == 422
    assert f"already has the web address “{taken}”" in page and '<a href="#slug">' in page
    assert_kept(page, body=BODY, author_name="Pieter de Groot")
    assert count(Post) == before and post_at(taken).title == original


def test_an_address_taken_at_the_same_moment_is_refused_too(signed_in, demo, monkeypatch):
    """Two editors saving the same address at once: the database's unique constraint
    decides, and the loser gets the field error with everything kept."""
    answers = [False]
    real = services.slug_taken
    monkeypatch.setattr(
        services, "slug_taken", lambda blog, slug: answers.pop() if answers else real(blog, slug)
    )
    before = count(Post)
    response = new_post(signed_in, demo, slug="een-keer-bouwen")
    assert response.status_code == 422
    assert "already has the web address “een-keer-bouwen”" in page_of(response)
    assert count(Post) == before
    assert post_at("een-keer-bouwen").title == "Eén keer bouwen, overal gebruiken"


def test_a_post_without_csrf_token_is_refused_and_stores_nothing(signed_in, demo):
    before = count(Post)
    for token in ("", "forged"):
        response = new_post(signed_in, demo, csrf_token=token)
        assert response.status_code == 400
        assert "Samen leren van storingen" not in page_of(response)
    assert count(Post) == before


def test_an_expired_form_on_our_own_page_comes_back_with_everything(signed_in, demo, other_blog):
    """The token lives an hour, a long post may take longer: the editor's text survives.
    From another site, or for someone else's post, it is the plain refusal."""
    before = count(Post)
    typed = {"title": "Lang geschreven", "body": BODY, "action": "save", "csrf_token": "old"}
    ours, theirs = {"Origin": "http://localhost"}, {"Origin": "https://evil.example"}
    edit = post_at("een-keer-bouwen")
    foreign = post_at("bouwen")

    response = signed_in.post(NEW, data={"blog": str(demo.id), **typed}, headers=ours)
    page = page_of(response)
    assert response.status_code == 400
    assert "The form had expired, so nothing was saved." in page
    assert_kept(page, title="Lang geschreven", body=BODY)
    assert hidden(page, "csrf_token") not in ("", "old")
    again = signed_in.post(f"{POSTS}{edit.id}", data=typed, headers=ours)
    assert again.status_code == 400 and "Lang geschreven" in page_of(again)

    for url, headers in ((NEW, theirs), (f"{POSTS}{foreign.id}", ours)):
        refused = signed_in.post(url, data=typed, headers=headers)
        assert refused.status_code == 400 and "Lang geschreven" not in page_of(refused)
    assert count(Post) == before and post_at("een-keer-bouwen").title != "Lang geschreven"


def test_a_script_in_the_body_never_reaches_the_public_page(app, signed_in, demo):
    body = (
        "Hallo <script>alert('x')</script> <img src=x onerror=alert(1)> "
        '"klik":javascript:alert(2) <a href="javascript:alert(3)">hier</a>'
    )
    page = page_of(new_post(signed_in, demo, body=body, action="preview"))
    preview = page.split('class="post-preview"')[1].split("</section>")[0]
    assert "Hallo" in preview and "<script" not in preview and "onerror" not in preview
    assert new_post(signed_in, demo, body=body, slug="veilig").status_code == 303
    page = page_of(app.test_client().get(f"{PUBLIC}veilig"))
    body_html = page.split('class="post-body">')[1].split("</div>")[0]
    assert "Hallo" in body_html
    for bad in ("<script", "onerror", 'href="javascript', 'alert(3)"'):
        assert bad not in page


def test_a_later_date_schedules_the_post(app, signed_in, demo):
    later = (date.today() + timedelta(days=30)).isoformat()
    assert new_post(signed_in, demo, published_on=later, slug="straks").status_code == 303
    assert app.test_client().get(f"{PUBLIC}straks").status_code == 404
    listing = page_of(signed_in.get(POSTS))
    assert "scheduled" in listing and f'href="{PUBLIC}straks"' not in listing


# --- In a real browser ---


@pytest.mark.browser
def test_write_preview_and_save_in_the_browser(live_server, page, demo, artifacts):
    editor_of(demo)
    page.goto(f"{live_server.url}/moderation/login")
    page.locator("#email").fill("eva@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.sign-in-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/moderation/")

    page.goto(f"{live_server.url}{POSTS}")
    page.locator(f'a[href="{NEW}"]').click()
    page.wait_for_url(f"{live_server.url}{NEW}")
    page.locator("#title").fill("Samen leren van storingen")
    page.locator("#author_name").fill("Pieter de Groot")
    page.locator("#author_role").fill("Architect bij de gemeente Utrecht")
    page.locator("#published_on").fill("2018-02-07")
    page.locator("#tags").fill("storingen, leren")
    page.locator("#body").fill(BODY)
    # Enter in a text field presses the first button: Preview, which stores nothing.
    with page.expect_navigation():
        page.locator("#title").press("Enter")
    preview = page.locator(".post-preview")
    assert preview.locator(".post-body h2").inner_text() == "Wat er gebeurde"
    assert preview.locator(".post-body strong").inner_text() == "loket"
    assert "7 februari 2018" in preview.locator(".meta").inner_text()
    assert page.locator("#body").input_value() == BODY
    page.screenshot(path=str(artifacts / "1-preview.png"), full_page=True)
    assert count(Post) == 2

    page.locator("button[name=action][value=save]").click()
    page.wait_for_url(f"{live_server.url}{POSTS}")
    assert "Samen leren van storingen" in page.locator(".flash").inner_text()
    page.screenshot(path=str(artifacts / "2-list.png"), full_page=True)

    page.locator(f'a[href="{PUBLIC}samen-leren-van-storingen"]').click()
    assert page.locator("h1").inner_text() == "Samen leren van storingen"
    assert "7 februari 2018" in page.locator(".meta").inner_text()
