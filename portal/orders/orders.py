"""Orders: their words, creating one, finding them, the shipping promise (R-O4), and every
change of stage — printing, packing, shipping, flags (R-O6), cancellation by stage (R-O2),
the clerks' tasks (R-O3) and the six-month archive (R-O11).

Services take the acting user, use ``clock.now()``, write the audit trail in the same
transaction and raise ``RuleError`` (nothing changed) or ``Conflict`` (someone was first).
They flush (a stale version fails there) and never commit: the action runner does.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, has_app_context, url_for

from portal import audit, clock, phones, signals
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify_role, term
from portal.orders.models import Order, OrderLine, OrderTask, StockItem, phone_tail
from portal.rules import RuleError

PLATFORMS = {
    "tmall": N_("Tmall"),
    "jd": N_("JD"),
    "taobao": N_("Taobao"),
    "pdd": N_("Pinduoduo"),
    "douyin": N_("Douyin shop"),
    "vip": N_("VIP"),
    "own": N_("Own shop"),
    "phone": N_("Phone order"),
    "distributor": N_("Distributor"),
}

PAYMENTS = {
    "awaiting": N_("Awaiting payment"),
    "online": N_("Paid online"),
    "transfer": N_("Bank transfer"),
}

STAGES = {
    # R-O9: a distributor order waits here until its balance is checked and it is issued
    # (portal/distributors/review.py), then goes on to "paid"
    "review": N_("Waiting for review"),
    "awaiting_payment": N_("Awaiting payment"),
    "paid": N_("Paid"),
    "printed": N_("Printed"),
    "packed": N_("Packed"),
    "shipped": N_("Shipped"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
# Stages the order clerks still have to work (the queue).
IN_QUEUE = ("paid", "printed", "packed")
# Stages after which the goods have left: changes go to after-sales (R-O2, R-O3).
GONE = ("shipped", "completed")
CLOSED = ("completed", "cancelled")

FLAGS = {"yellow": N_("Yellow: checked"), "red": N_("Red: out of stock")}

TASK_KINDS = {
    "correct_slip": N_("Take back and correct the slip"),
    "reprint": N_("Reprint the slip"),
    "retrieve": N_("Take back the slip/parcel from the warehouse"),
}

COURIERS = ("顺丰", "中通", "圆通", "申通", "韵达", "京东物流", "EMS", "德邦")

QUEUE_ORDERS = {
    "fifo": N_("First come, first served"),
    "large": N_("Large orders first"),
    "urgent": N_("Urgent markets first"),
}

DEFAULTS = {
    "ORDERS_PAID_BY": "16:00",        # paid before this and in stock: ships today (R-O4)
    "ORDERS_SHIP_CUTOFF": "16:30",    # the clerks finish shipping by this (R-O5)
    "ORDERS_DISPATCH_DAYS": 3,        # paid longer ago and not shipped: overdue (R-O10)
    "ORDERS_ARCHIVE_MONTHS": 6,       # closed longer ago: out of the default views (R-O11)
    "ORDERS_URGENT_PLATFORMS": "distributor",  # markets served first on "urgent" (R-O9)
}


def setting(name: str):
    """An order-desk setting (app config, else the default)."""
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


def _clock_setting(name: str) -> time:
    hours, _, minutes = str(setting(name)).partition(":")
    return time(int(hours), int(minutes or 0))


def paid_by() -> time:
    return _clock_setting("ORDERS_PAID_BY")


def ship_cutoff() -> time:
    return _clock_setting("ORDERS_SHIP_CUTOFF")


def urgent_platforms() -> tuple[str, ...]:
    return tuple(p.strip() for p in str(setting("ORDERS_URGENT_PLATFORMS")).split(",")
                 if p.strip())


def archive_before(now: datetime | None = None) -> datetime:
    """Orders closed before this moment are archived (R-O11: kept six months)."""
    now = now or clock.now()
    months = int(setting("ORDERS_ARCHIVE_MONTHS"))
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    day = min(now.day, 28)
    return now.replace(year=year, month=month + 1, day=day)


# --- creating an order -----------------------------------------------------------------------


@dataclass
class LineInput:
    """One line as typed or imported, before it is an ``OrderLine``."""

    sku: str
    item_name: str
    quantity: int
    unit_price: Decimal
    attributes: str = ""


def stock_of(skus) -> dict[str, StockItem]:
    """{sku: StockItem} for ``skus`` in one query."""
    skus = {s for s in skus if s}
    if not skus:
        return {}
    rows = db.session.scalars(sa.select(StockItem).where(StockItem.sku.in_(skus)))
    return {item.sku: item for item in rows}


def check_lines(lines: list[LineInput], known: dict[str, StockItem]) -> None:
    """Raise ``RuleError`` for an empty order, an unknown SKU, a bad quantity or price (shown
    above the form: the message names the line)."""
    if not lines:
        raise RuleError(N_("An order needs at least one line."))
    for number, line in enumerate(lines, start=1):
        if not line.sku:
            raise RuleError(N_("Line %(line)d: enter the SKU."), line=number)
        if line.sku not in known:
            raise RuleError(N_("Line %(line)d: SKU %(sku)s is not in the stock list."),
                            line=number, sku=line.sku)
        if line.quantity is None or line.quantity < 1:
            raise RuleError(N_("Line %(line)d: the quantity must be at least 1."),
                            line=number)
        if line.unit_price is None or line.unit_price < 0:
            raise RuleError(N_("Line %(line)d: the unit price cannot be negative."),
                            line=number)


def receiver_phone_of(raw: str | None) -> str:
    """The receiver's phone as stored (portal.phones: the visitor log's rule); ``RuleError``
    for a number that is neither a mobile nor a landline with its area code."""
    try:
        phone = phones.normalise(raw)
    except ValueError:
        phone = None
    if phone is None:
        raise RuleError(phones.PHONE_MESSAGE, "receiver_phone")
    return phone


def first_stage(platform: str, paid_at: datetime | None) -> str:
    """A new order's stage: a distributor's waits for review (R-O9), whatever its payment;
    any other is paid or awaiting payment."""
    if platform == "distributor":
        return "review"
    return "awaiting_payment" if paid_at is None else "paid"


def find(platform: str, order_no: str) -> Order | None:
    """The order with this number on this platform."""
    return db.session.scalar(sa.select(Order).where(Order.platform == platform,
                                                    Order.order_no == order_no))


def create(user: User, *, platform: str, order_no: str, buyer_id: str, receiver_name: str,
           receiver_phone: str, receiver_address: str, payment: str,
           lines: list[LineInput], paid_at: datetime | None = None,
           amount: Decimal | None = None) -> Order:
    """Create an order typed by hand; the amount is the lines' sum unless given."""
    order_no = (order_no or "").strip()
    if platform not in PLATFORMS:
        raise RuleError(N_("Choose a platform from the list."), "platform")
    if not order_no:
        raise RuleError(N_("Enter the order number."), "order_no")
    if find(platform, order_no) is not None:
        raise RuleError(N_("Order %(no)s already exists on this platform."), "order_no",
                        no=order_no)
    if payment not in PAYMENTS:
        raise RuleError(N_("Choose a payment from the list."), "payment")
    receiver_phone = receiver_phone_of(receiver_phone)
    check_lines(lines, stock_of(line.sku for line in lines))
    total = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    if amount is not None and amount < 0:
        raise RuleError(N_("The amount cannot be negative."), "amount")
    now = clock.now()
    if payment == "awaiting":
        paid_at = None
    elif paid_at is None:
        paid_at = now
    elif paid_at > now:
        raise RuleError(N_("The payment time cannot be in the future."), "paid_at")
    order = Order(
        platform=platform, order_no=order_no, buyer_id=buyer_id.strip(),
        receiver_name=receiver_name.strip(), receiver_phone=receiver_phone,
        receiver_address=receiver_address.strip(),
        amount=total if amount is None else amount, payment=payment, paid_at=paid_at,
        stage=first_stage(platform, paid_at),
        created_at=now, created_by_id=user.id,
        lines=[OrderLine(sku=line.sku, item_name=line.item_name, attributes=line.attributes,
                         quantity=line.quantity, unit_price=line.unit_price)
               for line in lines])
    db.session.add(order)
    db.session.flush()
    audit.record("orders.created", order, actor=user,
                 details={"platform": platform, "order_no": order_no,
                          "amount": str(order.amount), "lines": len(lines)})
    return order


def mark_paid(user: User, order: Order, version: int, paid_at: datetime | None = None) -> Order:
    """An order awaiting payment is paid (online or, when a transfer is linked, by transfer)."""
    _expect(order, version)
    if order.stage != "awaiting_payment":
        raise RuleError(N_("Only an order awaiting payment can be marked paid."))
    before = {"stage": order.stage, "paid_at": order.paid_at, "payment": order.payment}
    order.paid_at = paid_at or clock.now()
    order.stage = "paid"
    if order.payment == "awaiting":
        order.payment = "online"
    audit.record("orders.paid", order, actor=user,
                 changes=audit.changes(order, ("stage", "paid_at", "payment"), before))
    db.session.flush()
    return order


# --- finding orders ------------------------------------------------------------------------


SEARCH_LIMIT = 1000  # orders one quick search can match (a buyer's history, a number prefix)
SEARCH_SHOWN = 120  # of those, the newest shown (four pages of the list)


def matching(text: str) -> list:
    """The quick search's conditions, each an index range: beginnings are matched with a
    range, not LIKE, so the index serves them on both databases (code-point order: C.UTF-8
    on PostgreSQL, SQLite's BINARY)."""

    def begins(column, value):
        return sa.and_(column >= value, column < value + "\uffff")

    wanted = [begins(Order.order_no, text), begins(Order.buyer_id, text),
              begins(Order.receiver_name, text), Order.receiver_phone == text]
    digits = text.replace(" ", "").replace("-", "")
    if digits.isdigit() and 4 <= len(digits) <= 11:
        wanted.append(begins(Order.phone_tail, phone_tail(digits)))
    return wanted


def matching_ids(text: str) -> sa.Select:
    """The ids of orders matching ``text``: each way of matching read through its own index
    and cut at SEARCH_LIMIT on its own (an OR of ranges makes PostgreSQL collect every
    match first: a third of a million orders for "tb_")."""
    parts = [sa.select(Order.id).where(condition).limit(SEARCH_LIMIT).subquery()
             for condition in matching(text)]
    each = sa.union_all(*(sa.select(part.c.id) for part in parts)).subquery()
    return sa.select(each.c.id).distinct().limit(SEARCH_LIMIT)


def search(text: str | None = None, *, stage: str | None = None,
           platform: str | None = None, flag: str | None = None,
           include_archive: bool = False):
    """Orders matching the quick search, by what a buyer tells staff: an order number or
    its beginning, a buyer ID or its beginning (``jd_tea``), a receiver's name or its
    beginning (郭强), the whole phone or its last 4 to 11 digits. Newest first; archived
    orders only when asked (R-O11)."""
    query = sa.select(Order)
    text = (text or "").strip()
    if text:
        # The matching ids first, each through its own index and with no order: asked in one
        # query with "newest first", PostgreSQL walks the creation index backwards through a
        # million orders to find an old one.
        ids = list(db.session.scalars(matching_ids(text)))
        if len(ids) > SEARCH_SHOWN:
            # many matches (a buyer-ID prefix, a surname): keep the newest, read by their
            # keys; left to choose, PostgreSQL walks the creation index backwards instead
            rows = db.session.execute(sa.select(Order.id, Order.created_at)
                                      .where(Order.id.in_(ids))).all()
            rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
            ids = [row.id for row in rows[:SEARCH_SHOWN]]
        query = query.where(Order.id.in_(ids) if ids else sa.false())
    if stage:
        query = query.where(Order.stage == stage)
    if platform:
        query = query.where(Order.platform == platform)
    if flag == "none":
        query = query.where(Order.flag.is_(None))
    elif flag:
        query = query.where(Order.flag == flag)
    if not include_archive:
        query = query.where(sa.or_(Order.closed_at.is_(None),
                                   Order.closed_at >= archive_before()))
    return query.order_by(Order.created_at.desc(), Order.id.desc())


def is_archived(order: Order, now: datetime | None = None) -> bool:
    return order.closed_at is not None and order.closed_at < archive_before(now)


# --- the shipping promise (R-O4) -------------------------------------------------------------


@dataclass(frozen=True)
class Promise:
    """What pre-sales tell the buyer: ``kind`` is today | on | awaiting_stock | shipped |
    cancelled; ``day`` the date when there is one; ``short`` the SKUs not in stock."""

    kind: str
    day: date | None = None
    short: tuple[str, ...] = ()


def red_flagged_sku(order: Order) -> str | None:
    """The SKU a clerk red-flagged on the order as out of stock (R-O6), if any."""
    return order.flag_sku if order.flag == "red" and order.flag_sku else None


def short_skus(order: Order, stock: dict[str, StockItem]) -> list[str]:
    """The order's SKUs whose stock does not cover the order's quantity, and the SKU a
    clerk red-flagged as out of stock whatever the stock list says (R-O6: the clerk saw the
    shelf)."""
    wanted: dict[str, int] = defaultdict(int)
    for line in order.lines:
        wanted[line.sku] += line.quantity
    short = [sku for sku, quantity in wanted.items()
             if sku not in stock or stock[sku].on_hand < quantity]
    flagged = red_flagged_sku(order)
    if flagged and flagged not in short:
        short.append(flagged)
    return short


def _arrival(order: Order, sku: str, stock: dict[str, StockItem]) -> date | None:
    """When a short SKU is expected: the stock list's date while its count is short, the
    red flag's date for the flagged SKU (the later of the two when both say)."""
    item = stock.get(sku)
    wanted = sum(line.quantity for line in order.lines if line.sku == sku)
    day = item.expected_on if item is not None and item.on_hand < wanted else None
    if sku == red_flagged_sku(order) and order.flag_arrival:
        day = max(day, order.flag_arrival) if day else order.flag_arrival
    return day


def promise(order: Order, stock: dict[str, StockItem] | None = None,
            now: datetime | None = None) -> Promise:
    """R-O4: in stock and paid before 16:00 → ships today; else the day it can ship: a SKU
    short in the stock list or red-flagged by a clerk ships when it arrives (not before
    tomorrow)."""
    if order.stage in GONE:
        return Promise("shipped", clock.local(order.shipped_at).date()
                       if order.shipped_at else None)
    if order.stage == "cancelled":
        return Promise("cancelled")
    now = now or clock.now()
    today = now.date()
    if stock is None:
        stock = stock_of(line.sku for line in order.lines)
    short = short_skus(order, stock)
    if short:
        arrivals = [_arrival(order, sku, stock) for sku in short]
        if None in arrivals:
            return Promise("awaiting_stock", None, tuple(short))
        return Promise("on", max(max(arrivals), today + timedelta(days=1)), tuple(short))
    paid = clock.local(order.paid_at) if order.paid_at else now
    day = paid.date() if paid.time() < paid_by() else paid.date() + timedelta(days=1)
    day = max(day, today)
    if day == today and now.time() >= ship_cutoff() and order.stage not in GONE:
        day = today + timedelta(days=1)  # today's dispatch has gone
    return Promise("today" if day == today else "on", day)


def promises(orders) -> dict[int, Promise]:
    """{order id: Promise} for a page of orders, reading the stock once."""
    orders = list(orders)
    stock = stock_of(line.sku for order in orders for line in order.lines)
    now = clock.now()
    return {order.id: promise(order, stock, now) for order in orders}


# --- the clerks' actions ---------------------------------------------------------------------


def _expect(order: Order, version: int | None) -> None:
    if version is not None and version != order.version:
        raise Conflict(order)


def _refuse_if_cancel_pending(order: Order) -> None:
    if order.cancel_requested_at is not None:
        raise RuleError(N_("Pre-sales asked to cancel this order: void it instead."))


def open_task(user: User, order: Order, kind: str, remark=None) -> OrderTask:
    """A task for the order clerks on ``order``; they are notified (R-O1, R-O3)."""
    task = OrderTask(order=order, kind=kind, remark=remark, created_by_id=user.id,
                     created_at=clock.now())
    db.session.add(task)
    order.open_tasks = (order.open_tasks or 0) + 1
    db.session.flush()
    audit.record("orders.task_opened", task, actor=user,
                 details={"order": order.order_no, "kind": kind})
    notify_role("order_clerk", N_("Order %(no)s: %(task)s (from %(name)s)."),
                _order_link(order), no=order.order_no, task=term(TASK_KINDS[kind]),
                name=user.display_name)
    return task


def finish_task(user: User, task: OrderTask, version: int) -> OrderTask:
    """An order clerk confirms a task done (the slip corrected, reprinted, taken back)."""
    if version != task.version or task.state != "open":
        raise Conflict(task)
    task.state = "done"
    task.done_at = clock.now()
    task.done_by_id = user.id
    task.order.open_tasks = max((task.order.open_tasks or 1) - 1, 0)
    audit.record("orders.task_done", task, actor=user,
                 details={"order": task.order.order_no, "kind": task.kind})
    db.session.flush()
    return task


def print_slips(user: User, orders: list[Order]) -> list[Order]:
    """The dispatch slips of ``orders`` are printed: paid ones move to "printed"; printed
    or packed ones are reprints. Cancelled, shipped or unpaid ones are refused (nothing
    printed)."""
    now = clock.now()
    refused = [o for o in orders if o.stage not in IN_QUEUE or o.cancel_requested_at]
    if refused:
        raise RuleError(N_("These orders cannot be printed now: %(numbers)s."),
                        numbers=", ".join(o.order_no for o in refused))
    for order in orders:
        if order.stage == "paid":
            order.stage = "printed"
            order.printed_at = now
            audit.record("orders.printed", order, actor=user,
                         changes={"stage": ["paid", "printed"]})
        else:
            audit.record("orders.reprinted", order, actor=user)
    db.session.flush()
    return orders


def pack(user: User, order: Order, version: int) -> Order:
    """The parcel of a printed order is packed."""
    _expect(order, version)
    _refuse_if_cancel_pending(order)
    if order.stage != "printed":
        raise RuleError(N_("Only a printed order can be packed (this one is %(stage)s)."),
                        stage=STAGES[order.stage])
    order.stage = "packed"
    order.packed_at = clock.now()
    audit.record("orders.packed", order, actor=user, changes={"stage": ["printed", "packed"]})
    db.session.flush()
    return order


def ship(user: User, order: Order, version: int, courier: str, tracking_no: str) -> Order:
    """A packed order is handed to the courier with its tracking number; the stock goes
    down by its lines and the flag turns yellow (R-O6: checked / shipped)."""
    _expect(order, version)
    _refuse_if_cancel_pending(order)
    courier, tracking_no = (courier or "").strip(), (tracking_no or "").strip()
    if order.stage != "packed":
        raise RuleError(N_("Only a packed order can be shipped (this one is %(stage)s)."),
                        stage=STAGES[order.stage])
    if order.open_tasks:
        raise RuleError(N_("Finish this order's open tasks before shipping it."))
    if not courier:
        raise RuleError(N_("Enter the courier."), "courier")
    if not tracking_no:
        raise RuleError(N_("Enter the tracking number."), "tracking_no")
    before = {"stage": order.stage, "courier": order.courier,
              "tracking_no": order.tracking_no, "flag": order.flag}
    order.stage = "shipped"
    order.shipped_at = clock.now()
    order.shipped_by_id = user.id
    order.courier, order.tracking_no = courier, tracking_no
    order.flag, order.flag_sku, order.flag_arrival = "yellow", None, None
    for line in order.lines:
        # one statement per SKU, so two clerks shipping the same SKU never lose a count
        db.session.execute(
            sa.update(StockItem).where(StockItem.sku == line.sku)
            .values(on_hand=sa.case((StockItem.on_hand > line.quantity,
                                     StockItem.on_hand - line.quantity), else_=0)))
    audit.record("orders.shipped", order, actor=user,
                 changes=audit.changes(order, ("stage", "courier", "tracking_no", "flag"),
                                       before))
    db.session.flush()
    return order


def complete(user: User, order: Order, version: int) -> Order:
    """The buyer confirmed receipt on the platform: the order is completed."""
    _expect(order, version)
    if order.stage != "shipped":
        raise RuleError(N_("Only a shipped order can be completed."))
    order.stage = "completed"
    order.closed_at = clock.now()
    audit.record("orders.completed", order, actor=user,
                 changes={"stage": ["shipped", "completed"]})
    db.session.flush()
    return order


def set_flag(user: User, order: Order, version: int, flag: str | None,
             sku: str | None = None, arrival: date | None = None) -> Order:
    """R-O6: yellow = checked; red = out of stock, with the SKU and the expected arrival,
    and the pre-sales agents are told; none clears the flag."""
    _expect(order, version)
    if order.stage in GONE or order.stage == "cancelled":
        raise RuleError(N_("A %(stage)s order is not flagged any more."),
                        stage=STAGES[order.stage])
    before = {"flag": order.flag, "flag_sku": order.flag_sku,
              "flag_arrival": order.flag_arrival}
    if flag == "red":
        sku = (sku or "").strip()
        if not sku:
            raise RuleError(N_("Enter the SKU that is out of stock."), "sku")
        if sku not in {line.sku for line in order.lines}:
            raise RuleError(N_("SKU %(sku)s is not on this order."), "sku", sku=sku)
        if arrival is None:
            raise RuleError(N_("Enter the expected arrival date."), "arrival")
        if arrival < clock.today():
            raise RuleError(N_("The expected arrival cannot be in the past."), "arrival")
        order.flag, order.flag_sku, order.flag_arrival = "red", sku, arrival
    elif flag in (None, "", "yellow"):
        order.flag, order.flag_sku, order.flag_arrival = flag or None, None, None
    else:
        raise RuleError(N_("Choose a flag from the list."), "flag")
    order.flagged_at = clock.now()
    order.flagged_by_id = user.id
    audit.record("orders.flagged", order, actor=user,
                 changes=audit.changes(order, ("flag", "flag_sku", "flag_arrival"), before))
    if flag == "red":
        notify_role("presales",
                    N_("Order %(no)s is out of stock: %(sku)s, expected %(date)s. Tell the "
                       "buyer."), _order_link(order), no=order.order_no, sku=sku,
                    date=arrival.isoformat())
    db.session.flush()
    return order


# --- cancellation by stage (R-O2) ------------------------------------------------------------


def request_cancel(user: User, order: Order, version: int, reason: str) -> Order:
    """Pre-sales ask to cancel: unpaid or not printed → a clerk voids it in one step;
    printed or packed → first a task to take the slip/parcel back; shipped → refused (an
    after-sales case: interception)."""
    _expect(order, version)
    reason = (reason or "").strip()
    if order.stage in GONE:
        raise RuleError(N_("This order has shipped: it cannot be cancelled here. Open an "
                           "after-sales case (interception) instead."), after_sales=True)
    if order.stage == "cancelled":
        raise RuleError(N_("This order is already cancelled."))
    if order.cancel_requested_at is not None:
        raise RuleError(N_("A cancellation was already asked for."))
    if not reason:
        raise RuleError(N_("Enter why the buyer cancels."), "reason")
    order.cancel_requested_at = clock.now()
    order.cancel_requested_by_id = user.id
    order.cancel_reason = reason
    audit.record("orders.cancel_requested", order, actor=user,
                 details={"stage": order.stage, "reason": reason})
    if order.stage in ("printed", "packed"):
        open_task(user, order, "retrieve")
    else:
        notify_role("order_clerk", N_("Order %(no)s: cancellation asked by %(name)s; void it."),
                    _order_link(order), no=order.order_no, name=user.display_name)
    db.session.flush()
    return order


def void(user: User, order: Order, version: int) -> Order:
    """An order clerk voids an order whose cancellation was asked for; a printed or packed
    one only once the slip/parcel is back. A paid order's refund goes to after-sales."""
    _expect(order, version)
    if order.stage == "cancelled":
        raise Conflict(order)
    if order.stage in GONE:
        raise RuleError(N_("This order has shipped: it cannot be voided. Open an after-sales "
                           "case (interception) instead."), after_sales=True)
    if order.cancel_requested_at is None:
        raise RuleError(N_("Nobody asked to cancel this order."))
    if order.open_tasks:
        raise RuleError(N_("Take the slip/parcel back from the warehouse and confirm it "
                           "first."))
    before = order.stage
    order.stage = "cancelled"
    order.closed_at = clock.now()
    audit.record("orders.voided", order, actor=user, changes={"stage": [before, "cancelled"]})
    db.session.flush()  # a concurrent change fails here, before anyone is told
    if order.paid_at is not None:
        # R-O2: refunds are after-sales' (a "refund only" case); its receiver runs in this
        # transaction, so a refusal there leaves the order as it was
        signals.order_voided_while_paid.send(order, user=user)
    return order


# --- the clerk's day (R-O5, R-O9, R-O10) -----------------------------------------------------


def queue(sort: str = "fifo", *, flag: str | None = None, platform: str | None = None):
    """Paid orders not yet shipped, open tasks first, then in review order (R-O9)."""
    query = sa.select(Order).where(Order.stage.in_(IN_QUEUE))
    if flag == "none":
        query = query.where(Order.flag.is_(None))
    elif flag:
        query = query.where(Order.flag == flag)
    if platform:
        query = query.where(Order.platform == platform)
    first = [(Order.open_tasks > 0).desc(), Order.cancel_requested_at.is_(None)]
    if sort == "large":
        rest = [Order.amount.desc()]
    elif sort == "urgent":
        rest = [Order.platform.in_(urgent_platforms() or ("",)).desc()]
    else:
        rest = []
    return query.order_by(*first, *rest, Order.paid_at, Order.id)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), clock.get_clock().tz)


def missed(now: datetime | None = None) -> list[Order]:
    """R-O5: after the cut-off, today's orders paid before 16:00, in stock and not shipped."""
    now = now or clock.now()
    if now.time() < ship_cutoff():
        return []
    return promised_today_unshipped(now)


def promised_today_unshipped(now: datetime | None = None) -> list[Order]:
    """R-O4: today's orders paid before 16:00 (so far), in stock and not shipped yet: what
    the clerks still owe today (the 15:30 reminder; after the cut-off, the missed list)."""
    now = now or clock.now()
    start = day_start(now.date())
    paid_limit = datetime.combine(now.date(), paid_by(), clock.get_clock().tz)
    candidates = db.session.scalars(
        sa.select(Order).where(Order.stage.in_(IN_QUEUE), Order.paid_at >= start,
                               Order.paid_at < paid_limit,
                               Order.cancel_requested_at.is_(None))
        .order_by(Order.paid_at, Order.id).limit(200)).all()
    stock = stock_of(line.sku for order in candidates for line in order.lines)
    return [order for order in candidates if not short_skus(order, stock)]


def overdue_query(now: datetime | None = None):
    """R-O10: paid more than three days ago and not shipped (oldest first)."""
    now = now or clock.now()
    limit = now - timedelta(days=int(setting("ORDERS_DISPATCH_DAYS")))
    return (sa.select(Order).where(Order.stage.in_(IN_QUEUE), Order.paid_at < limit)
            .order_by(Order.paid_at, Order.id))


def overdue_count(now: datetime | None = None) -> int:
    query = overdue_query(now).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def open_tasks_query():
    return (sa.select(OrderTask).where(OrderTask.state == "open")
            .order_by(OrderTask.created_at, OrderTask.id))


def _order_link(order: Order) -> str | None:
    try:
        return url_for("orders.detail", order_id=order.id)
    except RuntimeError:  # outside a request (demo data, CLI)
        return f"/orders/{order.id}"
