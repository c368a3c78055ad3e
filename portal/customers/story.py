"""A customer's whole story on one page (issue 17 item 4): orders, remarks, cancellations,
after-sales cases, bank transfers, out-of-stock waits, showroom visits, return visits and
notes, newest first, keyset-paged.

Each source is a ``StorySource`` in a small registry: a SELECT of the shared story columns
(``story_columns``) for the customer's records, filtered by ``customer_id`` (the prefix of
the source's ``(customer_id, time, id)`` index). One query reads the next page: every
source's next ``per_page + 1`` rows (each by its index, cut at the cursor), put together by
UNION ALL and ordered by ``(at, kind, id)`` descending; the cursor is that triple. What a
few kinds show beyond the shared columns (an order's promise, a case's photos, a visit's
drinks) is read by the source's ``details`` in one query per kind on the page.

Another area (the planned calls, complaints) plugs in with ``register_source``.
"""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, joinedload

from portal.aftersales.models import AfterSalesCase, CasePhoto, ReturnVisit
from portal.auth.models import User
from portal.customers.call_models import CallAttempt, CallPlan, PlannedCall
from portal.customers.models import Customer, CustomerNote
from portal.database import UTCDateTime
from portal.extensions import db
from portal.forms import INT_MAX, has_control_characters
from portal.i18n import N_
from portal.orders.models import BankTransfer, Order, OrderRemark, StockWait
from portal.reception.models import Serving, Visit

PER_PAGE = 12  # twelve notes of 1,000 characters keep the page under 60 KB
MONEY = sa.Numeric(12, 2)

# name -> type of the columns every source gives (NULL where it has nothing to say)
COLUMNS = {
    "at": UTCDateTime(), "kind": sa.String(), "id": sa.Integer(), "ref_id": sa.Integer(),
    "ref_no": sa.String(), "state": sa.String(), "text": sa.String(), "text2": sa.String(),
    "text3": sa.String(), "amount": MONEY, "number": sa.Integer(), "day": sa.Date(),
    "person": sa.String(),
}


def story_columns(kind: str, **given) -> list:
    """The shared columns, typed alike in every source (a bare NULL would be text on
    PostgreSQL); ``given`` maps a column name to the source's expression."""
    unknown = set(given) - set(COLUMNS)
    if unknown:
        raise TypeError(f"unknown story columns: {sorted(unknown)}")
    given["kind"] = sa.literal(kind, sa.String())
    columns = []
    for name, type_ in COLUMNS.items():
        value = given.get(name)
        columns.append(sa.cast(sa.null(), type_).label(name) if value is None
                       else sa.type_coerce(value, type_).label(name))
    return columns


@dataclass(frozen=True)
class StorySource:
    """One kind of record in the story.

    ``query(ids)``: a SELECT of ``story_columns(kind, …)`` of the records whose customer is
    in ``ids`` (a subquery of customer ids), neither ordered nor limited. ``template``:
    renders one item (``item`` = the row, ``details`` = what ``details`` read).
    ``details(rows)``: {id: extra} for the page's rows of this kind, one query, or None."""

    kind: str
    label: str  # N_()
    query: Callable[[Any], sa.Select]
    template: str
    details: Callable[[list], dict] | None = None


def register_source(app, source: StorySource) -> None:
    """Add a kind of record to every customer's story."""
    sources = app.extensions.setdefault("customer_story", {})
    sources[source.kind] = source


def sources(app=None) -> dict[str, StorySource]:
    return (app or current_app).extensions.get("customer_story", {})


# --- the cursor ------------------------------------------------------------------------------


def encode_cursor(row) -> str:
    raw = json.dumps([row.at.isoformat(), row.kind, row.id], separators=(",", ":"))
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str | None, kinds) -> tuple[datetime, str, int] | None:
    """(at, kind, id) of a cursor, or None for none or a forged one (never a 500)."""
    if not token or len(token) > 200:
        return None
    try:
        at, kind, ident = json.loads(urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        moment = datetime.fromisoformat(at)
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    if moment.tzinfo is None or not 1900 <= moment.year <= 2200 or kind not in kinds \
            or not isinstance(ident, int) or isinstance(ident, bool) \
            or not 0 <= ident <= INT_MAX or has_control_characters(kind):
        return None
    return moment, kind, ident


def _older(sub, kind: str, cursor) -> sa.ColumnElement:
    """The rows of one source that come after the cursor in (at, kind, id) descending."""
    at, cursor_kind, ident = cursor
    at = sa.literal(at, UTCDateTime())
    if kind < cursor_kind:
        return sub.c.at <= at
    if kind > cursor_kind:
        return sub.c.at < at
    return sa.or_(sub.c.at < at, sa.and_(sub.c.at == at, sub.c.id < ident))


# --- a page ----------------------------------------------------------------------------------


@dataclass
class StoryPage:
    items: list  # rows with the story columns, newest first
    details: dict  # kind -> {id: extra}
    older: str | None  # the cursor of the next (older) page


def customer_ids(customer: Customer):
    """The customer and those merged into it: a merge keeps both histories."""
    return sa.select(Customer.id).where(
        sa.or_(Customer.id == customer.id, Customer.merged_into_id == customer.id))


def page(customer: Customer, before: str | None = None, per_page: int = PER_PAGE) -> StoryPage:
    """One page of the story, older than the cursor ``before``: one query for the items,
    one per kind on the page that has details."""
    registry = sources()
    cursor = decode_cursor(before, registry)
    ids = customer_ids(customer).scalar_subquery()
    branches = []
    for kind, source in registry.items():
        sub = source.query(ids).subquery()
        query = sa.select(sub)
        if cursor:
            query = query.where(_older(sub, kind, cursor))
        query = query.order_by(sub.c.at.desc(), sub.c.id.desc()).limit(per_page + 1)
        branches.append(sa.select(query.subquery()))
    union = sa.union_all(*branches).subquery()
    rows = db.session.execute(
        sa.select(union).order_by(union.c.at.desc(), union.c.kind.desc(), union.c.id.desc())
        .limit(per_page + 1)).all()
    items = rows[:per_page]
    details = {}
    for kind, source in registry.items():
        mine = [row for row in items if row.kind == kind]
        if mine and source.details:
            details[kind] = source.details(mine)
    older = encode_cursor(items[-1]) if len(rows) > per_page else None
    return StoryPage(items, details, older)


def item(customer: Customer, kind: str, ident: int):
    """One item of the story (a note just added, to put on top of the list), or None."""
    sub = sources()[kind].query(customer_ids(customer).scalar_subquery()).subquery()
    return db.session.execute(sa.select(sub).where(sub.c.id == ident)).first()


# --- the sources -----------------------------------------------------------------------------


def _orders(ids):
    return sa.select(*story_columns(
        "order", at=Order.created_at, id=Order.id, ref_id=Order.id, ref_no=Order.order_no,
        state=Order.stage, text=Order.platform, text2=Order.courier, text3=Order.tracking_no,
        amount=Order.amount)).where(Order.customer_id.in_(ids))


def _order_details(rows) -> dict:
    """The page's orders with their lines, and each one's shipping promise (R-O4)."""
    from portal.orders import orders as order_svc

    found = list(db.session.scalars(
        sa.select(Order).options(joinedload(Order.lines))
        .where(Order.id.in_([r.id for r in rows]))).unique())
    promises = order_svc.promises(found)
    return {order.id: {"order": order, "promise": promises[order.id]} for order in found}


def _remarks(ids):
    user = aliased(User)
    return (sa.select(*story_columns(
        "remark", at=OrderRemark.created_at, id=OrderRemark.id, ref_id=Order.id,
        ref_no=Order.order_no, state=OrderRemark.kind, text=OrderRemark.details,
        text2=OrderRemark.old_value, text3=OrderRemark.new_value, person=user.display_name))
        .join(Order, Order.id == OrderRemark.order_id)
        .outerjoin(user, user.id == OrderRemark.author_id)
        .where(Order.customer_id.in_(ids)))


def _cancellations(ids):
    user = aliased(User)
    return (sa.select(*story_columns(
        "cancel", at=Order.cancel_requested_at, id=Order.id, ref_id=Order.id,
        ref_no=Order.order_no, state=Order.stage, text=Order.cancel_reason,
        person=user.display_name))
        .outerjoin(user, user.id == Order.cancel_requested_by_id)
        .where(Order.customer_id.in_(ids), Order.cancel_requested_at.is_not(None)))


def _cases(ids):
    user = aliased(User)
    return (sa.select(*story_columns(
        "case", at=AfterSalesCase.created_at, id=AfterSalesCase.id,
        ref_id=AfterSalesCase.order_id, ref_no=AfterSalesCase.order_no,
        state=AfterSalesCase.state, text=AfterSalesCase.problem,
        text2=AfterSalesCase.request, text3=AfterSalesCase.type,
        amount=AfterSalesCase.refund_amount, person=user.display_name))
        .outerjoin(user, user.id == AfterSalesCase.assignee_id)
        .where(AfterSalesCase.customer_id.in_(ids)))


def _case_photos(rows) -> dict:
    """The visible photos of the page's cases (their thumbnails show)."""
    photos: dict[int, list[int]] = {}
    for case_id, photo_id in db.session.execute(
            sa.select(CasePhoto.case_id, CasePhoto.id)
            .where(CasePhoto.case_id.in_([r.id for r in rows]), CasePhoto.hidden_at.is_(None))
            .order_by(CasePhoto.case_id, CasePhoto.id)):
        photos.setdefault(case_id, []).append(photo_id)
    return photos


def _transfers(ids):
    return (sa.select(*story_columns(
        "transfer", at=BankTransfer.created_at, id=BankTransfer.id,
        ref_id=BankTransfer.order_id, ref_no=Order.order_no, text=BankTransfer.payer,
        text2=BankTransfer.bank, text3=BankTransfer.reference, amount=BankTransfer.amount,
        day=BankTransfer.received_on))
        .outerjoin(Order, Order.id == BankTransfer.order_id)
        .where(BankTransfer.customer_id.in_(ids)))


def _waits(ids):
    return sa.select(*story_columns(
        "wait", at=StockWait.created_at, id=StockWait.id, ref_no=StockWait.sku,
        state=StockWait.state, text=StockWait.note, number=StockWait.quantity)) \
        .where(StockWait.customer_id.in_(ids))


def _visits(ids):
    user = aliased(User)
    return (sa.select(*story_columns(
        "visit", at=Visit.arrived_at, id=Visit.id, state=Visit.purpose, text=Visit.note,
        text2=Visit.source, number=Visit.party_size,
        person=sa.func.coalesce(user.display_name, Visit.consultant_name)))
        .outerjoin(user, user.id == Visit.consultant_id)
        .where(Visit.customer_id.in_(ids)))


def _servings(rows) -> dict:
    """What each of the page's visits was served: [(menu item, quantity)]."""
    served: dict[int, list] = {}
    for serving in db.session.scalars(
            sa.select(Serving).where(Serving.visit_id.in_([r.id for r in rows]))
            .order_by(Serving.visit_id, Serving.id)):
        served.setdefault(serving.visit_id, []).append(
            (serving.menu_item.local_name, serving.quantity))
    return served


def _return_visits(ids):
    user = aliased(User)
    return (sa.select(*story_columns(
        "return_visit", at=ReturnVisit.done_at, id=ReturnVisit.id, ref_id=ReturnVisit.case_id,
        state=ReturnVisit.outcome, text=ReturnVisit.comment,
        number=ReturnVisit.satisfaction, day=ReturnVisit.due_on, person=user.display_name))
        .outerjoin(user, user.id == ReturnVisit.done_by_id)
        .where(ReturnVisit.customer_id.in_(ids), ReturnVisit.done_at.is_not(None)))


def _calls(ids):
    """Every try of a planned call (R-C2): its result, the plan, who called, the note."""
    user = aliased(User)
    return (sa.select(*story_columns(
        "call", at=CallAttempt.at, id=CallAttempt.id, ref_id=CallAttempt.call_id,
        state=CallAttempt.result, text=CallAttempt.note, text2=CallPlan.name,
        text3=CallPlan.kind, person=user.display_name))
        .join(PlannedCall, PlannedCall.id == CallAttempt.call_id)
        .join(CallPlan, CallPlan.id == PlannedCall.plan_id)
        .outerjoin(user, user.id == CallAttempt.by_id)
        .where(CallAttempt.customer_id.in_(ids)))


def _notes(ids):
    user = aliased(User)
    return (sa.select(*story_columns(
        "note", at=CustomerNote.created_at, id=CustomerNote.id, text=CustomerNote.body,
        person=user.display_name))
        .outerjoin(user, user.id == CustomerNote.author_id)
        .where(CustomerNote.customer_id.in_(ids)))


T = "customers/story/"
SOURCES = (
    StorySource("order", N_("Sales order"), _orders, T + "_order.html", _order_details),
    StorySource("remark", N_("Remark"), _remarks, T + "_remark.html"),
    StorySource("cancel", N_("Cancellation"), _cancellations, T + "_cancel.html"),
    StorySource("case", N_("After-sales case"), _cases, T + "_case.html", _case_photos),
    StorySource("transfer", N_("Bank transfer"), _transfers, T + "_transfer.html"),
    StorySource("wait", N_("Out-of-stock wait"), _waits, T + "_wait.html"),
    StorySource("visit", N_("Showroom visit"), _visits, T + "_visit.html", _servings),
    StorySource("return_visit", N_("Return visit"), _return_visits,
                T + "_return_visit.html"),
    StorySource("call", N_("Call"), _calls, T + "_call.html"),
    StorySource("note", N_("Note"), _notes, T + "_note.html"),
)


def init_app(app) -> None:
    for source in SOURCES:
        register_source(app, source)


# --- the header's open items -----------------------------------------------------------------

OPEN_ORDER_STAGES = ("awaiting_payment", "paid", "printed", "packed")


@dataclass(frozen=True)
class OpenItem:
    """An open item another area adds to the record's header (complaints): ``column(ids)``
    a scalar subquery over the customer's ids (a subquery), read in the header's one query;
    ``template`` shows a value that is not empty (``value``)."""

    key: str
    column: Callable[[Any], Any]
    template: str


def register_open_item(app, item: OpenItem) -> None:
    app.extensions.setdefault("customer_open_items", {})[item.key] = item


def open_item_sources(app=None) -> list[OpenItem]:
    return list((app or current_app).extensions.get("customer_open_items", {}).values())


def _open_columns(customer_id, today: date) -> list:
    from portal.aftersales.cases import OPEN_STATES
    from portal.customers.classes import RETURN_TYPES

    ids = sa.select(Customer.id).where(sa.or_(
        Customer.id == customer_id, Customer.merged_into_id == customer_id)).scalar_subquery()
    return [
        sa.select(AfterSalesCase.id).where(AfterSalesCase.customer_id.in_(ids),
                                           AfterSalesCase.state.in_(OPEN_STATES))
        .order_by(AfterSalesCase.created_at).limit(1).scalar_subquery().label("case_id"),
        sa.select(Order.id).where(Order.customer_id.in_(ids),
                                  Order.stage.in_(OPEN_ORDER_STAGES))
        .order_by(Order.created_at).limit(1).scalar_subquery().label("order_id"),
        sa.select(ReturnVisit.due_on).where(ReturnVisit.customer_id.in_(ids),
                                            ReturnVisit.done_at.is_(None),
                                            ReturnVisit.due_on <= today)
        .order_by(ReturnVisit.due_on).limit(1).scalar_subquery().label("visit_due"),
        sa.select(PlannedCall.due_at).where(PlannedCall.customer_id.in_(ids),
                                            PlannedCall.state == "due")
        .order_by(PlannedCall.due_at).limit(1).scalar_subquery().label("call_due"),
        # beside the value class: complaints and returns (portal.customers.classes)
        sa.select(sa.func.count(AfterSalesCase.category))
        .where(AfterSalesCase.customer_id.in_(ids)).scalar_subquery().label("complaints"),
        sa.select(sa.func.count()).where(AfterSalesCase.customer_id.in_(ids),
                                         AfterSalesCase.type.in_(RETURN_TYPES))
        .scalar_subquery().label("returns"),
    ] + [item.column(ids).label(f"x_{item.key}") for item in open_item_sources()]


def load(customer_id: int, today: date) -> tuple[Customer, dict] | None:
    """The customer with contacts, tags and owner, and the header's open items (an open
    case, an order waiting to ship, a return visit due), in one query."""
    row = db.session.execute(
        sa.select(Customer, *_open_columns(customer_id, today))
        .options(joinedload(Customer.contacts), joinedload(Customer.tags))
        .where(Customer.id == customer_id)).unique().first()
    if row is None:
        return None
    return row[0], _open(row)


def _open(row) -> dict:
    return {"case_id": row.case_id, "order_id": row.order_id, "visit_due": row.visit_due,
            "call_due": row.call_due, "case_counts": (row.complaints, row.returns),
            "extra": [(item, getattr(row, f"x_{item.key}")) for item in open_item_sources()]}


def open_items(customer: Customer, today: date) -> dict:
    """The header's open items of a customer already loaded (one query)."""
    return _open(db.session.execute(sa.select(*_open_columns(customer.id, today))).one())
