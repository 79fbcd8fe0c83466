"""``flask blogs origins add|remove|list <blog> [<origin>]``: the sites that may embed a blog."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import Blog
from .services import normalise_origin

blogs_cli = AppGroup("blogs", help="Blogs.")


@blogs_cli.group("origins")
def origins_cli() -> None:
    """The sites (origins) that may show a blog's posts in an iframe."""


def _blog(slug: str) -> Blog:
    blog = db.session.scalar(select(Blog).where(Blog.slug == slug))
    if blog is None:
        raise click.ClickException(f"There is no blog {slug!r}.")
    return blog


def _origin(text: str) -> str:
    # The check's messages are translated; on the command line they are in English.
    with current_app.test_request_context("/?lang=en"):
        try:
            return normalise_origin(text)
        except ValueError as refused:
            raise click.ClickException(str(refused)) from None


@origins_cli.command("list")
@click.argument("blog")
def list_origins(blog: str) -> None:
    """Print the blog's listed origins, one a line."""
    for origin in _blog(blog).embed_origins or []:
        click.echo(origin)


@origins_cli.command("add")
@click.argument("blog")
@click.argument("origin")
def add_origin(blog: str, origin: str) -> None:
    """Let ORIGIN (like https://www.example.nl) frame the blog's posts."""
    found, value = _blog(blog), _origin(origin)
    listed = list(found.embed_origins or [])
    if value in listed:
        click.echo(f"{value} was already listed for {found.slug}.")
        return
    found.embed_origins = [*listed, value]
    db.session.commit()
    current_app.logger.info("Embed origin %s added to %s from the command line", value, found.slug)
    click.echo(f"{value} may now embed {found.slug}.")


@origins_cli.command("remove")
@click.argument("blog")
@click.argument("origin")
def remove_origin(blog: str, origin: str) -> None:
    """Stop ORIGIN from framing the blog's posts."""
    found, value = _blog(blog), _origin(origin)
    listed = list(found.embed_origins or [])
    if value not in listed:
        raise click.ClickException(f"{value} is not listed for {found.slug}.")
    found.embed_origins = [o for o in listed if o != value]
    db.session.commit()
    current_app.logger.info(
        "Embed origin %s removed from %s from the command line", value, found.slug
    )
    click.echo(f"{value} can no longer embed {found.slug}.")
