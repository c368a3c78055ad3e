"""customer search: name grams; list filters' and tracking number's indexes

Revision ID: 5c1e7a9d3f20
Revises: b448ac32db52
Create Date: 2026-12-07 10:00:00.000000

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e7a9d3f20'
down_revision = '5b0ae9936c8f'
branch_labels = None
depends_on = None


def _grams(name):
    # as portal.customers.search.grams (a migration keeps its own copy)
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = "".join(c for c in text if not c.isspace())
    return set(text) | {text[i:i + 2] for i in range(len(text) - 1)}


def upgrade():
    grams = op.create_table('customer_name_grams',
    sa.Column('gram', sa.String(length=2), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_name_grams_customer_id_customers')),
    sa.PrimaryKeyConstraint('gram', 'customer_id', name=op.f('pk_customer_name_grams'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index('ix_customers_class_id', ['value_class', 'id'], unique=False)
        batch_op.create_index('ix_customers_owner_id', ['owner_id', 'id'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_tracking_no', ['tracking_no'], unique=False)

    # the grams of the customers there already
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.text(
            "SELECT id, name FROM customers WHERE id > :last ORDER BY id LIMIT 10000"),
            {"last": last}).all()
        if not rows:
            break
        values = [{"gram": g, "customer_id": cid} for cid, name in rows for g in _grams(name)]
        if values:
            op.bulk_insert(grams, values)
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_tracking_no')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_owner_id')
        batch_op.drop_index('ix_customers_class_id')
        batch_op.drop_index('ix_customers_kind_id')
    op.drop_table('customer_name_grams')
