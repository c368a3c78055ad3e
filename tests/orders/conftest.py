"""Fixtures of the order-desk tests: stock, orders at any stage, signed-in staff."""

from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from portal.extensions import db
from portal.orders import orders as svc
from portal.orders.models import StockItem

HX = {"HX-Request": "true"}
_numbers = count(1)


@pytest.fixture(autouse=True)
def setup_committed(monkeypatch):
    """What a test set up through the services (which only flush: the action runner commits)
    is committed before each request of a test client, as the runner of the request that
    made it would have; a request's end otherwise rolls it back."""
    from tests.conftest import IsolatedClient

    plain = IsolatedClient.open

    def open_(self, *args, **kwargs):
        session = db.session()
        if session.info.get("wrote") or session.new or session.dirty or session.deleted:
            session.commit()
        return plain(self, *args, **kwargs)

    monkeypatch.setattr(IsolatedClient, "open", open_)


@pytest.fixture
def stock():
    """Three SKUs: TEA-01 (50 on hand), CUP-02 (5), POT-03 (none, arriving 2026-11-28)."""
    items = {
        "TEA-01": StockItem(sku="TEA-01", name="龙井茶 250g", on_hand=50),
        "CUP-02": StockItem(sku="CUP-02", name="青瓷茶杯", on_hand=5),
        "POT-03": StockItem(sku="POT-03", name="紫砂壶", on_hand=0,
                            expected_on=date(2026, 11, 28)),
    }
    db.session.add_all(items.values())
    db.session.commit()
    return items


@pytest.fixture
def make_order(presales, clerk, stock, freeze):
    """``make_order(stage="paid", lines=[("TEA-01", 2)], paid="2026-11-22 10:00", **fields)``
    -> an Order brought to ``stage`` through the services (so its history is real)."""

    def _make(stage="paid", lines=(("TEA-01", 2),), paid="2026-11-22 10:00", by=None,
              **fields):
        freeze(paid)
        fields.setdefault("platform", "tmall")
        fields.setdefault("order_no", f"T{next(_numbers):08d}")
        fields.setdefault("buyer_id", "tb_buyer")
        fields.setdefault("receiver_name", "王先生")
        fields.setdefault("receiver_phone", "13800001111")
        fields.setdefault("receiver_address", "浙江省杭州市西湖区文三路 1 号")
        fields.setdefault("payment", "awaiting" if stage == "awaiting_payment" else "online")
        order = svc.create(by or presales, lines=[
            svc.LineInput(sku=sku, item_name=stock[sku].name, quantity=quantity,
                          unit_price=Decimal("88.00"), attributes="标准")
            for sku, quantity in lines], **fields)
        if order.stage == "review" and stage != "review":
            # a distributor order starts waiting for review (R-O9): here it was issued
            order.stage = "paid" if order.paid_at else "awaiting_payment"
        steps = ("printed", "packed", "shipped", "completed")
        if stage in steps:
            svc.print_slips(clerk, [order])
        if stage in steps[1:]:
            svc.pack(clerk, order, order.version)
        if stage in steps[2:]:
            svc.ship(clerk, order, order.version, "顺丰", f"SF{order.id:010d}")
        if stage == "completed":
            svc.complete(clerk, order, order.version)
        if stage == "cancelled":
            svc.request_cancel(presales, order, order.version, "买家不要了")
            svc.void(clerk, order, order.version)
        db.session.commit()  # the services only flush: the runner commits in a request
        return order

    return _make
