"""Showroom consultants: the staff the visitor form offers as consultant (issue 15 item 14).

Staff already chosen as a consultant on a visit, and active pre-sales staff, are marked, so
the arrival form offers the same people it offered most often before.

Revision ID: 3f6a1c2d8e90
Revises: 7c3d9e1f2a55
Create Date: 2026-12-05 10:00:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portal.database

revision = "3f6a1c2d8e90"
down_revision = "7c3d9e1f2a55"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "showroom_consultants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", portal.database.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["marked_by_id"], ["users.id"],
                                name=op.f("fk_showroom_consultants_marked_by_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_showroom_consultants_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_showroom_consultants")),
        sa.UniqueConstraint("user_id", name=op.f("uq_showroom_consultants_user_id")),
    )
    # who the form offered first before: pre-sales, and whoever was chosen on a visit; the
    # mark is attributed to the consultant themself (no supervisor chose it)
    op.execute(sa.text(
        "INSERT INTO showroom_consultants (user_id, active, marked_by_id, marked_at, version) "
        "SELECT u.id, :yes, u.id, :now, 1 FROM users u "
        "WHERE u.active = :yes AND (u.role = 'presales' OR u.id IN "
        "(SELECT v.consultant_id FROM visits v WHERE v.consultant_id IS NOT NULL))"
    ).bindparams(yes=True, now=datetime.now(UTC).replace(tzinfo=None)))


def downgrade():
    op.drop_table("showroom_consultants")
