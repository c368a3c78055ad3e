"""One search index: search_docs (+ SQLite FTS5 search_fts and its triggers, PostgreSQL
tsvector + GIN), backfilled from articles, work lines, complaints and handover items.

Revision ID: 5e4c1a7b9d20
Revises: b4c1e7a9d203
Create Date: 2026-12-06 23:20:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import portal.database

# revision identifiers, used by Alembic.
revision = '5e4c1a7b9d20'
down_revision = 'b4c1e7a9d203'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_docs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('ref', sa.String(length=40), server_default='', nullable=False),
        sa.Column('at', portal.database.UTCDateTime(), nullable=False),
        sa.Column('title', sa.String(length=300), server_default='', nullable=False),
        sa.Column('body', sa.Text(), server_default='', nullable=False),
        sa.Column('summary', sa.String(length=300), server_default='', nullable=False),
        sa.Column('tokens', sa.Text(), server_default='', nullable=False),
        sa.Column('tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'),
                  nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_docs')),
        sa.UniqueConstraint('kind', 'ref_id', name='uq_search_docs_kind_ref'),
    )
    with op.batch_alter_table('search_docs', schema=None) as batch_op:
        batch_op.create_index('ix_search_docs_tsv', ['tsv'], unique=False,
                              postgresql_using='gin', sqlite_where=sa.text('tsv IS NOT NULL'))

    from portal.search.index import rebuild
    from portal.search.models import create_fts

    connection = op.get_bind()
    create_fts(connection)
    # the records written before the index, oldest first (ids follow recency), in batches
    rebuild(connection)
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('optimize')")


def downgrade():
    from portal.search.models import drop_fts

    drop_fts(op.get_bind())
    with op.batch_alter_table('search_docs', schema=None) as batch_op:
        batch_op.drop_index('ix_search_docs_tsv', postgresql_using='gin',
                            sqlite_where=sa.text('tsv IS NOT NULL'))
    op.drop_table('search_docs')
