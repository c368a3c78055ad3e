"""Distributor accounts and their ledger (R-O9): the balance is always the SUM of the
ledger (index ``ix_distributor_ledger_account``), never stored apart; overdue debt, credit
left, statements of account.

Overdue debt (FIFO): money in (payments, refunds, positive adjustments) pays the oldest
charges first, so the part of the charges booked before ``now - terms_days`` that the money
in does not cover is overdue: ``max(0, charged before the cutoff - all money in)``.
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
from portal.orders.models import BankTransfer
from portal.rules import RuleError

from .models import DistributorAccount, LedgerEntry

ZERO = Decimal("0.00")
MODES = {"strict": N_("Strict: no order beyond the balance"),
         "loose": N_("Loose: up to the balance plus the credit line")}
STATES = {"active": N_("Active"), "hold": N_("On hold")}
KINDS = {"payment": N_("Payment in"), "charge": N_("Order charge"), "refund": N_("Refund"),
         "adjustment": N_("Adjustment")}
MARKETS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
MAX_MONEY = Decimal("9999999999.99")  # Numeric(12, 2)


@dataclass(frozen=True)
class Standing:
    """Where an account stands now: balance (+ prepaid, - owed), credit left, overdue
    debt, and what an order may use (strict: the balance; loose: balance + credit line)."""

    balance: Decimal
    credit_left: Decimal
    overdue: Decimal
    available: Decimal


def _standing(account: DistributorAccount, balance, money_in, old_charges) -> Standing:
    balance = Decimal(balance or 0).quantize(ZERO)
    overdue = max(ZERO, Decimal(old_charges or 0) - Decimal(money_in or 0)).quantize(ZERO)
    credit = account.credit_line if account.mode == "loose" else ZERO
    credit_left = max(ZERO, credit - max(ZERO, -balance))
    return Standing(balance, credit_left, overdue, balance + credit)


def cutoff(account: DistributorAccount, now: datetime | None = None) -> datetime:
    """Charges booked before this are past the account's payment terms."""
    return (now or clock.now()) - timedelta(days=account.terms_days)


def standings(accounts) -> dict[int, Standing]:
    """Each account's standing, in one grouped query over the ledger."""
    accounts = list(accounts)
    if not accounts:
        return {}
    now = clock.now()
    old = sa.case(*[(sa.and_(LedgerEntry.account_id == a.id, LedgerEntry.amount < 0,
                             LedgerEntry.booked_at < cutoff(a, now)), -LedgerEntry.amount)
                    for a in accounts], else_=0)
    rows = db.session.execute(
        sa.select(LedgerEntry.account_id, sa.func.sum(LedgerEntry.amount),
                  sa.func.sum(sa.case((LedgerEntry.amount > 0, LedgerEntry.amount), else_=0)),
                  sa.func.sum(old))
        .where(LedgerEntry.account_id.in_([a.id for a in accounts]))
        .group_by(LedgerEntry.account_id)).all()
    found = {row[0]: row[1:] for row in rows}
    return {a.id: _standing(a, *found.get(a.id, (0, 0, 0))) for a in accounts}


def standing(account: DistributorAccount) -> Standing:
    return standings([account])[account.id]


def balance(account_id: int, before: datetime | None = None) -> Decimal:
    """The SUM of the ledger (booked before ``before`` when given)."""
    query = sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.account_id == account_id)
    if before is not None:
        query = query.where(LedgerEntry.booked_at < before)
    return Decimal(db.session.scalar(query)).quantize(ZERO)


# --- accounts --------------------------------------------------------------------------------


def _money(value, field: str, *, positive: bool = False) -> Decimal:
    if value is None:
        raise RuleError(N_("Enter the amount."), field)
    value = Decimal(value).quantize(ZERO)
    if positive and value <= 0:
        raise RuleError(N_("The amount must be more than zero."), field)
    if abs(value) > MAX_MONEY:
        raise RuleError(N_("The amount is too large."), field)
    return value


def _check_account(name, code, market, credit_line, terms_days, mode) -> None:
    if not (name or "").strip():
        raise RuleError(N_("Enter the distributor's name."), "name")
    if not (code or "").strip():
        raise RuleError(N_("Enter the code on the distributor's orders."), "code")
    if not (market or "").strip():
        raise RuleError(N_("Enter the market."), "market")
    if credit_line is None or credit_line < 0:
        raise RuleError(N_("The credit line cannot be negative."), "credit_line")
    if credit_line > MAX_MONEY:
        raise RuleError(N_("The amount is too large."), "credit_line")
    if terms_days is None or not 0 <= terms_days <= 365:
        raise RuleError(N_("Payment terms are from 0 to 365 days."), "terms_days")
    if mode not in MODES:
        raise RuleError(N_("Choose strict or loose."), "mode")


def distributor_platform():
    """``orders.platform = 'distributor'`` in a form no index answers. SQLite (which keeps no
    statistics) took the unique (platform, order_no) index for it and read every distributor
    order (50,000 at scale 1: 111 ms for the Today card of undispatched orders); the other
    condition's index — the stage and payment time, the buyer — finds the few rows instead."""
    from portal.orders.models import Order

    return Order.platform.concat("") == "distributor"


def customer_of(code: str):
    """The distributor's customer (kind distributor), found by its orders' buyer id."""
    from portal.orders.models import Order

    return db.session.scalar(sa.select(Order.customer_id).where(
        distributor_platform(), Order.buyer_id == code,
        Order.customer_id.is_not(None)).limit(1))


def create_account(user: User, *, name: str, code: str, market: str, contact_name: str = "",
                   contact_phone: str = "", credit_line: Decimal = ZERO, terms_days: int = 30,
                   mode: str = "strict") -> DistributorAccount:
    _check_account(name, code, market, credit_line, terms_days, mode)
    code = code.strip()
    if db.session.scalar(sa.select(DistributorAccount.id).where(
            DistributorAccount.code == code)):
        raise RuleError(N_("A distributor with code %(code)s exists already."), "code",
                        code=code)
    account = DistributorAccount(
        name=name.strip(), code=code, market=market.strip(), contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(), credit_line=Decimal(credit_line).quantize(ZERO),
        terms_days=terms_days, mode=mode, state="active", customer_id=customer_of(code),
        created_at=clock.now())
    db.session.add(account)
    db.session.flush()
    audit.record("distributors.account_created", account, actor=user,
                 details={"name": account.name, "code": code})
    return account


def _expect(record, version) -> None:
    if version != record.version:
        raise Conflict(record)


def update_account(user: User, account: DistributorAccount, version: int, *, name: str,
                   market: str, contact_name: str, contact_phone: str, credit_line: Decimal,
                   terms_days: int, mode: str) -> DistributorAccount:
    """The supervisor changes the terms: credit line, payment terms, mode, contacts."""
    _expect(account, version)
    _check_account(name, account.code, market, credit_line, terms_days, mode)
    fields = ("name", "market", "contact_name", "contact_phone", "credit_line", "terms_days",
              "mode")
    before = {f: getattr(account, f) for f in fields}
    account.name, account.market = name.strip(), market.strip()
    account.contact_name, account.contact_phone = contact_name.strip(), contact_phone.strip()
    account.credit_line = Decimal(credit_line).quantize(ZERO)
    account.terms_days, account.mode = terms_days, mode
    audit.record("distributors.account_changed", account, actor=user,
                 changes=audit.changes(account, fields, before))
    db.session.flush()
    return account


def set_hold(user: User, account: DistributorAccount, version: int, hold: bool,
             reason: str | None) -> DistributorAccount:
    """Put an account on hold (no order is issued; the reason is shown) or release it."""
    _expect(account, version)
    reason = (reason or "").strip()
    if hold and not reason:
        raise RuleError(N_("Give the reason for the hold."), "reason")
    before = {"state": account.state}
    account.state = "hold" if hold else "active"
    account.hold_reason = reason if hold else None
    audit.record("distributors.hold" if hold else "distributors.released", account, actor=user,
                 changes=audit.changes(account, ("state",), before),
                 details={"reason": reason} if hold else None)
    db.session.flush()
    return account


# --- movements -------------------------------------------------------------------------------


def _book(user, account, kind, amount, **fields) -> LedgerEntry:
    entry = LedgerEntry(account_id=account.id, kind=kind, amount=amount, booked_at=clock.now(),
                        created_by_id=user.id, **fields)
    db.session.add(entry)
    db.session.flush()
    audit.record(f"distributors.{kind}", account, actor=user,
                 details={"amount": str(amount), "entry": entry.id,
                          **({"reason": fields["reason"]} if fields.get("reason") else {})})
    return entry


def record_payment(user: User, account: DistributorAccount, amount, *,
                   transfer_id: int | None = None, note: str = "") -> LedgerEntry:
    """A payment in, linked to its entry of the bank-transfer register when there is one
    (not linked to an order, the same amount, not yet used by another payment)."""
    amount = _money(amount, "amount", positive=True)
    transfer = None
    if transfer_id:
        transfer = db.session.get(BankTransfer, transfer_id)
        if transfer is None:
            raise RuleError(N_("No bank transfer has that number."), "transfer_id")
        if transfer.order_id is not None:
            raise RuleError(N_("That bank transfer pays an order already."), "transfer_id")
        if transfer.amount != amount:
            raise RuleError(N_("The transfer was for %(amount)s, not this amount."),
                            "transfer_id", amount=f"¥{transfer.amount:,.2f}")
        if db.session.scalar(sa.select(LedgerEntry.id).where(
                LedgerEntry.bank_transfer_id == transfer.id)):
            raise RuleError(N_("That bank transfer is booked already."), "transfer_id")
        if transfer.customer_id is None and account.customer_id is not None:
            transfer.customer_id = account.customer_id
    return _book(user, account, "payment", amount, bank_transfer_id=transfer and transfer.id,
                 reason=(note or "").strip())


def record_refund(user: User, account: DistributorAccount, amount, reason: str,
                  order_id: int | None = None) -> LedgerEntry:
    """Money given back to the distributor's balance (a returned order): positive."""
    amount = _money(amount, "amount", positive=True)
    if not (reason or "").strip():
        raise RuleError(N_("Give the reason."), "reason")
    return _book(user, account, "refund", amount, reason=reason.strip(), order_id=order_id)


def adjust(user: User, account: DistributorAccount, amount, reason: str) -> LedgerEntry:
    """The supervisor's manual adjustment (either sign), always with a reason."""
    amount = _money(amount, "amount")
    if amount == 0:
        raise RuleError(N_("An adjustment cannot be zero."), "amount")
    if not (reason or "").strip():
        raise RuleError(N_("Give the reason for the adjustment."), "reason")
    return _book(user, account, "adjustment", amount, reason=reason.strip())


def charge(user: User, account: DistributorAccount, order) -> LedgerEntry:
    """An issued order charged to the account (negative)."""
    return _book(user, account, "charge", -Decimal(order.amount).quantize(ZERO),
                 order_id=order.id)


def order_numbers(entries) -> dict[int, str]:
    """The order numbers of the entries' orders, in one query."""
    from portal.orders.models import Order

    ids = {e.order_id for e in entries if e.order_id}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Order.id, Order.order_no).where(Order.id.in_(ids)))
    return {order_id: number for order_id, number in rows}


def entries_query(account_id: int) -> sa.Select:
    return sa.select(LedgerEntry).where(LedgerEntry.account_id == account_id)


# --- statements ------------------------------------------------------------------------------


@dataclass
class Statement:
    account: DistributorAccount
    start: date
    end: date
    opening: Decimal
    entries: list
    closing: Decimal


def day_start(day: date) -> datetime:
    """The UTC moment the department's local ``day`` begins."""
    return datetime.combine(day, time(), clock.get_clock().tz)


def range_problem(start: date, end: date) -> str | None:
    """Why a statement's dates are refused (an untranslated message), or None."""
    if end < start:
        return N_("The end date is before the start date.")
    if (end - start).days > 3 * 366:
        return N_("A statement covers at most three years.")
    return None


def statement(account: DistributorAccount, start: date, end: date) -> Statement:
    """Opening balance (before ``start``), the movements of ``start``..``end`` (local days,
    inclusive) and the closing balance, which is the opening plus the movements."""
    problem = range_problem(start, end)
    if problem:
        raise RuleError(problem, "date_to")
    since, until = day_start(start), day_start(end + timedelta(days=1))
    opening = balance(account.id, before=since)
    entries = list(db.session.scalars(
        entries_query(account.id).where(LedgerEntry.booked_at >= since,
                                        LedgerEntry.booked_at < until)
        .order_by(LedgerEntry.booked_at, LedgerEntry.id)))
    closing = opening + sum((e.amount for e in entries), ZERO)
    return Statement(account, start, end, opening, entries, closing)
