"""The two handover books: N × 1,000,000 items over three years, every one of them closed and
signed by the next shift, plus the live book: 8 desk and 3 showroom items in each of the last
four shifts, those of the last two still open (some taken over), one in four of the older ones
too, and a few left open for days (the supervisor's attention card)."""

from datetime import datetime, timedelta

from bench.data import HISTORY_DAYS, Context

TABLES = ("handover_items", "handover_acks", "handover_revisions")

CATEGORIES = ("customer_follow_up",) * 4 + ("order_problem",) * 3 + (
    "aftersales_case", "aftersales_case", "equipment", "other")
SHOWROOM_CATEGORIES = ("showroom", "showroom", "equipment", "customer_follow_up", "other")
TEXTS = (
    "客户{n}号来电询问发货时间，已答复明天发出，请下一班留意物流更新。",
    "订单备注要求改地址，已联系打单员，请确认面单已经更换。",
    "客户反映收到的商品颜色不对，已拍照留证，等待售后处理方案。",
    "退货快递已寄出，单号已记录，请收到后及时登记并通知财务退款。",
    "客户要求开具发票，抬头已发到工作群，请下一班跟进开票进度。",
    "展厅空调遥控器找不到了，已告知行政，请留意是否找回。",
    "客户约好明天上午十点来店看样品，请提前准备好展品和资料。",
    "平台后台显示有{n}个待回复的咨询，请下一班优先处理。",
    "打印机卡纸已处理，但纸张快用完了，请申领新的打印纸。",
    "老客户投诉上次维修后仍有问题，已安抚，需要主管回电。",
)
RESOLUTIONS = ("已处理完毕。", "客户已确认，结案。", "已转售后跟进，本项关闭。",
               "物流已更新，客户满意。", "已退款，客户无异议。")
REQUESTS = ("换货", "退款", "补发配件", "开发票", None)


def _slots_before(now: datetime, count: int):
    """The ``count`` shifts that started before ``now`` (local), latest first:
    [(day, type index, start, end)] with naive local starts and ends."""
    local = now.replace(tzinfo=None)
    slots = []
    day = local.date()
    while len(slots) < count:
        for index, start, end in ((1, 960, 1440), (0, 480, 960)):
            begins = datetime(day.year, day.month, day.day) + timedelta(minutes=start)
            if begins < local and len(slots) < count:
                slots.append((day, index, start, min(end, (local - datetime(
                    day.year, day.month, day.day)).total_seconds() / 60)))
        day -= timedelta(days=1)
    return slots


def build(ctx: Context) -> None:
    from portal.auth.permissions import ROLES, role_can

    w, rng = ctx.w, ctx.rng
    types = [ident for ident, _start, _end in ctx.shift_types]  # day, night
    starts = [start for _ident, start, _end in ctx.shift_types]
    writers = {book: [ident for ident, _u, role in ctx.staff
                      if role in ROLES and role_can(role, f"handover.{book}.write")]
               for book in ("desk", "showroom")}
    total = ctx.v["handover_items"]
    history_days = HISTORY_DAYS - 2
    revisions: list[tuple] = []
    acks: list[tuple] = []
    ack_id = 0

    def text_of(ident: int) -> str:
        return rng.choice(TEXTS).format(n=ident % 97 + 1)

    def item_row(ident, book, day, type_index, created, *, open_=False, owner=None):
        nonlocal ack_id
        category = rng.choice(CATEGORIES if book == "desk" else SHOWROOM_CATEGORIES)
        problem = category in ("order_problem", "aftersales_case")
        author = rng.choice(writers[book])
        readers = writers[book]
        urgent = rng.random() < 0.08
        if not open_ and owner is None and rng.random() < 0.3:
            owner = rng.choice(readers)
        next_day, next_index = (day, 1) if type_index == 0 else (day + timedelta(days=1), 0)
        taken = created + timedelta(hours=rng.uniform(8, 10)) if owner else None
        closed = None if open_ else created + timedelta(hours=rng.uniform(9, 60))
        closer = None if open_ else (owner or author)
        if not open_ or owner:
            ack_id += 1
            acks.append((ack_id, ident, owner or rng.choice(readers),
                         "taken_over" if owner else "signed", w.day(next_day),
                         types[next_index], w.dt(created + timedelta(hours=rng.uniform(8, 9)))))
        if rng.random() < 0.01:
            revisions.append((len(revisions) + 1, ident, text_of(ident + 1), author,
                              w.dt(created + timedelta(minutes=20))))
        return (ident, book, w.day(day), types[type_index], author, category,
                "urgent" if urgent else "normal", text_of(ident),
                f"TB{day:%y%m%d}{ident % 100000:05d}" if problem else None,
                f"C{ident % 50000:06d}" if problem else None,
                w.day(day - timedelta(days=rng.randint(1, 30))) if problem else None,
                f"SF{ident:010d}" if problem and rng.random() < 0.3 else None,
                rng.choice(REQUESTS) if problem else None,
                "open" if open_ else "closed", owner, w.dt(taken),
                None if open_ else rng.choice(RESOLUTIONS), closer, w.dt(closed), w.dt(created),
                1 + (owner is not None) + (not open_))

    def items():
        ident = 0
        for ident in range(1, total + 1):
            day = ctx.first_day + timedelta(days=(ident - 1) * history_days // total)
            type_index = rng.randrange(2)
            created = ctx.utc(day, starts[type_index] + rng.uniform(5, 470))
            book = "desk" if rng.random() < 0.8 else "showroom"
            yield item_row(ident, book, day, type_index, created)
        # the live book: a few left open for days, then the last four shifts' items
        for book in ("desk", "showroom"):
            for age in (4, 6, 9):
                ident += 1
                day = ctx.today - timedelta(days=age)
                yield item_row(ident, book, day, 0, ctx.utc(day, 600), open_=True)
        slots = list(reversed(_slots_before(ctx.now, 4)))
        for position, (day, type_index, start, end) in enumerate(slots):
            for book, per_slot in (("desk", 8), ("showroom", 3)):
                for _ in range(per_slot):
                    ident += 1
                    created = ctx.utc(day, rng.uniform(start, max(start + 1, end)))
                    # the two latest shifts' items are open; of older ones, one in four
                    recent = position >= len(slots) - 2
                    if not recent and rng.random() >= 0.25:
                        yield item_row(ident, book, day, type_index, created)
                        continue
                    # taken over by the following shift, when that shift has begun
                    owner = rng.choice(writers[book]) \
                        if position < len(slots) - 1 and rng.random() < 0.15 else None
                    yield item_row(ident, book, day, type_index, created, open_=True,
                                   owner=owner)

    ctx.add("handover_items", w.rows(
        "handover_items", ("id", "book", "shift_date", "shift_type_id", "author_id", "category",
                           "priority", "text", "order_no", "customer_ref", "purchase_date",
                           "return_tracking", "customer_request", "status", "owner_id",
                           "taken_over_at", "resolution", "closed_by_id", "closed_at",
                           "created_at", "version"), items()))
    ctx.add("handover_acks", w.rows(
        "handover_acks", ("id", "item_id", "user_id", "kind", "shift_date", "shift_type_id",
                          "at"), acks))
    ctx.add("handover_revisions", w.rows(
        "handover_revisions", ("id", "item_id", "text_before", "edited_by_id", "edited_at"),
        revisions))
    acks.clear()
    ctx.ids["handover_items"] = [ctx.counts["handover_items"]]
