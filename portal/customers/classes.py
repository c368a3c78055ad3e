"""Value classes (客户价值分类, R-C1, issue 17 item 3): recency, frequency and money (RFM)
from a customer's orders give one of eight classes.

R is high when the last order is at most ``recency_days`` calendar days ago; F is high with
at least ``frequency_orders`` orders in the window (the last ``window_days`` calendar days,
today included); M is high with at least ``money_amount`` spent in the window. M high makes
the customer 重要 (important), M low 一般 (general); R and F say 价值 / 发展 / 保持 / 挽留.
Cancelled orders do not count; a customer without any other order has no class. Orders of
a merged customer count for the one that absorbed it.

Everything is computed in SQL by one expression (``_classified``), so that the preview
the supervisor sees before saving, the nightly ``recompute_all()`` (one UPDATE … FROM the
aggregate for every customer; the job queue runs it at 02:00 and after the thresholds are
saved) and the recompute after each order (the same UPDATE for the touched customers, in
the flush's transaction) cannot disagree. How many customers each class holds is kept in
``customer_class_counts``: rewritten by ``recompute_all()``, moved by each recompute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import audit, clock
from portal.actions import Conflict
from portal.aftersales.cases import OPEN_STATES
from portal.aftersales.models import AfterSalesCase
from portal.customers.class_models import ClassCount, ClassThresholds
from portal.customers.models import Customer
from portal.extensions import db
from portal.i18n import N_
from portal.orders.models import Order, StockWait
from portal.rules import RuleError
from portal.ui import enqueue_after_commit

# code -> label; the order is the one lists and the summary show
CLASSES = {
    "important_value": N_("Important value"),         # 重要价值: R high, F high, M high
    "important_develop": N_("Important to develop"),  # 重要发展: R high, F low,  M high
    "important_keep": N_("Important to keep"),        # 重要保持: R low,  F high, M high
    "important_retain": N_("Important to win back"),  # 重要挽留: R low,  F low,  M high
    "general_value": N_("General value"),             # 一般价值: R high, F high, M low
    "general_develop": N_("General to develop"),      # 一般发展: R high, F low,  M low
    "general_keep": N_("General to keep"),            # 一般保持: R low,  F high, M low
    "general_retain": N_("General to win back"),      # 一般挽留: R low,  F low,  M low
}
# (recent, frequent, big spender) -> class
CELLS = {
    (True, True, True): "important_value",
    (True, False, True): "important_develop",
    (False, True, True): "important_keep",
    (False, False, True): "important_retain",
    (True, True, False): "general_value",
    (True, False, False): "general_develop",
    (False, True, False): "general_keep",
    (False, False, False): "general_retain",
}
NO_CLASS = N_("No orders yet")

# complaints and returns shown beside the class (R-C3; the complaints area comes later)
RETURN_TYPES = ("return_refund", "exchange")
# orders a customer still waits for (the owner's Today card)
WAITING_STAGES = ("awaiting_payment", "paid", "printed", "packed")

# bounds of the thresholds (the form and the service both hold them)
WINDOW_MAX = 3650
FREQUENCY_MAX = 100_000
MONEY_MAX = Decimal("99999999.99")

# the order fields whose change can move a class (packing or shipping cannot)
ORDER_FIELDS = ("customer_id", "amount", "created_at")


RECOMPUTE_TASK = "customers.recompute_classes"  # the job queue's task after a save


class ThresholdError(RuleError):
    """Thresholds the rules refuse."""


# --- thresholds ------------------------------------------------------------------------------


def thresholds() -> ClassThresholds:
    """The saved thresholds (the defaults until the supervisor saves); read once a request."""
    if has_app_context() and "customer_class_thresholds" in g:
        found = g.customer_class_thresholds
        if found in db.session or sa.inspect(found).transient:
            return found
    found = db.session.get(ClassThresholds, 1)
    if found is None:
        found = ClassThresholds(id=1, version=0)  # not added: unsaved defaults
        for column in ClassThresholds.__table__.columns:
            if column.default is not None and not callable(column.default.arg):
                setattr(found, column.key, column.default.arg)
        found.version = 0
    if has_app_context():
        g.customer_class_thresholds = found
    return found


@dataclass(frozen=True)
class Limits:
    """Thresholds as plain values (saved, or typed for a preview)."""

    window_days: int
    recency_days: int
    frequency_orders: int
    money_amount: Decimal

    @classmethod
    def of(cls, saved: ClassThresholds) -> Limits:
        return cls(saved.window_days, saved.recency_days, saved.frequency_orders,
                   Decimal(saved.money_amount))


def check(limits: Limits) -> None:
    """Refuse thresholds that cannot make sense (the form bounds them too)."""
    if not 1 <= limits.window_days <= WINDOW_MAX:
        raise ThresholdError(N_("The window is between 1 and %(max)d days."), "window_days",
                             max=WINDOW_MAX)
    if not 0 <= limits.recency_days <= WINDOW_MAX:
        raise ThresholdError(N_("Recency is between 0 and %(max)d days."), "recency_days",
                             max=WINDOW_MAX)
    if not 1 <= limits.frequency_orders <= FREQUENCY_MAX:
        raise ThresholdError(N_("Frequency is between 1 and %(max)d orders."),
                             "frequency_orders", max=FREQUENCY_MAX)
    if not Decimal("0.01") <= limits.money_amount <= MONEY_MAX:
        raise ThresholdError(N_("The amount is between ¥0.01 and ¥%(max)s."), "money_amount",
                             max=f"{MONEY_MAX:,}")


# --- the one expression ------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), clock.get_clock().tz)


def window_start(limits: Limits, today: date) -> datetime:
    """The first moment the window counts: the window's first day's local midnight."""
    return _midnight(today - timedelta(days=limits.window_days - 1))


def recency_start(limits: Limits, today: date) -> datetime:
    """An order from this moment on is recent (at most ``recency_days`` days ago)."""
    return _midnight(today - timedelta(days=limits.recency_days))


def _aggregate(limits: Limits, today: date, members=None) -> sa.Select:
    """Per customer (a merged one's orders counting for its survivor): the last order, the
    orders and the money in the window. ``members``: a SELECT of the customer ids whose
    orders to read (all when None)."""
    survivor = sa.func.coalesce(Customer.merged_into_id, Customer.id)
    in_window = Order.created_at >= window_start(limits, today)
    query = (
        sa.select(survivor.label("customer_id"),
                  sa.func.max(Order.created_at).label("last_at"),
                  sa.func.coalesce(sa.func.sum(sa.case((in_window, 1), else_=0)), 0)
                  .label("orders"),
                  sa.func.coalesce(sa.func.sum(sa.case((in_window, Order.amount),
                                                       else_=0)), 0).label("money"))
        .select_from(Order).join(Customer, Customer.id == Order.customer_id)
        .where(Order.stage != "cancelled")
        .group_by(survivor)
    )
    if members is not None:
        query = query.where(Order.customer_id.in_(members))
    return query


def _class_of(limits: Limits, today: date, last_at, orders, money):
    """The class of the figures, as SQL (a CASE of the eight cells)."""
    recent = last_at >= recency_start(limits, today)
    frequent = orders >= limits.frequency_orders
    # money is a sum of cents; SQLite sums it as a float (999.9999… for 1000.00)
    big = money >= limits.money_amount - Decimal("0.005")
    return sa.case(*[
        (sa.and_(recent if r else ~recent, frequent if f else ~frequent, big if m else ~big),
         code) for (r, f, m), code in CELLS.items()])


def _classified(limits: Limits, today: date, members=None):
    """The aggregate with each customer's class (a subquery: customer_id, last_at, orders,
    money, value_class)."""
    agg = _aggregate(limits, today, members).subquery("rfm")
    value_class = _class_of(limits, today, agg.c.last_at, agg.c.orders, agg.c.money)
    return sa.select(agg.c.customer_id, agg.c.last_at, agg.c.orders, agg.c.money,
                     value_class.label("value_class")).subquery("classified")


def classify(limits: Limits, today: date, last_at: datetime | None, orders: int,
             money: Decimal) -> str | None:
    """The class of one customer's figures, in Python (the explanation's check marks)."""
    if last_at is None:
        return None
    return CELLS[(last_at >= recency_start(limits, today), orders >= limits.frequency_orders,
                  money >= limits.money_amount)]


# --- preview and counts ------------------------------------------------------------------------


def preview(limits: Limits, today: date | None = None) -> dict[str | None, int]:
    """How many customers each class would hold with ``limits`` (None: no orders), in SQL,
    without changing anything. Three queries. With the saved window, the figures stored on
    each customer (kept current after every order and nightly) are classed again: one pass
    over the customers instead of the orders; another window reads the orders."""
    today = today or clock.today()
    # the stored figures are the saved window's once recomputed (not while a save waits)
    if limits.window_days == thresholds().window_days and not recompute_is_pending():
        stored = sa.select(_class_of(limits, today, Customer.last_order_at,
                                     Customer.order_count, Customer.order_money)
                           .label("value_class")) \
            .where(Customer.value_class.is_not(None)).subquery("classified")
    else:
        stored = _classified(limits, today)
    counts: dict[str | None, int] = {code: 0 for code in CLASSES}
    for code, number in db.session.execute(
            sa.select(stored.c.value_class, sa.func.count()).group_by(stored.c.value_class)):
        counts[code] = number
    live = db.session.scalar(sa.select(sa.func.count()).select_from(Customer)
                             .where(Customer.merged_into_id.is_(None)))
    counts[None] = live - sum(v for k, v in counts.items() if k)
    return counts


def class_counts(*, unclassed: bool = True) -> dict[str | None, int]:
    """How many customers each class holds now (the stored classes; a merged customer has
    none): one pass over the (value_class, …) index; ``unclassed`` adds the live customers
    without a class (one more query)."""
    counts: dict[str | None, int] = {code: 0 for code in CLASSES}
    for code, number in db.session.execute(
            sa.select(Customer.value_class, sa.func.count())
            .where(Customer.value_class.is_not(None)).group_by(Customer.value_class)):
        counts[code] = number
    counts[None] = db.session.scalar(
        sa.select(sa.func.count()).select_from(Customer).where(
            Customer.value_class.is_(None), Customer.merged_into_id.is_(None))) \
        if unclassed else None
    return counts


def stored_counts() -> dict[str, int]:
    """How many customers each class holds, from ``customer_class_counts`` (one query over
    eight rows; the Today card)."""
    counts: dict[str, int] = {code: 0 for code in CLASSES}
    counts.update({code: number for code, number in db.session.execute(
        sa.select(ClassCount.value_class, ClassCount.customers)) if code in counts})
    return counts


def _rewrite_counts(connection) -> None:
    """Count every class again (after ``recompute_all()``): two statements."""
    table = ClassCount.__table__
    customers = Customer.__table__
    connection.execute(table.delete())
    counted = (sa.select(customers.c.value_class, sa.func.count())
               .where(customers.c.value_class.is_not(None))
               .group_by(customers.c.value_class))
    connection.execute(table.insert().from_select(["value_class", "customers"], counted))


def _move_counts(connection, before: dict, after: dict) -> None:
    """Move the stored counts by what a recompute changed ({customer id: class} before and
    after): one upsert when a class changed, none otherwise."""
    delta: dict[str, int] = {}
    for customer_id in before.keys() | after.keys():
        old, new = before.get(customer_id), after.get(customer_id)
        if old != new:
            if old:
                delta[old] = delta.get(old, 0) - 1
            if new:
                delta[new] = delta.get(new, 0) + 1
    rows = [{"value_class": code, "customers": n} for code, n in sorted(delta.items()) if n]
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = ClassCount.__table__
    stmt = insert(table).values(rows)
    connection.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.value_class],
        set_={"customers": table.c.customers + stmt.excluded.customers}))


# --- recomputing -------------------------------------------------------------------------------


def _update(limits: Limits, today: date, now: datetime, members=None) -> sa.Update:
    table = Customer.__table__
    classified = _classified(limits, today, members)
    return (sa.update(table).where(table.c.id == classified.c.customer_id)
            .values(value_class=classified.c.value_class, order_count=classified.c.orders,
                    order_money=classified.c.money, last_order_at=classified.c.last_at,
                    class_computed_at=now,
                    updated_at=table.c.updated_at))  # a class is no edit of the record


def _reset(targets=None) -> sa.Update:
    """Customers the aggregate did not reach: merged away, or without an order that counts
    (none left, or all cancelled) — no class, no figures."""
    table = Customer.__table__
    member = table.alias("member")
    counts = Order.stage != "cancelled"
    own = sa.exists().where(Order.customer_id == table.c.id, counts)
    absorbed = sa.exists().where(member.c.merged_into_id == table.c.id,
                                 Order.customer_id == member.c.id, counts)
    had = sa.or_(table.c.value_class.is_not(None), table.c.last_order_at.is_not(None),
                 table.c.order_count != 0)
    stmt = (sa.update(table)
            .where(had, sa.or_(table.c.merged_into_id.is_not(None), sa.and_(~own, ~absorbed)))
            .values(value_class=None, order_count=0, order_money=0, last_order_at=None,
                    class_computed_at=clock.now(), updated_at=table.c.updated_at))
    if targets is not None:
        stmt = stmt.where(table.c.id.in_(targets))
    return stmt


def recompute_all(limits: Limits | None = None) -> int:
    """Recompute every customer's class (the nightly job; after the thresholds change):
    one UPDATE … FROM the aggregate, then one UPDATE for those left without orders. The
    caller commits. Returns how many customers have a class."""
    saved = limits is None
    limits = limits or Limits.of(thresholds())
    now, today = clock.now(), clock.today()
    session = db.session()
    connection = session.connection()
    classed = connection.execute(_update(limits, today, now)).rowcount
    connection.execute(_reset())
    _rewrite_counts(connection)
    if saved:  # the saved thresholds' classes are stored now
        table = ClassThresholds.__table__
        connection.execute(sa.update(table).where(table.c.id == 1)
                           .values(recomputed_version=table.c.version))
    _refresh_loaded(session, None)
    return classed


def recompute_is_pending() -> bool:
    """Whether thresholds were saved whose classes are not computed yet (one query)."""
    table = ClassThresholds.__table__
    return bool(db.session.scalar(sa.select(sa.func.count()).where(
        table.c.id == 1, sa.or_(table.c.recomputed_version.is_(None),
                                table.c.recomputed_version != table.c.version))))


def recompute_pending() -> int | None:
    """The job queue's task after a save: recompute every class with the saved thresholds
    unless that was done (of two workers one does it: the claim is a compare-and-set).
    How many customers have a class, or None when there was nothing to do."""
    table = ClassThresholds.__table__
    claimed = db.session.execute(
        sa.update(table).where(table.c.id == 1, sa.or_(
            table.c.recomputed_version.is_(None), table.c.recomputed_version != table.c.version))
        .values(recomputed_version=table.c.version)).rowcount
    if claimed != 1:
        return None
    row = db.session.execute(sa.select(table.c.window_days, table.c.recency_days,
                                       table.c.frequency_orders, table.c.money_amount)
                             .where(table.c.id == 1)).one()
    classed = recompute_all(Limits(row[0], row[1], row[2], Decimal(row[3])))
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, ClassThresholds):
            db.session.expire(obj, ["recomputed_version"])
    return classed


def recompute(customer_ids, session: Session | None = None) -> None:
    """Recompute the classes of ``customer_ids`` (and of the customers they were merged
    into) in the session's transaction: one SELECT and two UPDATEs whatever their number."""
    session = session or db.session()
    ids = sorted({i for i in customer_ids if i is not None})
    if not ids:
        return
    table = Customer.__table__
    connection = session.connection()
    before, survivors = {}, set()
    for customer_id, survivor, code in connection.execute(
            sa.select(table.c.id, sa.func.coalesce(table.c.merged_into_id, table.c.id),
                      table.c.value_class).where(table.c.id.in_(ids))):
        before[customer_id] = code
        survivors.add(survivor)
    targets = sorted(set(ids) | survivors)
    if survivors - set(before):  # a merged customer's survivor (rare): its class too
        before.update(connection.execute(
            sa.select(table.c.id, table.c.value_class)
            .where(table.c.id.in_(sorted(survivors - set(before))))).all())
    member = table.alias("member")  # not the UPDATE's own table (no correlation)
    members = sa.select(member.c.id).where(sa.or_(
        member.c.id.in_(targets), member.c.merged_into_id.in_(targets))).correlate(None)
    limits = Limits.of(thresholds())
    now, today = clock.now(), clock.today()
    after = {i: before.get(i) for i in targets}
    after.update(connection.execute(_update(limits, today, now, members)
                                    .returning(table.c.id, table.c.value_class)).all())
    after.update({i: None for (i,) in connection.execute(
        _reset(targets).returning(table.c.id))})
    _move_counts(connection, before, after)
    _refresh_loaded(session, targets)


def _refresh_loaded(session: Session, ids) -> None:
    """Customers the session holds forget their old class figures (read again on use)."""
    fields = ["value_class", "order_count", "order_money", "last_order_at",
              "class_computed_at"]
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and (ids is None or sa.inspect(obj).identity[0] in ids):
            session.expire(obj, fields)


def _touched(session: Session, flush_context) -> None:
    """After a flush: the customers whose orders were written, moved to or from cancelled,
    or changed amount, date or customer; and customers merged or unmerged."""
    touched = session.info.setdefault("customer_classes_touched", set())
    for obj in session.new:
        if isinstance(obj, Order):
            touched.add(obj.customer_id)
    for obj in session.dirty:
        state = sa.inspect(obj)
        if isinstance(obj, Order):
            stage = state.attrs.stage.history
            if stage.has_changes() and "cancelled" in (*stage.added, *stage.deleted):
                touched.add(obj.customer_id)
            for name in ORDER_FIELDS:
                history = state.attrs[name].history
                if history.has_changes():
                    touched.add(obj.customer_id)
                    if name == "customer_id":
                        touched.update(history.deleted)
        elif isinstance(obj, Customer):
            history = state.attrs.merged_into_id.history
            if history.has_changes():
                touched.update({obj.id, *history.added, *history.deleted})
    touched.discard(None)
    if not touched:
        session.info.pop("customer_classes_touched", None)


def touch(session: Session, customer_ids) -> None:
    """Have the next flush recompute these customers' classes (a merge moved their orders
    with a bulk UPDATE the listener cannot see)."""
    session.info.setdefault("customer_classes_touched", set()).update(
        i for i in customer_ids if i is not None)


def _recompute_touched(session: Session, flush_context) -> None:
    touched = session.info.pop("customer_classes_touched", None)
    if touched:
        recompute(touched, session)


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop("customer_classes_touched", None)


def init_app(app) -> None:
    """Listen on every session: a written order recomputes its customer's class."""
    for name, listener in (("after_flush", _touched),
                           ("after_flush_postexec", _recompute_touched)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# --- saving the thresholds -----------------------------------------------------------------------


def save(actor, version: int | None, limits: Limits) -> ClassThresholds:
    """The supervisor saves new thresholds; the job queue recomputes every class once the
    save commits (``recompute_pending``; 300,000 customers are no work for a request)."""
    check(limits)
    saved = db.session.get(ClassThresholds, 1)
    if saved is None:
        if version not in (None, 0):
            raise Conflict(thresholds())
        saved = ClassThresholds(id=1)
        db.session.add(saved)
        before = {}
    else:
        if version is not None and version != saved.version:
            raise Conflict(saved)
        before = {name: getattr(saved, name) for name in Limits.__dataclass_fields__}
    changes = {}
    for name, value in vars(limits).items():
        old = before.get(name)
        if old is None or Decimal(old) != Decimal(value):
            changes[name] = [str(old) if old is not None else None, str(value)]
        setattr(saved, name, value)
    saved.updated_at, saved.updated_by_id = clock.now(), actor.id
    db.session.flush()  # a concurrent save fails here: the runner answers 409
    if has_app_context():
        g.customer_class_thresholds = saved
    audit.record("customers.classes_saved", saved, actor=actor, changes=changes)
    enqueue_after_commit(RECOMPUTE_TASK)
    return saved


# --- beside the class: complaints, returns; the explanation ------------------------------------


def case_counts(customer_ids) -> dict[int, tuple[int, int]]:
    """{customer id: (complaints, returns)}: after-sales cases with a complaint category,
    and cases of a return type (a merged customer's counting for its survivor). One query."""
    ids = sorted({i for i in customer_ids if i is not None})
    if not ids:
        return {}
    survivor = sa.func.coalesce(Customer.merged_into_id, Customer.id)
    rows = db.session.execute(
        sa.select(survivor,
                  sa.func.count(AfterSalesCase.category),
                  sa.func.coalesce(sa.func.sum(sa.case(
                      (AfterSalesCase.type.in_(RETURN_TYPES), 1), else_=0)), 0))
        .select_from(AfterSalesCase).join(Customer, Customer.id == AfterSalesCase.customer_id)
        .where(sa.or_(Customer.id.in_(ids), Customer.merged_into_id.in_(ids)))
        .group_by(survivor))
    counts = {i: (0, 0) for i in ids}
    counts.update({cid: (int(c), int(r)) for cid, c, r in rows})
    return counts


@dataclass(frozen=True)
class Explanation:
    """Why a customer is in their class, in figures the record shows."""

    code: str | None
    label: str
    orders: int
    money: Decimal
    window_days: int
    last_order_on: date | None
    days_ago: int | None
    recent: bool
    frequent: bool
    big: bool
    limits: Limits
    complaints: int
    returns: int
    computed_at: datetime | None


def explain(customer: Customer, today: date | None = None,
            counts: tuple[int, int] | None = None) -> Explanation:
    """The class of ``customer`` with the figures it was made of, each against its
    threshold, and the complaints and returns beside it. Two queries at most (the
    thresholds once a request, the case counts unless ``counts`` gives them: the story page
    reads them with its header)."""
    today = today or clock.today()
    limits = Limits.of(thresholds())
    money = Decimal(customer.order_money or 0).quantize(Decimal("0.01"))
    orders = customer.order_count or 0
    last = clock.local(customer.last_order_at)
    last_on = last.date() if last else None
    if counts is None:
        counts = case_counts([customer.id]).get(customer.id, (0, 0))
    complaints, returns = counts
    code = customer.value_class
    return Explanation(
        code=code, label=CLASSES.get(code, NO_CLASS), orders=orders, money=money,
        window_days=limits.window_days, last_order_on=last_on,
        days_ago=(today - last_on).days if last_on else None,
        recent=bool(last and last >= recency_start(limits, today)),
        frequent=orders >= limits.frequency_orders, big=money >= limits.money_amount,
        limits=limits, complaints=complaints, returns=returns,
        computed_at=customer.class_computed_at)


# --- the Today cards ---------------------------------------------------------------------------


def _open_case(customer_id):
    return sa.select(sa.func.count()).select_from(AfterSalesCase).where(
        AfterSalesCase.customer_id == customer_id, AfterSalesCase.state.in_(OPEN_STATES)) \
        .scalar_subquery()


def _waiting_order(customer_id):
    return sa.select(sa.func.count()).select_from(Order).where(
        Order.customer_id == customer_id, Order.stage.in_(WAITING_STAGES)).scalar_subquery()


def _waiting_stock(customer_id):
    return sa.select(sa.func.count()).select_from(StockWait).where(
        StockWait.customer_id == customer_id, StockWait.state == "waiting").scalar_subquery()


@dataclass(frozen=True)
class Waiting:
    """A customer of the owner's with what is open for them."""

    customer: Customer
    open_cases: int
    waiting_orders: int
    stock_waits: int


def mine_waiting(user, limit: int = 8) -> tuple[list[Waiting], int]:
    """Customers ``user`` owns with an open after-sales case, an order not yet shipped or
    an out-of-stock wait: the first ``limit`` (important classes first) and how many in
    all. Two queries."""
    cases, orders, stock = (_open_case(Customer.id), _waiting_order(Customer.id),
                            _waiting_stock(Customer.id))
    mine = sa.and_(Customer.owner_id == user.id, Customer.merged_into_id.is_(None))
    anything = sa.or_(sa.exists().where(AfterSalesCase.customer_id == Customer.id,
                                        AfterSalesCase.state.in_(OPEN_STATES)),
                      sa.exists().where(Order.customer_id == Customer.id,
                                        Order.stage.in_(WAITING_STAGES)),
                      sa.exists().where(StockWait.customer_id == Customer.id,
                                        StockWait.state == "waiting"))
    rank = sa.case({code: n for n, code in enumerate(CLASSES)}, value=Customer.value_class,
                   else_=len(CLASSES))
    rows = db.session.execute(
        sa.select(Customer, cases, orders, stock).where(mine, anything)
        .order_by(rank, Customer.name, Customer.id).limit(limit)).all()
    total = len(rows) if len(rows) < limit else db.session.scalar(
        sa.select(sa.func.count()).select_from(Customer).where(mine, anything))
    return [Waiting(c, n_cases, n_orders, n_stock) for c, n_cases, n_orders, n_stock
            in rows], total
