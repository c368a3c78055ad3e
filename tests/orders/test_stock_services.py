"""Stock services without HTTP: counts and arrivals, new SKUs, and the waiting buyers who
become "to tell" when a SKU's stock goes from zero to positive (R-O8)."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.orders import registers
from portal.orders import stock as svc
from portal.orders.models import StockItem, StockWait
from portal.rules import RuleError
from tests.conftest import count_rows


@pytest.fixture
def waits(presales, stock, freeze):
    """Two buyers waiting for POT-03, one already told, one waiting for CUP-02 (10 wanted,
    5 on hand: not to tell yet)."""
    freeze("2026-11-20 10:00")
    made = {
        "a": registers.add_wait(presales, buyer="王先生", contact="13800001111", sku="POT-03",
                                quantity=1),
        "b": registers.add_wait(presales, buyer="李女士", contact="wx_li", sku="POT-03",
                                quantity=2),
        "told": registers.add_wait(presales, buyer="赵先生", contact="13900002222",
                                   sku="POT-03", quantity=1),
        "cup": registers.add_wait(presales, buyer="钱女士", contact="tb_qian", sku="CUP-02",
                                  quantity=10),
    }
    registers.mark_wait(presales, made["told"], made["told"].version, "told")
    return made


def test_zero_to_positive_marks_the_waiting_buyers_and_notifies_presales(
        clerk, presales, stock, waits, freeze):
    pot = stock["POT-03"]
    now = freeze("2026-11-22 09:30")
    told = svc.set_stock(clerk, pot, pot.version, 10, None)
    assert told == 2
    for key in ("a", "b"):
        db.session.refresh(waits[key])
        assert waits[key].available_at == now and waits[key].state == "waiting"
    db.session.refresh(waits["told"])
    db.session.refresh(waits["cup"])
    assert waits["told"].available_at is None and waits["cup"].available_at is None
    assert pot.on_hand == 10 and pot.expected_on is None and pot.updated_by_id == clerk.id
    note = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == presales.id, Notification.message.like("%back in stock%")))
    assert note.params == {"sku": "POT-03", "count": 2}
    assert note.link == "/orders/waits?state=to_tell"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action ==
                                                          "orders.stock_changed"))
    assert event.changes == {"on_hand": [0, 10], "expected_on": ["2026-11-28", None]}
    assert event.details["buyers_to_tell"] == 2
    count, rows = registers.to_tell()
    assert count == 2 and [w.buyer for w in rows] == ["王先生", "李女士"]


def test_positive_to_positive_tells_nobody(clerk, stock, waits, freeze):
    cup = stock["CUP-02"]
    freeze("2026-11-22 09:30")
    assert svc.set_stock(clerk, cup, cup.version, 12, None) == 0
    db.session.refresh(waits["cup"])
    assert waits["cup"].available_at is None
    assert count_rows(Notification, Notification.message.like("%back in stock%")) == 0
    assert cup.on_hand == 12


def test_zero_to_zero_with_a_new_date_tells_nobody(clerk, stock, waits, freeze):
    pot = stock["POT-03"]
    freeze("2026-11-22 09:30")
    assert svc.set_stock(clerk, pot, pot.version, 0, date(2026, 12, 2)) == 0
    assert pot.expected_on == date(2026, 12, 2)
    db.session.refresh(waits["a"])
    assert waits["a"].available_at is None


@pytest.mark.parametrize(("on_hand", "expected_on", "field"), [
    (-1, None, "on_hand"),
    (None, None, "on_hand"),
    (5, date(2026, 11, 21), "expected_on"),
])
def test_bad_counts_and_past_dates_change_nothing(clerk, stock, freeze, on_hand, expected_on,
                                                  field):
    cup = stock["CUP-02"]
    version = cup.version
    freeze("2026-11-22 09:30")
    with pytest.raises(RuleError) as refused:
        svc.set_stock(clerk, cup, version, on_hand, expected_on)
    assert refused.value.field == field
    db.session.rollback()
    db.session.refresh(cup)
    assert (cup.on_hand, cup.expected_on, cup.version) == (5, None, version)
    assert count_rows(AuditEvent, AuditEvent.action == "orders.stock_changed") == 0


def test_an_unchanged_past_date_is_not_judged_again(clerk, stock, freeze):
    pot = stock["POT-03"]
    freeze("2026-12-01 09:00")  # POT-03's expected 2026-11-28 is past now
    svc.set_stock(clerk, pot, pot.version, 3, pot.expected_on)
    assert pot.on_hand == 3


def test_a_stale_version_is_a_conflict(clerk, stock, freeze):
    cup = stock["CUP-02"]
    freeze("2026-11-22 09:30")
    svc.set_stock(clerk, cup, cup.version, 4, None)
    with pytest.raises(Conflict):
        svc.set_stock(clerk, cup, cup.version - 1, 9, None)
    assert cup.on_hand == 4


def test_saving_the_same_values_writes_nothing(clerk, stock, freeze):
    cup = stock["CUP-02"]
    version = cup.version
    assert svc.set_stock(clerk, cup, version, 5, None) == 0
    assert cup.version == version
    assert count_rows(AuditEvent, AuditEvent.action == "orders.stock_changed") == 0


def test_a_new_sku_is_added_once(clerk, stock, freeze):
    freeze("2026-11-22 09:30")
    item = svc.add_item(clerk, " MUG-09 ", "马克杯", 0, date(2026, 11, 30))
    db.session.commit()  # as the runner would after the action
    assert (item.sku, item.on_hand, item.expected_on) == ("MUG-09", 0, date(2026, 11, 30))
    assert count_rows(AuditEvent, AuditEvent.action == "orders.stock_added") == 1
    with pytest.raises(RuleError) as refused:
        svc.add_item(clerk, "MUG-09", "另一个", 1)
    assert refused.value.field == "sku"
    db.session.rollback()
    assert count_rows(StockItem) == 4
    with pytest.raises(RuleError):
        svc.add_item(clerk, "NEW-1", "", 1)
    with pytest.raises(RuleError):
        svc.add_item(clerk, "NEW-1", "新品", -3)


def test_the_search_by_sku_or_name_prefix_and_out_of_stock_only(stock):
    def skus(*args, **kwargs):
        return [i.sku for i in db.session.scalars(svc.stock_query(*args, **kwargs))]

    assert skus() == ["CUP-02", "POT-03", "TEA-01"]
    assert skus("CUP") == ["CUP-02"]
    assert skus("紫砂") == ["POT-03"]
    assert skus("茶") == []  # a prefix, not "contains"
    assert skus(out_only=True) == ["POT-03"]
    assert skus("TEA", out_only=True) == []


def test_waiting_counts_per_sku(waits, stock):
    assert svc.waiting_counts(["POT-03", "CUP-02", "TEA-01"]) == {"POT-03": 2, "CUP-02": 1}
    assert svc.waiting_counts([]) == {}
    assert count_rows(StockWait) == 4
