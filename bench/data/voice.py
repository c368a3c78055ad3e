"""The customer's voice (issue 18): N × 50,000 knowledge-base articles with their versions,
N × 1,000,000 lines of the agents' daily work record, and N × 20,000 complaints with their
events, all over three years; and the live state, the same at every scale: today's and
yesterday's work record at the full scale's rate (about 27 lines an agent a working day), the
last ten days' complaints at the full scale's rate (18 a day) — the newest still received,
investigating or escalated (some past due), the older ones answered or closed.

The lists the migration seeds (complaint and question categories, the due rules) are written
here with the same names, since the bench schema comes from the models. Complaints and work
lines link bench orders of their days (the order desk's history is spread evenly over its
days by id); their customer is the order's, set by one UPDATE after the load (the customers
area runs before this one). Due moments are the received moment plus the rule's working hours
counted as calendar hours (normal 16 h → 2 days, serious 8 h → 1 day, crisis 2 h): close
enough for "past due" to find complaints; the real clock is ``portal/complaints``'.

Texts are drawn from phrase lists of a tea shop's desk (the order desk's catalogue), with the
product, a number and a courier varied, so a search for one or two characters finds many
rows and a whole phrase fewer.
"""

from datetime import date, timedelta

from bench.data import HISTORY_DAYS, Context, months_back

TABLES = ("articles", "article_versions", "work_lines", "work_line_corrections",
          "complaints", "complaint_events")

# the seeded lists (migration 998fdedccc53): (name, zh_TW, en)
COMPLAINT_CATEGORIES = (("产品质量问题", "產品品質問題", "Product quality"),
                        ("物流问题", "物流問題", "Logistics"),
                        ("市场支持", "市場支援", "Market support"),
                        ("资料申请", "資料申請", "Information request"),
                        ("建议", "建議", "Suggestion"),
                        ("其他", "其他", "Other"))
QUESTION_CATEGORIES = (("产品咨询", "產品諮詢", "Product"),
                       ("订单与付款", "訂單與付款", "Orders and payment"),
                       ("物流配送", "物流配送", "Delivery"),
                       ("售后退换", "售後退換", "Returns and repairs"),
                       ("活动与价格", "活動與價格", "Promotions and prices"),
                       ("其他", "其他", "Other"))
DUE_HOURS = {"normal": 16, "serious": 8, "crisis": 2}
DUE_CALENDAR = {"normal": timedelta(days=2), "serious": timedelta(days=1),
                "crisis": timedelta(hours=2)}

PRODUCTS = ("西湖龙井", "碧螺春", "普洱饼茶", "铁观音", "大红袍", "青瓷茶杯", "玻璃双层杯",
            "紫砂壶", "玻璃煮茶壶", "功夫茶具套装", "竹制茶盘", "电热烧水壶", "节日礼盒")
SKUS = ("TEA-LJ-250", "TEA-BLC-100", "TEA-PE-357", "TEA-TGY-500", "TEA-HC-200", "CUP-QC-6",
        "CUP-BL-2", "POT-ZS-300", "POT-BL-800", "SET-GF-12", "TRAY-BM-60", "KETTLE-E-1",
        "GIFT-BOX-A")
TEAS = 5  # the first five products are teas: {t} in a phrase; {w} teaware; {p} anything
COURIERS = ("顺丰", "中通", "圆通", "韵达", "京东物流")

# -- the daily work record: (question, answer) per question category (1..6) ----------------
WORK = {
    1: (("{t}的保质期是多久？", "未开封常温避光保存18个月，开封后建议三个月内喝完。"),
        ("{p}适合送长辈吗？有没有礼盒包装？", "有礼盒款，可以加购礼袋，已发链接给客户。"),
        ("{t}是明前茶还是雨前茶？", "今年是明前头采，包装上有采摘日期。"),
        ("{w}能不能用洗碗机洗？", "不建议，手洗即可，避免高温骤冷。"),
        ("{w}和上次买的颜色不一样，是不是换了批次？", "不同批次颜色略有差异，品质相同。"),
        ("{t}有没有小包装试喝装？", "有{n}克试饮装，已推荐客户先买试饮。"),
        ("{w}第一次使用要怎么开壶？", "已发开壶步骤图文，提醒先用温水浸泡。"),
        ("{t}冲泡水温多少合适？", "绿茶80度左右，乌龙和普洱用沸水。")),
    2: (("下单后能不能改收货地址？", "未发货前可以改，已联系打单员更新面单。"),
        ("付款时提示支付失败怎么办？", "建议换一张卡或用余额支付，已成功下单。"),
        ("能不能开增值税专用发票？", "可以，需要提供开票资料，已登记发票申请。"),
        ("两个订单能不能合并发货？", "同一地址可以合并，已备注给仓库。"),
        ("订单显示待付款，但已经扣款了", "平台支付延迟，十分钟后已显示付款成功。"),
        ("想取消订单，怎么操作？", "未发货已帮客户申请取消，退款原路返回。"),
        ("公司采购{n}份，能走对公转账吗？", "可以，已发对公账户信息，到账后安排发货。")),
    3: (("什么时候发货？用的什么快递？", "今天下午四点前发出，默认{c}。"),
        ("物流三天没有更新了", "已联系{c}查询，包裹在中转站，预计明天派送。"),
        ("能不能指定{c}发货？", "可以，已在订单备注指定{c}。"),
        ("快递显示签收了，但是没收到", "已联系快递员核实，放在代收点，客户已取到。"),
        ("偏远地区要不要加运费？", "新疆西藏需补运费{n}元，已告知客户。"),
        ("包裹外箱破了，要不要拒收？", "建议先拍照验货，有损坏可拒收，我们补发。")),
    4: (("{w}收到有裂纹，怎么处理？", "请客户拍照，已登记售后，补发新品。"),
        ("七天无理由退货运费谁出？", "非质量问题运费由客户承担，质量问题我们承担。"),
        ("{w}想换一个颜色可以吗？", "未使用不影响二次销售可以换，已发换货地址。"),
        ("退款多久到账？", "原路退回，一般一到三个工作日到账。"),
        ("{w}用了一次就漏水", "属于质量问题，已转售后按换新处理。"),
        ("退货寄回来了，什么时候退款？", "仓库签收后二十四小时内退款，已催仓库签收。")),
    5: (("现在有什么优惠活动？", "满{n}减三十，会员再享九五折。"),
        ("{p}昨天买的今天降价了，能退差价吗？", "七天内价保，已申请退差价。"),
        ("优惠券为什么用不了？", "这张券限指定商品，已推荐可用的商品。"),
        ("会员积分怎么兑换？", "在会员中心兑换，{n}积分抵十元。"),
        ("买{p}送不送茶具？", "活动期间买两件送青瓷杯一只。")),
    6: (("门店地址在哪里？周末营业吗？", "已发门店定位，周末正常营业到晚上九点。"),
        ("能不能帮忙写贺卡？", "可以，已在订单备注贺卡内容。"),
        ("你们招不招代理？", "已登记联系方式，转给市场部对接。"),
        ("可以到店自提吗？", "可以，下单选择到店自提，到店报订单号。")),
}
WORK_WEIGHTS = (30, 20, 22, 15, 9, 4)
UNRESOLVED = ("还没查到原因，明天问仓库后回复客户。", "需要问主管，先安抚客户。",
              "暂时不清楚，已记录，待确认后回电。", "")

# -- complaints: (what the customer said, what they ask for) per category (1..6) -------------
SAID = {
    1: ("收到的{w}有裂纹，包装盒也压坏了", "{t}喝起来有异味，怀疑受潮了",
        "{w}用了两次就漏水，质量太差", "{p}和详情页描述的不一致，做工粗糙",
        "买的{t}里面有杂物，非常不满意"),
    2: ("{c}派送太慢，等了{n}天还没到", "快递员态度恶劣，直接放在门口没有通知",
        "外箱破损，{w}碎了", "显示签收但本人没有收到{p}", "发错了款式，要的不是{p}"),
    3: ("店里的活动和平台页面价格不一致", "说好的赠品没有送", "导购承诺的优惠没有兑现"),
    4: ("要求提供{p}的检测报告", "申请{p}的产品资料和授权书", "要求提供发票和质检单"),
    5: ("建议{t}增加小包装", "希望发货时附上冲泡说明", "建议客服晚上多安排一个人"),
    6: ("客服回复太慢，等了很久没人理", "电话一直打不通", "对处理结果不满意，要求主管回电"),
}
ASKS = ("退货退款", "换新", "补发", "赔偿{n}元", "道歉并说明原因", "提供资料", "")
ANSWERS = ("已致歉并补发新品，客户同意。", "已退款{n}元，客户接受。",
           "已联系{c}核实并赔付，客户认可处理结果。", "已提供资料，客户表示感谢。",
           "已解释活动规则并补送赠品。", "建议已转产品部，感谢客户反馈。",
           "主管已回电致歉，给予优惠券补偿。")
DECISIONS = ("同意全额退款并补偿优惠券。", "安排主管当天回电，优先处理。",
             "联系快递公司索赔，先行垫付。", "同意换新，运费由我们承担。")
CHANNEL_WEIGHTS = (("chat", 55), ("phone", 20), ("showroom", 5), ("letter", 3), ("dispute", 17))
CATEGORY_WEIGHTS = (36, 30, 7, 9, 10, 8)
SEVERITY_WEIGHTS = (("normal", 85), ("serious", 12), ("crisis", 3))
SATISFACTION_WEIGHTS = (("satisfied", 62), ("neutral", 20), ("dissatisfied", 10), (None, 8))

# -- the knowledge base ------------------------------------------------------------------------
TAGS = ("发货", "退款", "保养", "冲泡", "礼盒", "发票", "活动", "会员", "快递", "开壶")
PHRASINGS = ("请问{p}怎么样？", "{p}有问题怎么办", "客户问{p}", "{p}好不好用")
REPLY = "亲，{a}如有其他问题随时联系我们哦～"
NOTES = ("", "改了答案", "补充了说法", "更新了活动时间")

LIVE_COMPLAINT_DAYS = 10  # the live register: the last ten days at the full scale's rate
COMPLAINTS_PER_DAY = 18  # 20,000 over three years
LINES_PER_AGENT_DAY = 27  # 1,000,000 over three years for 34 agents, one day off in seven


def build(ctx: Context) -> None:
    w = ctx.w
    w.rows("complaint_categories", ("id", "name", "names", "position", "active", "version"),
           [(n, name, w.json({"zh_TW": tw, "en": en}), n * 10, True, 1)
            for n, (name, tw, en) in enumerate(COMPLAINT_CATEGORIES, start=1)])
    w.rows("question_categories", ("id", "name", "names", "position", "active", "version"),
           [(n, name, w.json({"zh_TW": tw, "en": en}), n * 10, True, 1)
            for n, (name, tw, en) in enumerate(QUESTION_CATEGORIES, start=1)])
    w.rows("complaint_due_rules", ("severity", "hours", "version"),
           [(severity, hours, 1) for severity, hours in DUE_HOURS.items()])
    articles(ctx)
    work_lines(ctx)
    complaints(ctx)


def fill_in(text: str, rng, product: int | None = None) -> str:
    """A phrase with its product (``product``: an index of PRODUCTS, of the right kind),
    number and courier."""
    if product is None:
        product = product_of(text, rng) or 0
    name = PRODUCTS[product]
    return text.format(p=name, t=name, w=name, n=rng.randint(2, 200), c=rng.choice(COURIERS))


def product_of(text: str, rng) -> int | None:
    """The index of a product fit for the phrase ``text``, None when it names none."""
    if "{t}" in text:
        return rng.randrange(TEAS)
    if "{w}" in text:
        return rng.randrange(TEAS, len(PRODUCTS))
    return rng.randrange(len(PRODUCTS)) if "{p}" in text else None


def _fill(ctx: Context, text: str) -> str:
    return fill_in(text, ctx.rng)


def _order_of(ctx: Context, day: date) -> int | None:
    """An order of the order desk's history placed a few days before ``day``."""
    total = ctx.counts.get("orders", 0)
    if not total:
        return None
    days = HISTORY_DAYS - 2
    offset = min(max((day - ctx.first_day).days - ctx.rng.randint(1, 12), 0), days - 1)
    first = offset * total // days + 1
    following = (offset + 1) * total // days + 1
    return min(total, first + ctx.rng.randrange(max(1, following - first)))


def _link_customers(ctx: Context, table: str) -> None:
    """The customer of each linked order (orders carry theirs, bench/data/orders.py)."""
    if ctx.counts.get("orders"):
        ctx.w.execute(f"UPDATE {table} SET customer_id = (SELECT o.customer_id FROM orders o "  # noqa: S608
                      f"WHERE o.id = {table}.order_id) WHERE order_id IS NOT NULL")


# -- articles ----------------------------------------------------------------------------------

def articles(ctx: Context) -> None:
    from portal.aftersales.replies import DEFAULT_REPLIES

    w, rng = ctx.w, ctx.rng
    total = ctx.v["articles"]
    # the canned replies first (articles 1..7, as the migration makes them), then the rest
    first = len(DEFAULT_REPLIES) + 1
    editors = ctx.by_role["supervisor"]
    writers = ctx.by_role["presales"] + ctx.by_role["aftersales"] + editors
    now = ctx.now_utc()
    versions: list[tuple] = []
    pairs = [(category, q, a) for category, items in WORK.items() for q, a in items]

    def rows():
        created = ctx.utc(ctx.first_day, 540)
        for ident, (title, text) in enumerate(DEFAULT_REPLIES, start=1):
            editor = editors[0]
            versions.append((len(versions) + 1, ident, 1, title, "", text, text, None, "", "",
                             "published", editor, w.dt(created), ""))
            yield (ident, title, "", text, text, None, "", "", "published", editor, editor,
                   w.dt(created), w.dt(created), w.dt(created), w.dt(created), 1, 1)
        for ident in range(first, first + total):
            day = ctx.first_day + timedelta(days=(ident - first) * (HISTORY_DAYS - 1) // total)
            created = ctx.utc(day, rng.uniform(540, 1260))
            category, template, answer = rng.choice(pairs)
            product = product_of(template, rng)
            question = fill_in(template, rng, product if product is not None else 0)
            answer = _fill(ctx, answer)
            phrasings = "" if product is None else "\n".join(
                p.format(p=PRODUCTS[product]) for p in rng.sample(PHRASINGS, rng.randint(0, 2)))
            reply = REPLY.format(a=answer) if rng.random() < 0.3 else ""
            skus = "" if product is None else SKUS[product]
            tags = " ".join(rng.sample(TAGS, rng.randint(1, 3)))
            roll = rng.random()
            state = "published" if roll < 0.85 else ("draft" if roll < 0.95 else "retired")
            author = rng.choice(writers)
            count = rng.choice((1, 1, 2, 2, 2, 3, 3, 4)) if state != "draft" else 1
            moments = sorted(created + timedelta(days=rng.uniform(0, max(1, (
                ctx.today - day).days))) for _ in range(count - 1))
            moments = [created] + [min(m, now) for m in moments]
            reviewer = rng.choice(editors) if state != "draft" else None
            published = moments[min(1, count - 1)] if state != "draft" else None
            for number, at in enumerate(moments, start=1):
                version_state = "draft" if number == 1 and count > 1 else state
                versions.append((len(versions) + 1, ident, number, question, phrasings,
                                 answer, reply, category, skus, tags, version_state,
                                 author if number == 1 else rng.choice(editors), w.dt(at),
                                 "" if number == 1 else rng.choice(NOTES)))
            yield (ident, question, phrasings, answer, reply, category, skus, tags, state,
                   author, reviewer, w.dt(moments[-1] if reviewer else None), w.dt(published),
                   w.dt(created), w.dt(moments[-1]), count, count)

    ctx.add("articles", w.rows(
        "articles", ("id", "question", "phrasings", "answer", "reply_text", "category_id",
                     "skus", "tags", "state", "author_id", "reviewer_id", "reviewed_at",
                     "published_at", "created_at", "updated_at", "revision", "version"),
        rows()))
    ctx.add("article_versions", w.rows(
        "article_versions", ("id", "article_id", "number", "question", "phrasings", "answer",
                             "reply_text", "category_id", "skus", "tags", "state", "user_id",
                             "at", "note"), versions))
    versions.clear()


# -- the daily work record ---------------------------------------------------------------------

def work_lines(ctx: Context) -> None:
    w, rng = ctx.w, ctx.rng
    agents = ctx.by_role["presales"] + ctx.by_role["aftersales"]
    total = ctx.v["work_lines"]
    articles_total = ctx.counts.get("articles", 0)
    now = ctx.now_utc()
    categories = list(WORK)
    corrections: list[tuple] = []
    # the history spreads N × 1,000,000 over the days before yesterday; every working day
    # each agent writes a share of them; yesterday and today come at the full scale's rate
    history_days = HISTORY_DAYS - 2
    per_day = total / history_days

    def line(ident, agent, day, created):
        category = rng.choices(categories, WORK_WEIGHTS)[0]
        question, answer = rng.choice(WORK[category])
        resolved = rng.random() >= 0.08
        question = _fill(ctx, question)
        answer = _fill(ctx, answer) if resolved else rng.choice(UNRESOLVED)
        order = _order_of(ctx, day) if rng.random() < 0.3 else None
        article = rng.randint(1, articles_total) if articles_total and rng.random() < 0.004 \
            else None
        fixed = 0
        updated = created
        if day < ctx.today and rng.random() < 0.01:  # corrected on a later day
            fixed = 1
            updated = min(created + timedelta(days=rng.uniform(1, 3)), now)
            corrections.append((len(corrections) + 1, ident, w.dt(updated), agent,
                                question, rng.choice(UNRESOLVED[:3]), False, category,
                                "补充了处理结果"))
            resolved, answer = True, answer or "已回复客户，问题解决。"
        return (ident, agent, w.day(day), category, question, answer, resolved, order, None,
                article, fixed, w.dt(created), w.dt(updated), 1 + fixed)

    def rows():
        ident = 0
        day_number = 0
        carried = 0.0
        for day_number in range(history_days):
            day = ctx.first_day + timedelta(days=day_number)
            carried += per_day
            count, carried = int(carried), carried - int(carried)
            working = [a for a in agents if (a + day_number) % 7]
            for _ in range(count):
                ident += 1
                agent = rng.choice(working)
                minute = rng.uniform(480, 1440) if agent % 2 else rng.uniform(480, 960)
                yield line(ident, agent, day, ctx.utc(day, minute))
        for day in (ctx.today - timedelta(days=1), ctx.today):
            day_number = (day - ctx.first_day).days
            for agent in agents:
                if not (agent + day_number) % 7:
                    continue
                for _ in range(LINES_PER_AGENT_DAY):
                    created = ctx.utc(day, rng.uniform(480, 1440) if agent % 2
                                      else rng.uniform(480, 960))
                    if created >= now - timedelta(minutes=1):
                        continue
                    ident += 1
                    yield line(ident, agent, day, created)

    ctx.add("work_lines", w.rows(
        "work_lines", ("id", "user_id", "day", "category_id", "question", "answer",
                       "resolved", "order_id", "customer_id", "article_id", "corrections",
                       "created_at", "updated_at", "version"), rows()))
    ctx.add("work_line_corrections", w.rows(
        "work_line_corrections", ("id", "line_id", "at", "user_id", "question", "answer",
                                  "resolved", "category_id", "reason"), corrections))
    corrections.clear()
    _link_customers(ctx, "work_lines")


# -- complaints --------------------------------------------------------------------------------

def complaints(ctx: Context) -> None:
    w, rng = ctx.w, ctx.rng
    owners = ctx.by_role["aftersales"] * 3 + ctx.by_role["presales"]
    supervisors = ctx.by_role["supervisor"]
    managers = ctx.by_role["manager"]
    now = ctx.now_utc()
    cases_total = ctx.counts.get("aftersales_cases", 0)
    items_total = ctx.counts.get("handover_items", 0)
    channels, channel_weights = zip(*CHANNEL_WEIGHTS, strict=True)
    severities, severity_weights = zip(*SEVERITY_WEIGHTS, strict=True)
    satisfactions, satisfaction_weights = zip(*SATISFACTION_WEIGHTS, strict=True)
    history = ctx.v["complaints"]
    history_days = HISTORY_DAYS - LIVE_COMPLAINT_DAYS
    received = [ctx.utc(ctx.first_day + timedelta(days=n * history_days // history),
                        rng.uniform(480, 1380)) for n in range(history)]
    for age in range(LIVE_COMPLAINT_DAYS, -1, -1):
        day = ctx.today - timedelta(days=age)
        for _ in range(COMPLAINTS_PER_DAY):
            moment = ctx.utc(day, rng.uniform(480, 1380))
            if moment < now - timedelta(minutes=10):
                received.append(moment)
    received.sort()
    events: list[tuple] = []
    repeat_orders: list[int] = []  # repeat complainants: the same order's customer again

    def event(complaint, at, user, kind, state=None, level=None, text=""):
        events.append((len(events) + 1, complaint, w.dt(at), user, kind, state, level, text))

    def rows():
        for ident, at in enumerate(received, start=1):
            category = rng.choices(range(1, 7), CATEGORY_WEIGHTS)[0]
            severity = rng.choices(severities, severity_weights)[0]
            channel = rng.choices(channels, channel_weights)[0]
            owner = rng.choice(owners)
            creator = owner if rng.random() < 0.7 else rng.choice(owners)
            if repeat_orders and rng.random() < 0.05:
                order = rng.choice(repeat_orders)
            else:
                order = _order_of(ctx, at.date()) if rng.random() < 0.85 else None
                if order and len(repeat_orders) < 300 and rng.random() < 0.02:
                    repeat_orders.append(order)
            case = rng.randint(1, cases_total) if cases_total and category in (1, 2) \
                and rng.random() < 0.2 else None
            item = rng.randint(1, items_total) if items_total and rng.random() < 0.03 else None
            due = at + DUE_CALENDAR[severity]
            age = now - at
            # where it stands: answered after some hours, closed after the follow-up call
            answer_after = timedelta(hours=min(rng.lognormvariate(3.0, 0.9), 24 * 20))
            if severity != "normal":
                answer_after /= 3
            closed_after = answer_after + timedelta(days=rng.uniform(1, 6))
            level = {"normal": 0, "serious": 1, "crisis": 2}[severity]
            is_open = age < answer_after
            # past due: the clock escalated it one level (when it was, or while still open)
            late = due <= now if is_open else at + answer_after > due
            if late and level < 2:
                level += 1
            event(ident, at, creator, "received", "received")
            investigating = at + min(answer_after / 4, timedelta(hours=2))
            escalated_at = None
            if level:
                escalated_at = due if late and severity == "normal" \
                    else at + timedelta(minutes=1)
                escalated_at = min(escalated_at, now)
            if is_open:
                state = "escalated" if level else (
                    "investigating" if investigating <= now else "received")
                if state != "received":
                    event(ident, min(investigating, now), owner, "state", "investigating")
                if level:
                    event(ident, escalated_at, None if late and severity == "normal" else creator,
                          "escalated",
                          "escalated", level)
                said = _fill(ctx, rng.choice(SAID[category]))
                yield (ident, w.dt(at), channel, None, order, case, item, category, severity,
                       said, _fill(ctx, rng.choice(ASKS)), owner, w.dt(due), state, level,
                       w.dt(escalated_at if state == "escalated" else None), None, None, None,
                       None, None, creator, w.dt(at), w.dt(max(at, min(investigating, now))),
                       1 + (state != "received") + (state == "escalated"))
                continue
            event(ident, investigating, owner, "state", "investigating")
            if level:
                event(ident, escalated_at, None if late and severity == "normal" else creator,
                          "escalated",
                      "escalated", level)
                decider = rng.choice(managers if level == 2 else supervisors)
                event(ident, escalated_at + (answer_after / 2), decider, "decision", None,
                      None, rng.choice(DECISIONS))
            answered = at + answer_after
            answer = _fill(ctx, rng.choice(ANSWERS))
            event(ident, answered, owner, "state", "answered", text=answer)
            closed = at + closed_after
            satisfaction = None
            if closed <= now:
                satisfaction = rng.choices(satisfactions, satisfaction_weights)[0]
                event(ident, closed, owner, "state", "closed", text=satisfaction or "")
            else:
                closed = None
            said = _fill(ctx, rng.choice(SAID[category]))
            yield (ident, w.dt(at), channel, None, order, case, item, category, severity, said,
                   _fill(ctx, rng.choice(ASKS)), owner, w.dt(due),
                   "closed" if closed else "answered", level, w.dt(escalated_at), answer,
                   w.dt(answered), owner, satisfaction, w.dt(closed), creator, w.dt(at),
                   w.dt(closed or answered), 3 + bool(level) + bool(closed))

    ctx.add("complaints", w.rows(
        "complaints", ("id", "received_at", "channel", "customer_id", "order_id", "case_id",
                       "handover_item_id", "category_id", "severity", "said", "asks",
                       "owner_id", "due_at", "state", "level", "escalated_at", "answer",
                       "answered_at", "answered_by_id", "satisfaction", "closed_at",
                       "created_by_id", "created_at", "updated_at", "version"), rows()))
    ctx.add("complaint_events", w.rows(
        "complaint_events", ("id", "complaint_id", "at", "user_id", "kind", "state", "level",
                             "text"), events))
    events.clear()
    _link_customers(ctx, "complaints")

    # the month's analysis: every past month commented and sent to the manager
    supervisor = supervisors[0]
    months = []
    for year, month in months_back(ctx.today, 37)[:-1]:
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        months.append((w.day(first), "本月投诉以产品质量和物流为主，已与仓库和快递商沟通改进。",
                       w.dt(ctx.utc(following + timedelta(days=2), 600)), supervisor, 2))
    w.rows("complaint_months", ("month", "comment", "sent_at", "sent_by_id", "version"),
           months)
