"""Notifications already sent with a label rendered into their parameters (an order clerk's
task, a repair's status, in English) get that label back as a message id, so it is shown in
the reader's language like the message around it (issue 15 item 9).

Revision ID: c3f8d6a0b712
Revises: b7e4a2c91d05
Create Date: 2026-12-07 02:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3f8d6a0b712"
down_revision = "b7e4a2c91d05"
branch_labels = None
depends_on = None

# message id -> the parameter that carried a label
LABELLED = {
    "Order %(no)s: %(task)s (from %(name)s).": "task",
    "%(name)s closed the repair of %(place)s: %(status)s": "status",
}

notifications = sa.table("notifications", sa.column("id", sa.Integer),
                         sa.column("message", sa.String), sa.column("params", sa.JSON))


def _rewrite(to_term: bool) -> None:
    bind = op.get_bind()
    for message, name in LABELLED.items():
        rows = bind.execute(sa.select(notifications.c.id, notifications.c.params)
                            .where(notifications.c.message == message)).all()
        for row_id, params in rows:
            value = (params or {}).get(name)
            if to_term and isinstance(value, str):
                params = {**params, name: {"msgid": value}}
            elif not to_term and isinstance(value, dict) and "msgid" in value:
                params = {**params, name: value["msgid"]}
            else:
                continue
            bind.execute(sa.update(notifications).where(notifications.c.id == row_id)
                         .values(params=params))


def upgrade():
    _rewrite(to_term=True)


def downgrade():
    _rewrite(to_term=False)
