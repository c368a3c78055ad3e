"""Demo data of the handover book: a week of items in both books in every state.

Called by ``portal.demo.seed`` after the roster's demo (a published current month): the
person who writes, signs or takes over an item is someone the roster has on that shift when
there is one, otherwise a plausible colleague of the book's team.
"""

from datetime import timedelta

import sqlalchemy as sa

from portal import audit, clock
from portal.extensions import db
from portal.handover.models import HandoverAck, HandoverItem, HandoverRevision
from portal.shifts.defaults import ensure_defaults
from portal.shifts.models import RosterEntry, RosterMonth
from portal.shifts.slots import Slot, next_slot, previous_slot, slot_at, upcoming_slot

DESK_ROLES = ("presales", "aftersales", "order_clerk")
SHOWROOM_ROLES = ("reception",)

# (shifts before the current one: 0 = written on the shift under way, book, category,
#  priority, text, R-H4 fields, what became of it)
ITEMS = [
    (13, "desk", "order_problem", "normal",
     "客户要求修改地址,新地址为:上海市浦东新区张杨路1500号 ---已改备注,请打单注意。",
     {"order_no": "TB20261115-0087", "customer_ref": "wang_li88"}, "closed"),
    (12, "desk", "aftersales_case", "urgent",
     "客户收到的电饭煲内胆有划痕,已发照片,要求换货。请售后核对照片后联系仓库。",
     {"order_no": "TB20261112-0311", "customer_ref": "chenjing_2019",
      "purchase_date": 12, "return_tracking": "SF1402 8876 5521",
      "customer_request": "换一个新的内胆,运费由我们承担"}, "closed"),
    (11, "showroom", "equipment", "normal",
     "投影仪遥控器没电,已换备用电池,备用电池只剩两节,请补货。", {}, "closed"),
    (10, "desk", "customer_follow_up", "normal",
     "老客户刘先生咨询年底团购价格,已报价,客户说周五前回复,请跟进。",
     {"customer_ref": "liu_xs_vip"}, "owned"),
    (9, "desk", "order_problem", "urgent",
     "订单缺货:蓝色 M 码羽绒服,预计 3 天后到货,已标红旗,客户同意等待。",
     {"order_no": "TB20261116-0452", "customer_ref": "xiaomei_99"}, "closed"),
    (9, "showroom", "showroom", "normal",
     "冰箱里的矿泉水剩 6 瓶,可乐剩 4 罐,明天上午需要补货。", {}, "closed"),
    (8, "desk", "aftersales_case", "normal",
     "客户申请七天无理由退货,包装完好。退货快递单号 SF1311 2045 7789,到货后请确认并退款。",
     {"order_no": "TB20261110-0128", "customer_ref": "zhangmin1990", "purchase_date": 9,
      "return_tracking": "SF1311 2045 7789", "customer_request": "退款到原支付账户"}, "owned"),
    (7, "desk", "other", "normal",
     "下午仓库通知:明天因盘点,16:00 后的订单统一次日发货,请告知客户。", {}, "closed"),
    (6, "showroom", "equipment", "urgent",
     "洽谈区左侧第二盏射灯不亮,已报修,维修师傅说明天来。", {}, "owned"),
    (6, "desk", "order_problem", "normal",
     "客户要求开具公司抬头发票,抬头:杭州明远科技有限公司,税号已写在订单备注。",
     {"order_no": "TB20261117-0233"}, "edited"),
    (5, "desk", "customer_follow_up", "normal",
     "客户投诉物流慢,已安抚并查件,包裹在中转站滞留,明天上午再查一次告知客户。",
     {"order_no": "TB20261114-0519", "customer_ref": "sunny_shop"}, "unsigned_old"),
    (4, "desk", "aftersales_case", "normal",
     "客户要求拦截已发出的包裹,已联系快递拦截,等待退回。原包裹到后请打单员签收确认。",
     {"order_no": "TB20261118-0076", "return_tracking": "YT7788 1200 3345",
      "customer_request": "包裹退回后全额退款"}, "closed"),
    (3, "showroom", "showroom", "normal",
     "周六上午 10 点有 8 人看房团预约,请提前准备茶歇和资料袋。", {}, "closed"),
    (2, "desk", "order_problem", "normal",
     "银行转账客户已付款 ¥3,280.00,已登记银行转账明细表,请财务确认后安排发货。",
     {"order_no": "TB20261120-0190", "customer_ref": "beijing_hx"}, "signed"),
    (1, "desk", "customer_follow_up", "urgent",
     "客户明早 9 点前要回复是否能加急发货,已和仓库确认有货,请上班后第一时间回复客户。",
     {"order_no": "TB20261121-0402", "customer_ref": "mama_baby_shop"}, "unsigned"),
    (1, "desk", "aftersales_case", "normal",
     "客户反馈收到的杯子少了一个盖子,已让客户拍照,照片还没发过来,请继续跟进。",
     {"order_no": "TB20261120-0611", "customer_ref": "tea_lover", "purchase_date": 3,
      "customer_request": "补发一个盖子"}, "unsigned"),
    (1, "desk", "other", "normal",
     "打印机卡纸,已清理,打单时注意纸张放正。", {}, "signed_one"),
    (1, "showroom", "equipment", "normal",
     "咖啡机提示除垢,今天来不及,请明天开门前处理。", {}, "unsigned"),
    (1, "showroom", "showroom", "normal",
     "沙发靠垫送洗了 4 个,洗衣店说后天送回。", {}, "unsigned"),
    (0, "desk", "customer_follow_up", "normal",
     "客户问双十一赠品什么时候补发,已记录,明天仓库回复后告诉客户。",
     {"customer_ref": "happy_cat"}, "new"),
]

RESOLUTIONS = {
    "order_problem": "已处理完毕,客户确认无误。",
    "aftersales_case": "已核对照片并按规定处理,客户满意。",
    "equipment": "已修好/补齐,确认可以正常使用。",
    "showroom": "已准备完毕。",
    "customer_follow_up": "已回复客户。",
    "other": "已通知相关同事。",
}


def seed(users: dict) -> dict:
    """A week of handover items in both books; returns counts."""
    ensure_defaults()
    now = clock.now()
    reading = upcoming_slot(now)
    writing = slot_at(now) or previous_slot(reading)
    # slot k shifts before the current one (k = 0: the shift under way)
    slots = [writing]
    while len(slots) <= max(k for k, *_ in ITEMS) + 1:
        slots.append(previous_slot(slots[-1]))
    staff = _Staff(users)
    counts = {"handover_items": 0, "handover_acks": 0, "handover_revisions": 0}

    for k, book, category, priority, text, fields, fate in ITEMS:
        slot = slots[k]
        author = staff.on(slot, book, 0)
        written_at = min(_at(slot, -40 - 7 * counts["handover_items"] % 30), now)
        item = HandoverItem(
            book=book, shift_date=slot.day, shift_type_id=slot.shift_type_id,
            author_id=author.id, category=category, priority=priority, text=text,
            order_no=fields.get("order_no"), customer_ref=fields.get("customer_ref"),
            purchase_date=(slot.day - timedelta(days=fields["purchase_date"])
                           if "purchase_date" in fields else None),
            return_tracking=fields.get("return_tracking"),
            customer_request=fields.get("customer_request"),
            status="open", created_at=written_at,
        )
        db.session.add(item)
        db.session.flush()
        _audit("handover.created", item, author, written_at)
        counts["handover_items"] += 1
        if fate in ("new", "unsigned", "unsigned_old"):
            continue
        # the receiving shifts, up to (not including) the one now reading
        later = []
        step = next_slot(slot)
        while step < reading:
            later.append(step)
            step = next_slot(step)
        if fate in ("signed", "signed_one"):
            later.append(reading)  # someone on the shift under way already signed
        owner = None
        for index, receiving in enumerate(later):
            if fate == "signed_one" and receiving != reading:
                continue
            kind = "taken_over" if index == 0 and fate in ("closed", "owned") else "signed"
            who = staff.on(receiving, book, 1 + index)
            at = min(_at(receiving, 12 + index), now)
            db.session.add(HandoverAck(item_id=item.id, user_id=who.id, kind=kind,
                                       shift_date=receiving.day,
                                       shift_type_id=receiving.shift_type_id, at=at))
            counts["handover_acks"] += 1
            _audit(f"handover.{kind}", item, who, at)
            if kind == "taken_over":
                owner = who
                item.owner_id, item.taken_over_at = who.id, at
            if fate == "closed" and index == min(2, len(later) - 1):
                item.status, item.resolution = "closed", RESOLUTIONS[category]
                item.closed_by_id, item.closed_at = owner.id, min(at + timedelta(hours=2), now)
                _audit("handover.closed", item, owner, item.closed_at)
                break
        if fate == "edited":
            edited_at = min(written_at + timedelta(minutes=15), now)
            db.session.add(HandoverRevision(
                item_id=item.id, text_before="客户要求开具发票,抬头:杭州明远科技,税号见备注。",
                edited_by_id=author.id, edited_at=edited_at))
            counts["handover_revisions"] += 1
            _audit("handover.edited", item, author, edited_at)
    db.session.flush()
    return counts


def _at(slot: Slot, minutes: int):
    """A moment in ``slot``: minutes after its start, or (negative) before its end."""
    shift_type = slot.shift_type
    if minutes >= 0:
        return shift_type.starts_at(slot.day) + timedelta(minutes=minutes)
    return shift_type.ends_at(slot.day) + timedelta(minutes=minutes)


def _audit(action: str, item: HandoverItem, actor, at) -> None:
    event = audit.record(action, item, actor=actor)
    event.at = at


class _Staff:
    """Who was on a shift: the published roster when it says, else a rotating colleague."""

    def __init__(self, users: dict) -> None:
        active = [u for u in users.values() if u.active]
        self.pools = {
            "desk": [u for u in active if u.role in DESK_ROLES],
            "showroom": [u for u in active if u.role in SHOWROOM_ROLES],
        }
        self.by_id = {u.id: u for u in active}

    def on(self, slot: Slot, book: str, n: int):
        roles = DESK_ROLES if book == "desk" else SHOWROOM_ROLES
        rostered = [self.by_id[uid] for uid in db.session.scalars(
            sa.select(RosterEntry.user_id)
            .join(RosterMonth, RosterEntry.month_id == RosterMonth.id)
            .where(RosterMonth.status == "published", RosterEntry.day == slot.day,
                   RosterEntry.shift_type_id == slot.shift_type_id)
            .order_by(RosterEntry.user_id)
        ) if uid in self.by_id and self.by_id[uid].role in roles]
        pool = rostered or self.pools[book]
        return pool[(slot.day.toordinal() * 2 + slot.order + n) % len(pool)]
