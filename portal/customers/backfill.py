"""Link the records written before the customer archive existed (issue 17 item 2a).

``flask portal link-customers`` walks orders, after-sales cases, bank transfers, waits,
showroom visits and return visits that have no customer yet, oldest id first, in batches,
and gives each the customer ``attach`` would have given it had it been written one by one
today: the rules are ``attach.customer_for``'s, not a second copy. What makes it fast:

* records are read as plain rows (a case or a return visit with a stand-in for its order or
  case), never as ORM objects;
* the customers a batch may meet (by the buyer IDs and phones it names, or through its
  orders and cases) are read in a few queries into *transient* ``Customer`` objects that the
  session does not track; ``BatchFinder`` answers ``attach``'s questions from them exactly as
  the database would after each record's flush (a phone's customer is the lowest-id live
  one);
* what the rules changed is then written with executemany statements: new customers and
  contacts inserted, ``last_contact_at`` of the others, and each record's ``customer_id``
  (a record's own ``version`` does not move: nobody changed what they see of it).

Each batch is committed by the caller (the CLI), so a run that stops resumes where it was:
it picks up the records still without a customer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import sqlalchemy as sa

from portal import clock
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.customers.attach import NAME_MAX, Finder, _normal_phone, customer_for
from portal.customers.models import Customer, CustomerContact, match_key
from portal.extensions import db
from portal.orders.models import BankTransfer, Order, StockWait
from portal.reception.models import Visit

CONTACT_COLUMNS = ("kind", "platform", "value", "label", "tail")


def _survivors(ids: set[int]) -> dict[int, int]:
    """{customer id: the id of the live customer that stands for it} (a merged one's
    survivor, followed along a chain of merges)."""
    result = {i: i for i in ids}
    pending = set(ids)
    for _ in range(10):
        if not pending:
            break
        rows = db.session.execute(sa.select(Customer.id, Customer.merged_into_id)
                                  .where(Customer.id.in_(pending)))
        moved = {cid: into for cid, into in rows if into is not None}
        for origin, now in result.items():
            if now in moved:
                result[origin] = moved[now]
        pending = set(moved.values())
    return result


@dataclass(eq=False)
class Shadow:
    """A customer as the rules see it, outside the session: ``attach`` reads and changes
    only these attributes (a new one has ``id`` None until written)."""

    id: int | None
    name: str
    kind: str
    source: str = "order"
    last_contact_at: object = None
    merged_into_id: None = None  # only live customers are loaded
    contacts: list = field(default_factory=list)


@dataclass
class BatchFinder(Finder):
    """``attach``'s Finder over one batch, from memory: the customers the batch may meet
    are loaded as transient objects first; new ones are made transient too."""

    customers: dict = field(default_factory=dict)  # id -> transient live Customer
    buyers: dict = field(default_factory=dict)  # (platform, buyer ID) -> Customer
    phone_owner: dict = field(default_factory=dict)  # phone -> its lowest-id live Customer
    new: list = field(default_factory=list)  # customers made in this batch, in order
    rank: dict = field(default_factory=dict)  # id(new customer) -> creation rank
    touched: dict = field(default_factory=dict)  # id -> last_contact_at as loaded
    alias: dict = field(default_factory=dict)  # customer id -> its live customer's id

    values: set = field(default_factory=set)  # every contact value the batch may add

    def load(self, ids: set[int]) -> dict[int, Shadow]:
        """The live customers standing for ``ids``: {id: Shadow}. Of their contacts only
        those the batch could add again are read (``add_contact`` skips an equal one)."""
        ids = {i for i in ids if i is not None}
        self.alias.update(_survivors(ids - self.alias.keys()))
        wanted = {self.alias[i] for i in ids} - self.customers.keys()
        if wanted:
            table = Customer.__table__
            contacts: dict[int, list] = {i: [] for i in wanted}
            if self.values:
                for row in db.session.execute(
                        sa.select(CustomerContact.__table__).where(
                            CustomerContact.customer_id.in_(wanted),
                            CustomerContact.value.in_(self.values))):
                    contacts[row.customer_id].append(SimpleNamespace(
                        id=row.id, **{c: getattr(row, c) for c in CONTACT_COLUMNS}))
            for row in db.session.execute(
                    sa.select(table.c.id, table.c.name, table.c.kind, table.c.last_contact_at)
                    .where(table.c.id.in_(wanted))):
                self.customers[row.id] = Shadow(row.id, row.name, row.kind,
                                                last_contact_at=row.last_contact_at,
                                                contacts=contacts[row.id])
                self.touched[row.id] = row.last_contact_at
        return {origin: self.customers[self.alias[origin]] for origin in ids}

    def preload(self, buyer_keys: set, phones: set) -> None:
        """The customers of the buyer IDs and phones a batch names."""
        buyer_rows, phone_rows = [], []
        if buyer_keys:
            buyer_rows = [row for row in db.session.execute(
                sa.select(CustomerContact.platform, CustomerContact.value,
                          CustomerContact.customer_id)
                .where(CustomerContact.kind == "buyer",
                       CustomerContact.value.in_({v for _p, v in buyer_keys})))
                if (row.platform, row.value) in buyer_keys]
        if phones:
            phone_rows = list(db.session.execute(
                sa.select(CustomerContact.value, CustomerContact.customer_id)
                .join(Customer, Customer.id == CustomerContact.customer_id)
                .where(CustomerContact.kind == "phone", CustomerContact.value.in_(phones),
                       Customer.merged_into_id.is_(None))))
        found = self.load({r.customer_id for r in buyer_rows} |
                          {r.customer_id for r in phone_rows})
        for row in buyer_rows:
            self.buyers[(row.platform, row.value)] = found[row.customer_id]
        for row in phone_rows:
            self._own(row.value, found[row.customer_id])

    def _rank(self, customer: Customer) -> tuple:
        # new customers get ids when written, after every existing one, in creation order
        if customer.id is not None:
            return (0, customer.id)
        return (1, self.rank[id(customer)])

    def _own(self, phone: str, customer: Customer) -> None:
        held = self.phone_owner.get(phone)
        if held is None or self._rank(customer) < self._rank(held):
            self.phone_owner[phone] = customer

    def by_buyer(self, platform: str, buyer_id: str) -> Customer | None:
        key = (platform or "", buyer_id)
        if key in self.made_by_buyer:
            return self.made_by_buyer[key]
        found = self.buyers.get(key)
        if found is not None:
            self.made_by_buyer[key] = found
            self.known_buyers.add(key)
        return found

    def by_phone(self, phone: str) -> Customer | None:
        return self.phone_owner.get(phone)

    def make(self, *, name: str, kind: str, source: str) -> Customer:
        customer = Shadow(None, (name or "").strip()[:NAME_MAX] or "-", kind, source)
        self.rank[id(customer)] = len(self.new)
        self.new.append(customer)
        return customer

    def remember(self, customer: Customer, *, buyer: tuple | None = None,
                 phone: str | None = None) -> None:
        if buyer:
            self.made_by_buyer[buyer] = customer
        if phone:
            self._own(phone, customer)

    def write(self) -> None:
        """Insert the new customers and every new contact; move ``last_contact_at`` of the
        loaded ones the batch touched."""
        customers = Customer.__table__
        if self.new:
            ids = db.session.execute(
                sa.insert(customers).returning(customers.c.id, sort_by_parameter_order=True),
                [{"name": c.name, "kind": c.kind, "source": c.source,
                  "last_contact_at": c.last_contact_at} for c in self.new]).scalars().all()
            for customer, new_id in zip(self.new, ids, strict=True):
                customer.id = new_id
        contacts = [{"customer_id": customer.id, "kind": contact.kind,
                     "platform": contact.platform or "", "value": contact.value,
                     "label": contact.label or "", "tail": contact.tail,
                     "match_key": match_key(contact.kind, contact.value, contact.label)}
                    for customer in [*self.customers.values(), *self.new]
                    for contact in customer.contacts if contact.id is None]
        if contacts:
            db.session.execute(sa.insert(CustomerContact.__table__), contacts)
        moved = [{"cid": cid, "at": self.customers[cid].last_contact_at}
                 for cid, before in self.touched.items()
                 if self.customers[cid].last_contact_at != before]
        if moved:
            db.session.execute(
                sa.update(customers).where(customers.c.id == sa.bindparam("cid"))
                .values(last_contact_at=sa.bindparam("at"), updated_at=clock.now(),
                        version=customers.c.version + 1), moved)


@dataclass(frozen=True)
class Step:
    """One kind of record to link: ``query`` reads its rows without a customer (plain
    columns); ``buyers``/``phones`` say what a row names to preload; ``customers`` which
    customer ids it reaches through its order or case; ``stand_in`` makes the object
    ``attach``'s rule reads (the row itself, or with its order or case)."""

    model: type
    query: Callable[[], sa.Select]
    phone: str | None = None
    buyers: bool = False
    customers: Callable[[sa.Row], int | None] | None = None
    stand_in: Callable[[sa.Row, dict], object] = staticmethod(lambda row, found: row)

    @property
    def table(self) -> str:
        return self.model.__tablename__


def _through(record_row, found):
    """A case or transfer whose order's customer is known: what ``_through_order`` reads."""
    customer = found.get(record_row.owner_id)
    if record_row.order_id and customer is None:  # its order is not linked yet: next run
        return SimpleNamespace(id=record_row.id, created_at=None, order=None, order_no=None)
    order = SimpleNamespace(customer=customer) if record_row.order_id else None
    return SimpleNamespace(id=record_row.id, created_at=record_row.created_at, order=order,
                           order_no=getattr(record_row, "order_no", None))


def _return_visit(row, found):
    """A return visit touches its customer when it was made (or its case was opened), not
    at the moment of the backfill."""
    case = SimpleNamespace(customer=found.get(row.owner_id), order=None, order_no=row.order_no)
    return SimpleNamespace(id=row.id, created_at=row.created_at, case=case)


STEPS = (
    Step(Order, lambda: sa.select(
        Order.id, Order.platform, Order.buyer_id, Order.receiver_name, Order.receiver_phone,
        Order.receiver_address, Order.created_at),
        phone="receiver_phone", buyers=True),
    Step(AfterSalesCase, lambda: sa.select(
        AfterSalesCase.id, AfterSalesCase.order_id, AfterSalesCase.order_no,
        AfterSalesCase.created_at, Order.customer_id.label("owner_id"))
        .outerjoin(Order, Order.id == AfterSalesCase.order_id),
        customers=lambda row: row.owner_id, stand_in=_through),
    Step(BankTransfer, lambda: sa.select(
        BankTransfer.id, BankTransfer.order_id, BankTransfer.created_at,
        Order.customer_id.label("owner_id"))
        .outerjoin(Order, Order.id == BankTransfer.order_id),
        customers=lambda row: row.owner_id, stand_in=_through),
    Step(StockWait, lambda: sa.select(StockWait.id, StockWait.buyer, StockWait.contact,
                                      StockWait.created_at), phone="contact"),
    Step(Visit, lambda: sa.select(Visit.id, Visit.phone, Visit.visitor_name, Visit.created_at),
         phone="phone"),
    Step(ReturnVisit, lambda: sa.select(
        ReturnVisit.id, sa.func.coalesce(ReturnVisit.done_at, AfterSalesCase.created_at)
        .label("created_at"), AfterSalesCase.order_no,
        AfterSalesCase.customer_id.label("owner_id"))
        .join(AfterSalesCase, AfterSalesCase.id == ReturnVisit.case_id),
        customers=lambda row: row.owner_id, stand_in=_return_visit),
)


@dataclass
class Progress:
    """Where a run is: the table, records linked and looked at so far, seconds."""

    table: str
    linked: int
    seen: int
    total: int
    seconds: float

    def __str__(self) -> str:
        return (f"{self.table}: {self.seen:,}/{self.total:,} looked at, {self.linked:,} "
                f"linked ({self.seconds:.1f} s)")


def _batch(step: Step, after: int, size: int) -> list:
    model = step.model
    query = step.query().where(model.customer_id.is_(None), model.id > after)
    return list(db.session.execute(query.order_by(model.id).limit(size)))


def _link(step: Step, records: list) -> int:
    """Find each record's customer, write the new customers and contacts, link the
    records."""
    finder = BatchFinder(db.session())
    buyers = {(r.platform or "", r.buyer_id.strip()) for r in records
              if step.buyers and (r.buyer_id or "").strip()}
    phones = {p for p in (_normal_phone(getattr(r, step.phone)) for r in records)
              if p} if step.phone else set()
    finder.values = {v.strip()[:300] for r in records for v in (
        getattr(r, c, None) for c in ("buyer_id", "receiver_address", "contact")) if v} | phones
    finder.preload(buyers, phones)
    through = finder.load({step.customers(r) for r in records}) if step.customers else {}
    found = []
    with db.session.no_autoflush:
        for row in records:
            customer = customer_for(step.stand_in(row, through), finder, step.model)
            if customer is not None:
                found.append((row.id, customer))
    finder.write()
    db.session.flush()  # a rare record linked through the ORM (a case's typed order number)
    if found:
        table = step.model.__table__
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("record_id"))
            .values(customer_id=sa.bindparam("customer")),
            [{"record_id": rid, "customer": customer.id} for rid, customer in found])
    return len(found)


def pending(step: Step) -> int:
    """How many records of ``step`` have no customer."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(step.model)
                             .where(step.model.customer_id.is_(None)))


def run(size: int = 5_000) -> Iterator[Progress]:
    """Link every record without a customer, ``size`` at a time; yields after each batch,
    which the caller commits (the session is emptied afterwards: nothing is kept between
    batches but the position)."""
    for step in STEPS:
        started, total = time.perf_counter(), pending(step)
        after, linked, seen = 0, 0, 0
        while True:
            records = _batch(step, after, size)
            if not records:
                break
            linked += _link(step, records)
            seen += len(records)
            after = records[-1].id
            yield Progress(step.table, linked, seen, total, time.perf_counter() - started)
            db.session.expunge_all()
        if not total:
            yield Progress(step.table, 0, 0, 0, time.perf_counter() - started)
