"""Demo data of the knowledge base: a furniture shop's answers (发货时间, 退换货, 安装, 材质,
保养…) published by the supervisor, a few drafts waiting, one retired, one reviewed long ago,
an article with a few versions, and unresolved questions of the daily records (one promoted).
For demonstration only."""

from datetime import timedelta

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.knowledge import articles as svc
from portal.knowledge.models import Article
from portal.worklog.models import QuestionCategory, WorkLine

# the question categories the migration seeds (made here when the schema came from models)
CATEGORIES = (("产品咨询", "產品諮詢", "Product"),
              ("订单与付款", "訂單與付款", "Orders and payment"),
              ("物流配送", "物流配送", "Delivery"), ("售后退换", "售後退換", "Returns and repairs"),
              ("活动与价格", "活動與價格", "Promotions and prices"), ("其他", "其他", "Other"))

# (category, question, phrasings, answer, reply text, SKUs, tags)
PUBLISHED = (
    ("物流配送", "下单后多久发货？", "什么时候发货\n几天能发出",
     "现货商品付款后 48 小时内发货；定制商品（颜色、尺寸可选）一般 15–20 个工作日生产完成后发货。"
     "大促期间以页面公告为准。",
     "亲，现货 48 小时内发货，定制款 15–20 个工作日，发出后会第一时间把物流单号发给您。",
     "", "发货时间"),
    ("物流配送", "用什么物流？送货上门吗？", "送到楼上吗\n物流公司",
     "小件（茶几、边柜以下）走顺丰或京东快递；沙发、床、衣柜等大件走德邦或安迅物流，送货上门。"
     "电梯房免费送上楼；无电梯 3 楼以上每层加收 20 元搬运费，由师傅现场收取。",
     "亲，大件家具由专线物流送货上门，电梯房免费上楼，无电梯 3 楼以上每层 20 元搬运费。",
     "", "物流 送货"),
    ("物流配送", "偏远地区能送吗？运费怎么算？", "新疆西藏能发吗",
     "全国大部分地区包邮。新疆、西藏、青海、内蒙古、海南及港澳台需补运费，下单前请联系客服核算。",
     "", "", "运费 偏远地区"),
    ("物流配送", "收货时发现包装破损怎么办？", "外箱坏了\n运输损坏",
     "请当着送货师傅的面开箱验货：外包装破损时先拍照（外箱、面单、破损处），家具有损坏可直接拒收；"
     "已签收的请在 48 小时内联系客服并提供照片，我们补发配件或换新。",
     "亲，麻烦您先拍下外箱、面单和破损处的照片发给我们，我们核实后马上为您补发或换新。",
     "", "验货 破损"),
    ("售后退换", "支持七天无理由退换吗？", "不想要了能退吗\n7天无理由",
     "签收后 7 天内支持无理由退换，商品需完好、不影响二次销售；"
     "定制商品（改尺寸、改颜色）不支持无理由退换。"
     "非质量问题的退回运费由买家承担。",
     "", "", "退换货 七天无理由"),
    ("售后退换", "质量问题退换运费谁出？", "来回运费\n质量问题运费",
     "确认是质量问题的，来回运费由我们承担：退回时买家先垫付，仓库收到后连同退款一起退还运费。",
     "", "", "退换货 运费"),
    ("售后退换", "退货寄回时要注意什么？", "怎么寄回\n退货地址",
     "请用原包装或结实的纸箱包好，包裹里放一张卡片写明会员名、电话、退换原因；寄出后把退货快递单号"
     "发给客服登记。退货地址以客服发给您的为准，请勿寄到付。",
     "", "", "退换货"),
    ("产品咨询", "沙发是什么材质的？", "沙发面料\n沙发里面是什么",
     "布艺沙发：高密度海绵 + 独立袋装弹簧坐垫，实木（松木）框架，面料为科技布，防水防猫抓；"
     "真皮沙发：头层黄牛皮接触面，其余部位为同色超纤皮。具体以商品详情页参数为准。",
     "", "SF-301 SF-302 SF-501", "材质 沙发"),
    ("产品咨询", "实木床是纯实木吗？", "床是不是实木\n橡木还是松木",
     "本店实木床为泰国进口橡胶木（框架与床板条），床头靠包为科技布 + 海绵；"
     "北美白蜡木系列为白蜡木实木。均非板材拼接，可放心。",
     "", "BD-120 BD-150 BD-180", "材质 床"),
    ("产品咨询", "板式衣柜用的什么板材？环保吗？", "甲醛\n环保等级",
     "板式衣柜使用 E0 级颗粒板（刨花板），甲醛释放量 ≤0.05mg/m³，符合国标 GB 18580；"
     "可提供检测报告照片。",
     "", "WD-200 WD-240", "材质 环保"),
    ("产品咨询", "床垫软硬怎么选？", "床垫太硬\n床垫偏软",
     "偏瘦或侧睡多选偏软（软硬度 3–4 级）；体重较大或腰部不适选偏硬（5–6 级）。"
     "门店可试睡，线上购买可参考详情页软硬度标识。",
     "", "MT-01 MT-02", "床垫"),
    ("产品咨询", "尺寸可以定制吗？", "能改尺寸吗\n定做",
     "部分款式支持改尺寸和颜色（详情页有“可定制”标识），加价 10%–30%，工期 15–20 个工作日；"
     "定制商品不支持七天无理由退换。",
     "", "", "定制"),
    ("产品咨询", "家具需要自己安装吗？", "包安装吗\n安装费",
     "大件家具（床、衣柜、沙发、餐桌）全国包安装，送货后 1–3 天内安装师傅会电话预约；"
     "小件（边几、鞋柜）附安装说明和工具，按图 10–20 分钟即可装好。",
     "亲，大件家具全国包安装，送货后 1–3 天师傅会电话和您约时间。", "", "安装"),
    ("产品咨询", "安装师傅一直没联系怎么办？", "没人来安装\n安装预约",
     "签收 3 天后仍未接到安装预约电话的，请把订单号发给客服，"
     "我们联系当地服务商加急安排，当天回复。",
     "", "", "安装"),
    ("其他", "实木家具怎么保养？", "木头家具保养\n实木开裂",
     "避免阳光直射和靠近暖气、空调出风口；用微湿软布顺木纹擦拭，再用干布擦干；每 3–6 个月用家具蜡"
     "或护理油保养一次。北方冬季室内保持一定湿度可减少开裂。",
     "", "", "保养 实木"),
    ("其他", "布艺沙发脏了怎么清洗？", "沙发套能拆洗吗\n沙发有污渍",
     "坐垫套和靠背套可拆，30℃ 以下冷水手洗或洗衣机轻柔档，不可漂白、不可烘干；"
     "局部污渍用湿布蘸少量中性清洁剂轻擦。科技布款可直接用湿布擦拭。",
     "", "SF-301 SF-302", "保养 沙发"),
    ("其他", "真皮沙发怎么保养？", "皮沙发保养",
     "每周用干软布除尘，每 3 个月用皮革护理剂保养一次；避免尖锐物和长时间阳光直射，不要用酒精、"
     "湿巾擦拭。", "", "SF-501", "保养 真皮"),
    ("订单与付款", "可以开发票吗？", "开票\n增值税专用发票",
     "可以开具电子普通发票，确认收货后在订单页申请，3 个工作日内开出；"
     "需要增值税专用发票的请联系客服提供开票信息。",
     "亲，支持开电子发票，确认收货后在订单页申请即可，3 个工作日内开出。",
     "", "发票"),
    ("订单与付款", "下单后能改地址吗？", "地址填错了\n改收货地址",
     "未发货前可以修改，请尽快把订单号和新地址发给客服；已发货的需联系物流改派，可能产生额外运费。",
     "", "", "改地址"),
    ("活动与价格", "买完降价了能补差价吗？", "保价\n价格变了",
     "签收后 7 天内同款降价（不含限时秒杀和优惠券叠加），可联系客服申请补差价，退回到原支付账户。",
     "", "", "保价 活动"),
    ("活动与价格", "门店和网店价格一样吗？", "实体店价格",
     "线上线下同款同价；门店有样品特价款和门店专属活动，以门店公告为准。", "", "", "门店 价格"),
)

DRAFTS = (
    ("产品咨询", "餐桌可以加长吗？", "部分款式有伸缩功能，详见详情页；非伸缩款可以定制加长。",
     "餐桌 定制"),
    ("物流配送", "可以指定送货时间吗？", "", "送货"),
    ("售后退换", "五金件坏了可以单独买吗？", "可以，联系客服报型号，配件包邮寄出。", "配件"),
)

UNRESOLVED = (
    ("presales", "产品咨询", "儿童床护栏能单独加装吗？", "已记下，问过仓库再回复买家"),
    ("aftersales", "售后退换", "衣柜门板色差，买家要求换整套怎么处理？", ""),
    ("presales2", "物流配送", "买家问能不能送到小区快递柜自提", "暂时回复不能，待确认"),
    ("presales3", "活动与价格", "老顾客复购有没有折扣？", ""),
)


def _categories() -> dict[str, QuestionCategory]:
    found = {c.name: c for c in db.session.scalars(sa.select(QuestionCategory))}
    for position, (name, tw, en) in enumerate(CATEGORIES, start=1):
        if name not in found:
            found[name] = QuestionCategory(name=name, names={"zh_TW": tw, "en": en},
                                           position=position * 10)
            db.session.add(found[name])
    db.session.flush()
    return found


def seed(users) -> dict:
    """~20 published articles, drafts, a retired one, an edited one and open questions."""
    categories = _categories()
    editor, writers = users["supervisor"], [users["presales"], users["aftersales"],
                                            users["presales2"], users["aftersales2"]]
    now = clock.now()
    made = []
    for n, (category, question, phrasings, answer, reply, skus, tags) in enumerate(PUBLISHED):
        author = writers[n % len(writers)]
        article = svc.create(author, {"question": question, "phrasings": phrasings,
                                      "answer": answer, "reply_text": reply, "skus": skus,
                                      "tags": tags, "category_id": categories[category].id})
        svc.set_state(editor, article, article.version, "published")
        made.append(article)
    # an answer corrected after it was published (three versions to compare)
    first = made[0]
    svc.update(editor, first, first.version, {
        "question": first.question, "phrasings": first.phrasings,
        "answer": first.answer.replace("48 小时", "72 小时").replace("大促期间以页面公告为准。",
                                                                "大促期间（618、双11）以页面公告为准。"),
        "reply_text": first.reply_text.replace("48 小时", "72 小时"), "skus": first.skus,
        "tags": first.tags, "category_id": first.category_id}, "大促期间仓库延长")
    # one not reviewed for half a year: on the editor's card
    made[-1].reviewed_at = now - timedelta(days=200)
    old = svc.create(writers[0], {"question": "双十一预售定金能退吗？",
                                  "answer": "去年活动规则：定金不退。今年以活动页为准。",
                                  "category_id": categories["活动与价格"].id, "tags": "活动"})
    svc.set_state(editor, old, old.version, "published")
    svc.set_state(editor, old, old.version, "retired")
    for n, (category, question, answer, tags) in enumerate(DRAFTS):
        svc.create(writers[n % len(writers)], {"question": question, "answer": answer,
                                               "tags": tags,
                                               "category_id": categories[category].id})
    lines = []
    for username, category, question, answer in UNRESOLVED:
        line = WorkLine(user_id=users[username].id, day=clock.today() - timedelta(days=1),
                        category_id=categories[category].id, question=question, answer=answer,
                        resolved=False)
        db.session.add(line)
        lines.append(line)
    db.session.flush()
    svc.promote(editor, lines[0])
    db.session.flush()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Article))
    return {"articles": count}
