"""``flask --app wsgi editors ...``: make editors, set their passwords, list them.

Passwords are typed twice with hidden input, or piped in with ``--password-stdin`` for
scripts; they never appear as an argument (shell history, ``ps``) or in any output.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import Blog, Role
from . import services

editors_cli = AppGroup("editors", help="Editor accounts for the moderation pages.")

PASSWORD_TRIES = 3


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        problem = services.password_problem(password)
        if problem is not None:
            raise click.ClickException(problem)
        return password
    for _attempt in range(PASSWORD_TRIES):
        password = str(
            click.prompt(
                f"Password (at least {services.MIN_PASSWORD_LENGTH} characters)",
                hide_input=True,
            )
        )
        problem = services.password_problem(password)
        if problem is not None:
            click.echo(f"Error: {problem}", err=True)
            continue
        if click.prompt("Repeat the password", hide_input=True) == password:
            return password
        click.echo("Error: the two passwords are not the same.", err=True)
    raise click.ClickException("No password set; nothing was changed.")


@editors_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The editor's name, as colleagues know it.")
@click.option("--admin", is_flag=True, help="May moderate every blog.")
@click.option(
    "--blog", "blog_slugs", multiple=True, metavar="SLUG", help="A blog to moderate (repeat)."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(
    email: str, name: str, admin: bool, blog_slugs: tuple[str, ...], password_stdin: bool
) -> None:
    """Make an editor account for EMAIL."""
    try:
        blogs = services.blogs_by_slug(blog_slugs)
    except LookupError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    if services.find_editor(email) is not None:
        # Before the prompts: nobody should type a password twice to hear this.
        raise click.ClickException(f"An editor with e-mail address {email} already exists.")
    password = _read_password(password_stdin)
    try:
        editor = services.create_editor(
            name, email, password, Role.ADMIN if admin else Role.EDITOR, blogs
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    scope = "every blog" if editor.is_admin else _blog_list(editor.blogs) or "no blogs yet"
    click.echo(f"Editor {editor.email} created ({editor.role.value}; moderates {scope}).")


@editors_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(email: str, password_stdin: bool) -> None:
    """Give the editor with EMAIL a new password; their open sessions end."""
    if services.find_editor(email) is None:
        raise click.ClickException(
            f"There is no editor with e-mail address {services.normalise_email(email)}."
        )
    password = _read_password(password_stdin)
    try:
        editor = services.change_password(email, password)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    db.session.commit()
    click.echo(f"New password set for {editor.email}.")


def _blog_list(blogs: list[Blog]) -> str:
    return ", ".join(blog.slug for blog in blogs)


@editors_cli.command("list")
def list_command() -> None:
    """Every editor: e-mail, name, role, active, blogs. Password hashes are never shown."""
    editors = services.all_editors()
    if not editors:
        click.echo("No editors yet. Add one with: flask editors create EMAIL --name NAME")
        return
    rows = [("E-MAIL", "NAME", "ROLE", "ACTIVE", "BLOGS")]
    for editor in editors:
        blogs = "(all)" if editor.is_admin else _blog_list(editor.blogs) or "-"
        active = "yes" if editor.active else "no"
        rows.append((editor.email, editor.name, editor.role.value, active, blogs))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))
