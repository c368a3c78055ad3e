"""Finding a customer the way they tell us (issue 17 item 7): a part of the name, a phone
(whole or its last digits), the beginning of a buyer or WeChat ID, an order number or a
tracking number.

Every way is a range on an index of its own, read as its own limited part:

- **a part of a name** ("王", "晓明" inside "李晓明"): ``customer_name_grams`` holds each
  name's single characters and pairs of characters (NFKC, case-folded, blanks dropped), with
  the key ``(gram, customer_id)``; one or two characters are one key read newest customer
  first, three or more the first pair with the others checked by key. ``LIKE '%晓明%'`` would
  read all 300,000 names.
- **a phone**: ``customer_contacts.tail`` (the digits reversed): the last 4 to 11 digits, or
  the whole number, are a beginning of it.
- **a buyer or WeChat ID's beginning**: ``customer_contacts (kind, value)``.
- **an order or tracking number's beginning**: ``orders.order_no`` / ``orders.tracking_no``,
  then the order's ``customer_id``.

Beginnings are ranges (``>= x AND < x || U+FFFF``), not LIKE: code-point order on both
databases (SQLite's BINARY, PostgreSQL created with C.UTF-8), as the order desk's search.
The name part is keyset-paged by customer id (newest first); the other parts are cut at
``PART_LIMIT`` each (a buyer-ID prefix like ``tb_`` matches a third of everyone) and sorted
in Python, as the order desk does.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.customers.models import Customer, CustomerContact, customer_tag_links
from portal.extensions import db
from portal.orders.models import Order, phone_tail

PART_LIMIT = 200  # customers one unordered way of matching may bring (then: type more)
PAIRS_CHECKED = 6  # of a long name typed, the pairs of characters checked
TEXT_MAX = 60  # what the search box takes (the longest name, order or tracking number)
HIGH = "\uffff"


name_grams = sa.Table(
    "customer_name_grams", db.metadata,
    sa.Column("gram", sa.String(2), primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id"), primary_key=True),
)
"""One character or pair of characters of a customer's name: the name search's index (the
primary key ``(gram, customer_id)`` reads one gram's customers newest first)."""

# The list's filters read newest first through these (the ones of models.py serve the value
# classes and the owner's calls); the tracking number is read by its beginning.
sa.Index("ix_customers_kind_id", Customer.kind, Customer.id)
sa.Index("ix_customers_class_id", Customer.value_class, Customer.id)
sa.Index("ix_customers_owner_id", Customer.owner_id, Customer.id)
sa.Index("ix_orders_tracking_no", Order.tracking_no)


def normal(text: str | None) -> str:
    """What names and searches are compared as: NFKC (full-width letters and digits become
    plain ones), case-folded, without blanks."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(c for c in text if not c.isspace())


def grams(name: str | None) -> set[str]:
    """The single characters and pairs of characters of ``name``."""
    text = normal(name)
    return set(text) | {text[i:i + 2] for i in range(len(text) - 1)}


# --- keeping the grams current -----------------------------------------------------------------


def _named(session: Session) -> list[Customer]:
    """The customers of this flush whose name is new or changed."""
    found = []
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Customer):
            history = sa.inspect(obj).attrs.name.history
            if obj in session.new or history.has_changes():
                found.append(obj)
    return found


def _write_grams(session: Session, flush_context) -> None:
    """After each flush: a new customer's name grams, a renamed one's replaced (one
    ``executemany`` each, whoever wrote the customer: the attach listener, an edit, an
    anonymisation)."""
    customers = [c for c in _named(session) if c.id is not None]
    if not customers:
        return
    renamed = [c.id for c in customers if c not in session.new]
    if renamed:  # a new customer has no grams to replace
        session.execute(name_grams.delete().where(name_grams.c.customer_id.in_(renamed)))
    rows = [{"gram": g, "customer_id": c.id} for c in customers for g in grams(c.name)]
    if rows:
        session.execute(name_grams.insert(), rows)


def init_app(app) -> None:
    """Listen on every session of the app."""
    if not event.contains(Session, "after_flush", _write_grams):
        event.listen(Session, "after_flush", _write_grams)


def rebuild_grams(session: Session, batch: int = 20_000) -> int:
    """Write every customer's name grams again (after a bulk load that bypassed the ORM)."""
    session.execute(name_grams.delete())
    written, last = 0, 0
    while True:
        rows = session.execute(sa.select(Customer.id, Customer.name).where(Customer.id > last)
                               .order_by(Customer.id).limit(batch)).all()
        if not rows:
            return written
        values = [{"gram": g, "customer_id": cid} for cid, name in rows for g in grams(name)]
        session.execute(name_grams.insert(), values)
        written += len(values)
        last = rows[-1].id


# --- searching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The list's filters: kind, value class, owner, tag (None: any)."""

    kind: str | None = None
    value_class: str | None = None
    owner_id: int | None = None
    tag_id: int | None = None

    def apply(self, query, id_column=Customer.id):
        if self.kind:
            query = query.where(Customer.kind == self.kind)
        if self.value_class:
            query = query.where(Customer.value_class == self.value_class)
        if self.owner_id:
            query = query.where(Customer.owner_id == self.owner_id)
        if self.tag_id:
            query = query.where(sa.exists().where(customer_tag_links.c.customer_id == id_column,
                                                  customer_tag_links.c.tag_id == self.tag_id))
        return query

    @property
    def any(self) -> bool:
        return bool(self.kind or self.value_class or self.owner_id or self.tag_id)


@dataclass
class Found:
    """A page of customers found, newest first; ``older`` the cursor (a customer id) of the
    next page; ``many`` when some way of matching had more than it reads."""

    items: list[Customer]
    older: int | None
    many: bool = False


def _begins(column, value: str):
    return sa.and_(column >= value, column < value + HIGH)


def _by_name(text: str, filters: Filters, before: int | None, wanted: int):
    """Customers whose name holds ``text``, newest first, from the gram key."""
    text = normal(text)
    if not text:
        return None
    pairs = list(dict.fromkeys(text[i:i + 2] for i in range(len(text) - 1)))[:PAIRS_CHECKED]
    first = name_grams.alias("g0")
    query = sa.select(first.c.customer_id).where(first.c.gram == (pairs[0] if pairs else text))
    for n, pair in enumerate(pairs[1:], 1):
        other = name_grams.alias(f"g{n}")
        query = query.where(sa.exists().where(other.c.gram == pair,
                                              other.c.customer_id == first.c.customer_id))
    if before:
        query = query.where(first.c.customer_id < before)
    if filters.any:
        query = filters.apply(query.join(Customer, Customer.id == first.c.customer_id))
    return query.order_by(first.c.customer_id.desc()).limit(wanted)


def _digits(text: str) -> str | None:
    digits = "".join(c for c in text if c not in " -")
    return digits if digits.isdigit() and 4 <= len(digits) <= 15 else None


def _others(text: str) -> list:
    """The unordered ways of matching ``text``, each a limited select of customer ids."""
    parts = []
    digits = _digits(unicodedata.normalize("NFKC", text))
    if digits:
        parts.append(sa.select(CustomerContact.customer_id)
                     .where(_begins(CustomerContact.tail, phone_tail(digits))))
    for kind in ("buyer", "wechat"):
        parts.append(sa.select(CustomerContact.customer_id)
                     .where(CustomerContact.kind == kind, _begins(CustomerContact.value, text)))
    for column in (Order.order_no, Order.tracking_no):
        parts.append(sa.select(Order.customer_id)
                     .where(_begins(column, text), Order.customer_id.is_not(None)))
    return [part.limit(PART_LIMIT) for part in parts]


def search(text: str, filters: Filters = Filters(), *, before: int | None = None,
           per_page: int = 20) -> Found:
    """Customers matching ``text`` (any of the ways above), newest first, older than the
    customer id ``before``; merged ones too (the list says whom they were merged into)."""
    text = text.strip()
    wanted = per_page + 1
    parts = [part.subquery() for part in _others(text)]
    by_name = _by_name(text, filters, before, wanted)
    if by_name is not None:
        parts.append(by_name.subquery())
    selects = [sa.select(part.c[0].label("id"), sa.literal(n).label("part"))
               for n, part in enumerate(parts)]
    found = db.session.execute(sa.union_all(*selects)).all()
    ids = {row.id for row in found}
    # an unordered part cut at PART_LIMIT may have left some out: the page says so
    per_part = {}
    for row in found:
        per_part[row.part] = per_part.get(row.part, 0) + 1
    many = any(n < len(parts) - (by_name is not None) and count >= PART_LIMIT
               for n, count in per_part.items())
    if before:
        ids = {i for i in ids if i < before}
    if not ids:
        return Found([], None, many)
    query = filters.apply(sa.select(Customer).where(Customer.id.in_(sorted(ids))))
    rows = list(db.session.scalars(query.order_by(Customer.id.desc()).limit(wanted)))
    items = rows[:per_page]
    return Found(items, items[-1].id if len(rows) > per_page else None, many)


def listing(filters: Filters = Filters(), *, before: int | None = None,
            per_page: int = 20) -> Found:
    """Customers newest first (not the merged ones), older than the customer id ``before``."""
    query = filters.apply(sa.select(Customer).where(Customer.merged_into_id.is_(None)))
    if before:
        query = query.where(Customer.id < before)
    rows = list(db.session.scalars(query.order_by(Customer.id.desc()).limit(per_page + 1)))
    items = rows[:per_page]
    return Found(items, items[-1].id if len(rows) > per_page else None)
