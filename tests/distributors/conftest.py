"""Fixtures of the distributor tests: the order desk's stock and orders (committed as a
request would, see tests/orders/conftest.py), a distributor account and its orders waiting
for review."""

from decimal import Decimal
from itertools import count

import pytest

from portal.extensions import db
from tests.orders.conftest import HX, make_order, setup_committed, stock  # noqa: F401

_numbers = count(1)


@pytest.fixture
def supervisor(create_user):
    return create_user("supervisor", display_name="李主管")


@pytest.fixture
def account(supervisor, freeze):
    """杭州茶源商贸 (华东), strict, 30 days' terms, no movement yet."""
    from portal.distributors import ledger

    freeze("2026-11-20 09:00")
    found = ledger.create_account(supervisor, name="杭州茶源商贸", code="fx_hz", market="华东",
                                  contact_name="周经理", contact_phone="13700001111",
                                  credit_line=Decimal("5000"), terms_days=30, mode="strict")
    db.session.commit()
    return found


@pytest.fixture
def dist_order(presales, stock, freeze):  # noqa: F811
    """``dist_order([("TEA-01", 10, "100.00"), ...], code="fx_hz")`` -> an Order typed by
    pre-sales, waiting for review."""
    from portal.orders import orders as order_svc

    def _make(lines=(("TEA-01", 10, "100.00"),), code="fx_hz", at="2026-11-22 10:00"):
        freeze(at)
        order = order_svc.create(
            presales, platform="distributor", order_no=f"FX{next(_numbers):06d}",
            buyer_id=code, receiver_name="周经理", receiver_phone="13700001111",
            receiver_address="浙江省杭州市上城区 1 号", payment="transfer",
            lines=[order_svc.LineInput(sku=sku, item_name=stock[sku].name, quantity=q,
                                       unit_price=Decimal(p), attributes="")
                   for sku, q, p in lines])
        db.session.commit()
        return order

    return _make


def pay(user, account, amount, **kwargs):
    from portal.distributors import ledger

    entry = ledger.record_payment(user, account, Decimal(amount), **kwargs)
    db.session.commit()
    return entry
