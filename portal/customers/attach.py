"""Records find their customer when they are written (issue 17 item 2, R-C1).

An order, an after-sales case, a bank transfer, an out-of-stock wait, a showroom visit that
gave a phone and a return visit attach to a customer in the flush that writes them: the exact
platform buyer ID first, then the normalised phone; otherwise a new customer is made from
what the record tells (name, phone, buyer ID, address). A case, a transfer and a return visit
take their order's (or case's) customer. The areas that write these records know nothing of
customers: a ``before_flush`` listener does it, so hand-typed orders, imports, the demo and
every later writer attach alike. Bulk inserts that bypass the ORM (the bench generator) are
linked afterwards by ``backfill``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import clock, phones
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.customers.models import Customer, CustomerContact
from portal.orders.models import BankTransfer, Order, StockWait, phone_tail
from portal.reception.models import Visit

NAME_MAX = 60


def live(customer: Customer | None) -> Customer | None:
    """The customer that stands for ``customer`` now: a merged one's survivor."""
    seen = 0
    while customer is not None and customer.merged_into_id is not None and seen < 10:
        customer = customer.merged_into or customer
        seen += 1
    return customer


@dataclass
class Finder:
    """Looks customers up by buyer ID and phone within one flush, remembering the ones it
    made so that two new orders of one new buyer in one flush share one customer."""

    session: Session
    made_by_buyer: dict = field(default_factory=dict)
    made_by_phone: dict = field(default_factory=dict)
    known_buyers: set = field(default_factory=set)  # buyer IDs some customer already has

    def by_buyer(self, platform: str, buyer_id: str) -> Customer | None:
        key = (platform or "", buyer_id)
        if key in self.made_by_buyer:
            return self.made_by_buyer[key]
        found = live(self.session.scalar(
            sa.select(Customer).join(CustomerContact)
            .where(CustomerContact.kind == "buyer", CustomerContact.value == buyer_id,
                   CustomerContact.platform == (platform or ""))
            .limit(1)))
        if found is not None:  # the contact exists (maybe on a merged customer): keep it
            self.made_by_buyer[key] = found
            self.known_buyers.add(key)
        return found

    def by_phone(self, phone: str) -> Customer | None:
        if phone in self.made_by_phone:
            return self.made_by_phone[phone]
        found = self.session.scalar(
            sa.select(Customer).join(CustomerContact)
            .where(CustomerContact.kind == "phone", CustomerContact.value == phone,
                   Customer.merged_into_id.is_(None))
            .order_by(Customer.id).limit(1))
        return found

    def make(self, *, name: str, kind: str, source: str) -> Customer:
        customer = Customer(name=(name or "").strip()[:NAME_MAX] or "-", kind=kind,
                            source=source)
        self.session.add(customer)
        return customer

    def remember(self, customer: Customer, *, buyer: tuple | None = None,
                 phone: str | None = None) -> None:
        if buyer:
            self.made_by_buyer[buyer] = customer
        if phone:
            self.made_by_phone[phone] = customer


def _normal_phone(raw: str | None) -> str | None:
    try:
        return phones.normalise(raw)
    except ValueError:
        return None


def add_contact(customer: Customer, kind: str, value: str | None, *, platform: str = "",
                label: str = "") -> None:
    """Give ``customer`` the contact unless it has it already."""
    value = (value or "").strip()
    if not value:
        return
    for contact in customer.contacts:
        if contact.kind == kind and contact.value == value and contact.platform == platform:
            return
    customer.contacts.append(CustomerContact(
        kind=kind, value=value[:300], platform=platform, label=(label or "")[:NAME_MAX],
        tail=phone_tail(value) if kind == "phone" else None))


def _touch(customer: Customer, moment) -> None:
    if moment and (customer.last_contact_at is None or moment > customer.last_contact_at):
        customer.last_contact_at = moment


def _person(finder: Finder, *, platform: str = "", buyer_id: str | None = None,
            phone: str | None = None, name: str = "", kind: str, source: str) -> Customer:
    """The customer with this buyer ID, else with this phone, else a new one."""
    buyer_id = (buyer_id or "").strip()
    customer = finder.by_buyer(platform, buyer_id) if buyer_id else None
    if customer is None and phone:
        customer = finder.by_phone(phone)
    if customer is None:
        customer = finder.make(name=name or buyer_id or phone or "", kind=kind, source=source)
    finder.remember(customer, buyer=(platform or "", buyer_id) if buyer_id else None,
                    phone=phone)
    return customer


def _order(order: Order, finder: Finder) -> Customer:
    phone = _normal_phone(order.receiver_phone)
    customer = _person(finder, platform=order.platform, buyer_id=order.buyer_id, phone=phone,
                       name=order.receiver_name,
                       kind="distributor" if order.platform == "distributor" else "retail",
                       source="order")
    if order.buyer_id and (order.platform, order.buyer_id.strip()) not in finder.known_buyers:
        add_contact(customer, "buyer", order.buyer_id.strip(), platform=order.platform)
    add_contact(customer, "phone", phone)
    add_contact(customer, "address", order.receiver_address, label=order.receiver_name)
    _touch(customer, order.created_at or clock.now())
    return customer


def _through_order(record, finder: Finder) -> Customer | None:
    order = record.order
    if order is None:
        return None
    if order.customer is None:
        order.customer = _order(order, finder)
    return live(order.customer)


def _case(case: AfterSalesCase, finder: Finder) -> Customer | None:
    if case.order is None and case.order_no:
        case_order = finder.session.scalar(
            sa.select(Order).where(Order.order_no == case.order_no).limit(1))
        if case_order is not None:
            return live(case_order.customer) if case_order.customer_id else \
                _order(case_order, finder)
    return _through_order(case, finder)


def _wait(wait: StockWait, finder: Finder) -> Customer:
    phone = _normal_phone(wait.contact)
    customer = _person(finder, phone=phone, name=wait.buyer, kind="retail", source="wait")
    # a contact that is not a phone is what the buyer gave instead (a WeChat ID, mostly)
    add_contact(customer, "phone" if phone else "wechat", phone or wait.contact)
    return customer


def _visit(visit: Visit, finder: Finder) -> Customer | None:
    phone = _normal_phone(visit.phone)
    if not phone:
        return None
    customer = _person(finder, phone=phone, name=visit.visitor_name or "", kind="prospect",
                       source="visit")
    add_contact(customer, "phone", phone)
    return customer


def _return_visit(visit: ReturnVisit, finder: Finder) -> Customer | None:
    case = visit.case
    if case is None:
        return None
    if case.customer is None:
        case.customer = _case(case, finder)
    return live(case.customer)


# record class -> how it finds its customer; the touch moment is the record's own
ATTACHERS = {
    Order: _order,
    AfterSalesCase: _case,
    BankTransfer: _through_order,
    StockWait: _wait,
    Visit: _visit,
    ReturnVisit: _return_visit,
}


def customer_for(record, finder: Finder, kind: type | None = None) -> Customer | None:
    """Find (or make) the customer ``record`` belongs to, without linking it; ``kind``
    names the record's class when ``record`` is a plain row of its columns (the backfill)."""
    customer = ATTACHERS[kind or type(record)](record, finder)
    if customer is not None:
        _touch(customer, getattr(record, "created_at", None) or clock.now())
    return customer


def attach(record, finder: Finder | None = None) -> Customer | None:
    """Find (or make) ``record``'s customer and link it; None when the record tells nothing
    to know a person by (a visit without a phone, a case without an order)."""
    customer = customer_for(record, finder or Finder(Session.object_session(record)))
    if customer is not None:
        record.customer = customer
    return customer


def _attach_new(session: Session, flush_context, instances) -> None:
    """Before each flush: link new records (and ones that just got their order) that have
    no customer yet."""
    pending = [obj for obj in list(session.new) + list(session.dirty)
               if type(obj) in ATTACHERS and getattr(obj, "customer_id", None) is None
               and getattr(obj, "customer", None) is None]
    if not pending:
        return
    finder = Finder(session)
    with session.no_autoflush:
        for record in pending:
            attach(record, finder)


def init_app(app) -> None:
    """Listen on every session of the app (the scoped session's class)."""
    if not event.contains(Session, "before_flush", _attach_new):
        event.listen(Session, "before_flush", _attach_new)
