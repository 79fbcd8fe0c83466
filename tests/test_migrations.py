"""An empty database upgraded to head has exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from moderation.extensions import db, include_in_migrations

from .conftest import create_database, make_app


# The PostgreSQL search index is an expression index; SQLite cannot reflect those and says so.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_upgrade_from_empty_matches_the_models():
    url, drop = create_database("migrations")
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn,
                    opts={
                        "compare_type": True,
                        "include_object": include_in_migrations,
                        "render_as_batch": True,
                    },
                )
                differences = compare_metadata(context, db.metadata)
                tables = set(inspect(conn).get_table_names())
                if conn.dialect.name == "postgresql":
                    indexes = {i["name"] for i in inspect(conn).get_indexes("post")}
                    assert "ix_post_search_nl" in indexes
                else:
                    assert "post_search" in tables
            assert differences == []
            assert {"blog", "post", "comment", "editor", "moderation_event", "outbox"} <= tables

            downgrade(revision="base")
            with db.engine.connect() as conn:
                assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
            db.engine.dispose()
    finally:
        drop()
