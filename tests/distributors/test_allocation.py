"""The allocation run (R-O9): each rule decides as it says (and reordered rules change the
result), at least one unit per item, never more than stock; adjusted cells validated; the
run issued all at once in one transaction through the balance check; a second clerk issuing
from the same run gets a conflict."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.distributors import allocation, ledger
from portal.distributors.allocation import Ask, propose
from portal.distributors.allocation_models import AllocationCell, AllocationRun
from portal.extensions import db
from portal.orders.models import Order, StockItem
from portal.rules import RuleError
from tests.distributors.conftest import pay

T0 = datetime(2026, 11, 20, 9, 0)
FIFO_FIRST = [("fifo", 1), ("large", 1), ("market", 1), ("spread", 0)]


def ask(order_id, asked, *, minutes=0, units=None, urgency=0, sku="TEA-01"):
    return Ask(order_id=order_id, line_id=order_id * 10, sku=sku, asked=asked,
               created_at=T0 + timedelta(minutes=minutes), units=units or asked,
               urgency=urgency)


def by_order(asks):
    return {a.order_id: a for a in asks}


def test_enough_stock_proposes_what_was_asked():
    found = by_order(propose([ask(1, 3), ask(2, 4)], {"TEA-01": 7}, FIFO_FIRST))
    assert (found[1].proposed, found[2].proposed) == (3, 4)
    assert found[1].why == found[2].why == "enough"


def test_first_come_first_served():
    found = by_order(propose([ask(1, 8, minutes=5), ask(2, 8, minutes=0)], {"TEA-01": 10},
                             FIFO_FIRST))
    assert found[2].proposed == 8 and found[2].why == "ahead" and found[2].rule == "fifo"
    assert found[1].proposed == 2 and found[1].why == "cut"


def test_large_orders_first_when_the_supervisor_puts_it_first():
    asks = [ask(1, 3, minutes=0), ask(2, 9, minutes=5)]
    fifo = by_order(propose([ask(1, 3, minutes=0), ask(2, 9, minutes=5)], {"TEA-01": 6},
                            FIFO_FIRST))
    assert (fifo[1].proposed, fifo[2].proposed) == (3, 3)
    large = by_order(propose(asks, {"TEA-01": 6},
                             [("large", 1), ("fifo", 1), ("market", 1), ("spread", 0)]))
    assert (large[1].proposed, large[2].proposed) == (1, 5)  # the rules' order changed it
    assert large[2].rule == "large" and large[2].why == "cut"
    assert large[1].why == "one" and large[1].rule == "large"


def test_markets_short_of_stock_first():
    asks = [ask(1, 5, minutes=0), ask(2, 5, minutes=5, urgency=3)]
    found = by_order(propose(asks, {"TEA-01": 6},
                             [("market", 1), ("fifo", 1), ("large", 1), ("spread", 0)]))
    assert found[2].proposed == 5 and found[2].rule == "market"
    assert found[1].proposed == 1


def test_a_rule_of_weight_zero_is_off():
    asks = [ask(1, 5, minutes=0), ask(2, 5, minutes=5, urgency=3)]
    found = by_order(propose(asks, {"TEA-01": 6},
                             [("market", 0), ("fifo", 1), ("large", 1), ("spread", 0)]))
    assert found[1].proposed == 5 and found[1].rule == "fifo"


def test_spread_shares_in_proportion():
    asks = [ask(1, 11, minutes=0), ask(2, 21, minutes=5)]
    found = by_order(propose(asks, {"TEA-01": 17},
                             [("fifo", 1), ("large", 1), ("market", 1), ("spread", 100)]))
    # 2 floor units, 15 left spread over needs 10 and 20: 5 and 10
    assert (found[1].proposed, found[2].proposed) == (6, 11)
    assert found[2].why == "spread"


def test_at_least_one_unit_per_item_while_stock_lasts():
    asks = [ask(i, 10, minutes=i) for i in range(1, 6)]
    found = by_order(propose(asks, {"TEA-01": 3}, FIFO_FIRST))
    assert [found[i].proposed for i in range(1, 6)] == [1, 1, 1, 0, 0]
    assert found[4].why == "none"
    found = by_order(propose([ask(i, 10, minutes=i) for i in range(1, 6)], {"TEA-01": 7},
                             FIFO_FIRST))
    assert all(a.proposed >= 1 for a in found.values())


def test_never_more_than_stock_nor_asked():
    rng = random.Random(19)
    for _ in range(200):
        asks = [ask(i, rng.randint(1, 30), minutes=rng.randint(0, 50),
                    urgency=rng.choice([0, 0, 2]), sku=rng.choice(["A", "B"]))
                for i in range(1, rng.randint(2, 15))]
        stock = {"A": rng.randint(0, 60), "B": rng.randint(0, 60)}
        rules = [("fifo", 1), ("large", rng.randint(0, 1)), ("market", 1),
                 ("spread", rng.choice([0, 30, 100]))]
        rng.shuffle(rules)
        propose(asks, stock, rules)
        for sku in ("A", "B"):
            mine = [a for a in asks if a.sku == sku]
            assert sum(a.proposed for a in mine) <= max(stock[sku], sum(a.asked for a in mine))
            if sum(a.asked for a in mine) > stock[sku]:
                assert sum(a.proposed for a in mine) == stock[sku]  # the stock is all used
            if len(mine) <= stock[sku]:
                assert all(a.proposed >= 1 for a in mine)
        assert all(0 <= a.proposed <= a.asked for a in asks)


# --- the run in the database -----------------------------------------------------------------


@pytest.fixture
def second(supervisor):
    found = ledger.create_account(supervisor, name="成都蜀味商行", code="fx_cd", market="西南",
                                  contact_name="刘经理", contact_phone="13800002222",
                                  credit_line=Decimal("0"), terms_days=30, mode="strict")
    db.session.commit()
    return found


@pytest.fixture
def short_run(account, second, dist_order, clerk):
    """CUP-02 has 5 in stock: 杭州 asks 4 (first), 成都 asks 4 (later): short by 3."""
    pay(clerk, account, "5000")
    pay(clerk, second, "5000")
    first = dist_order([("CUP-02", 4, "80.00"), ("TEA-01", 2, "100.00")], at="2026-11-22 09:00")
    later = dist_order([("CUP-02", 4, "80.00")], code="fx_cd", at="2026-11-22 10:00")
    return first, later


def cells(run):
    return {(c.order_id, c.sku): c for c in allocation.cells_of(run)}


def test_a_run_proposes_and_explains(short_run, clerk):
    first, later = short_run
    run = allocation.make_run(clerk)
    db.session.commit()
    found = cells(run)
    assert found[(first.id, "CUP-02")].proposed == 4
    assert found[(first.id, "CUP-02")].why == "ahead"
    assert found[(first.id, "CUP-02")].rule == "fifo"
    assert found[(later.id, "CUP-02")].proposed == 1
    assert found[(later.id, "TEA-01") if False else (first.id, "TEA-01")].why == "enough"
    assert run.stock["CUP-02"] == 5 and run.state == "open"


def test_the_market_table_and_reordered_rules_change_the_run(short_run, clerk, supervisor):
    first, later = short_run
    allocation.set_market(supervisor, "西南", "cup-02", 5, "成都断货")
    market = next(r for r in allocation.rules() if r.key == "market")
    allocation.update_rule(supervisor, market, market.version, 1, 1)
    db.session.commit()
    # the rule takes the place, the one that had it takes the place left
    assert [r.key for r in allocation.rules()][:3] == ["market", "large", "fifo"]
    run = allocation.make_run(clerk)
    found = cells(run)
    assert found[(later.id, "CUP-02")].proposed == 4
    assert found[(later.id, "CUP-02")].rule == "market"
    assert found[(first.id, "CUP-02")].proposed == 1


def test_stock_held_by_issued_orders_is_not_offered(short_run, clerk, make_order):
    make_order(stage="paid", lines=[("CUP-02", 3)])
    run = allocation.make_run(clerk)
    assert run.stock["CUP-02"] == 2
    assert sum(c.proposed for c in allocation.cells_of(run) if c.sku == "CUP-02") == 2


@pytest.mark.parametrize(("quantity", "words"), [(-1, "at least one"), (0, "at least one"),
                                                 (5, "asked for 4"), (3, "at most 1")])
def test_adjusted_cells_are_validated(short_run, clerk, quantity, words):
    first, later = short_run
    run = allocation.make_run(clerk)
    db.session.commit()
    cell = cells(run)[(later.id, "CUP-02")]
    with pytest.raises(RuleError) as refused:
        allocation.adjust(clerk, run, run.version, cell, quantity)
    assert words in (refused.value.message % refused.value.params).lower()
    assert cell.proposed == 1 and not cell.adjusted


def test_adjust_then_issue_all_in_one_go(short_run, clerk, account, second):
    first, later = short_run
    run = allocation.make_run(clerk)
    db.session.commit()
    found = cells(run)
    version = run.version
    allocation.adjust(clerk, run, run.version, found[(first.id, "CUP-02")], 2)
    allocation.adjust(clerk, run, run.version, found[(later.id, "CUP-02")], 3)
    db.session.commit()
    assert run.version == version + 2
    allocation.issue_all(clerk, run, run.version)
    db.session.commit()
    assert first.stage == later.stage == "paid"
    assert [line.quantity for line in first.lines if line.sku == "CUP-02"] == [2]
    assert later.lines[0].quantity == 3
    assert ledger.balance(account.id) == Decimal("5000") - Decimal("360.00")
    assert ledger.balance(second.id) == Decimal("5000") - Decimal("240.00")
    assert run.state == "issued" and sorted(run.outcome["issued"]) == sorted([first.id,
                                                                              later.id])


def test_an_order_the_balance_does_not_cover_stays_waiting_with_the_reason(
        account, second, dist_order, clerk):
    pay(clerk, account, "5000")
    first = dist_order([("CUP-02", 4, "80.00")], at="2026-11-22 09:00")
    later = dist_order([("CUP-02", 4, "80.00")], code="fx_cd", at="2026-11-22 10:00")
    run = allocation.make_run(clerk)
    allocation.issue_all(clerk, run, run.version)
    db.session.commit()
    assert first.stage == "paid"
    assert later.stage == "review" and later.lines[0].quantity == 4  # untouched
    assert run.outcome["waiting"][str(later.id)] == ["short", "¥80.00"]


def test_a_refusal_part_way_changes_nothing(short_run, clerk, account):
    first, later = short_run
    run = allocation.make_run(clerk)
    db.session.commit()
    db.session.execute(sa.update(StockItem).where(StockItem.sku == "CUP-02").values(on_hand=2))
    db.session.commit()
    with pytest.raises(RuleError):
        allocation.issue_all(clerk, run, run.version)
    db.session.rollback()
    assert db.session.get(Order, first.id).stage == "review"
    assert ledger.balance(account.id) == Decimal("5000")


def test_second_clerk_issuing_the_same_run_gets_a_conflict(short_run, clerk, create_user):
    other = create_user("order_clerk", display_name="第二位跟单")
    run = allocation.make_run(clerk)
    db.session.commit()
    seen = run.version
    allocation.issue_all(clerk, run, seen)
    db.session.commit()
    with pytest.raises(Conflict):
        allocation.issue_all(other, run, seen)


def test_an_order_changed_since_the_run_is_a_conflict(short_run, clerk):
    from portal.distributors import review

    first, later = short_run
    run = allocation.make_run(clerk)
    db.session.commit()
    review.reduce(clerk, first, first.version, {first.lines[1].id: 1})
    db.session.commit()
    with pytest.raises(Conflict):
        allocation.issue_all(clerk, run, run.version)


def test_a_new_run_replaces_the_open_one(short_run, clerk):
    old = allocation.make_run(clerk)
    db.session.commit()
    new = allocation.make_run(clerk)
    db.session.commit()
    db.session.refresh(old)
    assert old.state == "replaced" and new.state == "open"
    with pytest.raises(RuleError):
        allocation.issue_all(clerk, old, old.version)


def test_rules_and_markets_are_validated(supervisor, stock):
    rule = allocation.rules()[0]
    with pytest.raises(RuleError):
        allocation.update_rule(supervisor, rule, rule.version, 9, 1)
    with pytest.raises(RuleError):
        allocation.update_rule(supervisor, rule, rule.version, 1, 101)
    with pytest.raises(Conflict):
        allocation.update_rule(supervisor, rule, rule.version + 1, 1, 1)
    with pytest.raises(RuleError):
        allocation.set_market(supervisor, "西南", "NOPE-9", 3, "")
    with pytest.raises(RuleError):
        allocation.set_market(supervisor, "西南", "TEA-01", 0, "")


def test_no_order_waiting_is_refused(clerk, stock):
    with pytest.raises(RuleError):
        allocation.make_run(clerk)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AllocationRun)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AllocationCell)) == 0
