"""Fixtures of the after-sales tests: staff, orders to open cases on, cases brought to a
state through the services, real images (JPEG, PNG, WebP) and a photo folder per test."""

from datetime import date
from decimal import Decimal
from io import BytesIO
from itertools import count

import pytest
from PIL import Image

from portal.aftersales import cases as svc
from portal.aftersales import evidence
from portal.extensions import db
from portal.orders import orders as order_svc
from portal.orders.models import StockItem

HX = {"HX-Request": "true"}
_numbers = count(1)


def image_bytes(fmt: str = "PNG", size=(64, 48), colour=(200, 30, 30)) -> bytes:
    """A real image in ``fmt`` (PNG, JPEG, WEBP)."""
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def html(response) -> str:
    """A response's body as text."""
    return response.get_data(as_text=True)


@pytest.fixture
def desk(client, sign_in, agent, freeze):
    """The test client, signed in as the agent at 09:30 (a file may define its own desk)."""
    freeze("2026-11-22 09:30")
    sign_in(client, agent)
    return client


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path, monkeypatch):
    """Each test keeps its photos in its own folder."""
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "AFTERSALES_PHOTO_DIR", str(folder))
    return folder


@pytest.fixture
def agent(create_user):
    """An after-sales agent."""
    return create_user("aftersales", display_name="刘晓东")


@pytest.fixture
def other_agent(create_user):
    """A second after-sales agent."""
    return create_user("aftersales", display_name="何敏")


@pytest.fixture
def stock():
    items = {"TEA-01": StockItem(sku="TEA-01", name="龙井茶 250g", on_hand=50)}
    db.session.add_all(items.values())
    db.session.commit()
    return items


@pytest.fixture
def make_order(presales, clerk, stock, freeze):
    """``make_order(stage="shipped", quantity=2, paid="2026-11-18 10:00")`` -> an Order
    (88.00 a unit) brought to ``stage`` through the order desk's services."""

    def _make(stage="completed", quantity=2, paid="2026-11-18 10:00", **fields):
        freeze(paid)
        fields.setdefault("platform", "tmall")
        fields.setdefault("order_no", f"T{next(_numbers):08d}")
        order = order_svc.create(
            presales, buyer_id="tb_buyer", receiver_name="王先生", receiver_phone="13800001111",
            receiver_address="浙江省杭州市西湖区文三路 1 号", payment="online",
            lines=[order_svc.LineInput(sku="TEA-01", item_name="龙井茶 250g", quantity=quantity,
                                       unit_price=Decimal("88.00"), attributes="标准")],
            **fields)
        if stage in ("shipped", "completed"):
            order_svc.print_slips(clerk, [order])
            order_svc.pack(clerk, order, order.version)
            order_svc.ship(clerk, order, order.version, "顺丰", f"SF{order.id:010d}")
        if stage == "completed":
            order_svc.complete(clerk, order, order.version)
        db.session.commit()  # as each request's runner would
        return order

    return _make


@pytest.fixture
def open_case(agent, freeze):
    """``open_case(type="return_refund", at="2026-11-22 09:30", by=agent, **fields)`` -> a
    case opened through the service (its SLA clock started, its events written) and
    committed, as a request would."""

    def _open(type="return_refund", at="2026-11-22 09:30", by=None, **fields):
        freeze(at)
        if not fields.get("order_id"):
            fields.setdefault("order_no", f"AS{next(_numbers):08d}")
        fields.setdefault("problem", "茶杯有裂纹")
        fields.setdefault("assignee_id", agent.id)
        if type == "logistics":
            fields.setdefault("logistics_problem", "damaged")
        if type == "interception" and not fields.get("order_id"):
            fields.setdefault("return_courier", "顺丰")
            fields.setdefault("return_tracking_no", f"SF{next(_numbers):010d}")
        fields.setdefault("delivery_date", date(2026, 11, 20))
        case = svc.open_case(by or agent, type=type, **fields)
        db.session.commit()  # the service flushes; the request's runner commits
        return case

    return _open


@pytest.fixture
def add_photo(agent):
    """``add_photo(case, fmt="PNG")`` -> a stored evidence photo."""

    def _add(case, fmt="PNG", by=None):
        photo = evidence.add_photo(by or agent, case, image_bytes(fmt), f"photo.{fmt.lower()}")
        db.session.commit()  # the service flushes; the request's runner commits
        return photo

    return _add


@pytest.fixture
def step(agent):
    """``step(case, "in_progress", **kwargs)``: one workflow step by the agent."""

    def _step(case, new, by=None, **kwargs):
        case = svc.change_state(by or agent, case, case.version, new, **kwargs)
        db.session.commit()  # the service flushes; the request's runner commits
        return case

    return _step
