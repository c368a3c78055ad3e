"""Change counters for cheap polls (issue 20 item 4): one number per watched table (and per
user for notifications), bumped in the transaction of the change; a polled fragment's ETag.

Revision ID: 5e7a1c9d3b20
Revises: 9a4d2f6b8c13
Create Date: 2026-12-08 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5e7a1c9d3b20"
down_revision = "36c88745d682"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "change_counters",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_change_counters")),
    )


def downgrade():
    op.drop_table("change_counters")
