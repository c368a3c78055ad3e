"""The two registers pre-sales keep: bank transfers received (银行转账明细表, R-O7), each
linked to the order it pays, and buyers waiting for an out-of-stock item (缺货登记表, R-O8),
to be told when it arrives.

Services take the acting user, use ``clock.now()``, write the audit trail in the same
transaction and raise ``RuleError`` (nothing changed) or ``Conflict`` (someone was first);
they flush and never commit. An order linked to two transfers at once fails the unique key
at the flush (``IntegrityError``): the views count that as a conflict.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.orders import orders as order_svc
from portal.orders.models import BankTransfer, Order, StockWait
from portal.orders.stock import find_sku
from portal.rules import RuleError

MAX_AMOUNT = Decimal("9999999999.99")
UNLINKED_AFTER_DAYS = 2  # unlinked longer than this: on the pre-sales Today page (R-O7)
PICKS = 10  # orders offered by the search that picks one
CARD_ROWS = 5
TELL_CARD_ROWS = 8
WAITS_PER_PAGE = 50

# The outcome of a wait (R-O8); "waiting" until the buyer is told, buys or gives up.
WAIT_STATES = {
    "waiting": N_("Waiting"),
    "told": N_("Told"),
    "bought": N_("Bought"),
    "gave_up": N_("Gave up"),
}
# What the register's state filter offers ("to tell": waiting, and the SKU has arrived).
WAIT_FILTERS = {
    "waiting": N_("Waiting"),
    "to_tell": N_("To tell"),
    "told": N_("Told"),
    "bought": N_("Bought"),
    "gave_up": N_("Gave up"),
    "all": N_("All"),
}
# What an entry may become from each state: a told buyer may still buy or give up.
NEXT_STATES = {"waiting": ("told", "bought", "gave_up"), "told": ("bought", "gave_up")}


def _text(value: str | None, field: str, message: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise RuleError(message, field)
    if len(value) > limit:
        raise RuleError(N_("Keep this under %(max)d characters."), field, max=limit)
    return value


# --- bank transfers (R-O7) -------------------------------------------------------------------


def transfer_for(order_id: int) -> BankTransfer | None:
    """The bank transfer linked to the order, if any."""
    return db.session.scalar(sa.select(BankTransfer).where(BankTransfer.order_id == order_id)
                             .limit(1))


def linked_orders(order_ids) -> set[int]:
    """Which of ``order_ids`` already have a transfer linked (one query)."""
    ids = {i for i in order_ids if i}
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(BankTransfer.order_id)
                                  .where(BankTransfer.order_id.in_(ids))))


def pick_orders(text: str | None) -> list[Order]:
    """Orders a transfer may be linked to: the quick search (order number prefix, buyer ID,
    phone), at most ten."""
    text = (text or "").strip()
    if not text:
        return []
    return list(db.session.scalars(order_svc.search(text).limit(PICKS)).unique())


def _paid_at(received_on: date) -> datetime:
    """When a transfer-paid order counts as paid: noon of the day received (or now, when
    that noon is still to come)."""
    noon = datetime.combine(received_on, time(12), clock.get_clock().tz)
    return min(noon, clock.now())


@dataclass(frozen=True)
class PaymentCheck:
    """What to check before a transfer marks its order paid: the transfer's amount less the
    order's (negative: short, positive: over) and whether pre-sales asked to cancel it."""

    order_id: int
    transfer_amount: Decimal
    order_amount: Decimal
    cancel_asked: bool

    @property
    def difference(self) -> Decimal:
        """The transfer less the order: below zero a short payment, above an overpayment."""
        return self.transfer_amount - self.order_amount

    @property
    def shortfall(self) -> Decimal:
        return -self.difference

    @property
    def token(self) -> str:
        """What the confirmation sends back: it confirms this order, this difference and
        this cancellation state, not whatever another order or amount turns out to be."""
        return f"{self.order_id}:{self.difference}:{int(self.cancel_asked)}"

    @property
    def clean(self) -> bool:
        """The exact amount and no cancellation asked: nothing to confirm."""
        return self.difference == 0 and not self.cancel_asked


def marks_paid(order: Order) -> bool:
    """Whether linking a transfer to ``order`` marks it paid (it awaits payment by transfer
    or by any means)."""
    return order.stage == "awaiting_payment" and order.payment in ("awaiting", "transfer")


def payment_check(amount: Decimal | None, order: Order | None) -> PaymentCheck | None:
    """The check a transfer of ``amount`` needs before it marks ``order`` paid (R-O7); None
    when linking would not mark it paid or there is nothing to compare yet."""
    if amount is None or order is None or not marks_paid(order):
        return None
    return PaymentCheck(order.id, amount, order.amount, order.cancel_requested_at is not None)


def _link(user: User, transfer: BankTransfer, order_id: int | None,
          confirmed: str | None = None, note: str | None = None) -> bool:
    """Link ``transfer`` to the order; an order awaiting payment by transfer is marked paid
    (the same flush carries the link). A transfer of another amount than the order's, or to
    an order pre-sales asked to cancel, marks it paid only when confirmed with a note on the
    difference (short payment / overpayment), kept on the entry and in the audit trail.
    Returns True when the order was marked paid."""
    order = db.session.get(Order, order_id) if order_id else None
    if order is None:
        raise RuleError(N_("Choose the order from the search results."), "order_id")
    other = transfer_for(order.id)
    if other is not None and other.id != transfer.id:
        raise RuleError(N_("Order %(no)s is already linked to the transfer from %(payer)s "
                           "of %(date)s."), "order_id", no=order.order_no, payer=other.payer,
                        date=other.received_on.isoformat())
    if order.stage == "cancelled":
        raise RuleError(N_("Order %(no)s is cancelled: a transfer cannot pay it."), "order_id",
                        no=order.order_no)
    check = payment_check(transfer.amount, order)
    note = (note or "").strip()
    if check is not None and not check.clean:
        if confirmed != check.token:  # not confirmed, or confirmed for what it was before
            raise RuleError(N_("Check the transfer against the order below. To mark the order "
                               "paid anyway, tick the confirmation and write a note."),
                            "confirm_paid")
        if not note:
            raise RuleError(N_("Write why the order is marked paid anyway (short payment, "
                               "overpayment)."), "paid_note")
        if len(note) > 300:
            raise RuleError(N_("Keep this under %(max)d characters."), "paid_note", max=300)
        transfer.paid_note = note
    transfer.order = order
    details = {"order_id": order.id, "amount": str(transfer.amount)}
    if check is not None and not check.clean:
        details.update(order_amount=str(order.amount), difference=str(check.difference),
                       cancel_asked=check.cancel_asked, note=note)
    audit.record("orders.transfer_linked", transfer, actor=user,
                 changes={"order": [None, order.order_no]}, details=details)
    if check is not None:
        order.payment = "transfer"
        order_svc.mark_paid(user, order, order.version, paid_at=_paid_at(transfer.received_on))
        return True
    return False


def add_transfer(user: User, *, received_on: date | None, payer: str, amount: Decimal | None,
                 bank: str, reference: str = "", order_id: int | None = None,
                 confirmed: str | None = None, note: str | None = None
                 ) -> tuple[BankTransfer, bool]:
    """R-O7: a transfer received, entered in the register, linked to its order when known.
    Returns the entry and whether its order was marked paid."""
    if received_on is None:
        raise RuleError(N_("Enter the date the transfer was received."), "received_on")
    if received_on > clock.today():
        raise RuleError(N_("The date received cannot be in the future."), "received_on")
    payer = _text(payer, "payer", N_("Enter who paid."), 60)
    bank = _text(bank, "bank", N_("Enter the bank."), 60)
    reference = (reference or "").strip()
    if len(reference) > 60:
        raise RuleError(N_("Keep this under %(max)d characters."), "reference", max=60)
    if amount is None or amount <= 0:
        raise RuleError(N_("The amount must be more than zero."), "amount")
    if amount > MAX_AMOUNT:
        raise RuleError(N_("The amount is too large."), "amount")
    transfer = BankTransfer(received_on=received_on, payer=payer, amount=amount, bank=bank,
                            reference=reference, registered_by_id=user.id,
                            created_at=clock.now())
    db.session.add(transfer)
    db.session.flush()
    audit.record("orders.transfer_added", transfer, actor=user,
                 details={"received_on": received_on.isoformat(), "payer": payer,
                          "amount": str(amount), "bank": bank, "reference": reference})
    paid = _link(user, transfer, order_id, confirmed, note) if order_id else False
    db.session.flush()
    return transfer, paid


def link_transfer(user: User, transfer: BankTransfer, version: int,
                  order_id: int | None, confirmed: str | None = None,
                  note: str | None = None) -> bool:
    """Link an unlinked entry to its order (R-O7: the order is followed until done).
    Returns whether the order was marked paid by the transfer."""
    if version != transfer.version or transfer.order_id is not None:
        raise Conflict(transfer)
    paid = _link(user, transfer, order_id, confirmed, note)
    db.session.flush()
    return paid


def transfers_query(*, date_from: date | None = None, date_to: date | None = None,
                    unlinked: bool = False, text: str | None = None):
    """The register, latest received first, filtered by the date received, unlinked
    entries, and the payer or reference containing ``text``."""
    query = sa.select(BankTransfer)
    if date_from:
        query = query.where(BankTransfer.received_on >= date_from)
    if date_to:
        query = query.where(BankTransfer.received_on <= date_to)
    if unlinked:
        query = query.where(BankTransfer.order_id.is_(None))
    text = (text or "").strip()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(BankTransfer.payer.like(pattern, escape="\\"),
                                   BankTransfer.reference.like(pattern, escape="\\")))
    return query.order_by(BankTransfer.received_on.desc(), BankTransfer.id.desc())


def _unlinked_late():
    limit = clock.today() - timedelta(days=UNLINKED_AFTER_DAYS)
    return sa.select(BankTransfer).where(BankTransfer.order_id.is_(None),
                                         BankTransfer.received_on < limit)


def unlinked_late(limit: int = CARD_ROWS) -> tuple[int, list[BankTransfer]]:
    """R-O7: entries still unlinked two days after they were received: how many, and the
    oldest few."""
    query = _unlinked_late()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = list(db.session.scalars(query.order_by(BankTransfer.received_on, BankTransfer.id)
                                   .limit(limit)).unique()) if count else []
    return count, rows


# --- the out-of-stock register (R-O8) ------------------------------------------------------


def add_wait(user: User, *, buyer: str, contact: str, sku: str, quantity: int | None,
             note: str = "") -> StockWait:
    """R-O8: a buyer who will wait for an item is registered. When the SKU is on hand
    already (enough of it), the buyer is "to tell" at once."""
    buyer = _text(buyer, "buyer", N_("Enter the buyer."), 60)
    contact = _text(contact, "contact", N_("Enter how to reach the buyer."), 60)
    sku = (sku or "").strip()
    if not sku:
        raise RuleError(N_("Enter the SKU."), "sku")
    item = find_sku(sku)  # in any case: registered under the stock list's spelling
    if item is None:
        raise RuleError(N_("SKU %(sku)s is not in the stock list."), "sku", sku=sku)
    sku = item.sku
    if quantity is None or quantity < 1:
        raise RuleError(N_("The quantity must be at least 1."), "quantity")
    note = (note or "").strip()
    if len(note) > 300:
        raise RuleError(N_("Keep this under %(max)d characters."), "note", max=300)
    now = clock.now()
    wait = StockWait(buyer=buyer, contact=contact, sku=sku, quantity=quantity, note=note,
                     registered_by_id=user.id, created_at=now,
                     available_at=now if item.on_hand >= quantity else None)
    db.session.add(wait)
    db.session.flush()
    audit.record("orders.wait_added", wait, actor=user,
                 details={"sku": sku, "quantity": quantity, "buyer": buyer})
    db.session.flush()
    return wait


def mark_wait(user: User, wait: StockWait, version: int, outcome: str) -> StockWait:
    """R-O8: the buyer was told the item arrived, bought it, or gave up waiting."""
    if outcome not in WAIT_STATES or outcome == "waiting":
        raise RuleError(N_("Choose told, bought or gave up."), "outcome")
    if version != wait.version or outcome not in NEXT_STATES.get(wait.state, ()):
        raise Conflict(wait)
    before = wait.state
    wait.state = outcome
    wait.closed_at = clock.now()
    wait.closed_by_id = user.id
    audit.record("orders.wait_marked", wait, actor=user, changes={"state": [before, outcome]},
                 details={"sku": wait.sku, "buyer": wait.buyer})
    db.session.flush()
    return wait


# The register's histories (told, bought, gave up: latest closed first; all: newest first)
# are keyset-paged on these columns, no COUNT over years of entries; the two working lists
# (waiting, to tell) are the few open entries in their own order, paged by number.
HISTORY_KEYS = {"told": (StockWait.closed_at, StockWait.id),
                "bought": (StockWait.closed_at, StockWait.id),
                "gave_up": (StockWait.closed_at, StockWait.id),
                "all": (StockWait.id,)}


def waits_query(state: str = "waiting", text: str | None = None):
    """The register filtered by state: waiting (the ones to tell first, then first come
    first served), to tell, told, bought, gave up, or all (newest first)."""
    query = sa.select(StockWait)
    if state == "to_tell":
        query = query.where(StockWait.state == "waiting", StockWait.available_at.is_not(None))
        order = (StockWait.available_at, StockWait.id)
    elif state == "waiting":
        query = query.where(StockWait.state == "waiting")
        order = (StockWait.available_at.is_(None), StockWait.available_at, StockWait.id)
    elif state in WAIT_STATES:
        query = query.where(StockWait.state == state)
        order = (StockWait.closed_at.desc(), StockWait.id.desc())
    else:
        order = (StockWait.id.desc(),)
    text = (text or "").strip()
    if text:
        item = find_sku(text)  # a SKU in any case is the stock list's SKU
        query = query.where(sa.or_(StockWait.sku == (item.sku if item else text),
                                   StockWait.buyer == text))
    return query.order_by(*order)


def to_tell(limit: int = TELL_CARD_ROWS) -> tuple[int, list[StockWait]]:
    """R-O8: waiting buyers whose item has arrived: how many, and the first few."""
    query = waits_query("to_tell")
    count = db.session.scalar(sa.select(sa.func.count())
                              .select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(limit)).unique()) if count else []
    return count, rows
