"""The backfill (issue 17 item 2a) gives every record the customer attach would have given
it, written one by one: compared on a sample with shared buyers, phones across platforms,
waits and visits."""

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal.customers import backfill
from portal.customers.attach import attach
from portal.customers.models import Customer, CustomerContact
from portal.extensions import db
from portal.orders.models import Order, StockWait
from portal.reception.models import Visit


def _insert_unlinked(presales_id: int) -> None:
    """Orders, waits and visits written past the ORM (as the bench or an old import)."""
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    orders = []
    for n in range(1, 161):
        buyer = rng.randrange(40)
        phone = f"139{(buyer % 25):08d}" if rng.random() < 0.9 else "not a phone"
        orders.append({"platform": rng.choice(("tmall", "jd", "taobao")),
                       "order_no": f"BF{n:06d}", "buyer_id": f"b{buyer}" if n % 11 else "",
                       "receiver_name": rng.choice("王李张"), "receiver_phone": phone,
                       "receiver_address": f"杭州市 {rng.randrange(5)} 号",
                       "amount": "10.00", "payment": "online", "stage": "paid",
                       "open_tasks": 0, "created_at": start + timedelta(hours=n), "version": 1})
    db.session.execute(sa.insert(Order.__table__), orders)
    db.session.execute(sa.insert(StockWait.__table__), [
        {"buyer": "钱", "contact": c, "sku": "TEA-01", "registered_by_id": presales_id,
         "created_at": start, "version": 1, "state": "waiting"}
        for c in ("13900000003", "wx_qian", "13900000030")])
    day = start.date()
    db.session.execute(sa.insert(Visit.__table__), [
        {"day": day, "arrived_at": start, "party_size": 1, "purpose": "viewing",
         "source": "walk_in", "phone": p, "visitor_name": "赵", "created_by_id": presales_id,
         "created_at": start, "version": 1} for p in ("13900000004", None, "13988888888")])


def _shape() -> tuple:
    """Who shares a customer with whom, and each customer's contacts, by record keys."""
    groups: dict[int, set] = {}
    for model, key in ((Order, Order.order_no), (StockWait, StockWait.contact),
                       (Visit, Visit.phone)):
        for ident, value in db.session.execute(sa.select(model.customer_id, key)):
            groups.setdefault(ident, set()).add((model.__tablename__, value))
    contacts: dict[int, set] = {}
    for row in db.session.execute(sa.select(CustomerContact.customer_id, CustomerContact.kind,
                                            CustomerContact.platform, CustomerContact.value)):
        contacts.setdefault(row[0], set()).add(tuple(row[1:]))
    names = dict(db.session.execute(sa.select(Customer.id, Customer.name)).all())
    return {frozenset(members): (frozenset(contacts.get(cid, ())), names.get(cid))
            for cid, members in groups.items() if cid is not None}, None in groups


def _model_columns(model):
    return [c for c in model.__table__.columns if c.name != "customer_id"]


def test_the_backfill_equals_attach_one_record_at_a_time(presales):
    _insert_unlinked(presales.id)
    db.session.flush()
    for _progress in backfill.run(size=37):  # batches that split buyers and phones
        db.session.flush()
    by_backfill = _shape()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)
                             .where(Order.customer_id.is_(None))) == 0

    # the same records, attached one by one through the ORM in the backfill's order
    for model in (Order, StockWait, Visit):
        db.session.execute(sa.update(model.__table__).values(customer_id=None))
    db.session.execute(sa.delete(CustomerContact.__table__))
    db.session.execute(sa.delete(Customer.__table__))
    db.session.expunge_all()
    for model in (Order, StockWait, Visit):
        for record in db.session.scalars(sa.select(model).order_by(model.id)).all():
            attach(record)
            db.session.flush()
    assert _shape() == by_backfill


def test_a_run_resumes_and_a_second_run_changes_nothing(presales):
    _insert_unlinked(presales.id)
    run = backfill.run(size=50)
    next(run)  # stopped after the first batch
    db.session.flush()
    for _progress in backfill.run(size=50):
        pass
    first = _shape()
    customers = db.session.scalar(sa.select(sa.func.count()).select_from(Customer))
    for _progress in backfill.run(size=50):
        pass
    assert _shape() == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == customers


def test_the_command_prints_progress(runner, presales):
    _insert_unlinked(presales.id)
    db.session.commit()
    result = runner.invoke(args=["portal", "link-customers", "--batch", "100"])
    assert result.exit_code == 0, result.output
    assert "orders: 100/160 looked at, 100 linked" in result.output
    assert "visits: 3/3 looked at, 2 linked" in result.output
