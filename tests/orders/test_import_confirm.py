"""Confirming and discarding an import without HTTP: exactly the good orders are created
(stage, payment, amount, lines, the import's id), duplicates are checked again, one audit
record, a second confirm or a confirm after discarding is a conflict, and 10,000 rows."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.orders import importer as svc
from portal.orders.models import Order, OrderLine
from tests.conftest import count_rows
from tests.orders.test_import_parsing import basic, line, make_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def uploaded(stock, presales, freeze):
    """An import of five orders on seven rows: three good (one awaiting payment, one with
    two lines), one wrong, one already in the portal."""

    def _upload(rows=None, platform="tmall"):
        freeze("2026-11-22 09:30")
        rows = rows or [
            line("TB1", "TEA-01", "2", "88.00", paid="2026-11-22 08:05:00"),
            line("TB2", "CUP-02", "1", "35.00", paid="", amount=""),
            line("TB3", "TEA-01", "1", "88.00", amount="80.00", paid="2026/11/21 20:00"),
            line("TB3", "POT-03", "1", "260.00", receiver="", phone="", address=""),
            line("TB4", "XY-9"),
            line("TB4", "TEA-01"),
            line("TB-OLD"),
        ]
        return svc.preview(presales, platform, "订单导出.csv", make_csv(rows))

    return _upload


def test_confirm_creates_exactly_the_good_orders(uploaded, make_order, clerk, freeze):
    make_order(order_no="TB-OLD")
    record = uploaded()
    assert basic(record.counts | {"rows": 0}) == {"create": 3, "duplicate": 1, "error": 1,
                                                  "lines": 4, "error_rows": 1, "rows": 0}
    freeze("2026-11-22 09:40")
    svc.confirm(clerk, record, record.version)

    assert record.state == "done" and record.created_count == 3
    assert record.confirmed_at == datetime(2026, 11, 22, 9, 40, tzinfo=SHANGHAI)
    orders = {o.order_no: o for o in db.session.scalars(
        sa.select(Order).where(Order.import_id == record.id))}
    assert set(orders) == {"TB1", "TB2", "TB3"}
    assert count_rows(Order, Order.order_no == "TB4") == 0
    assert count_rows(Order, Order.order_no == "TB-OLD") == 1  # the old one only

    paid = orders["TB1"]
    assert paid.stage == "paid" and paid.payment == "online"
    assert paid.paid_at == datetime(2026, 11, 22, 8, 5, tzinfo=SHANGHAI)
    assert paid.amount == Decimal("176.00") and paid.platform == "tmall"
    assert paid.created_by_id == clerk.id and paid.version == 1 and paid.open_tasks == 0
    assert (paid.receiver_name, paid.receiver_phone, paid.buyer_id) == \
        ("王先生", "13800001111", "tb_wang")
    waiting = orders["TB2"]
    assert waiting.stage == "awaiting_payment" and waiting.payment == "awaiting"
    assert waiting.paid_at is None and waiting.amount == Decimal("35.00")
    two = orders["TB3"]
    assert two.amount == Decimal("80.00")  # the amount given wins over the lines' sum
    assert [(x.sku, x.quantity, x.unit_price, x.item_name, x.attributes) for x in two.lines] \
        == [("TEA-01", 1, Decimal("88.00"), "龙井茶 250g", "250g"),
            ("POT-03", 1, Decimal("260.00"), "龙井茶 250g", "250g")]
    assert count_rows(OrderLine, OrderLine.order_id.in_([o.id for o in orders.values()])) == 4

    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action.like("orders.import%"))).all()
    assert [e.action for e in events] == ["orders.import_uploaded", "orders.imported"]
    done = events[1]
    assert done.target_type == "order_imports" and done.target_id == str(record.id)
    assert done.actor_id == clerk.id
    assert done.details | {"file": None} == {"platform": "tmall", "file": None, "created": 3,
                                             "lines": 4, "skipped": 0, "duplicates": 1,
                                             "errors": 1, "status_changes": 0}
    # one record for the import, not one per order
    assert count_rows(AuditEvent, AuditEvent.action == "orders.created") == 1  # TB-OLD's


def test_the_imported_orders_work_like_typed_ones(uploaded, clerk):
    from portal.orders import orders as order_svc

    record = uploaded()
    svc.confirm(clerk, record, record.version)
    order = order_svc.find("tmall", "TB1")
    assert order_svc.promise(order).kind == "today"
    order_svc.print_slips(clerk, [order])
    assert order.stage == "printed"


def test_a_second_confirm_is_a_conflict(uploaded, presales, clerk):
    record = uploaded()
    version = record.version
    svc.confirm(clerk, record, version)
    with pytest.raises(Conflict):
        svc.confirm(presales, record, version)
    with pytest.raises(Conflict):
        svc.confirm(presales, record, record.version)
    assert count_rows(Order) == 4 and record.created_count == 4  # TB1..TB3 and TB-OLD


def test_discard_creates_nothing_and_then_confirm_is_a_conflict(uploaded, presales):
    record = uploaded()
    svc.discard(presales, record, record.version)
    assert record.state == "discarded" and record.rows == []
    with pytest.raises(Conflict):
        svc.confirm(presales, record, record.version)
    with pytest.raises(Conflict):
        svc.discard(presales, record, record.version)
    assert count_rows(Order) == 0
    assert count_rows(AuditEvent, AuditEvent.action == "orders.import_discarded") == 1


def test_a_stale_version_is_a_conflict(uploaded, presales):
    record = uploaded()
    with pytest.raises(Conflict):
        svc.confirm(presales, record, record.version + 1)
    assert record.state == "preview" and count_rows(Order) == 0


def test_an_order_created_meanwhile_is_skipped_and_reported(uploaded, make_order, clerk):
    record = uploaded()
    make_order(order_no="TB2", platform="tmall")  # typed in by hand after the preview
    svc.confirm(clerk, record, record.version)
    assert record.created_count == 3 and record.counts["skipped"] == 1
    assert record.counts["duplicate"] == 1 and record.counts["create"] == 3
    skipped = next(e for e in record.rows if e["order_no"] == "TB2")
    assert skipped["verdict"] == "duplicate"
    assert "created by someone else" in skipped["reasons"][0]["message"]
    assert count_rows(Order, Order.order_no == "TB2") == 1
    db.session.expire_all()  # what was saved, not what is in memory
    assert next(e for e in record.rows if e["order_no"] == "TB2")["verdict"] == "duplicate"


def test_a_sku_gone_meanwhile_is_skipped(uploaded, stock, clerk):
    record = uploaded()
    db.session.delete(stock["CUP-02"])
    db.session.commit()
    svc.confirm(clerk, record, record.version)
    assert record.created_count == 3 and count_rows(Order, Order.order_no == "TB2") == 0
    reason = next(e for e in record.rows if e["order_no"] == "TB2")["reasons"][0]
    assert "left the stock list" in reason["message"]


def test_confirming_ten_thousand_rows(stock, presales, clerk, freeze):
    freeze("2026-11-22 09:30")
    rows = []
    for n in range(4000):
        no = f"TB{n:07d}"
        rows.append(line(no, "TEA-01", "1", "88.00"))
        rows.append(line(no, "CUP-02", "2", "35.00", receiver="", phone="", address=""))
        if n % 2 == 0:
            rows.append(line(no, "POT-03", "1", "260.00"))
    rows = rows[:10_000]
    record = svc.preview(presales, "taobao", "big.csv", make_csv(rows))
    svc.confirm(clerk, record, record.version)
    assert record.created_count == 4000
    assert count_rows(Order, Order.import_id == record.id) == 4000
    assert count_rows(OrderLine) == 10_000
    total = db.session.scalar(sa.select(sa.func.sum(Order.amount)))
    assert total == Decimal("88.00") * 4000 + Decimal("70.00") * 4000 + Decimal("260.00") * 2000
