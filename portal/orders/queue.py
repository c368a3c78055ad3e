"""The order clerks' queue, read side and the selection's printing: one page of the queue
with what each row shows (promise, remarks, tasks), the open tasks, the 16:30 cut-off and
its missed orders (R-O5), the overdue orders (R-O10), and the dispatch slips.

The rules of each action live in ``portal.orders.orders``; this module only gathers what
the queue shows, in a fixed number of queries per page.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload

from portal import clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.orders import orders as svc
from portal.orders.models import Order, OrderRemark, OrderTask
from portal.rules import RuleError

PER_PAGE = 20  # a queue page stays under 60 KB of HTML (each row carries its actions)
TASKS_SHOWN = 10  # the oldest first; the panel says how many more
OVERDUE_SHOWN = 10
MAX_SLIPS = 200


@dataclass
class QueuePage:
    """One page of the queue, shaped for the ``pagination`` macro."""

    items: list[Order]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether there is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether there is a page after this one."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        """The previous page's number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """The next page's number."""
        return self.page + 1


def queue_page(sort: str = "fifo", *, flag: str | None = None, platform: str | None = None,
               page: int = 1) -> QueuePage:
    """R-O9: a page of the queue in review order (one COUNT, one page query, its lines)."""
    query = svc.queue(sort if sort in svc.QUEUE_ORDERS else "fifo", flag=flag or None,
                      platform=platform or None)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(page, 1), pages)
    items = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return QueuePage(list(items), total, page)


@dataclass
class RemarkSummary:
    """How many remarks an order has and the latest one."""

    count: int = 0
    last: OrderRemark | None = None


def remark_summaries(order_ids) -> dict[int, RemarkSummary]:
    """{order id: RemarkSummary} for a page of orders, in one query: each order's last
    remark joined to its count."""
    order_ids = list(order_ids)
    if not order_ids:
        return {}
    counts = (sa.select(OrderRemark.order_id, sa.func.count().label("n"),
                        sa.func.max(OrderRemark.id).label("last_id"))
              .where(OrderRemark.order_id.in_(order_ids)).group_by(OrderRemark.order_id)
              .subquery())
    rows = db.session.execute(sa.select(OrderRemark, counts.c.n)
                              .join(counts, OrderRemark.id == counts.c.last_id)).all()
    return {remark.order_id: RemarkSummary(count, remark) for remark, count in rows}


def row_context(orders) -> dict:
    """What the queue's rows need besides the orders: promises and remark summaries."""
    orders = list(orders)
    return {"promises": svc.promises(orders),
            "remarks": remark_summaries(order.id for order in orders)}


# --- the clerks' tasks -----------------------------------------------------------------------


def open_tasks(limit: int = TASKS_SHOWN) -> list[OrderTask]:
    """The oldest open tasks (order, remark and its author joined)."""
    # the panel shows no lines: don't load them with the tasks' orders
    return list(db.session.scalars(svc.open_tasks_query().limit(limit).options(
        joinedload(OrderTask.order).lazyload(Order.lines))).unique())


def open_task_count() -> int:
    """How many tasks are open (the navigation badge, the clerk's card)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(OrderTask)
                             .where(OrderTask.state == "open"))


# --- the cut-off (R-O5) ----------------------------------------------------------------------


@dataclass
class Cutoff:
    """Today's shipping cut-off: when, whether it passed, how long is left, and once it
    passed the orders that missed it."""

    deadline: datetime
    passed: bool
    minutes_left: int
    missed: list[Order] = field(default_factory=list)

    @property
    def hours(self) -> int:
        """Whole hours left."""
        return self.minutes_left // 60

    @property
    def minutes(self) -> int:
        """Minutes left beyond the whole hours."""
        return self.minutes_left % 60


def cutoff(now: datetime | None = None, *, with_missed: bool = True) -> Cutoff:
    """R-O5: the clerks finish shipping by 16:30; after it, today's missed orders."""
    now = now or clock.now()
    deadline = datetime.combine(now.date(), svc.ship_cutoff(), clock.get_clock().tz)
    left = deadline - now
    if left > timedelta(0):
        return Cutoff(deadline, False, math.ceil(left.total_seconds() / 60))
    return Cutoff(deadline, True, 0, svc.missed(now) if with_missed else [])


# --- overdue (R-O10) -------------------------------------------------------------------------


def overdue(limit: int = OVERDUE_SHOWN, now: datetime | None = None) -> list[Order]:
    """The oldest overdue orders."""
    return list(db.session.scalars(svc.overdue_query(now).limit(limit)
                                   .options(lazyload(Order.lines))))


def dispatch_days() -> int:
    """R-O10: days within which the warehouse dispatches (a setting)."""
    return int(svc.setting("ORDERS_DISPATCH_DAYS"))


def age_days(order: Order, now: datetime | None = None) -> int:
    """Whole days since the order was paid."""
    if order.paid_at is None:
        return 0
    return max(0, ((now or clock.now()) - order.paid_at).days)


# --- slips -----------------------------------------------------------------------------------


def print_selection(user: User, selection: list[tuple[int, int | None]]) -> list[Order]:
    """Print the slips of the selected orders, each as the clerk saw it (its version): a
    stale one is a ``Conflict`` (carrying the stale orders), a refused one a ``RuleError``;
    either way nothing is printed."""
    if not selection:
        raise RuleError(N_("Select the orders whose slips to print."))
    if len(selection) > MAX_SLIPS:
        raise RuleError(N_("Print at most %(count)d slips at once."), count=MAX_SLIPS)
    found = {o.id: o for o in db.session.scalars(
        sa.select(Order).where(Order.id.in_([order_id for order_id, _ in selection])))}
    if any(order_id not in found for order_id, _ in selection):
        raise RuleError(N_("Some of the selected orders no longer exist; reload the queue."))
    orders = [found[order_id] for order_id, _ in selection]
    stale = [found[order_id] for order_id, version in selection
             if found[order_id].version != version]
    if stale:
        raise Conflict(stale)
    return svc.print_slips(user, orders)


def stale_in(selection: list[tuple[int, int | None]]) -> list[Order]:
    """The selected orders whose version moved since the clerk saw them (one query)."""
    seen = dict(selection)
    if not seen:
        return []
    return [order for order in db.session.scalars(
        sa.select(Order).where(Order.id.in_(list(seen))).order_by(Order.id))
        if order.version != seen[order.id]]


def slips(order_ids) -> tuple[list[Order], dict[int, list[OrderRemark]]]:
    """The orders (in the order asked) and all their remarks, oldest first."""
    order_ids = list(dict.fromkeys(order_ids))[:MAX_SLIPS]
    if not order_ids:
        return [], {}
    found = {o.id: o for o in db.session.scalars(
        sa.select(Order).where(Order.id.in_(order_ids)))}
    remarks: dict[int, list[OrderRemark]] = {order_id: [] for order_id in found}
    for remark in db.session.scalars(
            sa.select(OrderRemark).where(OrderRemark.order_id.in_(list(found)))
            .order_by(OrderRemark.order_id, OrderRemark.id)):
        remarks[remark.order_id].append(remark)
    return [found[i] for i in order_ids if i in found], remarks
