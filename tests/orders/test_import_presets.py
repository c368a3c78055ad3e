"""The platforms' own export files (issue 19 item 5), without HTTP: each preset recognised
from its headers and shown, the sample files (GBK Taobao with a three-item order, JD,
Pinduoduo with the address in parts, Douyin sub-orders, a distributor's sheet), order
numbers written as text, ¥ amounts, unknown columns listed, re-importing changing nothing,
a status change updating the order and telling the desk, formulas never imported, and
files in an unknown encoding or without a known header refused naming what was expected."""

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import Notification
from portal.orders import import_presets as presets
from portal.orders import importer as svc
from portal.orders.models import Order, OrderImport, OrderRemark
from portal.rules import RuleError
from tests.conftest import count_rows
from tests.orders.test_import_parsing import HEADER, line, make_csv

SAMPLES = Path(__file__).parent.parent / "fixtures" / "imports"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def now(freeze):
    return freeze("2026-11-22 09:30")


def by_no(record: OrderImport) -> dict:
    return {plain["order_no"]: plain for plain in record.rows}


def orders_of(platform: str) -> dict[str, Order]:
    return {o.order_no: o for o in db.session.scalars(
        sa.select(Order).where(Order.platform == platform))}


# --- recognising the files ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "code", "platform"), [
    ("taobao-orders-gbk.csv", "taobao", "taobao"),
    ("jd-orders-utf8-bom.csv", "jd", "jd"),
    ("pdd-orders-utf8.csv", "pdd", "pdd"),
    ("douyin-orders-utf8-bom.csv", "douyin", "douyin"),
    ("distributor-sheet-gbk.csv", "distributor", "distributor"),
])
def test_each_preset_is_recognised_from_its_headers(stock, now, presales, name, code,
                                                    platform):
    header = svc.read_header(svc.read_table(sample(name)))
    assert header.preset is presets.BY_CODE[code]
    record = svc.preview(presales, "", name, sample(name))  # the platform left to the file
    assert record.platform == platform and record.counts["preset"] == code
    assert record.counts["create"] >= 1 and record.counts["error"] == 0


def test_a_general_table_is_no_preset(stock, now):
    header = svc.read_header(svc.read_table(make_csv([line("TB1")])))
    assert header.preset is None and header.unknown == []
    assert presets.detect(HEADER) is None


def test_a_platform_the_file_contradicts_is_refused(stock, now, presales):
    with pytest.raises(RuleError) as error:
        svc.preview(presales, "jd", "x.csv", sample("taobao-orders-gbk.csv"))
    assert error.value.field == "platform"
    assert svc.preview(presales, "tmall", "x.csv",
                       sample("taobao-orders-gbk.csv")).platform == "tmall"
    with pytest.raises(RuleError, match="does not say which platform"):
        svc.preview(presales, "", "x.csv", make_csv([line("TB1")]))
    assert count_rows(OrderImport) == 1


# --- the Taobao file as it is ------------------------------------------------------------------


def test_gbk_taobao_export_with_a_three_item_order(stock, now, presales, clerk):
    record = svc.preview(presales, "", "ExportOrderList.csv", sample("taobao-orders-gbk.csv"))
    entries = by_no(record)
    three = entries["3312456789012345678"]  # ="…" wrapper
    assert three["verdict"] == "create" and three["rows"] == [2, 3, 4]
    assert [(li["sku"], li["quantity"], li["unit_price"]) for li in three["lines"]] == [
        ("TEA-01", 1, "888.00"), ("CUP-02", 2, "48.25"), ("POT-03", 1, "250.00")]
    assert three["amount"] == "1234.50"  # "￥1,234.50"
    assert three["status"] == "paid" and three["remark"] == "送礼，附贺卡"
    assert entries["3312456789099990001"]["verdict"] == "create"  # leading apostrophe
    assert entries["3312456789099990001"]["receiver_phone"] == "13900001111"  # tab
    assert entries["3312456789099990002"]["verdict"] == "create"  # trailing tab
    assert entries["3312456789099990002"]["status"] == "awaiting_payment"
    closed = entries["3312456789099990003"]
    assert closed["verdict"] == "skip" and "closed on the platform" in \
        closed["reasons"][0]["message"]
    assert record.counts["unknown_columns"] == ["分阶段订单信息"]
    assert {k: record.counts[k] for k in ("create", "skip", "update", "error")} == {
        "create": 3, "skip": 1, "update": 0, "error": 0}

    svc.confirm(clerk, record, record.version)
    made = orders_of("taobao")
    assert set(made) == {"3312456789012345678", "3312456789099990001", "3312456789099990002"}
    order = made["3312456789012345678"]
    assert len(order.lines) == 3 and order.amount == Decimal("1234.50")
    assert order.stage == "paid" and order.platform_status == "paid"
    assert made["3312456789099990002"].stage == "awaiting_payment"
    assert db.session.scalar(sa.select(OrderRemark.details).where(
        OrderRemark.order_id == order.id)) == "送礼，附贺卡"


def test_reimporting_the_same_file_changes_nothing(stock, now, presales, clerk):
    first = svc.preview(presales, "", "a.csv", sample("taobao-orders-gbk.csv"))
    svc.confirm(clerk, first, first.version)
    db.session.commit()
    versions = {no: o.version for no, o in orders_of("taobao").items()}
    again = svc.preview(presales, "", "a.csv", sample("taobao-orders-gbk.csv"))
    assert again.counts["create"] == 0 and again.counts["update"] == 0
    assert again.counts["duplicate"] == 3 and again.counts["skip"] == 1
    svc.confirm(clerk, again, again.version)
    assert {no: o.version for no, o in orders_of("taobao").items()} == versions
    assert count_rows(Notification) == 0


def test_a_status_change_updates_the_order_and_tells_the_desk(stock, now, presales, clerk):
    first = svc.preview(presales, "", "a.csv", sample("taobao-orders-gbk.csv"))
    svc.confirm(clerk, first, first.version)
    db.session.commit()
    later = svc.preview(presales, "", "b.csv", sample("taobao-orders-later-gbk.csv"))
    change = by_no(later)["3312456789012345678"]
    assert later.counts["update"] == 1 and change["verdict"] == "update"
    assert change["change"] == {"from": "paid", "stage": "paid", "effect": "ask_cancel"}
    assert change["status_word"] == "退款中"

    svc.confirm(clerk, later, later.version)
    order = orders_of("taobao")["3312456789012345678"]
    assert order.platform_status == "refunding" and order.cancel_requested_at is not None
    assert "退款中" in order.cancel_reason
    told = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == clerk.id)).all()
    assert [n.params["no"] for n in told] == ["3312456789012345678"]
    assert later.counts["changed"] == 1
    db.session.commit()
    # the later file again: nothing more
    again = svc.preview(presales, "", "b.csv", sample("taobao-orders-later-gbk.csv"))
    assert again.counts["update"] == 0 and again.counts["duplicate"] == 3


@pytest.mark.parametrize(("stage", "status", "expected"), [
    ("awaiting_payment", "paid", "paid"),
    ("awaiting_payment", "closed", "cancel"),
    ("paid", "refunding", "ask_cancel"),
    ("printed", "closed", "ask_cancel"),
    ("shipped", "refunding", "after_sales"),
    ("cancelled", "paid", "note"),
    ("paid", "shipped", None),          # the desk records shipping itself
    ("completed", "completed", None),
])
def test_what_a_status_change_does(stage, status, expected):
    assert svc.effect(svc.Existing(stage, None, False), status) == expected


def test_unpaid_then_paid_marks_the_order_paid(stock, now, presales, clerk, freeze):
    rows = [line("TB9", paid="") + ["等待买家付款"]]  # a general table with a status column
    first = svc.preview(presales, "tmall", "a.csv", make_csv(rows, header=[*HEADER, "订单状态"]))
    svc.confirm(clerk, first, first.version)
    db.session.commit()
    assert orders_of("tmall")["TB9"].stage == "awaiting_payment"
    freeze("2026-11-22 10:00")
    rows = [line("TB9", paid="2026-11-22 09:50:00") + ["买家已付款，等待卖家发货"]]
    later = svc.preview(presales, "tmall", "b.csv", make_csv(rows, header=[*HEADER, "订单状态"]))
    assert by_no(later)["TB9"]["change"]["effect"] == "paid"
    svc.confirm(clerk, later, later.version)
    order = orders_of("tmall")["TB9"]
    assert order.stage == "paid" and order.payment == "online"
    assert order.platform_status == "paid"


# --- the other platforms -----------------------------------------------------------------------


def test_jd_pinduoduo_and_douyin_files(stock, now, presales, clerk):
    jd = by_no(svc.preview(presales, "", "jd.csv", sample("jd-orders-utf8-bom.csv")))
    order = jd["287654321098"]
    assert len(order["lines"]) == 2 and order["amount"] == "1176.00"
    assert order["lines"][1] == order["lines"][1] | {"sku": "POT-03", "quantity": 4,
                                                     "unit_price": "250.00"}

    pdd_record = svc.preview(presales, "", "pdd.csv", sample("pdd-orders-utf8.csv"))
    pdd = by_no(pdd_record)
    cups = pdd["231122-508812345678901"]  # a leading tab
    assert cups["receiver_address"] == "四川省成都市武侯区天府大道中段 666 号"
    assert cups["lines"][0]["unit_price"] == "48.25"  # 商品总价 96.50 over 2
    assert pdd["231122-508812345678902"]["verdict"] == "skip"  # 售后状态 退款中
    assert pdd_record.counts["unknown_columns"] == ["拼团标记"]

    douyin = by_no(svc.preview(presales, "", "dy.csv", sample("douyin-orders-utf8-bom.csv")))
    main = douyin["6931234567890123456"]
    assert [li["sku"] for li in main["lines"]] == ["TEA-01", "CUP-02"]
    assert main["amount"] == "136.00"
    assert main["receiver_address"] == "湖南省长沙市岳麓区麓谷街道麓松路 8 号"


def test_the_distributor_sheet_goes_through_the_hand_typed_order(stock, now, presales,
                                                                 clerk, monkeypatch):
    from portal.orders import orders

    calls = []
    typed = orders.create

    def create(*args, **kwargs):
        calls.append(kwargs["order_no"])
        return typed(*args, **kwargs)

    monkeypatch.setattr(orders, "create", create)
    record = svc.preview(presales, "", "fx.csv", sample("distributor-sheet-gbk.csv"))
    assert record.platform == "distributor"
    entries = by_no(record)
    assert len(entries["MX-20261122-01"]["lines"]) == 2
    assert entries["NB-1122"]["lines"][0]["unit_price"] == "1066.00"
    assert entries["NB-1122"]["receiver_phone"] == "13588889999"
    svc.confirm(clerk, record, record.version)
    assert calls == ["MX-20261122-01", "NB-1122"]
    made = orders_of("distributor")
    assert made["MX-20261122-01"].buyer_id == "杭州茗香商贸"
    assert made["MX-20261122-01"].import_id == record.id
    assert made["MX-20261122-01"].receiver_phone == "0571-88881234"
    assert made["MX-20261122-01"].amount == Decimal("1410.00")
    assert record.created_count == 2


# --- bad input ---------------------------------------------------------------------------------


def test_text_number_forms_and_amounts(stock, now):
    rows = [line('="20261122001"', amount="¥1,234.50"), line("'20261122002", amount="￥96"),
            line("\t20261122003\t", amount="RMB 1,000.00")]
    entries, _counts = svc.judge(svc.read_table(make_csv(rows)), "tmall")
    assert [(e["order_no"], e["amount"]) for e in entries] == [
        ("20261122001", "1234.50"), ("20261122002", "96.00"), ("20261122003", "1000.00")]


@pytest.mark.parametrize("formula", ["=HYPERLINK(\"http://x\",\"点我\")", "@SUM(A1)",
                                     "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"])
def test_formulas_are_never_imported(stock, now, formula):
    rows = [line("TB1", receiver=formula), line("TB2", title=formula), line(formula)]
    entries, counts = svc.judge(svc.read_table(make_csv(rows)), "tmall")
    assert counts["create"] == 0 and counts["error"] == 3
    for entry in entries:
        assert "formula" in entry["reasons"][0]["message"]
        assert formula not in (entry["receiver_name"], entry["order_no"],
                               *(li["item_name"] for li in entry["lines"]))


def test_no_known_header_names_the_presets(stock, now, presales):
    data = "名称,数量\n茶,1\n".encode("gbk")
    with pytest.raises(RuleError) as error:
        svc.preview(presales, "", "x.csv", data)
    message = error.value.message % error.value.params
    assert "订单编号, 买家会员名, 买家实际支付金额" in message  # Taobao's
    assert "主订单编号" in message and "分销商" in message and "UTF-8 or GBK" in message
    assert count_rows(OrderImport) == 0


@pytest.mark.parametrize("encoding", ["big5", "shift_jis", "utf-32"])
def test_a_file_in_an_unknown_encoding_is_refused(stock, now, presales, encoding):
    text = "訂單編號,買家會員名,收貨人姓名\n1,王,杭州\n" if encoding == "big5" else \
        "注文番号,購入者,お届け先\n1,王,東京\n"
    with pytest.raises(RuleError) as error:
        svc.preview(presales, "", "x.csv", text.encode(encoding))
    assert error.value.field == "file"
    assert count_rows(OrderImport) == 0


def test_a_preset_missing_a_column_names_its_header(stock, now):
    header = ["订单编号", "买家会员名", "买家实际支付金额", "收货人姓名", "收货地址", "联系手机",
              "宝贝标题"]  # the order report without its item columns
    with pytest.raises(RuleError) as error:
        svc.read_header(svc.read_table(make_csv([["1", "a", "1", "王", "杭州", "138", "茶"]],
                                                header=header)))
    assert error.value.params["columns"] == "商家编码, 购买数量, 价格"
