import pytest

from moderation import create_app
from moderation.config import ConfigError


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("MODERATION_SECRET_KEY", raising=False)
    monkeypatch.setenv("MODERATION_ENVIRONMENT", "production")
    with pytest.raises(ConfigError) as refused:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    message = str(refused.value)
    assert "MODERATION_SECRET_KEY" in message
    assert "secrets.token_hex(32)" in message


def test_production_refuses_a_short_key(monkeypatch, tmp_path):
    monkeypatch.setenv("MODERATION_SECRET_KEY", "secret")
    with pytest.raises(ConfigError):
        create_app({"ENVIRONMENT": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_environment_variables_override_defaults(monkeypatch, tmp_path):
    key = "k" * 40
    monkeypatch.setenv("MODERATION_SECRET_KEY", key)
    monkeypatch.setenv("MODERATION_ENVIRONMENT", "production")
    monkeypatch.setenv("MODERATION_DATABASE_URL", "postgresql://u@db.example:5432/blogs")
    monkeypatch.setenv("MODERATION_POSTS_PER_PAGE", "25")
    app = create_app()
    assert app.config["SECRET_KEY"] == key
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example:5432/blogs"
    assert app.config["POSTS_PER_PAGE"] == 25
    assert not app.testing


def test_default_database_is_a_sqlite_file_under_instance(monkeypatch):
    monkeypatch.delenv("MODERATION_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("/instance/moderation.sqlite3")


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="ENVIRONMENT must be one of"):
        create_app({"ENVIRONMENT": "staging", "SECRET_KEY": "k" * 40})


def test_form_tokens_last_as_long_as_the_session():
    app = create_app({"TESTING": True})
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600
