"""The registers' services without HTTP: bank transfers entered and linked (an order
awaiting payment is marked paid by transfer, R-O7), unlinked ones on the Today card, and the
out-of-stock register's waiting buyers (R-O8)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal import clock
from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.orders import registers as svc
from portal.orders.models import BankTransfer, StockWait
from portal.rules import RuleError
from tests.conftest import count_rows


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=clock.get_clock().tz)


def enter(user, **fields):
    fields.setdefault("received_on", date(2026, 11, 21))
    fields.setdefault("payer", "杭州茶香贸易")
    fields.setdefault("amount", Decimal("176.00"))
    fields.setdefault("bank", "工商银行")
    fields.setdefault("reference", "HZ20261121")
    return svc.add_transfer(user, **fields)


# --- bank transfers --------------------------------------------------------------------------


def test_a_transfer_linked_to_an_order_awaiting_payment_marks_it_paid(presales, make_order,
                                                                     freeze):
    order = make_order("awaiting_payment", payment="awaiting")
    freeze("2026-11-22 09:30")
    transfer, paid = enter(presales, order_id=order.id)
    assert paid is True
    assert transfer.order_id == order.id and transfer.registered_by_id == presales.id
    assert order.stage == "paid" and order.payment == "transfer"
    assert order.paid_at == local("2026-11-21 12:00")  # noon of the day received
    assert svc.transfer_for(order.id) == transfer
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"orders.transfer_added", "orders.transfer_linked", "orders.paid"} <= actions


def test_a_transfer_received_this_morning_pays_the_order_now(presales, make_order, freeze):
    order = make_order("awaiting_payment", payment="awaiting")
    now = freeze("2026-11-22 09:30")
    _transfer, paid = enter(presales, received_on=date(2026, 11, 22), order_id=order.id)
    assert paid and order.paid_at == now and order.payment == "transfer"


def test_linking_an_order_paid_online_only_links_it(presales, make_order, freeze):
    order = make_order("paid")
    paid_at = order.paid_at
    freeze("2026-11-22 11:00")
    transfer, paid = enter(presales, order_id=order.id)
    assert paid is False and transfer.order_id == order.id
    assert order.payment == "online" and order.paid_at == paid_at


def test_an_order_is_linked_to_one_transfer_only(presales, make_order, freeze):
    order = make_order("awaiting_payment", payment="awaiting")
    freeze("2026-11-22 09:30")
    first, _paid = enter(presales, order_id=order.id)
    db.session.commit()  # as the runner would after the action
    with pytest.raises(RuleError) as refused:
        enter(presales, payer="另一个付款人", order_id=order.id)
    assert refused.value.field == "order_id"
    db.session.rollback()
    assert count_rows(BankTransfer) == 1
    later, _paid = enter(presales, payer="另一个付款人")
    db.session.commit()
    with pytest.raises(RuleError):
        svc.link_transfer(presales, later, later.version, order.id)
    db.session.rollback()
    db.session.refresh(later)
    assert later.order_id is None and svc.transfer_for(order.id) == first


def test_linking_later_is_version_checked(presales, make_order, freeze):
    order = make_order("awaiting_payment", payment="awaiting")
    freeze("2026-11-22 09:30")
    transfer, _paid = enter(presales)
    version = transfer.version
    assert svc.link_transfer(presales, transfer, version, order.id) is True
    assert order.stage == "paid" and transfer.version == version + 1
    with pytest.raises(Conflict):  # the same click from a second screen
        svc.link_transfer(presales, transfer, version, order.id)


def test_a_cancelled_or_unknown_order_cannot_be_linked(presales, make_order, freeze):
    cancelled = make_order("cancelled")
    freeze("2026-11-22 09:30")
    transfer, _paid = enter(presales)
    for order_id in (cancelled.id, 999999, None):
        with pytest.raises(RuleError):
            svc.link_transfer(presales, transfer, transfer.version, order_id)
        db.session.rollback()


@pytest.mark.parametrize(("fields", "field"), [
    ({"received_on": date(2026, 11, 23)}, "received_on"),
    ({"received_on": None}, "received_on"),
    ({"amount": Decimal("0")}, "amount"),
    ({"amount": Decimal("-5")}, "amount"),
    ({"amount": None}, "amount"),
    ({"payer": "  "}, "payer"),
    ({"bank": ""}, "bank"),
])
def test_bad_transfers_are_refused(presales, freeze, fields, field):
    freeze("2026-11-22 09:30")
    with pytest.raises(RuleError) as refused:
        enter(presales, **fields)
    assert refused.value.field == field
    db.session.rollback()
    assert count_rows(BankTransfer) == 0


def test_the_register_filters(presales, make_order, freeze):
    order = make_order("paid")
    freeze("2026-11-22 09:30")
    enter(presales, received_on=date(2026, 11, 18), payer="张三", reference="A-100")
    enter(presales, received_on=date(2026, 11, 20), payer="李四", reference="B_200",
          order_id=order.id)
    enter(presales, received_on=date(2026, 11, 22), payer="王五", reference="C-300")

    def payers(**kwargs):
        return [t.payer for t in db.session.scalars(svc.transfers_query(**kwargs)).unique()]

    assert payers() == ["王五", "李四", "张三"]  # latest received first
    assert payers(unlinked=True) == ["王五", "张三"]
    assert payers(date_from=date(2026, 11, 19), date_to=date(2026, 11, 21)) == ["李四"]
    assert payers(text="B_2") == ["李四"]
    assert payers(text="_") == ["李四"]  # a literal underscore, not a wildcard
    assert payers(text="三") == ["张三"]


def test_unlinked_transfers_older_than_two_days(presales, make_order, freeze):
    order = make_order("paid")
    freeze("2026-11-22 09:30")
    enter(presales, received_on=date(2026, 11, 19), payer="三天前")
    enter(presales, received_on=date(2026, 11, 18), payer="四天前")
    enter(presales, received_on=date(2026, 11, 20), payer="两天前")
    enter(presales, received_on=date(2026, 11, 17), payer="已关联", order_id=order.id)
    count, rows = svc.unlinked_late()
    assert count == 2 and [t.payer for t in rows] == ["四天前", "三天前"]


# --- the out-of-stock register ---------------------------------------------------------------


def test_a_waiting_buyer_needs_a_known_sku(presales, stock, freeze):
    freeze("2026-11-22 09:30")
    with pytest.raises(RuleError) as refused:
        svc.add_wait(presales, buyer="王先生", contact="138", sku="NOPE-1", quantity=1)
    assert refused.value.field == "sku"
    for fields, field in (({"quantity": 0}, "quantity"), ({"buyer": ""}, "buyer"),
                          ({"contact": " "}, "contact")):
        with pytest.raises(RuleError) as refused:
            svc.add_wait(presales, **{"buyer": "王先生", "contact": "138", "sku": "POT-03",
                                      "quantity": 1, **fields})
        assert refused.value.field == field
    db.session.rollback()
    assert count_rows(StockWait) == 0


def test_a_wait_for_an_item_in_stock_is_to_tell_at_once(presales, stock, freeze):
    now = freeze("2026-11-22 09:30")
    in_stock = svc.add_wait(presales, buyer="甲", contact="1", sku="TEA-01", quantity=2)
    short = svc.add_wait(presales, buyer="乙", contact="2", sku="CUP-02", quantity=6)
    out = svc.add_wait(presales, buyer="丙", contact="3", sku="POT-03", quantity=1, note="急")
    assert in_stock.available_at == now
    assert short.available_at is None and out.available_at is None
    assert out.note == "急" and out.registered_by_id == presales.id
    assert count_rows(AuditEvent, AuditEvent.action == "orders.wait_added") == 3


def test_marking_a_waiting_buyer(presales, stock, freeze):
    freeze("2026-11-22 09:30")
    wait = svc.add_wait(presales, buyer="王先生", contact="138", sku="POT-03", quantity=1)
    version = wait.version
    svc.mark_wait(presales, wait, version, "told")
    assert wait.state == "told" and wait.closed_by_id == presales.id
    with pytest.raises(Conflict):  # a second screen still showing "waiting"
        svc.mark_wait(presales, wait, version, "gave_up")
    with pytest.raises(Conflict):  # told once is enough
        svc.mark_wait(presales, wait, wait.version, "told")
    with pytest.raises(RuleError):
        svc.mark_wait(presales, wait, wait.version, "waiting")
    svc.mark_wait(presales, wait, wait.version, "bought")  # told, then the buyer bought
    assert wait.state == "bought"
    with pytest.raises(Conflict):
        svc.mark_wait(presales, wait, wait.version, "gave_up")
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "orders.wait_marked").order_by(AuditEvent.id)).all()
    assert [e.changes["state"] for e in event] == [["waiting", "told"], ["told", "bought"]]


def test_the_register_by_state(presales, clerk, stock, freeze):
    from portal.orders import stock as stock_svc

    freeze("2026-11-20 09:30")
    a = svc.add_wait(presales, buyer="甲", contact="1", sku="POT-03", quantity=1)
    b = svc.add_wait(presales, buyer="乙", contact="2", sku="CUP-02", quantity=9)
    c = svc.add_wait(presales, buyer="丙", contact="3", sku="POT-03", quantity=1)
    svc.mark_wait(presales, c, c.version, "gave_up")
    freeze("2026-11-22 09:30")
    pot = stock["POT-03"]
    stock_svc.set_stock(clerk, pot, pot.version, 4, None)

    def buyers(state, text=None):
        return [w.buyer for w in db.session.scalars(svc.waits_query(state, text)).unique()]

    assert buyers("waiting") == ["甲", "乙"]  # the ones to tell first
    assert buyers("to_tell") == ["甲"]
    assert buyers("gave_up") == ["丙"]
    assert buyers("told") == []
    assert buyers("all") == ["丙", "乙", "甲"]
    assert buyers("waiting", "CUP-02") == ["乙"]
    assert buyers("all", "丙") == ["丙"]
    assert svc.to_tell()[0] == 1
    assert b.available_at is None and a.version == 1


def test_a_transfer_of_another_amount_marks_paid_only_when_confirmed_with_a_note(
        presales, make_order, freeze):
    """Issue 15 item 8: ¥157.00 linked to a ¥158.00 order whose buyer asked to cancel is
    refused until confirmed (for this order and this difference) with a note; then the
    order is paid, and the note, the difference and the cancellation are on the record."""
    from portal.orders import orders as order_svc

    order = make_order("awaiting_payment", payment="awaiting", lines=(("TEA-01", 1),))
    order.amount = Decimal("158.00")
    order_svc.request_cancel(presales, order, order.version, "买家说拍重了")
    freeze("2026-11-22 09:30")
    transfer, _ = enter(presales, amount=Decimal("157.00"))
    check = svc.payment_check(transfer.amount, order)
    assert check.difference == Decimal("-1.00") and check.cancel_asked
    with pytest.raises(RuleError) as refused:
        svc.link_transfer(presales, transfer, transfer.version, order.id)
    assert refused.value.field == "confirm_paid"
    with pytest.raises(RuleError) as refused:  # confirmed for another difference
        svc.link_transfer(presales, transfer, transfer.version, order.id,
                          f"{order.id}:-2.00:1", "少付一元")
    assert refused.value.field == "confirm_paid"
    with pytest.raises(RuleError) as refused:
        svc.link_transfer(presales, transfer, transfer.version, order.id, check.token, "  ")
    assert refused.value.field == "paid_note"
    assert order.stage == "awaiting_payment" and transfer.order_id is None
    assert svc.link_transfer(presales, transfer, transfer.version, order.id, check.token,
                             "买家少付 1 元,同意补寄差价") is True
    assert order.stage == "paid" and order.payment == "transfer"
    assert transfer.paid_note == "买家少付 1 元,同意补寄差价"
    linked = db.session.scalar(sa.select(AuditEvent)
                               .where(AuditEvent.action == "orders.transfer_linked"))
    assert linked.details["difference"] == "-1.00" and linked.details["cancel_asked"] is True
    assert linked.details["note"] == "买家少付 1 元,同意补寄差价"


def test_an_exact_transfer_needs_no_confirmation_and_an_overpayment_does(presales, make_order,
                                                                         freeze):
    exact = make_order("awaiting_payment", payment="awaiting")
    over = make_order("awaiting_payment", payment="awaiting")
    freeze("2026-11-22 09:30")
    transfer, paid = enter(presales, order_id=exact.id)
    assert paid and transfer.paid_note is None
    with pytest.raises(RuleError) as refused:
        enter(presales, amount=Decimal("180.00"), order_id=over.id)
    assert refused.value.field == "confirm_paid" and over.stage == "awaiting_payment"
    token = svc.payment_check(Decimal("180.00"), over).token
    _transfer, paid = enter(presales, amount=Decimal("180.00"), order_id=over.id,
                            confirmed=token, note="多付 4 元,退回买家")
    assert paid and over.stage == "paid"


def test_a_waiting_buyer_s_sku_in_any_case_is_the_stock_list_s(presales, stock, freeze):
    """Issue 15 item 19: ``pot-03`` is POT-03: registered under the stock list's spelling,
    found by the register's search in any case, and offered as one types (SKU beginning or
    name containing, the out-of-stock first)."""
    from portal.orders import stock as stock_svc

    freeze("2026-11-22 09:30")
    wait = svc.add_wait(presales, buyer="王先生", contact="13800001111", sku=" pot-03 ",
                        quantity=1)
    assert wait.sku == "POT-03"
    assert [w.id for w in db.session.scalars(svc.waits_query("waiting", "Pot-03"))] == [wait.id]
    assert [i.sku for i in stock_svc.sku_choices("po")] == ["POT-03"]
    assert [i.sku for i in stock_svc.sku_choices("紫砂")] == ["POT-03"]
    assert [i.sku for i in stock_svc.sku_choices("-0")] == []  # a SKU's beginning, not middle
    assert stock_svc.sku_choices("%") == [] and stock_svc.sku_choices("") == []
    with pytest.raises(RuleError):
        svc.add_wait(presales, buyer="王先生", contact="138", sku="pot-3", quantity=1)
