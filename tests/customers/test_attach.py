"""Records find their customer when written (issue 17 item 2): buyer ID first, then phone,
otherwise a new customer; cases, transfers and return visits through their order."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from portal import clock
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.customers.models import Customer, CustomerContact
from portal.extensions import db
from portal.orders.models import BankTransfer, StockWait
from portal.reception.models import Visit


def _contacts(customer, kind):
    return sorted(c.value for c in customer.contacts if c.kind == kind)


def test_a_new_buyer_makes_a_customer_with_their_contacts(make_order):
    order = make_order(buyer_id="tb_new", receiver_name="李女士", receiver_phone="139 0000 2222")
    customer = order.customer
    assert customer is not None and customer.name == "李女士"
    assert customer.kind == "retail" and customer.source == "order"
    assert _contacts(customer, "buyer") == ["tb_new"]
    assert _contacts(customer, "phone") == ["13900002222"]
    assert [c.tail for c in customer.contacts if c.kind == "phone"] == ["22220000931"]
    assert len(_contacts(customer, "address")) == 1


def test_the_same_buyer_id_attaches_to_the_same_customer_even_with_another_phone(make_order):
    first = make_order(buyer_id="tb_same", receiver_phone="13900003333")
    second = make_order(buyer_id="tb_same", receiver_phone="13900004444",
                        receiver_address="上海市黄浦区 2 号")
    assert second.customer_id == first.customer_id
    assert _contacts(first.customer, "phone") == ["13900003333", "13900004444"]
    assert len(_contacts(first.customer, "address")) == 2


def test_a_buyer_id_on_another_platform_is_another_account(make_order):
    tmall = make_order(buyer_id="same_nick", receiver_phone="13900005555")
    jd = make_order(platform="jd", buyer_id="same_nick", receiver_phone="13900006666")
    assert tmall.customer_id != jd.customer_id


def test_a_new_buyer_id_with_a_known_phone_joins_that_customer(make_order):
    first = make_order(buyer_id="tb_a", receiver_phone="13900007777")
    second = make_order(platform="jd", buyer_id="jd_a", receiver_phone="139-0000-7777")
    assert second.customer_id == first.customer_id
    assert sorted((c.platform, c.value) for c in first.customer.contacts
                  if c.kind == "buyer") == [("jd", "jd_a"), ("tmall", "tb_a")]


def test_distributor_orders_make_distributor_customers(make_order):
    order = make_order(platform="distributor", buyer_id="杭州经销商", receiver_phone="057188886666")
    assert order.customer.kind == "distributor"


def test_a_case_a_transfer_and_a_return_visit_take_the_order_s_customer(make_order, presales):
    order = make_order(buyer_id="tb_case", receiver_phone="13900008888")
    case = AfterSalesCase(type="quality", order=order, order_no=order.order_no, problem="坏了",
                          created_by_id=presales.id)
    transfer = BankTransfer(received_on=date(2026, 11, 22), payer="王", amount=Decimal("10"),
                            bank="工行", order=order, registered_by_id=presales.id)
    db.session.add_all([case, transfer])
    db.session.flush()
    visit = ReturnVisit(case=case, due_on=date(2026, 11, 25))
    db.session.add(visit)
    db.session.flush()
    assert case.customer_id == transfer.customer_id == visit.customer_id == order.customer_id


def test_a_case_with_only_a_typed_order_number_finds_the_order(make_order, presales):
    order = make_order(buyer_id="tb_typed", receiver_phone="13900009999")
    case = AfterSalesCase(type="quality", order_no=order.order_no, problem="坏了",
                          created_by_id=presales.id)
    db.session.add(case)
    db.session.flush()
    assert case.customer_id == order.customer_id


def test_a_transfer_linked_later_attaches_then(make_order, presales):
    order = make_order(buyer_id="tb_later", receiver_phone="13911110000")
    transfer = BankTransfer(received_on=date(2026, 11, 22), payer="王", amount=Decimal("10"),
                            bank="工行", registered_by_id=presales.id)
    db.session.add(transfer)
    db.session.flush()
    assert transfer.customer_id is None  # a payer's name is not enough to know a person
    transfer.order = order
    db.session.flush()
    assert transfer.customer_id == order.customer_id


def test_a_visit_with_a_phone_finds_or_makes_a_prospect(make_order, presales):
    order = make_order(buyer_id="tb_visit", receiver_phone="13922220000")
    now = clock.now()
    known = Visit(day=now.date(), arrived_at=now, party_size=1, purpose="viewing",
                  source="walk_in", phone="13922220000", created_by_id=presales.id)
    new = Visit(day=now.date(), arrived_at=now, party_size=2, purpose="viewing",
                source="walk_in", phone="13933330000", visitor_name="赵先生",
                created_by_id=presales.id)
    anonymous = Visit(day=now.date(), arrived_at=now, party_size=1, purpose="viewing",
                      source="walk_in", created_by_id=presales.id)
    db.session.add_all([known, new, anonymous])
    db.session.flush()
    assert known.customer_id == order.customer_id
    assert new.customer.kind == "prospect" and new.customer.name == "赵先生"
    assert anonymous.customer_id is None


def test_a_wait_with_a_phone_or_a_wechat_id(presales):
    by_phone = StockWait(buyer="钱女士", contact="13944440000", sku="POT-03",
                         registered_by_id=presales.id)
    by_wechat = StockWait(buyer="孙先生", contact="wx_sun88", sku="POT-03",
                          registered_by_id=presales.id)
    db.session.add_all([by_phone, by_wechat])
    db.session.flush()
    assert _contacts(by_phone.customer, "phone") == ["13944440000"]
    assert _contacts(by_wechat.customer, "wechat") == ["wx_sun88"]


def test_two_new_orders_of_one_new_buyer_in_one_flush_share_one_customer(make_order, presales):
    from portal.orders.models import Order
    now = clock.now()
    orders = [Order(platform="tmall", order_no=f"ONE{n}", buyer_id="tb_twice",
                    receiver_name="周", receiver_phone="13955550000", receiver_address="某地",
                    amount=Decimal("1"), payment="online", created_at=now) for n in (1, 2)]
    db.session.add_all(orders)
    db.session.flush()
    assert orders[0].customer_id == orders[1].customer_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CustomerContact).where(
        CustomerContact.kind == "buyer", CustomerContact.value == "tb_twice")) == 1


def test_a_merged_customer_s_buyer_id_attaches_to_the_survivor(make_order):
    first = make_order(buyer_id="tb_survivor", receiver_phone="13966660000")
    second = make_order(buyer_id="tb_absorbed", receiver_phone="13977770000")
    second.customer.merged_into = first.customer
    db.session.flush()
    third = make_order(buyer_id="tb_absorbed", receiver_phone="13977770000")
    assert third.customer_id == first.customer_id
    assert db.session.get(Customer, second.customer_id).merged_into_id == first.customer_id
