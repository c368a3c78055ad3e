"""worklog and knowledge: a partial index of the unresolved questions not promoted to an
article; articles by their last change whatever their state

Revision ID: 3c8d2f6a9e14
Revises: 539150809f69
Create Date: 2026-12-07 02:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c8d2f6a9e14'
down_revision = '539150809f69'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_lines', schema=None) as batch_op:
        batch_op.create_index('ix_work_lines_unpromoted', ['day', 'id'], unique=False,
                              sqlite_where=sa.text('resolved = 0 AND article_id IS NULL'),
                              postgresql_where=sa.text('resolved IS false AND article_id IS NULL'))
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_updated', ['updated_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_updated')
    with op.batch_alter_table('work_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_work_lines_unpromoted',
                            sqlite_where=sa.text('resolved = 0 AND article_id IS NULL'),
                            postgresql_where=sa.text('resolved IS false AND article_id IS NULL'))
