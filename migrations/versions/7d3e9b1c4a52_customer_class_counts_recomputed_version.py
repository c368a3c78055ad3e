"""customers: class counts per value class; the thresholds' recomputed version

Revision ID: 7d3e9b1c4a52
Revises: 5c1e7a9d3f20
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d3e9b1c4a52'
down_revision = 'dbdf1649f07f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_class_counts',
    sa.Column('value_class', sa.String(length=20), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('value_class', name=op.f('pk_customer_class_counts'))
    )
    with op.batch_alter_table('customer_class_thresholds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recomputed_version', sa.Integer(), nullable=True))
    # the classes stored now are the saved thresholds' (recomputed with each save so far)
    op.execute("UPDATE customer_class_thresholds SET recomputed_version = version")
    op.execute("INSERT INTO customer_class_counts (value_class, customers) "
               "SELECT value_class, count(*) FROM customers WHERE value_class IS NOT NULL "
               "GROUP BY value_class")


def downgrade():
    with op.batch_alter_table('customer_class_thresholds', schema=None) as batch_op:
        batch_op.drop_column('recomputed_version')
    op.drop_table('customer_class_counts')
