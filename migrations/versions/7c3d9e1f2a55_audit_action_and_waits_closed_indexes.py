"""Audit trail by action newest first, and the out-of-stock register's closed views, through
indexes (no sort of every matching row).

Revision ID: 7c3d9e1f2a55
Revises: 5b1e2c7d9a40
Create Date: 2026-12-01 22:30:00
"""

from alembic import op

revision = "7c3d9e1f2a55"
down_revision = "5b1e2c7d9a40"
branch_labels = None
depends_on = None


def upgrade():
    # plain CREATE/DROP INDEX (no batch mode: SQLite would copy the tables)
    op.create_index("ix_audit_events_action_at", "audit_events", ["action", "at", "id"])
    op.drop_index("ix_audit_events_action", table_name="audit_events")
    op.create_index("ix_stock_waits_state_closed", "stock_waits", ["state", "closed_at", "id"])


def downgrade():
    op.drop_index("ix_stock_waits_state_closed", table_name="stock_waits")
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.drop_index("ix_audit_events_action_at", table_name="audit_events")
