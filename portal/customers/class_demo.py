"""Demo data of the value classes: earlier orders over the past year for some of the demo's
customers (so that the eight classes all hold someone), owners for a few dozen, the default
thresholds saved by the supervisor, every class computed."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal import clock
from portal.customers import classes
from portal.customers.class_models import ClassThresholds
from portal.customers.models import Customer
from portal.extensions import db
from portal.orders.models import Order, OrderLine

ITEMS = [("TEA-LJ-250", "西湖龙井 250g", Decimal("268.00")),
         ("TEA-PE-357", "普洱茶饼 357g", Decimal("198.00")),
         ("GIFT-BOX-A", "茶礼盒 A 款", Decimal("588.00")),
         ("CUP-QC-6", "青瓷茶杯六只装", Decimal("168.00"))]


def _completed(rng, day, item, quantity: int, **fields) -> Order:
    """A completed order of ``day`` for ``quantity`` of ``item`` (sku, name, price)."""
    sku, name, price = item
    created = datetime.combine(day, time(rng.randrange(9, 21), rng.randrange(60)),
                               clock.get_clock().tz)
    return Order(amount=price * quantity, paid_at=created + timedelta(minutes=10),
                 stage="completed", created_at=created, shipped_at=created + timedelta(hours=20),
                 closed_at=created + timedelta(days=5), courier="顺丰",
                 tracking_no=f"SF{rng.randrange(10**11, 10**12)}", flag="yellow",
                 lines=[OrderLine(sku=sku, item_name=name, attributes="标准",
                                  quantity=quantity, unit_price=price)], **fields)


def seed(users: dict) -> dict:
    """Past orders for the demo customers, owners, the thresholds, the classes."""
    rng = random.Random(17)
    now, today = clock.now(), clock.today()
    db.session.flush()
    customers = list(db.session.scalars(
        sa.select(Customer).where(Customer.merged_into_id.is_(None),
                                  Customer.source == "order").order_by(Customer.id)))
    made = 0
    for n, customer in enumerate(customers[:90]):
        order = db.session.scalar(sa.select(Order).where(Order.customer_id == customer.id)
                                  .order_by(Order.id).limit(1))
        # a third come back often, a third spend big once, a third went quiet long ago
        visits = rng.choice([0, 1, 2, 3, 5]) if n % 3 else rng.choice([2, 4, 6])
        for k in range(visits):
            days_ago = rng.randrange(20 if n % 5 == 0 else 2, 360)
            sku, name, price = rng.choice(ITEMS)
            quantity = rng.choice([1, 1, 2, 3, 6]) if n % 3 != 1 else rng.choice([2, 4, 8])
            db.session.add(_completed(
                rng, today - timedelta(days=days_ago), (sku, name, price), quantity,
                platform=order.platform, order_no=f"H{order.order_no}-{k}",
                buyer_id=order.buyer_id, receiver_name=order.receiver_name,
                receiver_phone=order.receiver_phone, receiver_address=order.receiver_address,
                customer=customer, payment=order.payment))
            made += 1
    # customers gone quiet: bought only more than three months ago (keep, win back)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭", "伟芳娜敏静丽强磊军洋勇艳杰娟"
    for n in range(36):
        name = rng.choice(surnames) + rng.choice(given) + rng.choice(["", "女士", "先生"])
        buyer, phone = f"tmall_old{n:03d}", f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        for k in range(1 + (n % 4 == 0) * 3 + (n % 3 == 0)):
            sku, item, price = rng.choice(ITEMS)
            quantity = rng.choice([1, 2, 4, 8]) if n % 2 else 1
            db.session.add(_completed(
                rng, today - timedelta(days=rng.randrange(95, 360)), (sku, item, price),
                quantity, platform="tmall", order_no=f"Q{n:03d}{k}", buyer_id=buyer,
                receiver_name=name, receiver_phone=phone,
                receiver_address=f"浙江省杭州市拱墅区湖墅南路{n + 10}号", payment="online"))
            made += 1
    # the relation keepers: pre-sales and after-sales agents own a few dozen customers
    keepers = [u for u in users.values() if u.active and u.role in ("presales", "aftersales")]
    for n, customer in enumerate(customers[:60]):
        customer.owner_id = keepers[n % len(keepers)].id
    if db.session.get(ClassThresholds, 1) is None:
        db.session.add(ClassThresholds(id=1, updated_at=now - timedelta(days=20),
                                       updated_by_id=users["supervisor"].id))
    db.session.flush()
    classed = classes.recompute_all()
    return {"past orders": made, "customers classed": classed}
