"""The check before a distributor order is issued (R-O9) and the dispatch clock (R-O10).

A distributor order starts in stage ``review`` ("waiting for review", see
``orders.first_stage``). The check shows the order total, the balance, the credit left and
overdue debt. Enough (strict: total ≤ balance; loose: total ≤ balance + credit line), the
account active and no overdue debt → issue: the charge is written to the ledger and the
order goes on to ``paid`` (the clerks' queue) in one transaction. Short → ask the distributor
to pay (the review is ``asked``: the desk's task, a message to copy; a payment booked later
makes it ready to issue) or reduce quantities line by line (at least one unit per item).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.orders.models import Order
from portal.orders.orders import IN_QUEUE
from portal.rules import RuleError

from . import ledger
from .models import DeliveryIssue, DistributorAccount, OrderReview

REVIEW_STATES = {"waiting": N_("Waiting for review"), "asked": N_("Asked to pay"),
                 "issued": N_("Issued")}
DISPATCH_DAYS = 3  # R-O10: issued and not shipped after this many days: chased
ISSUE_KINDS = {"short": N_("Short delivered"), "missing": N_("Item missing"),
               "wrong": N_("Wrong item")}
ISSUE_STATES = {"open": N_("Open"), "answered": N_("Answered")}
BALANCE_CHANGED = N_("The balance changed since the check (a payment or another order came "
                     "in). Nothing was issued: this is the check as it is now.")


def account_of(order: Order) -> DistributorAccount | None:
    """The distributor account of an order: the code is the order's buyer id."""
    return db.session.scalar(sa.select(DistributorAccount).where(
        DistributorAccount.code == order.buyer_id))


def account_names(orders) -> dict[str, str]:
    """The distributor's name for each order's buyer id that is an account code (one query);
    an order whose buyer id is no account shows the buyer id."""
    codes = {o.buyer_id for o in orders}
    if not codes:
        return {}
    return dict(db.session.execute(sa.select(DistributorAccount.code, DistributorAccount.name)
                                   .where(DistributorAccount.code.in_(codes))).all())


def review_of(order: Order) -> OrderReview:
    """The order's review row, made on first use."""
    found = db.session.scalar(sa.select(OrderReview).where(OrderReview.order_id == order.id))
    if found is None:
        account = account_of(order)
        found = OrderReview(order_id=order.id, account_id=account and account.id,
                            state="waiting", created_at=order.created_at)
        found.order, found.account = order, account
        db.session.add(found)
        db.session.flush()
    return found


@dataclass(frozen=True)
class Check:
    """What the clerk sees before issuing: the figures and whether (or why not) it may go."""

    total: Decimal
    standing: ledger.Standing | None
    blocked: str | None  # the reason issuing is refused (untranslated marker), or None
    short: Decimal  # how much is missing (0 when enough)

    @property
    def enough(self) -> bool:
        return self.blocked is None and self.short == 0

    @property
    def seen(self) -> str:
        """What the form carries back: the balance the clerk saw."""
        return str(self.standing.balance) if self.standing else ""


def check(order: Order, account: DistributorAccount | None,
          standing: ledger.Standing | None = None) -> Check:
    total = Decimal(order.amount).quantize(ledger.ZERO)
    if account is None:
        return Check(total, None, N_("No distributor account has the code %(code)s."), total)
    standing = standing or ledger.standing(account)
    short = max(ledger.ZERO, total - standing.available)
    blocked = None
    if account.state == "hold":
        blocked = N_("The account is on hold: %(reason)s")
    elif standing.overdue > 0:
        blocked = N_("The account has overdue debt of %(overdue)s: no new order is issued "
                     "until it is paid.")
    return Check(total, standing, blocked, short)


def blocked_text(result: Check, account, order) -> str | None:
    if result.blocked is None:
        return None
    return _(result.blocked, reason=account.hold_reason if account else "",
             overdue=f"¥{result.standing.overdue:,.2f}" if result.standing else "",
             code=order.buyer_id)


def _waiting(order: Order, version: int | None) -> None:
    if version != order.version:
        raise Conflict(order)
    if order.stage != "review":
        raise RuleError(N_("This order is not waiting for review any more."))


def issue(user: User, order: Order, version: int, seen: str | None) -> OrderReview:
    """Issue the order: the charge in the ledger, the order on to the clerks' queue."""
    _waiting(order, version)
    account = account_of(order)
    result = check(order, account)
    if (seen or "") != result.seen:
        raise Conflict(order, BALANCE_CHANGED)
    if result.blocked:
        raise RuleError(result.blocked, reason=account.hold_reason if account else "",
                        overdue=f"¥{result.standing.overdue:,.2f}" if result.standing else "",
                        code=order.buyer_id)
    if result.short:
        raise RuleError(N_("The balance is short by %(short)s: ask the distributor to pay or "
                           "reduce the quantities."), short=f"¥{result.short:,.2f}")
    review = review_of(order)
    ledger.charge(user, account, order)
    now = clock.now()
    order.stage = "paid"
    order.paid_at = order.paid_at or now  # the dispatch clock runs from here (R-O10)
    review.state, review.issued_at, review.issued_by_id = "issued", now, user.id
    audit.record("distributors.issued", order, actor=user,
                 changes={"stage": ["review", "paid"]},
                 details={"amount": str(order.amount), "account": account.id})
    db.session.flush()
    return review


def reduce(user: User, order: Order, version: int, quantities: dict[int, int]) -> Order:
    """Lower line quantities (never raise them, never below one unit per item); the order's
    total follows, and the check is shown again."""
    _waiting(order, version)
    lines = {line.id: line for line in order.lines}
    if not quantities or set(quantities) - set(lines):
        raise RuleError(N_("Reduce the lines of this order."))
    cut = Decimal("0")
    changed = {}
    for line_id, quantity in quantities.items():
        line = lines[line_id]
        if quantity is None or quantity < 1:
            raise RuleError(N_("Keep at least one unit of each item (%(sku)s)."), sku=line.sku)
        if quantity > line.quantity:
            raise RuleError(N_("Only reduce: %(sku)s has %(quantity)d."), sku=line.sku,
                            quantity=line.quantity)
        if quantity < line.quantity:
            changed[line.sku] = [line.quantity, quantity]
            cut += (line.quantity - quantity) * line.unit_price
            line.quantity = quantity
    if not changed:
        raise RuleError(N_("No quantity was lowered."))
    before = order.amount
    order.amount = max(Decimal("0"), order.amount - cut)
    flag_modified(order, "amount")  # the order's row (and version) moves even at ¥0 a unit
    audit.record("distributors.reduced", order, actor=user,
                 details={"lines": changed, "amount": [str(before), str(order.amount)]})
    db.session.flush()
    return order


def ask_to_pay(user: User, order: Order, version: int) -> OrderReview:
    """The distributor is asked to pay the shortfall: the review becomes the desk's task
    with the message to copy; the order waits."""
    _waiting(order, version)
    account = account_of(order)
    result = check(order, account)
    if account is None:
        raise RuleError(result.blocked, code=order.buyer_id)
    if result.short == 0 and not result.standing.overdue:
        raise RuleError(N_("The balance is enough: issue the order."))
    review = review_of(order)
    asked = result.short + result.standing.overdue
    review.state, review.asked_amount = "asked", asked
    review.asked_at, review.asked_by_id = clock.now(), user.id
    review.asked_message = payment_message(account, order, asked)
    audit.record("distributors.asked_to_pay", order, actor=user,
                 details={"amount": str(asked), "account": account.id})
    db.session.flush()
    return review


def payment_message(account: DistributorAccount, order: Order, amount: Decimal) -> str:
    """The text the desk copies to the distributor: in Chinese, whatever the clerk reads."""
    with force_locale("zh_CN"):
        return _("%(name)s, hello: your order %(no)s comes to %(total)s and your account is "
                 "short by %(amount)s. Please transfer %(amount)s to our company account and "
                 "tell us the transfer reference; the order is issued as soon as the payment "
                 "arrives. Thank you!", name=account.name, no=order.order_no,
                 total=f"¥{order.amount:,.2f}", amount=f"¥{amount:,.2f}")[:600]


def review_query(state: str | None = None) -> sa.Select:
    """Distributor orders waiting for review, oldest first (their review row if any)."""
    query = (sa.select(Order, OrderReview).outerjoin(OrderReview, OrderReview.order_id == Order.id)
             .where(Order.stage == "review"))
    if state == "asked":
        query = query.where(OrderReview.state == "asked")
    elif state == "waiting":
        query = query.where(sa.or_(OrderReview.id.is_(None), OrderReview.state == "waiting"))
    return query.order_by(Order.created_at, Order.id)


def checks_for(orders) -> dict[int, tuple]:
    """Each order's (account, check), with two queries for the page."""
    orders = list(orders)
    codes = {o.buyer_id for o in orders}
    accounts = {a.code: a for a in db.session.scalars(
        sa.select(DistributorAccount).where(DistributorAccount.code.in_(codes)))} if codes else {}
    found = ledger.standings(accounts.values())
    out = {}
    for order in orders:
        account = accounts.get(order.buyer_id)
        out[order.id] = (account, check(order, account, found.get(account.id) if account else None))
    return out


# --- the dispatch clock (R-O10) --------------------------------------------------------------


def undispatched_query() -> sa.Select:
    """Distributor orders issued over three days ago and not shipped, oldest first."""
    limit = clock.now() - timedelta(days=DISPATCH_DAYS)
    return (sa.select(Order).where(Order.stage.in_(IN_QUEUE), ledger.distributor_platform(),
                                   Order.paid_at < limit)
            .order_by(Order.paid_at, Order.id))


def undispatched(limit: int = 50) -> tuple[int, list[Order]]:
    query = undispatched_query()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery()))
    return count, list(db.session.scalars(query.limit(limit)))


def open_issue(user: User, order: Order, kind: str, text: str) -> DeliveryIssue:
    """A delivery problem the distributor reported on an issued order."""
    if order.platform != "distributor":
        raise RuleError(N_("Only a distributor's order has delivery investigations here."),
                        "order_no")
    if order.stage in ("review", "cancelled"):
        raise RuleError(N_("This order was never issued."), "order_no")
    if kind not in ISSUE_KINDS:
        raise RuleError(N_("Choose short, missing or wrong items."), "kind")
    if not (text or "").strip():
        raise RuleError(N_("Describe the problem."), "text")
    account = account_of(order)
    found = DeliveryIssue(order_id=order.id, account_id=account and account.id, kind=kind,
                          text=text.strip(), state="open", created_at=clock.now(),
                          created_by_id=user.id)
    found.order = order
    db.session.add(found)
    db.session.flush()
    audit.record("distributors.issue_opened", found, actor=user,
                 details={"order": order.order_no, "kind": kind})
    return found


def answer_issue(user: User, found: DeliveryIssue, version: int, answer: str) -> DeliveryIssue:
    """The investigation's answer, told to the distributor."""
    if version != found.version:
        raise Conflict(found)
    if found.state != "open":
        raise RuleError(N_("This investigation is answered already."))
    if not (answer or "").strip():
        raise RuleError(N_("Write the answer to the distributor."), "answer")
    found.state, found.answer = "answered", answer.strip()
    found.answered_at, found.answered_by_id = clock.now(), user.id
    audit.record("distributors.issue_answered", found, actor=user)
    db.session.flush()
    return found
