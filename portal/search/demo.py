"""Demo data of the search: a few published canned-reply articles (those the knowledge
base's demo lacks), so the search page and the suggestions while typing show something.
Everything else the search finds is the other areas' demo data, indexed as it is written.
The article model comes from the registry: this package imports no area."""

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.search import sources

ARTICLES = [
    ("客户问七天无理由退货怎么办理?",
     "七天无理由退货:商品未使用、包装完好,在订单页申请退货,运费由客户承担。",
     "亲,支持七天无理由退货哦,商品未使用、包装完好即可在订单页申请,退货运费需要您承担,感谢理解~",
     "退货 无理由"),
    ("退款多久到账?", "同意退款后原路返回:支付宝/微信1-3个工作日,银行卡3-7个工作日。",
     "亲,退款已为您办理,原路返回,支付宝或微信1-3个工作日到账,银行卡3-7个工作日,请留意~",
     "退款"),
    ("发票怎么开?可以开增值税专用发票吗?",
     "普通发票下单时填写抬头;增值税专用发票需提供开票资料,财务3个工作日内寄出。",
     "亲,普通发票下单时填写抬头即可;如需增值税专用发票,请提供公司开票资料,我们3个工作日内寄出~",
     "发票"),
    ("物流一直没有更新怎么办?",
     "先查快递单号;超过48小时未更新,联系快递并在交接本记录,次日回访客户。",
     "亲,已帮您联系快递核实,48小时内给您答复,请放心~", "物流 快递"),
    ("收到的商品有破损怎么处理?", "请客户拍照(外包装、破损处、快递单),售后登记后补发或换货。",
     "亲,非常抱歉!麻烦您拍一下外包装、破损处和快递单的照片,我们马上为您安排补发或换货~",
     "破损 售后 HX-2381"),
    ("安装师傅什么时候上门?", "下单后48小时内师傅电话预约;偏远地区另约时间。",
     "亲,安装师傅会在48小时内电话和您预约上门时间,请保持电话畅通~", "安装"),
]


def seed(users) -> dict:
    source = sources().get("article")
    if source is None:
        return {}
    model = source.model
    # the knowledge base's own demo may have written articles first: add those it lacks
    have = set(db.session.scalars(sa.select(model.question)))
    missing = [row for row in ARTICLES if row[0] not in have]
    if not missing:
        return {}
    editor = users.get("supervisor")
    now = clock.now()
    for question, answer, reply, tags in missing:
        db.session.add(model(question=question, answer=answer, reply_text=reply, tags=tags,
                             state="published", author_id=editor.id if editor else None,
                             reviewer_id=editor.id if editor else None, reviewed_at=now,
                             published_at=now, created_at=now, updated_at=now))
    db.session.flush()
    return {"search_articles": len(missing)}
