"""Demo order desk: a realistic day — 200 orders across stages and platforms, red flags,
tasks from late remarks, a cancellation in each stage, stock with a few SKUs out, both
registers with entries, and some orders old enough to be archived. For demonstration only."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from portal import clock
from portal.extensions import db
from portal.orders import orders as svc
from portal.orders import remarks
from portal.orders.models import BankTransfer, Order, OrderLine, StockItem, StockWait

CATALOGUE = [
    ("TEA-LJ-250", "西湖龙井 250g", Decimal("168.00")),
    ("TEA-BLC-100", "碧螺春 100g", Decimal("98.00")),
    ("TEA-PE-357", "普洱饼茶 357g", Decimal("228.00")),
    ("TEA-TGY-500", "铁观音 500g", Decimal("136.00")),
    ("TEA-HC-200", "大红袍 200g", Decimal("188.00")),
    ("CUP-QC-6", "青瓷茶杯六只装", Decimal("89.00")),
    ("CUP-BL-2", "玻璃双层杯两只", Decimal("59.00")),
    ("POT-ZS-300", "紫砂壶 300ml", Decimal("399.00")),
    ("POT-BL-800", "玻璃煮茶壶 800ml", Decimal("129.00")),
    ("SET-GF-12", "功夫茶具十二件套", Decimal("468.00")),
    ("TRAY-BM-60", "竹制茶盘 60cm", Decimal("158.00")),
    ("KETTLE-E-1", "电热烧水壶", Decimal("199.00")),
    ("GIFT-BOX-A", "节日礼盒 A 款", Decimal("328.00")),
    ("GIFT-BOX-B", "节日礼盒 B 款", Decimal("528.00")),
    ("CADDY-TIN-2", "锡制茶叶罐", Decimal("79.00")),
    ("TOWEL-CT-3", "茶巾三条装", Decimal("29.00")),
    ("FILTER-SS", "不锈钢茶滤", Decimal("19.90")),
    ("CUP-GW-1", "盖碗 150ml", Decimal("69.00")),
]
# SKUs with nothing on hand: some with an expected arrival, one without
OUT = {"POT-ZS-300": 5, "GIFT-BOX-B": 3, "TRAY-BM-60": 8, "CUP-GW-1": None}
ATTRIBUTES = ["标准", "青色", "白色", "红色", "礼盒装", "简装", "大号", "小号"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "晓东", "子涵", "一鸣"]
CITIES = ["浙江省杭州市西湖区文三路", "上海市浦东新区张江路", "北京市朝阳区建国路",
          "广东省广州市天河区体育西路", "江苏省南京市鼓楼区中山路", "四川省成都市武侯区人民南路",
          "湖北省武汉市洪山区珞喻路", "福建省厦门市思明区湖滨南路", "山东省青岛市市南区香港中路"]
PLATFORM_WEIGHTS = [("tmall", 35), ("jd", 20), ("taobao", 20), ("vip", 6), ("own", 8),
                    ("phone", 5), ("distributor", 6)]
COURIER_PREFIX = {"顺丰": "SF", "中通": "ZT", "圆通": "YT", "韵达": "YD", "京东物流": "JDV"}
BANKS = ["工商银行", "建设银行", "招商银行", "农业银行", "中国银行"]


def _order_no(rng: random.Random, platform: str, serial: int) -> str:
    if platform in ("tmall", "taobao"):
        return f"{rng.randrange(10**17, 10**18)}"
    if platform == "jd":
        return f"{rng.randrange(10**11, 10**12)}"
    if platform == "vip":
        return f"VIP{rng.randrange(10**13, 10**14)}"
    prefix = {"own": "WX", "phone": "DH", "distributor": "FX"}[platform]
    return f"{prefix}{clock.today():%Y%m%d}{serial:04d}"


def seed(users: dict) -> dict:
    """The stock list, 200 orders brought to their stages, remarks, tasks, cancellations,
    the registers; returns what was made."""
    rng = random.Random(20261122)
    now = clock.now()
    today = now.date()
    tz = clock.get_clock().tz
    presales = [u for u in users.values() if u.role == "presales" and u.active]
    clerks = [u for u in users.values() if u.role == "order_clerk" and u.active]
    stock = {}
    for sku, name, _price in CATALOGUE:
        out = sku in OUT
        stock[sku] = StockItem(
            sku=sku, name=name, on_hand=0 if out else rng.randrange(20, 300),
            expected_on=today + timedelta(days=OUT[sku]) if out and OUT[sku] else None,
            updated_at=now, updated_by_id=clerks[0].id)
    db.session.add_all(stock.values())
    prices = {sku: price for sku, _name, price in CATALOGUE}
    in_stock = [sku for sku in prices if sku not in OUT]

    def moment(days_ago: int, start: int = 8, end: int = 22) -> datetime:
        day = today - timedelta(days=days_ago)
        at = datetime.combine(day, time(rng.randrange(start, end), rng.randrange(60)), tz)
        return min(at, now - timedelta(minutes=rng.randrange(5, 30)))

    platforms = [p for p, w in PLATFORM_WEIGHTS for _ in range(w)]
    made: list[Order] = []

    def order(stage: str, days_ago: int, *, skus=None, hours=(8, 22), **fields) -> Order:
        platform = fields.pop("platform", rng.choice(platforms))
        chosen = skus or rng.sample(in_stock, rng.choice([1, 1, 1, 2, 2, 3]))
        lines = [OrderLine(sku=sku, item_name=stock[sku].name,
                           attributes=rng.choice(ATTRIBUTES), quantity=rng.choice([1, 1, 2, 3]),
                           unit_price=prices[sku]) for sku in chosen]
        created = moment(days_ago, *hours)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        record = Order(
            platform=platform, order_no=_order_no(rng, platform, len(made) + 1),
            buyer_id=f"{platform}_{rng.choice(['tea', 'cha', 'leaf', 'cup'])}"
                     f"{rng.randrange(1000, 99999)}",
            receiver_name=name, receiver_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            receiver_address=f"{rng.choice(CITIES)}{rng.randrange(1, 300)}号"
                             f"{rng.randrange(1, 30)}栋{rng.randrange(101, 2801)}室",
            amount=sum((line.unit_price * line.quantity for line in lines), Decimal("0")),
            payment="awaiting" if stage == "awaiting_payment"
            else ("transfer" if platform in ("distributor", "phone") else "online"),
            paid_at=None if stage == "awaiting_payment"
            else created + timedelta(minutes=rng.randrange(1, 40)),
            stage=stage, created_at=created, created_by_id=rng.choice(presales).id, lines=lines)
        if record.paid_at and record.paid_at > now:
            record.paid_at = now - timedelta(minutes=1)
        step = record.paid_at or created
        if stage in ("printed", "packed", "shipped", "completed"):
            step = record.printed_at = min(step + timedelta(minutes=rng.randrange(20, 200)), now)
        if stage in ("packed", "shipped", "completed"):
            step = record.packed_at = min(step + timedelta(minutes=rng.randrange(10, 90)), now)
        if stage in ("shipped", "completed"):
            record.shipped_at = min(step + timedelta(minutes=rng.randrange(10, 120)), now)
            record.shipped_by_id = rng.choice(clerks).id
            record.courier = rng.choice(list(COURIER_PREFIX))
            record.tracking_no = f"{COURIER_PREFIX[record.courier]}{rng.randrange(10**11, 10**12)}"
            record.flag = "yellow"
        if stage == "completed":
            record.closed_at = record.shipped_at + timedelta(days=rng.randrange(3, 8))
            if record.closed_at > now:
                record.closed_at = now
        for name_, value in fields.items():
            setattr(record, name_, value)
        made.append(record)
        return record

    # the day: unpaid, paid today and over the last days, in the warehouse, gone
    for _ in range(22):
        order("awaiting_payment", rng.choice([0, 0, 1]))
    for _ in range(55):
        order("paid", 0, hours=(8, 17))
    for _ in range(12):
        order("paid", 1)
    for _ in range(6):
        order("paid", rng.randrange(4, 7))  # overdue: paid more than three days ago (R-O10)
    reds = [order("paid", rng.choice([0, 1]), skus=[sku, rng.choice(in_stock)])
            for sku in ("POT-ZS-300", "GIFT-BOX-B", "TRAY-BM-60", "POT-ZS-300", "CUP-GW-1")]
    for _ in range(18):
        order("printed", 0, hours=(8, 15))
    for _ in range(14):
        order("packed", 0, hours=(8, 14))
    for _ in range(42):
        order("shipped", rng.randrange(1, 6))
    for _ in range(20):
        order("completed", rng.randrange(10, 60))
    for _ in range(6):
        order("completed", rng.randrange(200, 300))  # closed over six months ago: archived
    db.session.add_all(made)
    db.session.flush()

    for record in made:
        if record.stage == "paid" and rng.random() < 0.25 and record not in reds:
            record.flag, record.flagged_at = "yellow", now
            record.flagged_by_id = rng.choice(clerks).id
    for record in reds:
        short = record.lines[0].sku
        record.flag, record.flag_sku, record.flagged_at = "red", short, now
        record.flag_arrival = stock[short].expected_on or today + timedelta(days=10)
        record.flagged_by_id = rng.choice(clerks).id
    db.session.commit()

    # remarks written in time, and late ones that give the clerks tasks (R-O1, R-O3)
    by_stage: dict[str, list[Order]] = {}
    for record in made:
        by_stage.setdefault(record.stage, []).append(record)
    author = users["presales"]
    for record in by_stage["paid"][:6]:
        remarks.add(rng.choice(presales), record, record.version, "card", "生日快乐,天天开心!")
    remarks.add(author, by_stage["paid"][6], by_stage["paid"][6].version, "delivery",
                "周末送货,工作日家里没人")
    remarks.add(author, by_stage["paid"][7], by_stage["paid"][7].version, "invoice",
                "杭州某某科技有限公司")
    for record in by_stage["printed"][:3]:
        remarks.add(rng.choice(presales), record, record.version, "address",
                    receiver_address=f"{rng.choice(CITIES)}{rng.randrange(1, 300)}号(新)")
    for record in by_stage["packed"][:2]:
        line = record.lines[0]
        remarks.add(rng.choice(presales), record, record.version, "attributes",
                    line_id=line.id, attributes="白色" if line.attributes != "白色" else "青色")

    # a cancellation in each stage (R-O2)
    reason = "买家拍错了,申请取消"
    svc.request_cancel(author, by_stage["awaiting_payment"][0],
                       by_stage["awaiting_payment"][0].version, reason)
    svc.request_cancel(author, by_stage["paid"][10], by_stage["paid"][10].version, reason)
    svc.request_cancel(author, by_stage["printed"][5], by_stage["printed"][5].version,
                       "买家不想要了")
    svc.request_cancel(author, by_stage["packed"][5], by_stage["packed"][5].version,
                       "买家重复下单")
    voided = by_stage["awaiting_payment"][1]  # unpaid: voided with no refund to hand over
    svc.request_cancel(author, voided, voided.version, reason)
    svc.void(clerks[0], voided, voided.version)

    # the bank-transfer register (R-O7): entries linked to the orders paid by transfer
    transfers = []
    for record in [r for r in made if r.payment == "transfer"][:9]:
        transfers.append(BankTransfer(
            received_on=clock.local(record.paid_at).date(), payer=record.receiver_name,
            amount=record.amount, bank=rng.choice(BANKS),
            reference=f"{rng.randrange(10**15, 10**16)}", order_id=record.id,
            registered_by_id=rng.choice(presales).id, created_at=record.paid_at))
    for days_ago in (0, 1, 3, 5):  # two not yet linked after two days: followed up
        received = today - timedelta(days=days_ago)
        transfers.append(BankTransfer(
            received_on=received, payer=rng.choice(SURNAMES) + rng.choice(GIVEN),
            amount=Decimal(rng.randrange(200, 5000)), bank=rng.choice(BANKS),
            reference=f"{rng.randrange(10**15, 10**16)}",
            registered_by_id=rng.choice(presales).id,
            created_at=datetime.combine(received, time(10, 30), tz)))
    db.session.add_all(transfers)

    # the out-of-stock register (R-O8)
    waits = []
    for sku, state in (("POT-ZS-300", "waiting"), ("POT-ZS-300", "waiting"),
                       ("GIFT-BOX-B", "waiting"), ("TRAY-BM-60", "waiting"),
                       ("CUP-GW-1", "waiting"), ("CUP-GW-1", "waiting"),
                       ("KETTLE-E-1", "waiting"), ("SET-GF-12", "waiting"),
                       ("TEA-PE-357", "told"), ("CADDY-TIN-2", "bought"),
                       ("TEA-HC-200", "gave_up")):
        created = now - timedelta(days=rng.randrange(1, 12), hours=rng.randrange(8))
        wait = StockWait(buyer=rng.choice(SURNAMES) + rng.choice(GIVEN),
                         contact=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}", sku=sku,
                         quantity=rng.choice([1, 1, 2]), note="到货请第一时间通知",
                         state=state, registered_by_id=rng.choice(presales).id,
                         created_at=created)
        if sku in ("KETTLE-E-1", "SET-GF-12"):
            wait.available_at = now - timedelta(hours=2)  # back in stock: tell them
        if state != "waiting":
            wait.closed_at, wait.closed_by_id = now - timedelta(hours=5), author.id
        waits.append(wait)
    db.session.add_all(waits)
    db.session.flush()
    waiting_import = _taobao_export(rng.choice(presales), made, now)
    db.session.commit()
    return {"orders": len(made), "stock_items": len(stock), "bank_transfers": len(transfers),
            "stock_waits": len(waits), "order_imports": 1 if waiting_import else 0}


TAOBAO_HEADER = ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "收货人姓名", "收货地址",
                 "联系手机", "订单付款时间", "宝贝标题", "商家编码", "价格", "购买数量",
                 "商品属性", "商家备注", "分阶段订单信息"]


def _taobao_export(user, made, now):
    """A Taobao seller-centre export waiting for confirmation (issue 19 item 5): GBK, ="…"
    order numbers, ￥ amounts, a three-item order, a closed one, and an order already here
    that the buyer is now being refunded for (a status change)."""
    import csv
    import io

    from portal.orders import importer

    paid = (now - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TAOBAO_HEADER)
    new = f"{now:%y%m%d}4405318800117"
    writer.writerow([f'="{new}"', "tb_林晓雨", "￥1,066.00", "买家已付款，等待卖家发货", "林晓雨",
                     "浙江省 杭州市 西湖区 文三路 90 号", "13812345678", paid, "西湖龙井 250g",
                     "TEA-LJ-250", "￥168.00", "2", "简装", "送礼，附贺卡", ""])
    writer.writerow([f'="{new}"', "", "", "", "", "", "", "", "青瓷茶杯六只装", "CUP-QC-6",
                     "￥89.00", "2", "青色", "", ""])
    writer.writerow([f'="{new}"', "", "", "", "", "", "", "", "功夫茶具十二件套", "SET-GF-12",
                     "￥468.00", "1", "标准", "", ""])
    writer.writerow([f'="{now:%y%m%d}4405318800245"', "茶友小陈", "￥98.00", "交易关闭",
                     "陈建国", "上海 上海市 浦东新区 张江路 88 弄", "13900001111", "",
                     "碧螺春 100g", "TEA-BLC-100", "98.00", "1", "", "", ""])
    refunding = next((o for o in made if o.platform == "taobao" and o.stage == "paid"
                      and o.cancel_requested_at is None), None)
    if refunding is not None:
        line = refunding.lines[0]
        writer.writerow([f"'{refunding.order_no}", refunding.buyer_id, str(refunding.amount),
                         "退款中", refunding.receiver_name, refunding.receiver_address,
                         refunding.receiver_phone, "", line.item_name, line.sku,
                         str(line.unit_price), str(line.quantity), line.attributes, "", ""])
    return importer.preview(user, "", f"ExportOrderList{now:%Y%m%d%H%M}.csv",
                            out.getvalue().encode("gbk"))
