"""The allocation run when stock is short (R-O9: "first come, first served; large orders
first; markets short of stock first; when stock is short, spread it; at least one unit per
item").

A run looks at every distributor order waiting for review (stage ``review``) and, SKU by
SKU, at the stock free for them: ``StockItem.on_hand`` less what issued orders not yet
shipped still need. Where the stock covers every order, each line gets what it asked
(``enough``). Where it does not:

1. the lines are put in line by the ordering rules in the supervisor's order (``fifo``
   earlier orders first, ``large`` orders with more units first, ``market`` markets the
   supervisor marked short of that SKU first; a rule of weight 0 is off; ties by order id);
2. every line gets one unit, in that line, while stock lasts (``one``; ``none`` when none
   was left: that order stays waiting);
3. ``spread``'s weight (a percent) of the stock left is spread in proportion to what each
   line still asks (``spread``);
4. the rest goes in line, each line filled before the next (``ahead`` when filled in full,
   ``cut`` for the line where the stock ran out).

Each cell remembers the rule that decided it: for a line served ahead, the first rule by
which it came before the line where the stock ran out; for a line behind it, the rule by
which it came after. The clerk may adjust a cell (1 … asked, the SKU's total within the
stock), then issue the run at once: each order whose lines are all above zero is reduced to
the proposal and issued through ``review.issue`` (the balance check and the ledger charge),
in one transaction; an order the balance does not cover stays waiting, with the reason.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.orders.models import Order, OrderLine, StockItem
from portal.orders.orders import IN_QUEUE
from portal.rules import RuleError

from . import ledger, review
from .allocation_models import AllocationCell, AllocationRule, AllocationRun, MarketStock
from .models import DistributorAccount

ORDERING = ("fifo", "large", "market")
RULES = {  # key: (name, what it does), shown with the run
    "fifo": (N_("First come, first served"),
             N_("Orders that came in earlier are served before later ones.")),
    "large": (N_("Large orders first"),
              N_("Orders with more units in all are served before smaller ones.")),
    "market": (N_("Markets short of stock first"),
               N_("Orders from a market marked short of the item are served first, the "
                  "higher its priority the earlier.")),
    "spread": (N_("Spread the stock"),
               N_("This percent of the stock left after one unit per item is shared out in "
                  "proportion to what each order still asks; the rest goes in line.")),
}
DEFAULT_RULES = (("fifo", 1, 1), ("large", 2, 1), ("market", 3, 1), ("spread", 4, 50))
WHY = {
    "enough": N_("Enough stock for every order"),
    "ahead": N_("Served in full: ahead in line"),
    "cut": N_("Stock ran out at this order"),
    "spread": N_("Its share of the spread"),
    "one": N_("One unit per item: behind in line"),
    "none": N_("No stock left for one unit: the order waits"),
}
STATES = {"open": N_("Open"), "issued": N_("Issued"), "replaced": N_("Replaced")}
MAX_QUANTITY = 999_999
CHANGED = N_("An order of this run changed since the run: nothing was issued. Make a new run.")


# --- the rules and the markets short of stock (the supervisor's data) ----------------------


def rules() -> list[AllocationRule]:
    """The rules in their order, made on first use."""
    found = {r.key: r for r in db.session.scalars(sa.select(AllocationRule))}
    for key, position, weight in DEFAULT_RULES:
        if key not in found:
            found[key] = AllocationRule(key=key, position=position, weight=weight)
            db.session.add(found[key])
    if db.session.new:
        db.session.flush()
    return sorted(found.values(), key=lambda r: (r.key == "spread", r.position, r.key))


def update_rule(user: User, rule: AllocationRule, version: int, position: int,
                weight: int) -> AllocationRule:
    if version != rule.version:
        raise Conflict(rule)
    if not 1 <= position <= len(ORDERING):
        raise RuleError(N_("The place must be between 1 and %(max)d."), "position",
                        max=len(ORDERING))
    if not 0 <= weight <= 100:
        raise RuleError(N_("The weight must be between 0 and 100."), "weight")
    before = {"position": rule.position, "weight": rule.weight}
    if rule.key != "spread" and position != rule.position:
        # the rule takes the place; the one that had it moves to the place left
        for other in rules():
            if other is not rule and other.key != "spread" and other.position == position:
                other.position = rule.position
        rule.position = position
    rule.weight = weight
    rule.updated_at, rule.updated_by_id = clock.now(), user.id
    audit.record("distributors.allocation_rule", rule, actor=user,
                 changes=audit.changes(rule, ("position", "weight"), before))
    db.session.flush()
    return rule


def market_rows() -> list[MarketStock]:
    return list(db.session.scalars(sa.select(MarketStock).order_by(
        MarketStock.market, MarketStock.sku)))


def set_market(user: User, market: str, sku: str, priority: int, note: str) -> MarketStock:
    """Mark a market short of a SKU (or change its priority)."""
    market, sku = (market or "").strip(), (sku or "").strip().upper()
    if not market:
        raise RuleError(N_("Enter the market."), "market")
    if not sku:
        raise RuleError(N_("Enter the SKU."), "sku")
    if not 1 <= (priority or 0) <= 9:
        raise RuleError(N_("The priority must be between 1 and 9."), "priority")
    if db.session.scalar(sa.select(StockItem.id).where(StockItem.sku == sku)) is None:
        raise RuleError(N_("No stock item has the SKU %(sku)s."), "sku", sku=sku)
    found = db.session.scalar(sa.select(MarketStock).where(
        MarketStock.market == market, MarketStock.sku == sku))
    if found is None:
        found = MarketStock(market=market, sku=sku)
        db.session.add(found)
    found.priority, found.note = priority, (note or "").strip()
    found.updated_at, found.updated_by_id = clock.now(), user.id
    db.session.flush()
    audit.record("distributors.market_short", found, actor=user,
                 details={"market": market, "sku": sku, "priority": priority})
    return found


def remove_market(user: User, found: MarketStock, version: int) -> None:
    if version != found.version:
        raise Conflict(found)
    audit.record("distributors.market_short_removed", found, actor=user,
                 details={"market": found.market, "sku": found.sku})
    db.session.delete(found)
    db.session.flush()


# --- the proposal (pure) ---------------------------------------------------------------------


@dataclass
class Ask:
    """One order line waiting: what the proposal needs to know about it."""

    order_id: int
    line_id: int
    sku: str
    asked: int
    created_at: datetime
    units: int  # the order's units in all (large orders first)
    market: str = ""
    urgency: int = 0  # the market's priority for this SKU (0: not short)
    proposed: int = 0
    why: str = "enough"
    rule: str | None = None
    rank: int = 0
    shared: int = field(default=0, repr=False)


def _key(ask: Ask, rule: str):
    if rule == "fifo":
        return ask.created_at
    if rule == "large":
        return -ask.units
    return -ask.urgency


def propose(asks: list[Ask], stock: dict[str, int],
            order: list[tuple[str, int]]) -> list[Ask]:
    """Fill ``proposed``, ``why`` and ``rule`` of every ask. ``order`` is the rules as
    (key, weight) in the supervisor's order; ``stock`` the units free per SKU."""
    ordering = [key for key, weight in order if key in ORDERING and weight > 0]
    spread = next((weight for key, weight in order if key == "spread"), 0)
    by_sku: dict[str, list[Ask]] = defaultdict(list)
    for ask in asks:
        by_sku[ask.sku].append(ask)
    for sku, line in by_sku.items():
        line.sort(key=lambda a: (*(_key(a, rule) for rule in ordering), a.order_id, a.line_id))
        for rank, ask in enumerate(line):
            ask.rank = rank
        left = max(0, stock.get(sku, 0))
        if sum(a.asked for a in line) <= left:
            for ask in line:
                ask.proposed, ask.why, ask.rule = ask.asked, "enough", None
            continue
        for ask in line:  # at least one unit per item, in line
            ask.proposed = 1 if left > 0 else 0
            left -= ask.proposed
        served = [a for a in line if a.proposed]
        share = left * max(0, min(spread, 100)) // 100
        need = sum(a.asked - a.proposed for a in served)
        if share and need:
            given = 0
            for ask in served:  # in proportion, rounded down; the rounding goes in line
                ask.shared = min(ask.asked - ask.proposed, share * (ask.asked - 1) // need)
                ask.proposed += ask.shared
                given += ask.shared
            left -= given
        marginal = None
        for ask in line:  # the rest in line
            if not ask.proposed:
                continue
            extra = min(left, ask.asked - ask.proposed)
            ask.proposed += extra
            left -= extra
            if marginal is None and ask.proposed < ask.asked:
                marginal = ask
        for ask in line:
            if ask.proposed == 0:
                ask.why = "none"
            elif ask is marginal:
                ask.why = "cut"
            elif ask.proposed == ask.asked:
                ask.why = "ahead" if marginal is None or ask.rank < marginal.rank else "spread"
            elif ask.shared:
                ask.why = "spread"
            else:
                ask.why = "one"
            if ask is marginal:  # what put it before the next (or after the one before)
                near = line[ask.rank + 1] if ask.rank + 1 < len(line) else line[ask.rank - 1]
                ask.rule = _decider(ask, near, ordering) if near is not ask else None
            else:
                ask.rule = _decider(ask, marginal or line[-1], ordering)
            if ask.why == "spread" and ask.rule is None:
                ask.rule = "spread"
    return asks


def _decider(ask: Ask, marginal: Ask, ordering: list[str]) -> str | None:
    """The first rule by which ``ask`` and the marginal line differ (None: only the id)."""
    for rule in ordering:
        if _key(ask, rule) != _key(marginal, rule):
            return rule
    return None


# --- the run ---------------------------------------------------------------------------------


def free_stock(skus) -> dict[str, int]:
    """Units free per SKU: on hand less what issued orders not yet shipped still need."""
    skus = sorted(set(skus))
    if not skus:
        return {}
    on_hand = dict(db.session.execute(sa.select(StockItem.sku, StockItem.on_hand).where(
        StockItem.sku.in_(skus))).all())
    held = dict(db.session.execute(
        sa.select(OrderLine.sku, sa.func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.sku.in_(skus), Order.stage.in_(IN_QUEUE))
        .group_by(OrderLine.sku)).all())
    return {sku: max(0, int(on_hand.get(sku) or 0) - int(held.get(sku) or 0)) for sku in skus}


def make_run(user: User) -> AllocationRun:
    """Propose quantities for every order waiting for review; an open run before it is
    replaced."""
    found = db.session.execute(
        sa.select(Order.id, Order.version, Order.created_at, OrderLine.id, OrderLine.sku,
                  OrderLine.quantity, DistributorAccount.market)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(DistributorAccount, DistributorAccount.code == Order.buyer_id)
        .where(Order.stage == "review")).all()
    if not found:
        raise RuleError(N_("No distributor order is waiting for review."))
    units: dict[int, int] = defaultdict(int)
    for row in found:
        units[row[0]] += row[5]
    urgency = {(m.market, m.sku): m.priority for m in market_rows()}
    asks = [Ask(order_id=oid, line_id=lid, sku=sku, asked=qty, created_at=at,
                units=units[oid], market=market or "", urgency=urgency.get((market, sku), 0))
            for oid, _v, at, lid, sku, qty, market in found]
    versions = {row[0]: row[1] for row in found}
    current = rules()
    order = [(r.key, r.weight) for r in current]
    stock = free_stock(a.sku for a in asks)
    propose(asks, stock, order)
    db.session.execute(sa.update(AllocationRun).where(AllocationRun.state == "open")
                       .values(state="replaced", version=AllocationRun.version + 1))
    run = AllocationRun(state="open", rules=[[k, w] for k, w in order], stock=stock,
                        outcome={}, created_at=clock.now(), created_by_id=user.id)
    db.session.add(run)
    db.session.flush()
    db.session.execute(sa.insert(AllocationCell), [
        {"run_id": run.id, "order_id": a.order_id, "order_version": versions[a.order_id],
         "line_id": a.line_id, "sku": a.sku, "market": a.market[:20], "rank": a.rank,
         "asked": a.asked, "proposed": a.proposed, "adjusted": False, "why": a.why,
         "rule": a.rule} for a in asks])
    audit.record("distributors.allocation_run", run, actor=user,
                 details={"orders": len(units), "lines": len(asks)})
    return run


def latest_run() -> AllocationRun | None:
    return db.session.scalar(sa.select(AllocationRun).order_by(AllocationRun.id.desc())
                             .limit(1))


def cells_of(run: AllocationRun) -> list[AllocationCell]:
    return list(db.session.scalars(sa.select(AllocationCell).where(
        AllocationCell.run_id == run.id).order_by(AllocationCell.sku, AllocationCell.rank,
                                                  AllocationCell.id)))


def totals(cells) -> dict[str, dict]:
    """Per SKU: lines, units asked and proposed."""
    out: dict[str, dict] = defaultdict(lambda: {"asked": 0, "proposed": 0, "lines": 0})
    for cell in cells:
        row = out[cell.sku]
        row["asked"] += cell.asked
        row["proposed"] += cell.proposed
        row["lines"] += 1
    return dict(out)


def _open(run: AllocationRun, version: int | None) -> None:
    if version != run.version:
        raise Conflict(run)
    if run.state != "open":
        raise RuleError(N_("This run is %(state)s already: make a new run."),
                        state=STATES.get(run.state, run.state))


def adjust(user: User, run: AllocationRun, version: int, cell: AllocationCell,
           quantity: int | None) -> AllocationCell:
    """The clerk's change of one cell: at least one unit, at most what was asked, the
    SKU's total within the stock the run saw."""
    _open(run, version)
    if cell.run_id != run.id:
        raise RuleError(N_("That line is not part of this run."))
    if quantity is None or quantity < 1:
        raise RuleError(N_("Keep at least one unit of each item (%(sku)s)."), "quantity",
                        sku=cell.sku)
    if quantity > cell.asked:
        raise RuleError(N_("The order asked for %(asked)d of %(sku)s: propose no more."),
                        "quantity", asked=cell.asked, sku=cell.sku)
    stock = int((run.stock or {}).get(cell.sku, 0))
    others = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(AllocationCell.proposed),
                                                          0))
                               .where(AllocationCell.run_id == run.id,
                                      AllocationCell.sku == cell.sku,
                                      AllocationCell.id != cell.id))
    if others + quantity > stock:
        raise RuleError(N_("Only %(stock)d of %(sku)s are in stock and %(others)d are proposed "
                           "to other orders: at most %(most)d here."), "quantity",
                        stock=stock, sku=cell.sku, others=others,
                        most=max(0, stock - others))
    before = cell.proposed
    cell.proposed, cell.adjusted = quantity, True
    flag_modified(run, "stock")  # the run's row (and version) moves: a stale form is a 409
    db.session.flush()
    audit.record("distributors.allocation_adjusted", run, actor=user,
                 details={"order": cell.order_id, "sku": cell.sku,
                          "proposed": [before, quantity]})
    return cell


def issue_all(user: User, run: AllocationRun, version: int) -> AllocationRun:
    """Issue every order of the run at once, in one transaction (the runner commits once):
    each order reduced to its proposal and issued through ``review.issue``. An order with a
    line at zero or a balance that does not cover it stays waiting, with the reason."""
    _open(run, version)
    cells = cells_of(run)
    stock = free_stock(c.sku for c in cells)
    for sku, row in totals(cells).items():
        if row["proposed"] > stock.get(sku, 0):
            raise RuleError(N_("The stock of %(sku)s changed since the run (%(stock)d free, "
                               "%(proposed)d proposed): make a new run."),
                            sku=sku, stock=stock.get(sku, 0), proposed=row["proposed"])
    by_order: dict[int, list[AllocationCell]] = defaultdict(list)
    for cell in cells:
        by_order[cell.order_id].append(cell)
    orders = {o.id: o for o in db.session.scalars(sa.select(Order).where(
        Order.id.in_(list(by_order))))}
    for order_id, found in by_order.items():
        order = orders.get(order_id)
        if order is None or order.stage != "review" or order.version != found[0].order_version:
            raise Conflict(run, CHANGED)
    codes = {o.buyer_id for o in orders.values()}
    accounts = {a.code: a for a in db.session.scalars(sa.select(DistributorAccount).where(
        DistributorAccount.code.in_(codes)))}
    issued, waiting = [], {}
    for order_id in sorted(by_order, key=lambda i: (orders[i].created_at, i)):
        order, found = orders[order_id], by_order[order_id]
        zero = [c.sku for c in found if c.proposed < 1]
        if zero:
            waiting[str(order_id)] = ["no_stock", ", ".join(sorted(set(zero)))]
            continue
        lines = {line.id: line for line in order.lines}
        total = order.amount - sum(((lines[c.line_id].quantity - c.proposed)
                                    * lines[c.line_id].unit_price for c in found),
                                   Decimal("0"))
        account = accounts.get(order.buyer_id)
        if account is None:
            waiting[str(order_id)] = ["no_account", order.buyer_id]
            continue
        standing = ledger.standing(account)
        if account.state == "hold":
            waiting[str(order_id)] = ["hold", account.hold_reason or ""]
            continue
        if standing.overdue > 0:
            waiting[str(order_id)] = ["overdue", f"¥{standing.overdue:,.2f}"]
            continue
        short = total - standing.available
        if short > 0:
            waiting[str(order_id)] = ["short", f"¥{short:,.2f}"]
            continue
        cut = {c.line_id: c.proposed for c in found if c.proposed < lines[c.line_id].quantity}
        if cut:
            review.reduce(user, order, order.version, cut)
        result = review.check(order, account, standing)
        review.issue(user, order, order.version, result.seen)
        issued.append(order_id)
    run.state, run.issued_at, run.issued_by_id = "issued", clock.now(), user.id
    run.outcome = {"issued": issued, "waiting": waiting}
    audit.record("distributors.allocation_issued", run, actor=user,
                 details={"issued": len(issued), "waiting": len(waiting)})
    db.session.flush()
    return run


WAITING = {
    "no_stock": N_("No stock for one unit of %(detail)s"),
    "no_account": N_("No distributor account has the code %(detail)s"),
    "hold": N_("The account is on hold: %(detail)s"),
    "overdue": N_("Overdue debt of %(detail)s"),
    "short": N_("The balance is short by %(detail)s"),
}
