"""A discussion and comment-moderation service for programme blogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import admin, auth, caching, cli, errors, i18n, outbox, posts, privacy, security
from .blog import bp as blog_bp
from .config import load_config
from .embed import bp as embed_bp
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from .forms import FormRequest
from .queue import bp as queue_bp
from .reactions import bp as reactions_bp

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.request_class = FormRequest
    load_config(app, config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    auth.init_app(app)
    outbox.init_app(app)
    posts.init_app(app)
    admin.init_app(app)
    privacy.init_app(app)

    app.register_blueprint(blog_bp)
    app.register_blueprint(reactions_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(queue_bp)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        db.session.execute(db.text("SELECT 1"))
        return {"status": "ok"}

    caching.init_app(app)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # Behind a reverse proxy: trust that many X-Forwarded-For/-Proto/-Host hops.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    return app
