"""Demo complaints (R-C3): fifteen complaints of the last three weeks in every state, on the
demo customers, orders and cases where there are some."""

from datetime import timedelta

import sqlalchemy as sa

from portal import clock
from portal.aftersales.models import AfterSalesCase
from portal.complaints import register as svc
from portal.complaints.models import ComplaintCategory, ComplaintDueRule
from portal.customers.models import Customer
from portal.extensions import db
from portal.orders.models import Order

# The same names as the categories the migration puts in (one set, not two side by side).
CATEGORIES = [("产品质量问题", "產品品質問題", "Product quality"),
              ("物流问题", "物流問題", "Logistics"),
              ("市场支持", "市場支持", "Market support"),
              ("资料申请", "資料申請", "Information request"),
              ("建议", "建議", "Suggestion"), ("其他", "其他", "Other")]

# (days ago, hour, channel, category, severity, said, asks, owner, how far it went)
COMPLAINTS = [
    (20, 10, "chat", "产品质量问题", "normal",
     "收到的紫砂壶壶嘴有磕碰，包装完好，应该是出厂就有的。",
     "换一把新的", "presales", "closed"),
    (18, 14, "phone", "物流问题", "normal", "快递显示签收了，但我根本没收到，问了门卫也没有。",
     "查清楚包裹去哪了，尽快补发", "aftersales", "closed"),
    (16, 9, "dispute", "产品质量问题", "serious",
     "买的铁壶用了三次就生锈，客服一直推脱，已经在平台申请介入。",
     "全额退款并赔偿", "aftersales", "closed"),
    (14, 16, "showroom", "市场支持", "normal", "活动海报上写买二送一，到店却说活动已经结束了。",
     "按海报兑现赠品", "presales2", "answered"),
    (12, 11, "chat", "资料申请", "normal", "要开增值税专用发票，提交了三次资料都被退回。",
     "告诉我到底缺什么资料", "clerk", "answered"),
    (10, 15, "letter", "建议", "normal", "建议茶叶礼盒增加小包装，送人分量太大。",
     "", "presales", "closed"),
    (7, 10, "phone", "产品质量问题", "crisis",
     "孩子被茶盘边缘划伤了手，家长情绪激动，说要找媒体曝光。",
     "赔偿医药费，公开道歉", "aftersales2", "decided"),
    (5, 13, "chat", "物流问题", "serious", "同一个订单催了四次发货，承诺的时间一再推迟。",
     "今天必须发出，否则退款", "presales3", "escalated"),
    (4, 17, "phone", "其他", "normal", "电话打了五次都没人接，等了很久。",
     "希望有人回电", "presales", "investigating"),
    (3, 9, "chat", "产品质量问题", "normal", "茶叶罐密封不好，茶叶受潮结块了。",
     "换货", "aftersales", "investigating"),
    (2, 11, "dispute", "物流问题", "serious", "包裹被快递员放在楼下，淋雨后礼盒全湿了，送不了人。",
     "重新发一份并退运费", "aftersales3", "escalated"),
    (1, 15, "showroom", "市场支持", "normal", "会员积分没有到账，前台说系统问题让等。",
     "补上积分", "reception", "received"),
    (1, 10, "chat", "产品质量问题", "crisis", "直播间卖的建盏有铅超标的说法，客户在评论区带节奏。",
     "出具检测报告", "presales2", "received"),
    (0, 9, "phone", "资料申请", "normal", "要一份产品的质检报告给公司采购存档。",
     "发电子版到邮箱", "clerk", "received"),
    (0, 10, "chat", "建议", "normal", "希望官网能查到订单物流，不用每次问客服。",
     "", "presales4", "received"),
]

ANSWERS = {
    "产品质量问题": "已登记质量问题，补发新品并附上门取件单，旧件寄回即可。",
    "物流问题": "已联系快递公司核实，今天补发，并为您申请运费补偿。",
    "市场支持": "核实海报确有歧义，按海报为您补送赠品，随下一单寄出。",
    "资料申请": "已把需要的资料清单和模板发到您的邮箱，收到后当天处理。",
    "建议": "谢谢您的建议，已转给产品部门，新品上线会第一时间通知您。",
    "其他": "已安排专人回电，并调整了来电高峰的值班人数。",
}


def _categories() -> dict[str, ComplaintCategory]:
    found = {c.name: c for c in db.session.scalars(sa.select(ComplaintCategory))}
    for n, (name, tw, en) in enumerate(CATEGORIES, start=1):
        if name not in found:
            found[name] = ComplaintCategory(name=name, names={"zh_TW": tw, "en": en},
                                            position=n * 10)
            db.session.add(found[name])
    for severity, hours in svc.DEFAULT_HOURS.items():
        if db.session.get(ComplaintDueRule, severity) is None:
            db.session.add(ComplaintDueRule(severity=severity, hours=hours))
    db.session.flush()
    return found


def seed(users) -> dict:
    categories = _categories()
    customers = list(db.session.scalars(sa.select(Customer).where(
        Customer.merged_into_id.is_(None)).order_by(Customer.id).limit(15)))
    cases = list(db.session.scalars(sa.select(AfterSalesCase).order_by(AfterSalesCase.id)
                                    .limit(3)))
    orders = list(db.session.scalars(sa.select(Order).order_by(Order.id.desc()).limit(15)))
    now = clock.now()
    supervisor, manager = users["supervisor"], users["manager"]
    made = 0
    for n, (days, hour, channel, category, severity, said, asks, owner, goal) in \
            enumerate(COMPLAINTS):
        received = clock.local(now - timedelta(days=days)).replace(
            hour=hour, minute=(n * 7) % 60, second=0, microsecond=0)
        if received > now:
            received = now - timedelta(minutes=30 + n)
        case = cases[n] if n < len(cases) and category in ("产品质量问题", "物流问题") else None
        agent = users[owner]
        complaint = svc.create(
            agent, received_at=received, channel=channel,
            category_id=categories[category].id, severity=severity, said=said, asks=asks,
            customer_id=customers[n].id if n < len(customers) else None,
            order_no=orders[n].order_no if n < len(orders) and case is None else None,
            case_id=case.id if case else None)
        for event in complaint.events:
            event.at = received
        if goal == "received":
            made += 1
            continue
        if complaint.state == "received":
            svc.start(agent, complaint, None)
        if goal in ("decided", "answered", "closed") and complaint.state == "escalated":
            decider = manager if complaint.level == 2 else supervisor
            svc.decide(decider, complaint, None, "先安抚客户，同意按客户要求处理，费用记部门。")
        if goal == "escalated" and complaint.state != "escalated":
            svc.escalate(agent, complaint, None, "客户情绪激动，超出我的处理权限。")
        if goal in ("answered", "closed"):
            svc.answer(agent, complaint, None, ANSWERS[category])
        if goal == "closed":
            svc.close(agent, complaint, None, ("satisfied", "neutral", "dissatisfied")[n % 3]
                      if n % 4 else "satisfied")
        made += 1
    db.session.flush()
    return {"complaints": made}
