"""Demo after-sales desk: thirty cases across kinds and states on the demo orders (and a few
on typed order numbers), walked through the real services at moments in the past — so
their events, SLA clocks, audit trail and notifications are what the portal would have
written — with generated evidence photos, one interception, some cases breaching their SLA
and two closed three days ago, whose return visits are due today. For demonstration only.
"""

import importlib
import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import sqlalchemy as sa
from PIL import Image, ImageDraw

from portal import clock
from portal.aftersales import cases as svc
from portal.aftersales import evidence
from portal.extensions import db
from portal.notifications.models import Notification
from portal.orders.models import Order

# (kind, days ago, steps, options). Steps run one after another, a few working hours apart:
# a state name, "photo" / "photo:webp", "confirm" / "deny", "freight:<amount>",
# "freight_refunded", "note:<text>", "sign" (an order clerk), "platform:<status>",
# "intercepted". Options: typed (no order), unassigned, problem, request, delivery_days
# (before the request), closed_days_ago (when the last step happened), logistics.
PLAN = [
    ("quality", 0, ["photo"], {"hours": 2, "unassigned": True}),
    ("quality", 1, ["in_progress", "photo", "photo:webp", "confirm", "freight:12"], {}),
    ("quality", 2, ["photo", "in_progress", "confirm", "freight:15", "waiting_parcel"], {}),
    ("quality", 3, ["photo", "in_progress", "confirm", "freight:18", "waiting_parcel", "sign"],
     {}),
    ("quality", 5, ["photo", "in_progress", "confirm", "freight:10", "waiting_parcel", "sign",
                    "refunded", "freight_refunded"], {}),
    ("quality", 6, ["photo", "in_progress", "deny", "note:照片看不出问题,已安抚客户", "resolved",
                    "closed"], {"closed_days_ago": 3}),
    ("return_refund", 0, [], {"hours": 1, "typed": True, "unassigned": True}),
    ("return_refund", 4, ["in_progress"], {}),
    ("return_refund", 2, ["in_progress", "note:请客户补充照片和退货原因", "waiting_customer"], {}),
    ("return_refund", 1, ["in_progress", "waiting_parcel"], {}),
    ("return_refund", 3, ["in_progress", "waiting_parcel"], {"delivery_days": 12}),
    ("return_refund", 2, ["in_progress", "waiting_parcel", "sign"], {}),
    ("return_refund", 6, ["in_progress", "waiting_parcel", "sign", "refunded",
                          "platform:refunding"], {}),
    ("return_refund", 7, ["in_progress", "waiting_parcel", "sign", "refunded", "closed"],
     {"closed_days_ago": 3}),
    ("exchange", 1, ["in_progress", "note:客户要换白色"], {"request": "换白色"}),
    ("exchange", 2, ["in_progress", "waiting_parcel"], {"request": "换大号"}),
    ("exchange", 5, ["in_progress", "waiting_parcel", "sign", "exchange_shipped"], {}),
    ("exchange", 10, ["in_progress", "waiting_parcel", "sign", "exchange_shipped", "closed"],
     {}),
    ("refund_only", 0, [], {"hours": 3, "typed": True, "unassigned": True}),
    ("refund_only", 1, ["in_progress", "platform:dispute"], {}),
    ("refund_only", 2, ["in_progress", "refunded"], {}),
    ("refund_only", 8, ["in_progress", "refunded", "closed"], {}),
    ("logistics", 2, ["in_progress", "note:已联系快递查件"], {"logistics": "lost"}),
    ("logistics", 1, ["photo", "in_progress", "waiting_customer"], {"logistics": "damaged"}),
    ("logistics", 3, ["in_progress", "exchange_shipped"], {"logistics": "short"}),
    ("logistics", 2, ["in_progress", "waiting_parcel"], {"logistics": "wrong"}),
    ("logistics", 4, ["photo", "in_progress", "resolved"], {"logistics": "damaged"}),
    ("interception", 0, ["in_progress"], {"hours": 2}),
    ("return_refund", 5, [], {"typed": True}),
    ("quality", 4, ["photo", "in_progress", "platform:dispute"], {}),
]

PROBLEMS = {
    "quality": ["茶杯收到有裂纹", "紫砂壶盖子有缺口", "茶叶受潮结块", "茶盘漆面起皮"],
    "return_refund": ["七天无理由退货,不喜欢颜色", "买多了,想退一件", "和图片不一样,想退"],
    "exchange": ["尺寸不合适,想换", "颜色拍错了"],
    "refund_only": ["少发了赠品,要求部分退款", "未发货前申请退款"],
    "logistics": ["快递显示签收但客户没收到", "外箱破损,里面杯子碎了", "少了一件", "发错了款式"],
    "interception": ["客户拍错地址,已发货,要求拦截"],
}
REQUESTS = {"quality": "退货退款", "return_refund": "退货退款", "exchange": "换货",
            "refund_only": "仅退款", "logistics": "补发或退款", "interception": "拦截退回后退款"}
OVERRIDE = "老客户,主管同意按七天内处理"
COURIERS = {"顺丰": "SF", "中通": "ZT", "圆通": "YT", "韵达": "YD"}


def photo_bytes(rng: random.Random, fmt: str = "JPEG") -> bytes:
    """A small generated photo: a product-coloured box with a dark 'crack' across it."""
    size = (480, 360)
    base = tuple(rng.randrange(150, 235) for _ in range(3))
    image = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 50, 420, 310), fill=tuple(max(c - 40, 0) for c in base),
                   outline=(90, 90, 90), width=4)
    points = [(rng.randrange(80, 200), 60)]
    for _ in range(5):
        x, y = points[-1]
        points.append((x + rng.randrange(-30, 50), y + rng.randrange(30, 55)))
    draw.line(points, fill=(40, 30, 30), width=5)
    buffer = BytesIO()
    image.save(buffer, fmt, quality=80) if fmt == "JPEG" else image.save(buffer, fmt)
    return buffer.getvalue()


def seed(users: dict) -> dict:
    """Walk thirty cases through the services at past moments; returns what was made."""
    rng = random.Random(20261122)
    the_clock = clock.get_clock()
    frozen_before = the_clock.frozen
    now = clock.now()
    tz = the_clock.tz
    agents = [users[name] for name in ("aftersales", "aftersales2", "aftersales4",
                                       "aftersales5", "aftersales6") if name in users]
    clerks = [users[name] for name in ("clerk", "clerk2", "clerk3") if name in users]
    orders = list(db.session.scalars(
        sa.select(Order).where(Order.stage.in_(("shipped", "completed")))
        .order_by(Order.shipped_at.desc(), Order.id)))
    used: set[int] = set()
    photos = 0
    before = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    try:
        for number, (kind, days_ago, steps, options) in enumerate(PLAN):
            agent = agents[number % len(agents)]
            opener = users["presales"] if options.get("unassigned") else agent
            start = datetime.combine(now.date() - timedelta(days=days_ago),
                                     time(rng.randrange(9, 12), rng.randrange(60)), tz)
            if options.get("hours") is not None:
                start = now - timedelta(hours=options["hours"], minutes=rng.randrange(30))
            start = min(start, now - timedelta(hours=1))
            closed_days_ago = options.get("closed_days_ago")
            end = (now - timedelta(days=closed_days_ago) if closed_days_ago is not None
                   else now - timedelta(minutes=20))
            gap = (end - start) / max(len(steps), 1)
            order = None if options.get("typed") else _pick_order(orders, used, kind, start)
            fields = {"problem": options.get("problem") or rng.choice(PROBLEMS[kind]),
                      "request": options.get("request") or REQUESTS[kind],
                      "assignee_id": None if options.get("unassigned") else agent.id}
            if order is not None:
                used.add(order.id)
                fields["order_id"] = order.id
                shipped = clock.local(order.shipped_at).date()
                delivered = shipped + timedelta(days=2)
                if options.get("delivery_days"):
                    delivered = start.date() - timedelta(days=options["delivery_days"])
                if kind != "interception":
                    fields["delivery_date"] = min(max(delivered, shipped), start.date())
            else:
                courier = rng.choice(list(COURIERS))
                fields.update(order_no=f"{rng.randrange(10**17, 10**18)}",
                              platform=rng.choice(["tmall", "taobao", "jd"]),
                              purchase_date=start.date() - timedelta(days=rng.randrange(5, 9)),
                              delivery_date=start.date() - timedelta(days=rng.randrange(1, 4)))
                if kind == "interception":
                    fields.update(return_courier=courier,
                                  return_tracking_no=f"{COURIERS[courier]}"
                                                     f"{rng.randrange(10**11, 10**12)}")
            if kind == "logistics":
                fields["logistics_problem"] = options["logistics"]
            the_clock.freeze(start)
            case = svc.open_case(opener, type=kind, **fields)
            moment = start
            for index, action in enumerate(steps, start=1):
                moment = _working(max(start + gap * index, moment + timedelta(minutes=7)), now)
                the_clock.freeze(moment)
                photos += _do(case, action, agent, clerks, rng, number)
    finally:
        the_clock.frozen = frozen_before
    # the agents read what the past days told them; the demo's main agent keeps it unread
    keep = users["aftersales"].id if "aftersales" in users else None
    db.session.execute(sa.update(Notification).where(
        Notification.id > before, Notification.user_id != keep,
        Notification.read_at.is_(None)).values(read_at=now))
    db.session.commit()
    counts = {"aftersales_cases": len(PLAN), "aftersales_photos": photos}
    try:
        desk = importlib.import_module("portal.aftersales.demo_desk")
    except ModuleNotFoundError as error:
        if error.name != "portal.aftersales.demo_desk":
            raise
    else:
        counts.update(desk.seed(users) or {})
    return counts


def _working(moment: datetime, now: datetime) -> datetime:
    """``moment`` moved out of the night (00:00–08:00) to the morning, unless that is
    still to come."""
    local = clock.local(moment)
    if local.hour >= 8:
        return moment
    morning = local.replace(hour=8, minute=local.minute % 30, second=0, microsecond=0)
    return morning if morning <= now - timedelta(minutes=5) else moment


def _pick_order(orders, used, kind: str, start: datetime):
    """A demo order shipped at least a day before the case (a shipped one, not yet
    completed, for an interception); None when there is none left."""
    for order in orders:
        if order.id in used or order.shipped_at is None:
            continue
        if kind == "interception":
            if order.stage == "shipped":
                return order
            continue
        if order.shipped_at <= start - timedelta(days=1):
            return order
    return None


def _do(case, action: str, agent, clerks, rng: random.Random, number: int) -> int:
    """One step of a demo case; returns how many photos it added."""
    name, _, value = action.partition(":")
    if name == "photo":
        fmt = "WEBP" if value == "webp" else ("PNG" if number % 3 == 0 else "JPEG")
        evidence.add_photo(agent, case, photo_bytes(rng, fmt),
                           f"IMG_{rng.randrange(1000, 9999)}.{fmt.lower().replace('jpeg', 'jpg')}")
        return 1
    if name in ("confirm", "deny"):
        svc.confirm_photos(agent, case, case.version, name == "confirm")
    elif name == "freight":
        svc.set_freight_owed(agent, case, case.version, Decimal(value))
    elif name == "freight_refunded":
        svc.freight_refunded(agent, case, case.version)
    elif name == "note":
        svc.add_note(agent, case, value)
    elif name == "sign":
        svc.sign_parcel(clerks[number % len(clerks)], case, case.version)
    elif name == "platform":
        svc.update_details(agent, case, case.version, platform_status=value)
    elif name == "intercepted":
        svc.interception_result(agent, case, case.version, "intercepted")
    else:
        extra = {}
        if name == "refunded":
            top = case.order.amount if case.order is not None else Decimal("300")
            extra["refund_amount"] = min(top, Decimal(rng.randrange(30, 300)))
        if name == "waiting_parcel":
            courier = rng.choice(list(COURIERS))
            extra.update(return_courier=courier,
                         return_tracking_no=f"{COURIERS[courier]}{rng.randrange(10**11, 10**12)}")
        if name in svc.ACCEPTING and svc.needs_override(case):
            extra["window_override"] = OVERRIDE
        svc.change_state(agent, case, case.version, name, **extra)
    return 0
