"""Command-line tasks: ``flask --app wsgi demo load``, ``posts import``, ``search reindex``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db

demo_cli = AppGroup("demo", help="The demo blog.")
posts_cli = AppGroup("posts", help="Posts.")
search_cli = AppGroup("search", help="The search index.")
reactions_cli = AppGroup("reactions", help="Reactions.")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load a demo blog with two posts, an author, tags and a few reactions."""
    from .demo import load_demo

    development = current_app.config["ENVIRONMENT"] == "development"
    blog, password = load_demo(with_editor=development)
    db.session.commit()
    click.echo(f"Demo blog ready: /blogs/{blog.slug}/")
    if password:
        from .demo import EDITOR_EMAIL

        click.echo(f"Demo editor: {EDITOR_EMAIL} / {password} (development only)")


def parse_post_file(text: str) -> tuple[dict[str, str], str]:
    """A small header of ``key: value`` lines, a blank line, then the Textile body."""
    header, _, body = text.replace("\r\n", "\n").partition("\n\n")
    fields: dict[str, str] = {}
    for line in header.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise click.ClickException(f"Header line without 'key: value': {line!r}")
        fields[key.strip().lower()] = value.strip()
    missing = [k for k in ("title", "author", "date") if not fields.get(k)]
    if missing:
        raise click.ClickException(f"Header is missing: {', '.join(missing)}")
    return fields, body.strip()


@posts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--blog", "blog_slug", help="Blog slug (or 'blog:' in the file's header).")
def import_post_command(file: Path, blog_slug: str | None) -> None:
    """Import a post from a Textile FILE with a header: title, author, date, tags."""
    from .blog.services import get_or_create_author, save_post
    from .models import Blog

    fields, body = parse_post_file(file.read_text(encoding="utf-8"))
    slug = blog_slug or fields.get("blog")
    blog = db.session.scalar(select(Blog).where(Blog.slug == slug)) if slug else None
    if blog is None:
        raise click.ClickException(f"No blog {slug!r}: give --blog or a 'blog:' header line.")
    try:
        published = datetime.fromisoformat(fields["date"])
    except ValueError as exc:
        raise click.ClickException(f"Date must look like 2018-02-07: {fields['date']!r}") from exc
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    author = get_or_create_author(fields["author"], role=fields.get("role", ""))
    post = save_post(
        blog,
        fields["title"],
        body,
        author=author,
        published_at=published,
        tags=fields.get("tags", "").split(","),
        slug=fields.get("slug") or None,
    )
    db.session.commit()
    click.echo(f"Imported /blogs/{blog.slug}/{post.slug}")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the SQLite search index (PostgreSQL indexes itself)."""
    from .search import reindex_all

    count = reindex_all()
    db.session.commit()
    click.echo(f"Indexed {count} posts.")


@reactions_cli.command("rerender")
@click.option("--all", "everything", is_flag=True, help="Also those already at this version.")
def rerender_command(everything: bool) -> None:
    """Render stored reactions again after a change to the renderer."""
    from .reactions.services import rerender_comments

    changed, refused = rerender_comments(everything)
    click.echo(f"Rendered {changed} reactions again.")
    if refused:
        click.echo(f"{refused} could not be rendered and keep their earlier HTML.", err=True)


def init_app(app: Flask) -> None:
    for group in (demo_cli, posts_cli, search_cli, reactions_cli):
        app.cli.add_command(group)
