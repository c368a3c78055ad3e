"""Score catalogue items get a name per language (zh_CN, zh_TW, en), shown in the reader's
language (issue 15, item 17).

Revision ID: 3f6a2b8c1d47
Revises: 8b2e4f6a1c37
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f6a2b8c1d47"
down_revision = "8b2e4f6a1c37"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("score_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("names", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("score_rules", schema=None) as batch_op:
        batch_op.drop_column("names")
