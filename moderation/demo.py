"""A small demo blog in our own words, for trying the service out."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .blog.services import create_blog, get_or_create_author, save_post
from .extensions import db
from .models import Blog, Comment, Editor, Post, Role, Status
from .render import RENDERER_VERSION, render_comment

BLOG_SLUG = "samen-digitaal"
EDITOR_EMAIL = "redactie@example.org"

FIRST_POST = """Wie een paspoort aanvraagt, een verhuizing doorgeeft of een bijstandsuitkering \
nodig heeft, merkt weinig van de vraag welke organisatie het loket beheert. Voor de inwoner \
telt dat het werkt. Daarom bouwen we niet langer in elke gemeente apart dezelfde oplossing, \
maar maken we haar één keer, samen, en delen we wat werkt.

Dat klinkt eenvoudig. Dat is het niet. Een gemeente die een eigen systeem loslaat, geeft iets \
op: gewoonten, maatwerk, soms een stukje zeggenschap. Daar staat tegenover dat een gedeelde \
voorziening beter onderhouden wordt, veiliger is en sneller verbetert.

h3. Wat we dit jaar doen

* drie proeftuinen waarin teams uit verschillende regio's samen een dienst ontwerpen;
* een openbare routekaart, zodat iedereen ziet wat eraan komt;
* maandelijkse spreekuren voor wie wil aansluiten.

We horen graag hoe het in uw organisatie gaat. Wat helpt u om samen te werken, en wat houdt \
u tegen? Laat hieronder een reactie achter."""

SECOND_POST = """Een formulier is vaak het eerste contact tussen inwoner en overheid. Toch \
beginnen veel formulieren met een vraag die de inwoner niet kan beantwoorden, of vragen ze \
gegevens die de overheid allang heeft.

In de afgelopen maanden hebben we met een groep inwoners twaalf veelgebruikte formulieren \
hardop doorgelopen. Drie lessen springen eruit:

# Vraag alleen wat u echt nodig hebt.
# Leg uit _waarom_ u iets vraagt.
# Laat iemand eerst zien wat er verstuurd wordt, en pas daarna verzenden.

Die laatste les passen we ook op deze site toe: u ziet uw reactie eerst als voorbeeld, en \
plaatst haar pas daarna. Meer over de aanpak leest u op "onze projectpagina":https://example.org/formulieren."""

REACTIONS = [
    (
        "Marieke van den Berg",
        "marieke.vandenberg@example.net",
        "Herkenbaar. Bij ons hielp het vooral om _klein_ te beginnen: één dienst, één team.",
    ),
    (
        "Youssef El Amrani",
        "y.elamrani@example.net",
        "Goed initiatief. Komt de routekaart ook als open data beschikbaar?",
    ),
    (
        "Anneke de Vries-Jansen",
        "anneke@example.net",
        "Wij sluiten graag aan bij een proeftuin. Bij wie kunnen we ons melden?",
    ),
]


def load_demo(with_editor: bool) -> tuple[Blog, str | None]:
    """Load the demo blog once. Returns the blog and, if one was made, the editor's password."""
    existing = db.session.scalar(select(Blog).where(Blog.slug == BLOG_SLUG))
    if existing is not None:
        return existing, None
    blog = create_blog(
        BLOG_SLUG,
        "Samen digitaal",
        "Een programmablog over gemeenten die hun dienstverlening samen verbeteren.",
        embed_origins=["http://127.0.0.1:8000", "http://localhost:8000"],
    )
    author = get_or_create_author(
        "Sanne Koster",
        role="Programmamanager Samen digitaal",
        bio="Sanne werkt al vijftien jaar met en voor gemeenten aan betere dienstverlening.",
    )
    now = datetime.now(UTC).replace(microsecond=0)
    first = save_post(
        blog,
        "Eén keer bouwen, overal gebruiken",
        FIRST_POST,
        author=author,
        tags=["samenwerking", "dienstverlening"],
        published_at=now - timedelta(days=9),
        slug="een-keer-bouwen",
    )
    save_post(
        blog,
        "Formulieren die meedenken",
        SECOND_POST,
        author=author,
        tags=["dienstverlening", "formulieren"],
        published_at=now - timedelta(days=2),
        slug="formulieren-die-meedenken",
    )
    for minutes, (name, email, body) in enumerate(REACTIONS):
        _add_reaction(first, name, email, body, now - timedelta(days=8, minutes=-minutes * 90))

    password = None
    if (
        with_editor
        and db.session.scalar(select(Editor).where(Editor.email == EDITOR_EMAIL)) is None
    ):
        password = secrets.token_urlsafe(12)
        db.session.add(
            Editor(
                name="Demo-redacteur",
                email=EDITOR_EMAIL,
                role=Role.ADMIN,
                password_hash=generate_password_hash(password),
                blogs=[blog],
            )
        )
    db.session.flush()
    return blog, password


def _add_reaction(post: Post, name: str, email: str, body: str, when: datetime) -> None:
    db.session.add(
        Comment(
            post=post,
            name=name,
            email=email,
            body_source=body,
            body_html=render_comment(body),
            renderer_version=RENDERER_VERSION,
            status=Status.PUBLISHED,
            reasons=[],
            created_at=when,
        )
    )
