"""A bank transfer's note on why its order was marked paid although the amount differs or a
cancellation was asked for (R-O7).

Revision ID: b7e4a2c91d05
Revises: 3f6a2b8c1d47
Create Date: 2026-12-07 01:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b7e4a2c91d05"
down_revision = "3f6a2b8c1d47"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bank_transfers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paid_note", sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table("bank_transfers", schema=None) as batch_op:
        batch_op.drop_column("paid_note")
