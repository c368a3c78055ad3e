"""Demo of the customer record (issue 17 item 1): the shared tag set, owners, needs,
consent, tags and notes on the customers the demo's orders and visits made."""

from datetime import timedelta

import sqlalchemy as sa

from portal import clock
from portal.customers.models import Customer, CustomerNote, CustomerTag
from portal.extensions import db

TAGS = [
    ("老客户", {"zh_TW": "老客戶", "en": "Regular"}),
    ("茶礼团购", {"zh_TW": "茶禮團購", "en": "Gift orders"}),
    ("价格敏感", {"zh_TW": "價格敏感", "en": "Price-sensitive"}),
    ("爱喝绿茶", {"zh_TW": "愛喝綠茶", "en": "Green tea lover"}),
    ("曾投诉", {"zh_TW": "曾投訴", "en": "Complained before"}),
    ("展厅意向", {"zh_TW": "展廳意向", "en": "Showroom prospect"}),
]
RETIRED = ("双十一老标签", {"en": "Old Singles' Day tag"})

NEEDS = ["年底想给客户送茶礼,预算每份 300 元左右", "只喝明前龙井,要新茶",
         "家里老人用,字要大、说明要清楚", "开茶馆,想长期拿货,问过经销价", "喜欢紫砂壶,关注新款"]
NOTES = ["电话里说上次的茶杯包装很好,下次还会买", "客户希望发顺丰,备注已加在订单上",
         "来展厅看过紫砂壶,下周再来", "对售后处理满意,愿意推荐朋友", "要求开公司抬头的发票"]


def seed(users: dict) -> dict:
    tags = [CustomerTag(name=name, names=names) for name, names in TAGS]
    tags.append(CustomerTag(name=RETIRED[0], names=RETIRED[1], active=False))
    db.session.add_all(tags)
    db.session.flush()
    customers = list(db.session.scalars(
        sa.select(Customer).where(Customer.merged_into_id.is_(None))
        .order_by(Customer.last_contact_at.desc().nulls_last(), Customer.id).limit(30)))
    owners = [users[name] for name in ("presales", "presales2", "aftersales", "presales3")]
    now = clock.now()
    notes = 0
    for n, customer in enumerate(customers):
        if n % 3 != 2:  # two in three have an owner; the rest wait to be taken
            customer.owner = owners[n % len(owners)]
        customer.marketing_consent = n % 2 == 0
        customer.tags = [tags[n % len(TAGS)]] + ([tags[(n + 2) % len(TAGS)]] if n % 4 == 0
                                                 else [])
        if n % 2 == 0:
            customer.need_notes = NEEDS[n % len(NEEDS)]
        for k in range(1 + n % 2):
            db.session.add(CustomerNote(
                customer_id=customer.id, body=NOTES[(n + k) % len(NOTES)],
                author_id=owners[(n + k) % len(owners)].id,
                created_at=now - timedelta(days=n + k, hours=3 * k)))
            notes += 1
    db.session.flush()
    return {"customer_tags": len(tags), "customer_notes": notes}
