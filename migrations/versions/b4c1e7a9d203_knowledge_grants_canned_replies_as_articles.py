"""knowledge base: permissions granted to a person (users.grants); canned replies become
published articles with a reply text (one place for answers; aftersales_replies dropped)

Revision ID: b4c1e7a9d203
Revises: 75f1fa27a8db
Create Date: 2026-12-06 23:20:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b4c1e7a9d203'
down_revision = '75f1fa27a8db'
branch_labels = None
depends_on = None

IMPORTED = "canned reply"  # the first version's note of an article copied from a reply


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grants', sa.String(length=200), nullable=False,
                                      server_default=''))

    bind = op.get_bind()
    replies = sa.table('aftersales_replies', sa.column('id', sa.Integer),
                       sa.column('title', sa.String), sa.column('text', sa.String),
                       sa.column('sort_order', sa.Integer), sa.column('active', sa.Boolean))
    articles = sa.table(
        'articles', sa.column('id', sa.Integer), sa.column('question', sa.String),
        sa.column('phrasings', sa.Text), sa.column('answer', sa.Text),
        sa.column('reply_text', sa.String), sa.column('skus', sa.String),
        sa.column('tags', sa.String), sa.column('state', sa.String),
        sa.column('reviewed_at', sa.DateTime), sa.column('published_at', sa.DateTime),
        sa.column('created_at', sa.DateTime), sa.column('updated_at', sa.DateTime),
        sa.column('revision', sa.Integer), sa.column('version', sa.Integer))
    versions = sa.table(
        'article_versions', sa.column('article_id', sa.Integer), sa.column('number', sa.Integer),
        sa.column('question', sa.String), sa.column('phrasings', sa.Text),
        sa.column('answer', sa.Text), sa.column('reply_text', sa.String),
        sa.column('skus', sa.String), sa.column('tags', sa.String),
        sa.column('state', sa.String), sa.column('at', sa.DateTime),
        sa.column('note', sa.String))
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = bind.execute(sa.select(replies.c.title, replies.c.text, replies.c.active)
                        .order_by(replies.c.sort_order, replies.c.id)).all()
    for title, text, active in rows:
        state = 'published' if active else 'retired'
        article_id = bind.execute(articles.insert().values(
            question=title, phrasings='', answer=text, reply_text=text[:1000], skus='',
            tags='', state=state, reviewed_at=now, published_at=now, created_at=now,
            updated_at=now, revision=1, version=1).returning(articles.c.id)).scalar_one()
        bind.execute(versions.insert().values(
            article_id=article_id, number=1, question=title, phrasings='', answer=text,
            reply_text=text[:1000], skus='', tags='', state=state, at=now, note=IMPORTED))
    op.drop_table('aftersales_replies')


def downgrade():
    op.create_table('aftersales_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_replies'))
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        'SELECT a.question, a.reply_text, a.state FROM articles a JOIN article_versions v '
        'ON v.article_id = a.id AND v.number = 1 AND v.note = :note ORDER BY a.id'),
        {'note': IMPORTED}).all()
    for position, (title, text, state) in enumerate(rows, start=1):
        bind.execute(sa.text(
            'INSERT INTO aftersales_replies (title, text, sort_order, active, version) '
            'VALUES (:title, :text, :sort_order, :active, 1)'),
            {'title': title[:60], 'text': text, 'sort_order': position * 10,
             'active': state == 'published'})
    bind.execute(sa.text('DELETE FROM article_versions WHERE article_id IN '
                         '(SELECT article_id FROM article_versions WHERE note = :note '
                         'AND number = 1)'), {'note': IMPORTED})
    bind.execute(sa.text('DELETE FROM articles WHERE id NOT IN '
                         '(SELECT article_id FROM article_versions)'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('grants')
