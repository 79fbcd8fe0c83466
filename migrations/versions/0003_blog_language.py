"""Blog.language: the language a blog's posts and reactions are written in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 20:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'blog',
        sa.Column('language', sa.String(length=8), server_default='nl', nullable=False),
    )


def downgrade():
    with op.batch_alter_table('blog') as batch:
        batch.drop_column('language')
