"""Demo work records: a week of the questions buyers ask (furniture, orders, delivery,
returns) for the demo agents, some linked to the demo orders, a few left unresolved, one
line of last week corrected."""

import random
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.worklog.models import QuestionCategory, WorkLine, WorkLineCorrection

# (category, question, answer; "" = not resolved yet)
QUESTIONS = {
    "产品咨询": [
        ("这款布艺沙发的面料可以拆洗吗?", "坐垫套和靠背套都可以拆下来,建议干洗或冷水手洗。"),
        ("实木餐桌是什么木材?会不会开裂?", "北美白橡木,含水率控制在 10% 以内,正常使用不会开裂。"),
        ("床垫软硬度怎么选?腰不好", "推荐偏硬的独立袋装弹簧款,可先到展厅试躺。"),
        ("茶几有没有 1.2 米的尺寸?", "有 1.2 米和 1.4 米两种,1.2 米的现货。"),
        ("电视柜的抽屉是阻尼滑轨吗?", "是的,全部是静音阻尼滑轨。"),
        ("皮沙发是真皮还是超纤皮?", "坐感面是头层牛皮,侧背是超纤皮,详情页有说明。"),
        ("儿童床的油漆环保吗?有检测报告吗?", ""),
        ("餐椅能单独买吗?", "可以单买,单价 680 元。"),
    ],
    "订单与付款": [
        ("下单后能改收货地址吗?", "发货前可以改,已在后台备注新地址。"),
        ("可以开增值税专用发票吗?", "可以,需要提供公司开票信息,发货后 7 天内开出。"),
        ("付了定金,尾款什么时候付?", "到货前三天客服联系付尾款。"),
        ("两个订单能合并发货吗?", "同一仓库的可以合并,已备注。"),
        ("分期付款支持吗?", "支持花呗分期 3/6/12 期。"),
        ("优惠券为什么用不了?", ""),
    ],
    "物流配送": [
        ("沙发什么时候发货?", "付款后 7 天内发货,物流约 5–7 天到。"),
        ("送货上楼要加钱吗?没有电梯,住六楼", "六楼无电梯每件加收 30 元上楼费。"),
        ("物流显示到了但是没人联系我", "已联系物流网点,明天上午师傅电话预约。"),
        ("能指定周末送货吗?", "可以,已和物流约好周六送。"),
        ("偏远地区能送吗?新疆", ""),
        ("送货包安装吗?", "大件家具免费安装,小件需自行组装。"),
    ],
    "售后退换": [
        ("收到的餐桌桌面有划痕怎么办?", "请拍照发来,已登记售后,补发桌面或补偿。"),
        ("床头柜抽屉拉不动", "指导客户调整滑轨螺丝,已解决。"),
        ("七天无理由退货运费谁出?", "非质量问题退货运费由买家承担。"),
        ("沙发坐了一个月塌陷了", ""),
        ("安装师傅把墙碰坏了", "已报售后主管,安排赔偿。"),
    ],
    "活动与价格": [
        ("双十二还会再降价吗?", "活动价以当天页面为准,可以先领券。"),
        ("买了三天就降价了,能退差价吗?", "15 天内降价可申请退差价,已提交。"),
        ("会员积分怎么用?", "100 积分抵 1 元,结算时勾选使用。"),
    ],
    "其他": [
        ("展厅在哪里?周末开门吗?", "展厅地址已发,周末 9:00–18:00 营业。"),
        ("可以定制尺寸吗?", ""),
    ],
}

# the list the migration seeds (name, zh_TW, en)
SEEDED = [("产品咨询", "產品諮詢", "Product"), ("订单与付款", "訂單與付款", "Orders and payment"),
          ("物流配送", "物流配送", "Delivery"), ("售后退换", "售後退換", "Returns and repairs"),
          ("活动与价格", "活動與價格", "Promotions and prices"), ("其他", "其他", "Other")]

AGENTS = ("presales", "presales2", "presales3", "presales4", "aftersales", "aftersales2",
          "reception")


def seed(users: dict) -> dict:
    """A week (today and the six days before) of lines per demo agent."""
    rng = random.Random(18)
    categories = {c.name: c for c in db.session.scalars(sa.select(QuestionCategory))}
    if not categories:  # a schema made without the migrations (the browser tests): the seed
        for n, (name, tw, en) in enumerate(SEEDED, start=1):
            categories[name] = QuestionCategory(name=name, names={"zh_TW": tw, "en": en},
                                                position=n * 10, active=True)
        db.session.add_all(categories.values())
        db.session.flush()
    from portal.orders.models import Order

    orders = list(db.session.execute(sa.select(Order.id, Order.customer_id).limit(40)))
    pool = [(categories[name], q, a) for name, rows in QUESTIONS.items() if name in categories
            for q, a in rows]
    today = clock.today()
    now = clock.now()
    made = []
    for username in AGENTS:
        user = users.get(username)
        if user is None:
            continue
        for back in range(6, -1, -1):
            day = today - timedelta(days=back)
            count = rng.randint(2, 4) if back == 0 else rng.randint(4, 9)
            for n in range(count):
                category, question, answer = rng.choice(pool)
                at = datetime.combine(day, time(9, 30), clock.get_clock().tz) \
                    + timedelta(minutes=40 * n + rng.randint(0, 30))
                if at > now:
                    at = now - timedelta(minutes=5 * (count - n))
                order = rng.choice(orders) if orders and category.name in (
                    "订单与付款", "物流配送", "售后退换") and rng.random() < 0.5 else None
                made.append(WorkLine(
                    user_id=user.id, day=day, category_id=category.id, question=question,
                    answer=answer, resolved=bool(answer), created_at=at, updated_at=at,
                    order_id=order.id if order else None,
                    customer_id=order.customer_id if order else None))
    db.session.add_all(made)
    db.session.flush()
    # a line of yesterday corrected this morning: the earlier text kept
    agent = users.get("presales")
    earlier = [line for line in made if agent and line.user_id == agent.id
               and line.day == today - timedelta(days=1)]
    if earlier:
        line = earlier[0]
        db.session.add(WorkLineCorrection(
            line_id=line.id, at=now - timedelta(hours=1), user_id=agent.id,
            question=line.question, answer="付款后 3 天内发货。", resolved=line.resolved,
            category_id=line.category_id, reason="发货时间写错了"))
        line.corrections = 1
    return {"work record lines": len(made)}
