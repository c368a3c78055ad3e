"""Demo distributors: six accounts in their markets, a few months of ledger each, orders
waiting for review (one short by exactly ¥1,200), one account on hold, one with overdue
debt, an issued order not dispatched after four days and a delivery problem answered.
For demonstration only."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.orders import orders as order_svc
from portal.orders.models import StockItem

from . import ledger
from .models import DeliveryIssue, DistributorAccount, LedgerEntry

ACCOUNTS = [
    # code, name, market, contact, phone, credit line, terms, mode
    ("fx_hzcy", "杭州茶源商贸有限公司", "华东", "周建国", "13705710001", "20000", 30, "loose"),
    ("fx_cdsc", "成都蜀茶贸易", "西南", "刘蓉", "13808280002", "0", 30, "strict"),
    ("fx_gzmx", "广州茗香茶行", "华南", "陈志强", "13902020003", "10000", 45, "loose"),
    ("fx_bjjy", "北京京韵茶业", "华北", "王海", "13601010004", "0", 30, "strict"),
    ("fx_whcx", "武汉楚香茶庄", "华中", "张敏", "13907270005", "5000", 30, "loose"),
    ("fx_xajc", "西安金城茶具", "西北", "马刚", "13309290006", "0", 15, "strict"),
]


def _entry(account, kind, amount, days_ago, user, reason=""):
    db.session.add(LedgerEntry(account_id=account.id, kind=kind, amount=Decimal(amount),
                               reason=reason, created_by_id=user.id,
                               booked_at=clock.now() - timedelta(days=days_ago, hours=3)))


def _order(user, code, lines, hours_ago):
    items = {s.sku: s for s in db.session.scalars(sa.select(StockItem))}
    wanted = [(sku, q) for sku, q in lines if sku in items]
    order = order_svc.create(
        user, platform="distributor",
        order_no=f"FXR{code[-4:].upper()}{hours_ago:03d}", buyer_id=code,
        receiver_name="仓库收货", receiver_phone="13800138000",
        receiver_address="经销商仓库（见合同地址）", payment="transfer",
        lines=[order_svc.LineInput(sku=sku, item_name=items[sku].name, quantity=q,
                                   unit_price=_price(sku), attributes="")
               for sku, q in wanted])
    order.created_at = clock.now() - timedelta(hours=hours_ago)
    return order


def _price(sku):
    from portal.orders.demo import CATALOGUE

    return next(price for code, _name, price in CATALOGUE if code == sku) * Decimal("0.7")


def seed(users) -> dict:
    clerk, supervisor, presales = users["clerk"], users["supervisor"], users["presales"]
    accounts = {}
    for code, name, market, contact, phone, credit, terms, mode in ACCOUNTS:
        account = DistributorAccount(code=code, name=name, market=market, contact_name=contact,
                                     contact_phone=phone, credit_line=Decimal(credit),
                                     terms_days=terms, mode=mode, state="active",
                                     created_at=clock.now() - timedelta(days=200))
        db.session.add(account)
        accounts[code] = account
    db.session.flush()
    for i, account in enumerate(accounts.values()):
        for month in range(5, 0, -1):  # five months of deposits and charges, fully paid
            _entry(account, "payment", 20000 + 1000 * i, month * 30 + 5, clerk, "月度预付款")
            _entry(account, "charge", -(16000 + 900 * i), month * 30, clerk)
    hz, cd, gz, bj, wh, xa = accounts.values()
    _entry(hz, "refund", "336.00", 12, supervisor, "破损退货退款")
    _entry(gz, "adjustment", "-120.00", 8, supervisor, "运费补差")
    bj.state, bj.hold_reason = "hold", "合同到期，续签前暂停发货"
    _entry(xa, "charge", -80000, 40, clerk)  # past its 15 days: overdue debt
    db.session.flush()
    # 成都蜀茶 (strict): a payment makes its balance exactly ¥1,200 short of the order
    short = _order(presales, cd.code, [("TEA-LJ-250", 20), ("SET-GF-12", 5), ("CUP-QC-6", 10)],
                   30)
    balance = db.session.scalar(sa.select(sa.func.sum(LedgerEntry.amount)).where(
        LedgerEntry.account_id == cd.id)) or Decimal(0)
    topping = short.amount - Decimal("1200") - balance
    if topping:
        _entry(cd, "payment" if topping > 0 else "adjustment", topping, 3,
               clerk if topping > 0 else supervisor, "本月预付款" if topping > 0 else "对账调整")
    _order(presales, hz.code, [("TEA-PE-357", 30), ("GIFT-BOX-A", 20)], 26)
    _order(presales, gz.code, [("TEA-TGY-500", 40), ("CUP-BL-2", 30)], 20)
    _order(presales, bj.code, [("TEA-HC-200", 10)], 12)
    _order(presales, xa.code, [("POT-BL-800", 12)], 6)
    _order(presales, wh.code, [("TEA-BLC-100", 50), ("FILTER-SS", 40)], 2)
    # issued four days ago and still not shipped (R-O10), with a delivery problem elsewhere
    late = _order(presales, wh.code, [("KETTLE-E-1", 6)], 100)
    late.stage, late.paid_at = "paid", clock.now() - timedelta(days=4)
    db.session.add(LedgerEntry(account_id=wh.id, kind="charge", amount=-late.amount,
                               order_id=late.id, created_by_id=clerk.id, booked_at=late.paid_at))
    issue = DeliveryIssue(order_id=late.id, account_id=wh.id, kind="short",
                          text="到货少了一台电热烧水壶", state="answered",
                          answer="已核实仓库少发一台，今日顺丰补发，单号 SF1300000001。",
                          created_by_id=clerk.id, answered_by_id=clerk.id,
                          answered_at=clock.now() - timedelta(hours=5),
                          created_at=clock.now() - timedelta(days=1))
    db.session.add(issue)
    db.session.flush()
    from . import allocation_demo  # the allocation run's demo: a gift box short of stock

    allocation_demo.seed(users, {a.code: a for a in accounts.values()}, _order)
    for account in accounts.values():  # the customers the orders above were attached to
        account.customer_id = ledger.customer_of(account.code)
    return {"distributors": len(accounts)}
