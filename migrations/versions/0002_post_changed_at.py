"""Post.changed_at: when anything a post's public pages show last changed (for ETags).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # A constant default lets SQLite add the column in place; existing posts take their
    # updated_at, so their first ETag is as fresh as they are.
    op.add_column(
        'post',
        sa.Column(
            'changed_at',
            sa.DateTime(timezone=True),
            server_default=sa.text("'1970-01-01 00:00:00'"),
            nullable=False,
        ),
    )
    op.execute("UPDATE post SET changed_at = updated_at")


def downgrade():
    with op.batch_alter_table('post') as batch:
        batch.drop_column('changed_at')
