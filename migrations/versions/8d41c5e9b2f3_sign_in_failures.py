"""Failed sign-ins kept in the database, so the sign-in limits count per person across every
worker and instance (not per worker, as the limiter's memory storage did).

Revision ID: 8d41c5e9b2f3
Revises: 3f6a2b8c1d07
Create Date: 2026-12-06 18:30:00
"""

import sqlalchemy as sa
from alembic import op

import portal.database

revision = "8d41c5e9b2f3"
down_revision = "3f6a2b8c1d07"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", portal.database.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_at"), "sign_in_failures", ["at"])
    op.create_index("ix_sign_in_failures_username_at", "sign_in_failures", ["username", "at"])
    op.create_index("ix_sign_in_failures_ip_at", "sign_in_failures", ["ip", "at"])


def downgrade():
    op.drop_index("ix_sign_in_failures_ip_at", table_name="sign_in_failures")
    op.drop_index("ix_sign_in_failures_username_at", table_name="sign_in_failures")
    op.drop_index(op.f("ix_sign_in_failures_at"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
