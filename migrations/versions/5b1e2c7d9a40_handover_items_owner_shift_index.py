"""handover items: index on (owner_id, shift_date), replacing the one on owner_id alone

What a person followed up in a month (the score sheets' link candidates) read every item
they ever took over through ``ix_handover_items_owner_id``; the composite index reads only
the month's, and serves every lookup by owner alone as well.

Revision ID: 5b1e2c7d9a40
Revises: 09ef3d17f24d
Create Date: 2026-12-01 21:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b1e2c7d9a40'
down_revision = '09ef3d17f24d'
branch_labels = None
depends_on = None


# plain op.create_index/op.drop_index, not batch mode: an index needs no copy of the table
# (batch mode may rebuild a million-row table on SQLite)
def upgrade():
    op.create_index('ix_handover_items_owner_shift', 'handover_items',
                    ['owner_id', 'shift_date'], unique=False)
    op.drop_index('ix_handover_items_owner_id', table_name='handover_items')


def downgrade():
    op.create_index('ix_handover_items_owner_id', 'handover_items', ['owner_id'], unique=False)
    op.drop_index('ix_handover_items_owner_shift', table_name='handover_items')
