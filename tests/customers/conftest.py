"""Fixtures of the customer tests: the order desk's orders and stock, committed as a request
would (see tests/orders/conftest.py); a customer with one record of every kind the story
shows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal import clock
from portal.extensions import db
from tests.aftersales.conftest import image_bytes, photo_dir  # noqa: F401
from tests.orders.conftest import HX, make_order, setup_committed, stock  # noqa: F401


@pytest.fixture
def full_story(make_order, presales, create_user, freeze):  # noqa: F811
    """A customer with an order (a remark, a cancellation asked for), a case with a photo,
    a transfer, a wait, a showroom visit with a drink, a done return visit and a note; each
    a minute after the one before, from 2026-11-22 10:00. Returns (customer, records)."""
    from portal.aftersales import evidence
    from portal.aftersales.models import AfterSalesCase, ReturnVisit
    from portal.customers.models import CustomerNote
    from portal.orders import orders as order_svc
    from portal.orders import remarks
    from portal.orders.models import BankTransfer, StockWait
    from portal.reception.models import MenuItem, Serving, Visit

    order = make_order(buyer_id="tb_story", receiver_name="陈女士", receiver_phone="13912345678",
                       paid="2026-11-22 10:00")
    shipped = make_order(stage="shipped", buyer_id="tb_story", receiver_name="陈女士",
                         receiver_phone="13912345678", paid="2026-11-22 10:01")
    customer = order.customer
    base = clock.now()

    def at(minutes):
        moment = base + timedelta(minutes=minutes)
        freeze(clock.local(moment).strftime("%Y-%m-%d %H:%M"))
        return moment

    at(2)
    remark = remarks.add(presales, order, order.version, "courier", "要顺丰")
    at(3)
    order_svc.request_cancel(presales, order, order.version, "买家拍错了")
    at(4)
    aftersales = create_user("aftersales")
    case = AfterSalesCase(type="quality", order=shipped, order_no=shipped.order_no,
                          problem="壶盖有裂纹", request="换一个", created_by_id=aftersales.id,
                          assignee_id=aftersales.id, created_at=at(4))
    db.session.add(case)
    db.session.flush()
    photo = evidence.add_photo(aftersales, case, image_bytes(), "crack.png")
    transfer = BankTransfer(received_on=date(2026, 11, 22), payer="陈某", amount=Decimal("176"),
                            bank="工商银行", order=order, registered_by_id=presales.id,
                            created_at=at(5))
    wait = StockWait(buyer="陈女士", contact="13912345678", sku="POT-03", quantity=1,
                     registered_by_id=presales.id, created_at=at(6))
    menu = MenuItem(name="龙井茶", kind="drink")
    visit = Visit(day=at(7).date(), arrived_at=at(7), party_size=2, purpose="viewing",
                  source="appointment", phone="13912345678", consultant_id=presales.id,
                  created_by_id=presales.id)
    db.session.add_all([transfer, wait, menu, visit])
    db.session.flush()
    db.session.add(Serving(visit=visit, menu_item=menu, quantity=2, day=visit.day,
                           served_by_id=presales.id))
    return_visit = ReturnVisit(case=case, due_on=date(2026, 11, 25), outcome="reached",
                               satisfaction=5, comment="很满意", done_at=at(8),
                               done_by_id=aftersales.id)
    note = CustomerNote(customer_id=customer.id, body="喜欢紫砂壶", author_id=presales.id,
                        created_at=at(9))
    db.session.add_all([return_visit, note])
    db.session.commit()
    return customer, {"order": order, "shipped": shipped, "remark": remark, "case": case,
                      "photo": photo, "transfer": transfer, "wait": wait, "visit": visit,
                      "return_visit": return_visit, "note": note}
