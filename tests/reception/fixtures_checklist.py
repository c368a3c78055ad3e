"""Fixtures of the checklist, stock and repair tests: a short item list, marking, reporting.

Imported by tests/reception/test_checklist*.py, test_stock.py and test_repairs*.py (the
package's conftest.py belongs to the visitor log's tests)."""

import json

import pytest

from portal.extensions import db
from portal.reception import checklist as svc
from portal.reception import repairs as rsvc
from portal.reception.models import ChecklistItem, MenuItem, Serving, Visit

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.get_data(as_text=True)


def triggered(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger") or "{}")


@pytest.fixture
def items():
    """Four items: two plain, the chairs (counted 12) and water in the fridge (24, restock 6).
    Returns {name: ChecklistItem}."""
    made = {}
    for order, (name, group, expected, restock) in enumerate((
            ("装饰摆件", "decoration", None, None),
            ("音响设备", "audio_video", None, None),
            ("椅子", "furniture", 12, None),
            ("矿泉水", "fridge", 24, 6)), start=1):
        item = ChecklistItem(name=name, group=group, counted=expected is not None,
                             expected_count=expected, restock_level=restock,
                             sort_order=order * 10)
        db.session.add(item)
        made[name] = item
    db.session.commit()
    return made


@pytest.fixture
def many_items():
    """``many_items(n)``: n more plain items."""

    def _make(n: int):
        made = [ChecklistItem(name=f"物品{i}", group="other", sort_order=1000 + i)
                for i in range(n)]
        db.session.add_all(made)
        db.session.commit()
        return made

    return _make


@pytest.fixture
def mark(freeze):
    """``mark(user, item, status="ok", quantity=None)`` on today's checklist."""

    def _mark(user, item, status="ok", quantity=None, note=None):
        current = svc.current_mark(item)
        made = svc.mark(user, item, status=status, quantity=quantity, note=note,
                        version=current.version if current else 0)
        db.session.commit()  # the service only flushes (the runner commits in a request)
        return made

    return _mark


@pytest.fixture
def serve(create_user):
    """``serve(menu_item, quantity, day)``: a party served ``quantity`` of a menu item."""
    from portal import clock

    state = {}

    def _serve(menu_item: MenuItem, quantity: int, day=None):
        day = day or clock.today()
        if "user" not in state:
            state["user"] = create_user("reception")
        user = state["user"]
        visit = Visit(day=day, arrived_at=clock.now(), party_size=2, purpose="viewing",
                      source="walk_in", created_by_id=user.id)
        db.session.add(visit)
        db.session.flush()
        db.session.add(Serving(visit_id=visit.id, menu_item_id=menu_item.id, quantity=quantity,
                               day=day, served_by_id=user.id))
        db.session.commit()

    return _serve


@pytest.fixture
def report(create_user):
    """``report(user=None, place="窗帘", problem="...", item=None)`` -> a new repair report."""

    def _report(user=None, place="窗帘", problem="电动窗帘只能打开一半", item=None):
        made = rsvc.report(user or create_user("reception"), place=place, problem=problem,
                           item=item)
        db.session.commit()  # the service only flushes (the runner commits in a request)
        return made

    return _report
