"""Names per language of the showroom's menu items and checklist items (issue 15 item 17).

Revision ID: 8b2e4f6a1c37
Revises: 3f6a1c2d8e90
Create Date: 2026-12-05 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "8b2e4f6a1c37"
down_revision = "3f6a1c2d8e90"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("menu_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("names", sa.JSON(), nullable=True))
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("names", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.drop_column("names")
    with op.batch_alter_table("menu_items", schema=None) as batch_op:
        batch_op.drop_column("names")
