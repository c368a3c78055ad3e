"""Stock per SKU, kept by the order clerks: how many are on hand and, when none are, the
expected arrival (R-O4, R-O6). When a SKU's stock goes from zero to positive, the buyers
waiting for it in the out-of-stock register are to be told (R-O8).

Services take the acting user, use ``clock.now()``, write the audit trail in the same
transaction and raise ``RuleError`` (nothing changed) or ``Conflict`` (someone was first);
they flush and never commit. A SKU added by two clerks at once fails the unique key at the
flush (``IntegrityError``): the view counts that as a conflict.
"""

from datetime import date

import sqlalchemy as sa
from flask import url_for

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify_role
from portal.orders.models import StockItem, StockWait
from portal.rules import RuleError

PER_PAGE = 50
MAX_ON_HAND = 999_999


def stock_query(text: str | None = None, out_only: bool = False):
    """SKUs whose SKU or name begins with ``text`` (ordered by SKU); ``out_only``: none on
    hand."""
    query = sa.select(StockItem)
    text = (text or "").strip()
    if text:
        # a range, not LIKE: it uses the indexes on both databases
        query = query.where(sa.or_(
            sa.and_(StockItem.sku >= text, StockItem.sku < text + "\uffff"),
            sa.and_(StockItem.name >= text, StockItem.name < text + "\uffff")))
    if out_only:
        query = query.where(StockItem.on_hand == 0)
    return query.order_by(StockItem.sku)


def find_sku(text: str | None) -> StockItem | None:
    """The stock item whose SKU is ``text`` in any case (``tea-01`` is TEA-01): people type
    SKUs as they hear them. The exact SKU first (its unique index), else any case."""
    text = (text or "").strip()
    if not text:
        return None
    item = db.session.scalar(sa.select(StockItem).where(StockItem.sku == text))
    if item is None:
        item = db.session.scalar(sa.select(StockItem)
                                 .where(sa.func.lower(StockItem.sku) == text.lower())
                                 .order_by(StockItem.sku).limit(1))
    return item


SKU_CHOICES = 10


def sku_choices(text: str | None, limit: int = SKU_CHOICES) -> list[StockItem]:
    """SKUs offered as one types (the out-of-stock register's SKU field): those whose SKU
    begins with ``text`` or whose name contains it, in any case; the out-of-stock first."""
    text = (text or "").strip()[:40]
    if not text:
        return []
    pattern = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(db.session.scalars(
        sa.select(StockItem).where(sa.or_(
            sa.func.lower(StockItem.sku).like(pattern + "%", escape="\\"),
            sa.func.lower(StockItem.name).like("%" + pattern + "%", escape="\\")))
        .order_by(StockItem.on_hand > 0, StockItem.sku).limit(limit)))


def waiting_counts(skus) -> dict[str, int]:
    """{sku: buyers still waiting in the out-of-stock register} for ``skus``, one query."""
    skus = {s for s in skus if s}
    if not skus:
        return {}
    rows = db.session.execute(
        sa.select(StockWait.sku, sa.func.count()).where(StockWait.state == "waiting",
                                                        StockWait.sku.in_(skus))
        .group_by(StockWait.sku))
    return dict(rows.all())


def _check(on_hand, expected_on: date | None, previous: date | None = None) -> None:
    if on_hand is None:
        raise RuleError(N_("Enter how many are on hand (0 or more)."), "on_hand")
    if on_hand < 0:
        raise RuleError(N_("The count cannot be negative."), "on_hand")
    if on_hand > MAX_ON_HAND:
        raise RuleError(N_("The count cannot be more than %(max)d."), "on_hand",
                        max=MAX_ON_HAND)
    # a date typed now must lie ahead; one kept unchanged is not re-judged
    if expected_on is not None and expected_on != previous and expected_on < clock.today():
        raise RuleError(N_("The expected arrival cannot be in the past."), "expected_on")


def add_item(user: User, sku: str, name: str, on_hand: int = 0,
             expected_on: date | None = None) -> StockItem:
    """A new SKU in the stock list (the SKU is unique)."""
    sku, name = (sku or "").strip(), (name or "").strip()
    if not sku:
        raise RuleError(N_("Enter the SKU."), "sku")
    if not name:
        raise RuleError(N_("Enter the item's name."), "name")
    _check(on_hand, expected_on)
    if db.session.scalar(sa.select(StockItem.id).where(StockItem.sku == sku)) is not None:
        raise RuleError(N_("SKU %(sku)s is already in the stock list."), "sku", sku=sku)
    item = StockItem(sku=sku, name=name, on_hand=on_hand, expected_on=expected_on,
                     updated_at=clock.now(), updated_by_id=user.id)
    db.session.add(item)
    db.session.flush()
    audit.record("orders.stock_added", item, actor=user,
                 details={"sku": sku, "name": name, "on_hand": on_hand,
                          "expected_on": expected_on.isoformat() if expected_on else None})
    return item


def set_stock(user: User, item: StockItem, version: int, on_hand: int,
              expected_on: date | None) -> int:
    """The count on hand and the expected arrival of ``item``. From zero to positive, the
    buyers waiting for the SKU become "to tell" and pre-sales are notified (R-O8). Returns
    how many waiting buyers became "to tell"."""
    if version != item.version:
        raise Conflict(item)
    _check(on_hand, expected_on, item.expected_on)
    before = {"on_hand": item.on_hand, "expected_on": item.expected_on}
    if before == {"on_hand": on_hand, "expected_on": expected_on}:
        return 0  # nothing changed: no audit entry, no new version
    arrived = item.on_hand == 0 and on_hand > 0
    now = clock.now()
    item.on_hand, item.expected_on = on_hand, expected_on
    item.updated_at, item.updated_by_id = now, user.id
    told = 0
    if arrived:
        told = db.session.execute(
            sa.update(StockWait)
            .where(StockWait.sku == item.sku, StockWait.state == "waiting",
                   StockWait.available_at.is_(None))
            .values(available_at=now)
            .execution_options(synchronize_session="fetch")).rowcount or 0
    audit.record("orders.stock_changed", item, actor=user,
                 changes=audit.changes(item, ("on_hand", "expected_on"), before),
                 details={"sku": item.sku, **({"buyers_to_tell": told} if told else {})})
    if told:
        notify_role("presales", N_("%(sku)s is back in stock: %(count)d buyers are waiting."),
                    _waits_link(), sku=item.sku, count=told)
    db.session.flush()
    return told


def _waits_link() -> str:
    try:
        return url_for("orders.waits", state="to_tell")
    except RuntimeError:  # outside a request (demo data, CLI)
        return "/orders/waits?state=to_tell"
