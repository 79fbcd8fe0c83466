"""The command line an operator uses."""

from sqlalchemy import func, select

from moderation.extensions import db
from moderation.models import Blog, Comment, Editor, Post


def test_demo_load_makes_a_blog_once(runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "/blogs/samen-digitaal/" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Blog)) == 1
    assert db.session.scalar(select(func.count()).select_from(Post)) == 2
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 3
    # Outside development no demo editor with a printed password.
    assert db.session.scalar(select(func.count()).select_from(Editor)) == 0


def test_demo_load_in_development_prints_the_editor(app, runner):
    app.config["ENVIRONMENT"] = "development"
    result = runner.invoke(args=["demo", "load"])
    assert "redactie@example.org / " in result.output
    password = result.output.rsplit("redactie@example.org / ", 1)[1].split()[0]
    editor = db.session.scalar(select(Editor))
    from werkzeug.security import check_password_hash

    assert check_password_hash(editor.password_hash, password)


def test_posts_import_reads_header_and_textile(client, runner, demo, tmp_path):
    source = tmp_path / "post.textile"
    source.write_text(
        "title: Een nieuwe start\nauthor: Bram Visser\nrole: Adviseur\ndate: 2018-02-07\n"
        "tags: start, gemeenten\n\nWe beginnen *vandaag*.\n\n* een\n* twee\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["posts", "import", str(source), "--blog", "samen-digitaal"])
    assert result.exit_code == 0, result.output
    assert "/blogs/samen-digitaal/een-nieuwe-start" in result.output
    page = client.get("/blogs/samen-digitaal/een-nieuwe-start").get_data(as_text=True)
    assert "7 februari 2018" in page and "Bram Visser" in page and "Adviseur" in page
    assert "<strong>vandaag</strong>" in page and "<li>twee</li>" in page
    assert 'href="/tags/gemeenten"' in page
    assert "Een nieuwe start" in client.get("/search?q=vandaag").get_data(as_text=True)


def test_posts_import_explains_a_bad_header(runner, demo, tmp_path):
    source = tmp_path / "bad.textile"
    source.write_text("title: Zonder auteur\n\nTekst", encoding="utf-8")
    result = runner.invoke(args=["posts", "import", str(source), "--blog", "samen-digitaal"])
    assert result.exit_code != 0 and "missing: author, date" in result.output
    source.write_text("title: x\nauthor: y\ndate: gisteren\n\nTekst", encoding="utf-8")
    result = runner.invoke(args=["posts", "import", str(source), "--blog", "samen-digitaal"])
    assert result.exit_code != 0 and "2018-02-07" in result.output
    result = runner.invoke(args=["posts", "import", str(source), "--blog", "geen"])
    assert result.exit_code != 0 and "No blog 'geen'" in result.output


def test_reactions_rerender_replaces_stored_html(runner, demo):
    comment = db.session.scalar(select(Comment))
    comment.body_html, comment.renderer_version = "<p>oud</p>", 0
    db.session.commit()
    result = runner.invoke(args=["reactions", "rerender"])
    assert result.exit_code == 0 and "Rendered 1 reactions again." in result.output
    db.session.refresh(comment)
    assert "oud" not in comment.body_html and "<em>klein</em>" in comment.body_html
    again = runner.invoke(args=["reactions", "rerender", "--all"])
    assert "Rendered 3 reactions again." in again.output
