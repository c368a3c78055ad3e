"""A password set by someone else (a new account, a reset) must be changed at next sign-in.

Revision ID: 3f6a2b8c1d07
Revises: b7e4c2a9d816
Create Date: 2026-12-06 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f6a2b8c1d07"
down_revision = "b7e4c2a9d816"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
