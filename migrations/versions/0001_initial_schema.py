"""Initial schema: blogs, authors, posts, tags, reactions, editors, audit log, outbox.

Hand-reviewed. Dutch full-text search: an FTS5 table on SQLite (filled by the app with
stemmed words), a GIN expression index on PostgreSQL (must match moderation.search).

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 16:01:54.670557

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('author',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_author')),
    sa.UniqueConstraint('name', name=op.f('uq_author_name'))
    )
    op.create_table('blog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('embed_origins', sa.JSON(), nullable=False),
    sa.Column('moderation_mode', sa.Enum('post', 'pre', name='moderation_mode', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('notify_addresses', sa.JSON(), nullable=False),
    sa.Column('comments_open', sa.Boolean(), nullable=False),
    sa.Column('close_after_days', sa.Integer(), nullable=True),
    sa.Column('max_links', sa.Integer(), nullable=False),
    sa.Column('blocked_words', sa.JSON(), nullable=False),
    sa.Column('suspect_words', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blog')),
    sa.UniqueConstraint('slug', name=op.f('uq_blog_slug'))
    )
    op.create_table('editor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('editor', 'admin', name='editor_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_editor')),
    sa.UniqueConstraint('email', name=op.f('uq_editor_email'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_sent_at_next_attempt_at', ['sent_at', 'next_attempt_at'], unique=False)

    op.create_table('tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag')),
    sa.UniqueConstraint('slug', name=op.f('uq_tag_slug'))
    )
    op.create_table('editor_blogs',
    sa.Column('editor_id', sa.Integer(), nullable=False),
    sa.Column('blog_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['blog_id'], ['blog.id'], name=op.f('fk_editor_blogs_blog_id_blog'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['editor_id'], ['editor.id'], name=op.f('fk_editor_blogs_editor_id_editor'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('editor_id', 'blog_id', name=op.f('pk_editor_blogs'))
    )
    with op.batch_alter_table('editor_blogs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_editor_blogs_blog_id'), ['blog_id'], unique=False)

    op.create_table('post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('blog_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('renderer_version', sa.Integer(), nullable=False),
    sa.Column('comments_open', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['author.id'], name=op.f('fk_post_author_id_author'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['blog_id'], ['blog.id'], name=op.f('fk_post_blog_id_blog'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post')),
    sa.UniqueConstraint('blog_id', 'slug', name='uq_post_blog_id_slug')
    )
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_post_blog_id_published_at', ['blog_id', 'published_at'], unique=False)
        batch_op.create_index('ix_post_published_at', ['published_at'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('website', sa.String(length=500), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('renderer_version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('published', 'pending', 'removed', 'spam', name='comment_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('is_anonymous', sa.Boolean(), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('client_hash', sa.String(length=64), nullable=True),
    sa.Column('submission_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_comment_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['comment.id'], name=op.f('fk_comment_parent_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_comment_post_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_comment_submission_key'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_client_hash'), ['client_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_comment_post_id_status_created_at', ['post_id', 'status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_comment_status_created_at', ['status', 'created_at', 'id'], unique=False)

    op.create_table('post_tags',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_post_tags_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], name=op.f('fk_post_tags_tag_id_tag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'tag_id', name=op.f('pk_post_tags'))
    )
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('moderation_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_moderation_event_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['editor_id'], ['editor.id'], name=op.f('fk_moderation_event_editor_id_editor'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_event'))
    )
    with op.batch_alter_table('moderation_event', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_event_comment_id_created_at', ['comment_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_event_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_event_editor_id'), ['editor_id'], unique=False)


    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE post_search USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE INDEX ix_post_search_nl ON post "
            "USING gin (to_tsvector('dutch', title || ' ' || body_text))"
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE post_search")
    else:
        op.execute("DROP INDEX ix_post_search_nl")
    with op.batch_alter_table('moderation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_event_editor_id'))
        batch_op.drop_index(batch_op.f('ix_moderation_event_created_at'))
        batch_op.drop_index('ix_moderation_event_comment_id_created_at')

    op.drop_table('moderation_event')
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_tags_tag_id'))

    op.drop_table('post_tags')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_status_created_at')
        batch_op.drop_index('ix_comment_post_id_status_created_at')
        batch_op.drop_index(batch_op.f('ix_comment_parent_id'))
        batch_op.drop_index(batch_op.f('ix_comment_email'))
        batch_op.drop_index(batch_op.f('ix_comment_client_hash'))

    op.drop_table('comment')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index('ix_post_published_at')
        batch_op.drop_index('ix_post_blog_id_published_at')
        batch_op.drop_index(batch_op.f('ix_post_author_id'))

    op.drop_table('post')
    with op.batch_alter_table('editor_blogs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_editor_blogs_blog_id'))

    op.drop_table('editor_blogs')
    op.drop_table('tag')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_sent_at_next_attempt_at')

    op.drop_table('outbox')
    op.drop_table('editor')
    op.drop_table('blog')
    op.drop_table('author')
