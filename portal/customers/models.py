"""The customer archive (客户档案, R-C1, R-C8): the person behind orders, cases, transfers,
waits, showroom visits and return visits; their contacts, tags, notes and value class.

A customer is never deleted: a merge points the absorbed record at the survivor
(``merged_into_id``) and an anonymisation replaces names and contacts but keeps the record
and everything linked to it.
"""

import unicodedata
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.database import NamedEntry, UTCDateTime
from portal.extensions import db
from portal.i18n import N_
from portal.orders.models import BankTransfer, Order, StockWait
from portal.reception.models import Visit

MONEY = sa.Numeric(12, 2)

KINDS = {
    "retail": N_("Retail buyer"),
    "distributor": N_("Distributor"),
    "prospect": N_("Showroom visitor / prospect"),
    "member": N_("Member"),
}

# where the record was first built from (the first record that attached to it)
SOURCES = {
    "order": N_("Sales order"),  # "Order" alone is the checklist's sort order
    "aftersales": N_("After-sales case"),
    "transfer": N_("Bank transfer"),
    "wait": N_("Out-of-stock wait"),
    "visit": N_("Showroom visit"),
    "return_visit": N_("Return visit"),
    "manual": N_("Entered by hand"),
}

CONTACT_KINDS = {
    "phone": N_("Phone"),
    "buyer": N_("Platform buyer ID"),
    "wechat": N_("WeChat ID"),
    "address": N_("Delivery address"),  # "Address" alone is the audit trail's IP address
}


class Customer(db.Model):
    """One person (or company) the department serves."""

    __tablename__ = "customers"
    __table_args__ = (
        sa.Index("ix_customers_owner", "owner_id", "value_class"),
        sa.Index("ix_customers_class", "value_class", "last_order_at"),
        sa.Index("ix_customers_name", "name"),
        sa.Index("ix_customers_merged_into", "merged_into_id"),
        sa.Index("ix_customers_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))  # the display name
    # retail | distributor | prospect | member (KINDS)
    kind: Mapped[str] = mapped_column(sa.String(12), default="retail")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(sa.String(12), default="manual")  # SOURCES
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    need_notes: Mapped[str] = mapped_column(sa.String(1000), default="")  # needs, interests
    # the value class (RFM, computed; see portal.customers.classes) and what it was made of
    value_class: Mapped[str | None] = mapped_column(sa.String(20))
    order_count: Mapped[int] = mapped_column(default=0)  # F: orders in the class window
    order_money: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))  # M
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # R
    class_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the last contact of any kind (order, visit, call, case): the care list's "gone quiet"
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a merged customer points at the one that absorbed it; lists leave it out
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now,
                                                 onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    merged_into = relationship("Customer", remote_side=[id])
    contacts = relationship("CustomerContact", back_populates="customer", lazy="selectin",
                            order_by="CustomerContact.id")
    tags = relationship("CustomerTag", secondary="customer_tag_links", lazy="selectin",
                        order_by="CustomerTag.name")

    def contacts_of(self, kind: str) -> list["CustomerContact"]:
        return [c for c in self.contacts if c.kind == kind]

    @property
    def phones(self) -> list[str]:
        return [c.value for c in self.contacts_of("phone")]


MATCH_MAX = 400


def _squeezed(text: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def match_key(kind: str, value: str | None, label: str | None = "") -> str | None:
    """What two customers share when they may be one person (the duplicates list): a
    phone's number; an address's receiver name and the address, normalised (full-width
    folded, case and spaces ignored). None for every other kind, or an address without a
    name."""
    if kind == "phone":
        return (value or None) and value[:MATCH_MAX]
    if kind == "address":
        name, address = _squeezed(label), _squeezed(value)
        return f"{name}|{address}"[:MATCH_MAX] if name and address else None
    return None


class CustomerContact(db.Model):
    """One way to reach or recognise a customer: a phone (normalised by portal.phones), a
    platform buyer ID (with its platform), a WeChat ID, or an address from an order (with the
    receiver's name as ``label``). A buyer ID belongs to one customer; a phone may show under
    two until a person merges them (that is what the duplicates list finds)."""

    __tablename__ = "customer_contacts"
    __table_args__ = (
        # exact lookup on attach: (kind, platform, value); platform is "" when none
        sa.Index("ix_customer_contacts_lookup", "kind", "value", "platform"),
        sa.Index("uq_customer_contacts_buyer", "platform", "value", unique=True,
                 sqlite_where=sa.text("kind = 'buyer'"),
                 postgresql_where=sa.text("kind = 'buyer'")),
        # "the last four digits": a prefix of the reversed digits (see orders.phone_tail)
        sa.Index("ix_customer_contacts_tail", "tail"),
        sa.Index("ix_customer_contacts_customer", "customer_id", "kind"),
        # possible duplicates: keys shared by two customers, read as an index-only GROUP BY
        sa.Index("ix_customer_contacts_match", "kind", "match_key", "customer_id",
                 sqlite_where=sa.text("match_key IS NOT NULL"),
                 postgresql_where=sa.text("match_key IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(sa.String(8))  # CONTACT_KINDS
    platform: Mapped[str] = mapped_column(sa.String(12), default="")  # for a buyer ID
    value: Mapped[str] = mapped_column(sa.String(300))
    label: Mapped[str] = mapped_column(sa.String(60), default="")  # an address's receiver
    tail: Mapped[str | None] = mapped_column(sa.String(20))  # a phone's digits reversed
    # match_key(kind, value, label), kept by the listeners below (and the bulk backfill)
    match_key: Mapped[str | None] = mapped_column(sa.String(MATCH_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    customer = relationship(Customer, back_populates="contacts")


@sa.event.listens_for(CustomerContact, "before_insert")
@sa.event.listens_for(CustomerContact, "before_update")
def _keep_match_key(mapper, connection, contact: CustomerContact) -> None:
    """Every ORM write of a contact (attach, the record form, anonymisation) keeps its key."""
    contact.match_key = match_key(contact.kind, contact.value, contact.label)


class CustomerTag(NamedEntry, db.Model):
    """A tag of the shared set the supervisor keeps (企业微信-style shared tags); named per
    language like the showroom's lists."""

    __tablename__ = "customer_tags"


customer_tag_links = sa.Table(
    "customer_tag_links", db.metadata,
    sa.Column("customer_id", sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("customer_tags.id"), primary_key=True),
    sa.Index("ix_customer_tag_links_tag", "tag_id", "customer_id"),
)


class CustomerNote(db.Model):
    """A note on a customer (what they said, what they need); kept, never edited."""

    __tablename__ = "customer_notes"
    __table_args__ = (sa.Index("ix_customer_notes_customer", "customer_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    body: Mapped[str] = mapped_column(sa.String(1000))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    author = relationship("User", lazy="joined")


# The records a customer is built from carry ``customer_id`` in their own tables; the
# relationship is added here, by the area that reads it, so that those areas never import
# this one (tests/test_actions.py forbids the circle).
LINKED = (Order, AfterSalesCase, BankTransfer, StockWait, Visit, ReturnVisit)
for _linked in LINKED:
    _linked.customer = relationship(Customer, foreign_keys=[_linked.customer_id])
