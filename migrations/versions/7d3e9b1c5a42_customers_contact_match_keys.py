"""customers: contacts' match keys (possible duplicates through one index)

``customer_contacts.match_key``: a phone's number; an address's receiver name and address
normalised (NFKC, case and spaces ignored); NULL for other kinds. Filled here for every
existing contact, in batches.

Revision ID: 7d3e9b1c5a42
Revises: dbdf1649f07f
Create Date: 2026-12-07 09:00:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "7d3e9b1c5a42"
down_revision = "7d3e9b1c4a52"
branch_labels = None
depends_on = None

BATCH = 5000


def _squeezed(text):
    return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _address_key(value, label):
    name, address = _squeezed(label), _squeezed(value)
    return f"{name}|{address}"[:400] if name and address else None


def upgrade():
    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_key", sa.String(length=400), nullable=True))
    bind = op.get_bind()
    contacts = sa.table("customer_contacts", sa.column("id"), sa.column("kind"),
                        sa.column("value"), sa.column("label"), sa.column("match_key"))
    bind.execute(sa.update(contacts).where(contacts.c.kind == "phone")
                 .values(match_key=contacts.c.value))
    last = 0
    while True:
        rows = bind.execute(sa.select(contacts.c.id, contacts.c.value, contacts.c.label)
                            .where(contacts.c.kind == "address", contacts.c.id > last)
                            .order_by(contacts.c.id).limit(BATCH)).all()
        if not rows:
            break
        last = rows[-1].id
        keys = [{"ident": r.id, "key": _address_key(r.value, r.label)} for r in rows]
        keys = [k for k in keys if k["key"] is not None]
        if keys:
            bind.execute(sa.update(contacts).where(contacts.c.id == sa.bindparam("ident"))
                         .values(match_key=sa.bindparam("key")), keys)
    op.create_index("ix_customer_contacts_match", "customer_contacts",
                    ["kind", "match_key", "customer_id"], unique=False,
                    sqlite_where=sa.text("match_key IS NOT NULL"),
                    postgresql_where=sa.text("match_key IS NOT NULL"))


def downgrade():
    op.drop_index("ix_customer_contacts_match", table_name="customer_contacts",
                  sqlite_where=sa.text("match_key IS NOT NULL"),
                  postgresql_where=sa.text("match_key IS NOT NULL"))
    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        batch_op.drop_column("match_key")
