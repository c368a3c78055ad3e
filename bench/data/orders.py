"""The order desk: 2,000 SKUs, N × 1,000,000 orders over three years with their lines (one to
three each), remarks on one order in ten, the clerks' done tasks, the bank-transfer and
out-of-stock registers; the live day: today's paid orders in the clerks' queue at every stage,
a few overdue and red-flagged, some awaiting payment, yesterday's shipped."""

from datetime import timedelta

from bench.data import HISTORY_DAYS, Context
from bench.data.customers import buyer_id, buyer_phone, customer_count

TABLES = ("orders", "order_lines", "order_remarks", "order_tasks", "bank_transfers",
          "stock_waits")

SKU_COUNT = 2_000
LIVE_ORDERS = 600  # today's and yesterday's orders, whatever the scale
PLATFORMS = ("tmall",) * 7 + ("jd",) * 4 + ("taobao",) * 4 + ("vip", "own", "phone",
                                                                 "distributor")
COURIERS = ("顺丰", "中通", "圆通", "韵达", "京东物流")
ATTRIBUTES = ("标准", "青色", "白色", "红色", "礼盒装", "简装", "大号", "小号")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟")
CITIES = ("浙江省杭州市西湖区文三路", "上海市浦东新区张江路", "北京市朝阳区建国路",
          "广东省广州市天河区体育西路", "江苏省南京市鼓楼区中山路", "四川省成都市武侯区人民南路")
REMARKS = (("courier", "请发顺丰"), ("invoice", "杭州某某贸易有限公司"), ("card", "生日快乐"),
           ("delivery", "周末送货"), ("other", "客户要求加急"))
BANKS = ("工商银行", "建设银行", "招商银行", "农业银行", "中国银行")


def build(ctx: Context) -> None:
    from portal.orders.demo import CATALOGUE

    w, rng = ctx.w, ctx.rng
    clerks = ctx.by_role["order_clerk"]
    presales = ctx.by_role["presales"]
    now = ctx.now_utc()
    stamp = w.dt(now)
    skus = []
    stock_rows = []
    for n in range(SKU_COUNT):
        base, name, price = CATALOGUE[n % len(CATALOGUE)]
        sku = f"{base}-{n // len(CATALOGUE):03d}"
        out = n % 40 == 7
        expected = w.day(ctx.today + timedelta(days=n % 9 + 1)) if out and n % 3 else None
        stock_rows.append((n + 1, sku, f"{name} {n // len(CATALOGUE) + 1}号",
                           0 if out else 20 + n % 300, expected, stamp, clerks[0], 1))
        skus.append((sku, f"{name} {n // len(CATALOGUE) + 1}号", int(price * 100), out))
    w.rows("stock_items", ("id", "sku", "name", "on_hand", "expected_on", "updated_at",
                           "updated_by_id", "version"), stock_rows)
    in_stock = [s for s in skus if not s[3]]

    total = ctx.v["orders"]
    buyers = customer_count(ctx)  # buyer n is customer n + 1 (bench/data/customers.py)
    lines: list[tuple] = []
    remarks: list[tuple] = []
    tasks: list[tuple] = []
    transfers: list[tuple] = []
    history_days = HISTORY_DAYS - 2

    def order_row(ident, created, stage, *, flag=None, open_tasks=0):
        platform = rng.choice(PLATFORMS)
        buyer = rng.randrange(buyers)
        amount = 0
        goods = in_stock if stage != "paid" or flag != "red" else skus
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            sku, name, price, _out = rng.choice(goods)
            quantity = rng.choice((1, 1, 1, 2))
            amount += price * quantity
            lines.append((len(lines) + 1, ident, sku, name, rng.choice(ATTRIBUTES), quantity,
                          f"{price / 100:.2f}"))
        payment = "transfer" if rng.random() < 0.05 else "online"
        paid = None if stage == "awaiting_payment" else created + timedelta(
            minutes=rng.uniform(1, 90))
        if payment == "transfer" and paid is not None:
            transfers.append((len(transfers) + 1, w.day(paid.date()), rng.choice(SURNAMES) + "某",
                              f"{amount / 100:.2f}", rng.choice(BANKS), f"T{ident:09d}", ident,
                              rng.choice(presales), w.dt(paid), 1, buyer + 1))
        printed = paid + timedelta(hours=2) if stage in ("printed", "packed", "shipped",
                                                          "completed") else None
        packed = printed + timedelta(hours=1) if stage in ("packed", "shipped",
                                                            "completed") else None
        shipped = packed + timedelta(hours=1) if stage in ("shipped", "completed") else None
        closed = shipped + timedelta(days=7) if stage == "completed" else (
            created + timedelta(hours=3) if stage == "cancelled" else None)
        courier = rng.choice(COURIERS) if shipped else None
        if rng.random() < 0.1:
            kind, details = rng.choice(REMARKS)
            remarks.append((len(remarks) + 1, ident, kind, details, None, None,
                            "paid" if paid else "awaiting_payment", rng.choice(presales),
                            w.dt(created + timedelta(minutes=30))))
            if stage in ("shipped", "completed") and rng.random() < 0.1:
                tasks.append((len(tasks) + 1, ident, "correct_slip", len(remarks), "done",
                              w.dt(created + timedelta(minutes=40)), remarks[-1][7],
                              w.dt(created + timedelta(hours=1)), rng.choice(clerks), 2))
        phone = buyer_phone(buyer)
        return (ident, platform, f"{platform[:2].upper()}{ident:012d}", buyer_id(buyer),
                rng.choice(SURNAMES) + rng.choice(GIVEN), phone, phone[::-1],
                rng.choice(CITIES) + f"{rng.randint(1, 999)}号", f"{amount / 100:.2f}",
                "awaiting" if paid is None else payment, w.dt(paid), stage, courier,
                f"SF{ident:012d}" if courier else None, flag,
                rng.choice(skus)[0] if flag == "red" else None,
                w.day(ctx.today + timedelta(days=3)) if flag == "red" else None,
                w.dt(paid + timedelta(hours=1)) if flag else None,
                rng.choice(clerks) if flag else None, None, None, None, open_tasks,
                w.dt(printed), w.dt(packed), w.dt(shipped),
                rng.choice(clerks) if shipped else None, w.dt(closed), w.dt(created), None, None,
                1 + sum(x is not None for x in (paid, printed, packed, shipped, closed)),
                buyer + 1)

    def orders():
        ident = 0
        for ident in range(1, total + 1):
            day = ctx.first_day + timedelta(days=(ident - 1) * history_days // total)
            created = ctx.utc(day, rng.uniform(0, 1440))
            age = (ctx.today - day).days
            stage = "cancelled" if rng.random() < 0.03 else (
                "completed" if age > 10 else "shipped")
            yield order_row(ident, created, stage)
        # the live desk: overdue ones, yesterday's shipped, today's at every stage
        for _ in range(5):
            ident += 1
            yield order_row(ident, now - timedelta(days=rng.randint(4, 6)), "paid")
        for n in range(LIVE_ORDERS):
            ident += 1
            created = now - timedelta(hours=36 * (LIVE_ORDERS - n) / LIVE_ORDERS)
            if n < LIVE_ORDERS // 3:
                stage = "shipped"
            else:
                stage = rng.choice(("paid",) * 5 + ("printed", "packed", "awaiting_payment"))
            flag = None
            if stage == "paid":
                flag = rng.choice((None,) * 8 + ("yellow", "red"))
            yield order_row(ident, created, stage, flag=flag)

    ctx.add("orders", w.rows(
        "orders", ("id", "platform", "order_no", "buyer_id", "receiver_name", "receiver_phone",
                   "phone_tail", "receiver_address", "amount", "payment", "paid_at", "stage",
                   "courier",
                   "tracking_no", "flag", "flag_sku", "flag_arrival", "flagged_at",
                   "flagged_by_id", "cancel_requested_at", "cancel_requested_by_id",
                   "cancel_reason", "open_tasks", "printed_at", "packed_at", "shipped_at",
                   "shipped_by_id", "closed_at", "created_at", "created_by_id", "import_id",
                   "version", "customer_id"), orders()))
    ctx.add("order_lines", w.rows(
        "order_lines", ("id", "order_id", "sku", "item_name", "attributes", "quantity",
                        "unit_price"), lines))
    lines.clear()
    ctx.add("order_remarks", w.rows(
        "order_remarks", ("id", "order_id", "kind", "details", "old_value", "new_value",
                          "stage", "author_id", "created_at"), remarks))
    w.rows("order_tasks", ("id", "order_id", "kind", "remark_id", "state", "created_at",
                           "created_by_id", "done_at", "done_by_id", "version"), tasks)
    # a few transfers nobody linked yet (the pre-sales Today card)
    for _ in range(3):
        transfers.append((len(transfers) + 1, w.day(ctx.today - timedelta(days=4)), "张某",
                          "168.00", BANKS[0], "", None, presales[0], stamp, 1, None))
    ctx.add("bank_transfers", w.rows(
        "bank_transfers", ("id", "received_on", "payer", "amount", "bank", "reference",
                           "order_id", "registered_by_id", "created_at", "version",
                           "customer_id"), transfers))

    def waits():
        states = ("bought", "bought", "gave_up", "told")
        out = [s for s in skus if s[3]]
        for ident in range(1, ctx.v["stock_waits"] + 1):
            live = ident > ctx.v["stock_waits"] - 30
            day = ctx.today - timedelta(days=rng.randint(0, 5)) if live else ctx.history_day()
            at = ctx.utc(day, rng.uniform(540, 1200))
            state = "waiting" if live else rng.choice(states)
            closed = None if live else at + timedelta(days=rng.randint(1, 20))
            buyer = rng.randrange(buyers)
            yield (ident, buyer_id(buyer), buyer_phone(buyer),
                   rng.choice(out if live else skus)[0], rng.randint(1, 3), "", state, None,
                   rng.choice(presales), w.dt(at), w.dt(closed),
                   rng.choice(presales) if closed else None, 1 if live else 2, buyer + 1)

    ctx.add("stock_waits", w.rows(
        "stock_waits", ("id", "buyer", "contact", "sku", "quantity", "note", "state",
                        "available_at", "registered_by_id", "created_at", "closed_at",
                        "closed_by_id", "version", "customer_id"), waits()))
    transfers.clear()
    remarks.clear()
