"""Fixtures of the job queue's tests: run the periodic check at a frozen moment, and read
what it sent."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.aftersales import cases as case_svc
from portal.extensions import db
from portal.jobs import reminders
from portal.jobs.queue import job_context
from portal.notifications.models import Notification
from portal.orders import orders as order_svc
from portal.orders.models import StockItem

_numbers = itertools.count(1)


@pytest.fixture
def run_jobs(app, freeze):
    """``run_jobs("2026-11-22 16:30")``: the periodic check at that department moment, as
    the worker runs it; returns {kind: reminders sent}."""

    def _run(moment):
        freeze(moment)
        with job_context(app):
            return reminders.check()

    return _run


@pytest.fixture
def notes():
    """``notes(user)`` -> the user's notifications, oldest first (message, params, link)."""

    def _notes(user, kind_text: str | None = None):
        query = sa.select(Notification).where(Notification.user_id == user.id)
        found = list(db.session.scalars(query.order_by(Notification.id)))
        if kind_text:
            found = [n for n in found if kind_text in n.message]
        return found

    return _notes


@pytest.fixture
def supervisor(create_user):
    return create_user("supervisor")


@pytest.fixture
def manager(create_user):
    return create_user("manager")


@pytest.fixture
def agent(create_user):
    return create_user("aftersales")


@pytest.fixture
def stock():
    item = StockItem(sku="TEA-01", name="龙井茶 250g", on_hand=50)
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def make_order(presales, clerk, stock, freeze):
    """``make_order(stage="paid", paid="2026-11-23 10:00")`` -> an order through the desk's
    services."""

    def _make(stage="paid", paid="2026-11-23 10:00"):
        freeze(paid)
        order = order_svc.create(
            presales, platform="tmall", order_no=f"T{next(_numbers):08d}", buyer_id="tb_buyer",
            receiver_name="王先生", receiver_phone="13800001111",
            receiver_address="浙江省杭州市西湖区文三路 1 号", payment="online",
            lines=[order_svc.LineInput(sku="TEA-01", item_name="龙井茶 250g", quantity=1,
                                       unit_price=Decimal("88.00"), attributes="标准")])
        if stage == "shipped":
            order_svc.print_slips(clerk, [order])
            order_svc.pack(clerk, order, order.version)
            order_svc.ship(clerk, order, order.version, "顺丰", f"SF{order.id:010d}")
        db.session.commit()
        return order

    return _make


@pytest.fixture
def open_case(agent, freeze):
    """``open_case(at="2026-11-22 09:30")`` -> a case held by ``agent``, its SLA running."""

    def _open(at="2026-11-22 09:30", **fields):
        freeze(at)
        fields.setdefault("assignee_id", agent.id)
        case = case_svc.open_case(agent, type="return_refund", order_no=f"AS{next(_numbers):06d}",
                                  problem="茶杯有裂纹", delivery_date=date(2026, 11, 20), **fields)
        db.session.commit()
        return case

    return _open


@pytest.fixture
def shown(app):
    """``shown(note, "zh_CN")`` -> the notification's text as its reader sees it."""
    from flask_babel import force_locale

    def _shown(note, locale="en"):
        with app.test_request_context(), force_locale(locale):
            return note.text

    return _shown
