"""shift types: a name per language (names, JSON) and a version for the supervisor's editing page

Shift types are data (R-S1) whose names stayed Chinese in English and Traditional Chinese
(issue 15 item 17): ``names`` holds the other languages' names; ``version`` makes two people
editing one shift type a conflict, not a lost update.

Revision ID: b7e4c2a9d816
Revises: c3f8d6a0b712
Create Date: 2026-12-06 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e4c2a9d816'
down_revision = 'c3f8d6a0b712'
branch_labels = None
depends_on = None


# plain add/drop column, not batch mode: batch mode copies the table, and on SQLite the copy's
# DROP TABLE fails for the rows that refer to the shift types (roster cells, handover items)
def upgrade():
    op.add_column('shift_types', sa.Column('names', sa.JSON(), nullable=True))
    op.add_column('shift_types', sa.Column('version', sa.Integer(), server_default='1',
                                           nullable=False))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":  # SQLite 3.35+ drops a column in place
        op.execute("ALTER TABLE shift_types DROP COLUMN version")
        op.execute("ALTER TABLE shift_types DROP COLUMN names")
        return
    op.drop_column('shift_types', 'version')
    op.drop_column('shift_types', 'names')
