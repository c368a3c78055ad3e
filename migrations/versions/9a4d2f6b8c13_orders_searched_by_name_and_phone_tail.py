"""Orders found by what a buyer tells staff (issue 15 item 11): the receiver's name or its
beginning, and the phone's last digits (``phone_tail``, the digits reversed, so "the last
four" is a prefix an index serves on both databases). Existing orders are filled in batches.

Revision ID: 9a4d2f6b8c13
Revises: 8d41c5e9b2f3
Create Date: 2026-12-06 18:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9a4d2f6b8c13"
down_revision = "8d41c5e9b2f3"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_tail", sa.String(length=20), nullable=True))
    orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("receiver_phone"),
                      sa.column("phone_tail"))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(orders.c.id, orders.c.receiver_phone)
                            .where(orders.c.id > last).order_by(orders.c.id)
                            .limit(BATCH)).all()
        if not rows:
            break
        bind.execute(orders.update().where(orders.c.id == sa.bindparam("ident"))
                     .values(phone_tail=sa.bindparam("tail")),
                     [{"ident": ident, "tail": "".join(c for c in phone or "" if c.isdigit())
                       [::-1] or None} for ident, phone in rows])
        last = rows[-1][0]
    op.create_index("ix_orders_phone_tail", "orders", ["phone_tail"], unique=False)
    op.create_index("ix_orders_receiver_name", "orders", ["receiver_name"], unique=False)


def downgrade():
    op.drop_index("ix_orders_receiver_name", table_name="orders")
    op.drop_index("ix_orders_phone_tail", table_name="orders")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("phone_tail")
