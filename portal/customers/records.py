"""Keeping a customer's record (issue 17 items 1 and 8, R-C1, R-C8): the display name, kind,
owner, consent, needs, tags, contacts added by hand, notes; the shared tag set; a customer
entered by hand; who sees contacts in full (audited), a customer's data exported and
anonymised on request.

A customer is never deleted. Edits carry the record's ``version``: two people editing at
once get a conflict, not a lost update. Services raise ``RuleError`` and flush; the action
runner commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm.attributes import flag_modified

from portal import audit, clock, exports, phones
from portal.actions import Conflict, NotAllowed
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.auth.models import User
from portal.auth.permissions import role_can
from portal.customers.attach import add_contact
from portal.customers.models import (
    CONTACT_KINDS,
    KINDS,
    SOURCES,
    Customer,
    CustomerContact,
    CustomerNote,
    CustomerTag,
)
from portal.customers.privacy import sees_contacts
from portal.extensions import db
from portal.i18n import N_
from portal.orders.models import BankTransfer, Order, StockWait
from portal.reception.models import Visit
from portal.rules import RuleError

NAME_MAX = 60
NEEDS_MAX = 1000
NOTE_MAX = 1000
TAG_MAX = 30
WECHAT_MAX = 60
HAND_CONTACT_KINDS = ("phone", "wechat")
FIELDS = ("name", "kind", "owner_id", "marketing_consent", "need_notes")
ANONYMOUS = "***"


# --- reading ---------------------------------------------------------------------------------


def agents() -> list[User]:
    """Active staff who may keep a customer (an owner): those who may edit customers."""
    users = db.session.scalars(sa.select(User).where(User.active.is_(True))
                               .order_by(User.display_name))
    return [u for u in users if role_can(u.role, "customers.edit")]


def active_tags() -> list[CustomerTag]:
    return list(db.session.scalars(sa.select(CustomerTag).where(CustomerTag.active.is_(True))
                                   .order_by(CustomerTag.name)))


def all_tags() -> list[CustomerTag]:
    return list(db.session.scalars(sa.select(CustomerTag)
                                   .order_by(CustomerTag.active.desc(), CustomerTag.name)))


def _touched(customer: Customer) -> None:
    """Stamp the change; the row is written (and its version moves) even when only the tags
    changed or the clock has not moved."""
    customer.updated_at = clock.now()
    flag_modified(customer, "updated_at")


def _expect(customer: Customer, version: int | None) -> None:
    if version is not None and version != customer.version:
        raise Conflict(customer)
    if customer.merged_into_id is not None:
        raise RuleError(N_("This customer was merged into another; edit that record."))


# --- the record (item 1) ---------------------------------------------------------------------


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise RuleError(N_("Enter the customer's name."), "name")
    if len(name) > NAME_MAX:
        raise RuleError(N_("Keep the name under %(max)d characters."), "name", max=NAME_MAX)
    return name


def _check_owner(actor: User, customer: Customer, owner_id: int | None) -> None:
    """The supervisor assigns any active agent; an agent may take an unowned customer for
    themselves and nothing else."""
    if owner_id == customer.owner_id:
        return
    if actor.can("customers.manage"):
        if owner_id is not None and owner_id not in {u.id for u in agents()}:
            raise RuleError(N_("Choose an active agent as the owner."), "owner_id")
        return
    if customer.owner_id is None and owner_id == actor.id:
        return
    raise RuleError(N_("Only the supervisor assigns a customer that has an owner, or to "
                       "someone else."), "owner_id")


def update(actor: User, customer: Customer, version: int | None, *, name: str, kind: str,
           owner_id: int | None, marketing_consent: bool, need_notes: str,
           tag_ids: list[int]) -> Customer:
    """Edit the record: name, kind, owner, consent, needs, tags."""
    _expect(customer, version)
    if kind not in KINDS:
        raise RuleError(N_("Choose a kind from the list."), "kind")
    if len(need_notes or "") > NEEDS_MAX:
        raise RuleError(N_("Keep this under %(max)d characters."), "need_notes", max=NEEDS_MAX)
    _check_owner(actor, customer, owner_id)
    tags = _tags(customer, tag_ids)
    before = {field: getattr(customer, field) for field in FIELDS}
    old_tags = sorted(t.name for t in customer.tags)
    customer.name = _clean_name(name)
    customer.kind = kind
    customer.owner_id = owner_id
    customer.marketing_consent = bool(marketing_consent)
    customer.need_notes = (need_notes or "").strip()
    customer.tags = tags
    changes = audit.changes(customer, FIELDS, before)
    new_tags = sorted(t.name for t in tags)
    if new_tags != old_tags:
        changes["tags"] = [", ".join(old_tags), ", ".join(new_tags)]
    if changes:
        _touched(customer)
        audit.record("customers.edited", customer, actor=actor, changes=changes)
    db.session.flush()
    return customer


def _tags(customer: Customer, tag_ids: list[int]) -> list[CustomerTag]:
    """The chosen tags: active ones, and those the customer has already (a deactivated tag
    stays until someone takes it off)."""
    wanted = set(tag_ids or ())
    if not wanted:
        return []
    found = {t.id: t for t in db.session.scalars(
        sa.select(CustomerTag).where(CustomerTag.id.in_(wanted)))}
    kept = {t.id for t in customer.tags}
    if set(found) != wanted or any(not t.active and t.id not in kept for t in found.values()):
        raise RuleError(N_("Choose tags from the list."), "tags")
    return sorted(found.values(), key=lambda t: t.name)


def take(actor: User, customer: Customer, version: int | None) -> Customer:
    """An agent becomes the owner of an unowned customer."""
    _expect(customer, version)
    if customer.owner_id is not None:
        raise RuleError(N_("%(name)s keeps this customer already."),
                        name=customer.owner.display_name if customer.owner else "?")
    customer.owner_id = actor.id
    customer.owner = actor
    customer.updated_at = clock.now()
    audit.record("customers.edited", customer, actor=actor,
                 changes={"owner_id": [None, actor.id]})
    db.session.flush()
    return customer


def create(actor: User, *, name: str, kind: str, phone: str | None, wechat: str | None,
           marketing_consent: bool, need_notes: str) -> Customer:
    """A customer entered by hand (the manual source), owned by the one who entered it."""
    if kind not in KINDS:
        raise RuleError(N_("Choose a kind from the list."), "kind")
    number = _phone(phone) if phone else None
    wechat = _wechat(wechat) if wechat else None
    customer = Customer(name=_clean_name(name), kind=kind, source="manual",
                        owner_id=actor.id, marketing_consent=bool(marketing_consent),
                        need_notes=(need_notes or "").strip()[:NEEDS_MAX],
                        last_contact_at=clock.now())
    customer.owner = actor
    db.session.add(customer)
    add_contact(customer, "phone", number)
    add_contact(customer, "wechat", wechat)
    db.session.flush()
    audit.record("customers.created", customer, actor=actor,
                 changes={"name": [None, customer.name], "kind": [None, kind]})
    return customer


def _phone(raw: str | None) -> str:
    try:
        number = phones.normalise(raw)
    except ValueError:
        number = None
    if not number:
        raise RuleError(phones.PHONE_MESSAGE, "value")
    return number


def _wechat(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value or len(value) > WECHAT_MAX or any(c.isspace() for c in value):
        raise RuleError(N_("Enter a WeChat ID (up to %(max)d characters, no spaces)."),
                        "value", max=WECHAT_MAX)
    return value


def add_hand_contact(actor: User, customer: Customer, kind: str, value: str) -> CustomerContact:
    """A phone (validated and normalised) or a WeChat ID added by hand."""
    if customer.merged_into_id is not None:
        raise RuleError(N_("This customer was merged into another; edit that record."))
    if kind not in HAND_CONTACT_KINDS:
        raise RuleError(N_("Choose a kind from the list."), "kind")
    value = _phone(value) if kind == "phone" else _wechat(value)
    if any(c.kind == kind and c.value == value for c in customer.contacts):
        raise RuleError(N_("The customer has this contact already."), "value")
    add_contact(customer, kind, value)
    db.session.flush()
    contact = customer.contacts[-1]
    audit.record("customers.contact_added", customer, actor=actor,
                 details={"kind": kind})  # the value itself stays out of the trail
    return contact


def add_note(actor: User, customer: Customer, body: str) -> CustomerNote:
    """A note (append-only: kept, never edited)."""
    body = (body or "").strip()
    if not body:
        raise RuleError(N_("Write the note first."), "body")
    if len(body) > NOTE_MAX:
        raise RuleError(N_("Keep this under %(max)d characters."), "body", max=NOTE_MAX)
    note = CustomerNote(customer_id=customer.id, body=body, author_id=actor.id,
                        created_at=clock.now())
    note.author = actor
    db.session.add(note)
    db.session.flush()
    return note


# --- the shared tag set ----------------------------------------------------------------------


def _tag_name(name: str | None, tag: CustomerTag | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise RuleError(N_("Enter the tag's name."), "name")
    if len(name) > TAG_MAX:
        raise RuleError(N_("Keep the name under %(max)d characters."), "name", max=TAG_MAX)
    taken = db.session.scalar(sa.select(CustomerTag.id).where(CustomerTag.name == name))
    if taken and (tag is None or taken != tag.id):
        raise RuleError(N_("A tag named %(name)s exists already."), "name", name=name)
    return name


def create_tag(actor: User, name: str, names: dict | None) -> CustomerTag:
    from portal.reception.names import clean_names

    tag = CustomerTag(name=_tag_name(name), names=clean_names(names), active=True)
    db.session.add(tag)
    db.session.flush()
    audit.record("customers.tag_created", tag, actor=actor, changes={"name": [None, tag.name]})
    return tag


def rename_tag(actor: User, tag: CustomerTag, version: int | None, name: str,
               names: dict | None) -> CustomerTag:
    from portal.reception.names import clean_names

    if version is not None and version != tag.version:
        raise Conflict(tag)
    before = {"name": tag.name, "names": tag.names}
    tag.name = _tag_name(name, tag)
    tag.names = clean_names(names)
    changes = audit.changes(tag, ("name", "names"), before)
    if changes:
        audit.record("customers.tag_renamed", tag, actor=actor, changes=changes)
    db.session.flush()
    return tag


def set_tag_active(actor: User, tag: CustomerTag, version: int | None,
                   active: bool) -> CustomerTag:
    if version is not None and version != tag.version:
        raise Conflict(tag)
    if tag.active != active:
        tag.active = active
        audit.record("customers.tag_activated" if active else "customers.tag_deactivated",
                     tag, actor=actor, changes={"active": [not active, active]})
    db.session.flush()
    return tag


# --- personal data (item 8, R-C8) ------------------------------------------------------------


def reveal_contacts(viewer: User, customer: Customer) -> None:
    """Contacts in full: the owner and holders of ``customers.contacts`` only; a view by
    anyone but the owner is audited (committed by the request's end)."""
    if not sees_contacts(viewer, customer):
        raise NotAllowed("customers.contacts")
    if customer.owner_id != viewer.id:
        audit.record("customers.contacts_viewed", customer, actor=viewer)


def _linked(model, customer: Customer, order_by) -> list:
    from portal.customers.story import customer_ids

    ids = customer_ids(customer).scalar_subquery()
    return list(db.session.scalars(sa.select(model).where(model.customer_id.in_(ids))
                                   .order_by(*order_by)))


def _when(moment) -> str:
    return clock.local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def export_workbook(actor: User, customer: Customer, reason: str) -> bytes:
    """One xlsx of everything the portal holds about the customer (a data request, R-C8):
    the record, contacts, notes and every linked record. Audited with the reason."""
    from flask_babel import gettext as _

    reason = (reason or "").strip()
    if not reason:
        raise RuleError(N_("Say why the data is exported (e.g. the customer asked)."), "reason")
    book = Workbook()
    sheet = book.active
    sheet.title = _("Customer")[:31]
    for label, value in (
            (_("Customer number"), customer.id), (_("Name"), customer.name),
            (_("Kind"), _(KINDS.get(customer.kind, customer.kind))),
            (_("Owner"), customer.owner.display_name if customer.owner else ""),
            (_("First met through"), _(SOURCES.get(customer.source, customer.source))),
            (_("Marketing consent"), _("Yes") if customer.marketing_consent else _("No")),
            (_("Needs and interests"), customer.need_notes),
            (_("Tags"), ", ".join(t.local_name for t in customer.tags)),
            (_("Value class"), customer.value_class or ""),
            (_("Created"), _when(customer.created_at)), (_("Updated"), _when(customer.updated_at))):
        exports.append(sheet, [label, value])

    def table(title, header, rows):
        ws = book.create_sheet(title[:31])
        exports.append(ws, header)
        for row in rows:
            exports.append(ws, row)

    table(_("Contacts"), [_("Kind"), _("Platform"), _("Value"), _("Receiver")],
          [[_(CONTACT_KINDS.get(c.kind, c.kind)), c.platform, c.value, c.label]
           for c in customer.contacts])
    table(_("Notes"), [_("Time"), _("Author"), _("Note")],
          [[_when(n.created_at), n.author.display_name, n.body] for n in _linked(
              CustomerNote, customer, (CustomerNote.created_at, CustomerNote.id))])
    table(_("Orders"), [_("Order number"), _("Platform"), _("Buyer ID"), _("Receiver"),
                        _("Phone"), _("Delivery address"), _("Amount"), _("Stage"), _("Created")],
          [[o.order_no, o.platform, o.buyer_id, o.receiver_name, o.receiver_phone,
            o.receiver_address, o.amount, o.stage, _when(o.created_at)]
           for o in _linked(Order, customer, (Order.created_at, Order.id))])
    table(_("After-sales cases"), [_("Case"), _("Order number"), _("Type"), _("Problem"),
                                   _("Request"), _("State"), _("Created")],
          [[c.id, c.order_no, c.type, c.problem, c.request, c.state, _when(c.created_at)]
           for c in _linked(AfterSalesCase, customer,
                            (AfterSalesCase.created_at, AfterSalesCase.id))])
    table(_("Bank transfers"), [_("Received"), _("Payer"), _("Amount"), _("Bank")],
          [[t.received_on, t.payer, t.amount, t.bank]
           for t in _linked(BankTransfer, customer, (BankTransfer.received_on, BankTransfer.id))])
    table(_("Out-of-stock waits"), [_("Buyer"), _("Contact"), _("SKU"), _("Quantity"),
                                    _("State"), _("Created")],
          [[w.buyer, w.contact, w.sku, w.quantity, w.state, _when(w.created_at)]
           for w in _linked(StockWait, customer, (StockWait.created_at, StockWait.id))])
    table(_("Showroom visits"), [_("Arrived"), _("Visitor"), _("Phone"), _("Purpose"),
                                 _("Note")],
          [[_when(v.arrived_at), v.visitor_name or "", v.phone or "", v.purpose, v.note or ""]
           for v in _linked(Visit, customer, (Visit.arrived_at, Visit.id))])
    table(_("Return visits"), [_("Due"), _("Outcome"), _("Satisfaction"), _("Comment")],
          [[r.due_on, r.outcome or "", r.satisfaction, r.comment]
           for r in _linked(ReturnVisit, customer, (ReturnVisit.due_on, ReturnVisit.id))])
    audit.record("customers.exported", customer, actor=actor, details={"reason": reason})
    return exports.workbook_bytes(book)


def anonymise(actor: User, customer: Customer, version: int | None, reason: str) -> Customer:
    """Replace the customer's name and contacts, and the personal data of every linked
    record (orders' receiver, waits' buyer, visits' visitor, transfers' payer); the orders,
    cases and visits themselves stay (R-C8). Cannot be undone."""
    _expect(customer, version)
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(N_("Say why the data is anonymised (e.g. the customer asked)."),
                        "reason")
    if customer.anonymised_at is not None:
        raise RuleError(N_("This customer is anonymised already."))
    now = clock.now()
    for contact in customer.contacts:
        contact.value = f"anon-{contact.id}"
        contact.label = ""
        contact.tail = None
    for order in _linked(Order, customer, (Order.id,)):
        order.receiver_name = ANONYMOUS
        order.receiver_phone = ""
        order.receiver_address = ANONYMOUS
        order.buyer_id = f"anon-{customer.id}"
    for wait in _linked(StockWait, customer, (StockWait.id,)):
        wait.buyer, wait.contact = ANONYMOUS, ANONYMOUS
    for visit in _linked(Visit, customer, (Visit.id,)):
        visit.visitor_name, visit.phone = None, None
    for transfer in _linked(BankTransfer, customer, (BankTransfer.id,)):
        transfer.payer = ANONYMOUS
    customer.name = ANONYMOUS
    customer.need_notes = ""
    customer.marketing_consent = False
    customer.anonymised_at = now
    customer.updated_at = now
    audit.record("customers.anonymised", customer, actor=actor, details={"reason": reason})
    db.session.flush()
    return customer

