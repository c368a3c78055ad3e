"""The checklist's rules without HTTP: marking, counts, conflicts, completion, the items list."""

import pytest
import sqlalchemy as sa

from portal import clock
from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.reception import checklist as svc
from portal.reception.checklist import ReceptionError
from portal.reception.models import ChecklistDay, ChecklistMark
from tests.conftest import count_rows
from tests.reception import fixtures_checklist as fx

items = fx.items  # the shared fixtures, by name
mark = fx.mark


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_first_mark_opens_the_days_checklist(create_user, freeze, items):
    freeze("2026-11-22 08:20")
    user = create_user("reception")
    record = svc.mark(user, items["装饰摆件"], status="ok")
    checklist = db.session.scalar(sa.select(ChecklistDay))
    assert checklist.day.isoformat() == "2026-11-22" and checklist.completed_at is None
    assert record.status == "ok" and record.quantity is None and record.marked_by_id == user.id
    assert svc.progress()["marked"] == 1 and svc.progress()["total"] == 4
    assert "checklist.marked" in actions()


def test_a_counted_item_needs_its_count_and_never_below_zero(create_user, freeze, items):
    freeze("2026-11-22 08:20")
    user = create_user("reception")
    with pytest.raises(ReceptionError) as missing:
        svc.mark(user, items["椅子"], status="ok")
    assert missing.value.field == "quantity"
    with pytest.raises(ReceptionError) as negative:
        svc.mark(user, items["椅子"], status="ok", quantity=-1)
    assert negative.value.field == "quantity"
    assert "below zero" in negative.value.message
    assert count_rows(ChecklistMark) == 0
    assert svc.mark(user, items["椅子"], status="missing", quantity=11).quantity == 11


def test_an_uncounted_item_keeps_no_count(create_user, freeze, items):
    freeze("2026-11-22 08:20")
    record = svc.mark(create_user("reception"), items["音响设备"], status="damaged",
                      quantity=3, note=" 左音箱有杂音 ")
    assert record.quantity is None and record.note == "左音箱有杂音"


def test_an_unknown_status_is_refused(create_user, freeze, items):
    freeze("2026-11-22 08:20")
    with pytest.raises(ReceptionError):
        svc.mark(create_user("reception"), items["装饰摆件"], status="fine")


def test_the_last_mark_completes_the_checklist_once(create_user, freeze, items, mark):
    freeze("2026-11-22 08:20")
    user = create_user("reception")
    mark(user, items["装饰摆件"])
    mark(user, items["音响设备"], status="damaged")
    mark(user, items["椅子"], quantity=12)
    assert not svc.progress()["done"]
    freeze("2026-11-22 08:31")
    mark(user, items["矿泉水"], quantity=24)
    state = svc.progress()
    assert state["done"] and state["problems"] == 1
    assert state["checklist"].completed_by_id == user.id
    assert clock.local(state["checklist"].completed_at).strftime("%H:%M") == "08:31"
    freeze("2026-11-22 09:00")
    mark(user, items["音响设备"], status="ok")  # a correction keeps it done, at 08:31
    assert clock.local(svc.progress()["checklist"].completed_at).strftime("%H:%M") == "08:31"
    assert actions().count("checklist.completed") == 1
    assert "checklist.remarked" in actions()


def test_deactivated_items_are_not_waited_for(create_user, freeze, items, mark):
    freeze("2026-11-22 08:20")
    supervisor, user = create_user("supervisor"), create_user("reception")
    chairs = items["椅子"]
    svc.set_item_active(supervisor, chairs, False, chairs.version)
    for name in ("装饰摆件", "音响设备"):
        mark(user, items[name])
    mark(user, items["矿泉水"], quantity=20)
    assert svc.progress()["done"]
    with pytest.raises(ReceptionError):
        svc.mark(user, chairs, status="ok", quantity=12)


def test_a_checklist_belongs_to_its_day(create_user, freeze, items, mark):
    user = create_user("reception")
    freeze("2026-11-21 08:20")
    mark(user, items["装饰摆件"])
    freeze("2026-11-22 08:20")
    assert svc.progress()["marked"] == 0 and svc.current_mark(items["装饰摆件"]) is None


def test_two_people_marking_the_same_item_the_second_gets_a_conflict(create_user, freeze, items):
    freeze("2026-11-22 08:20")
    first, second = create_user("reception"), create_user("reception")
    svc.mark(first, items["装饰摆件"], status="ok", version=0)
    with pytest.raises(Conflict):  # the second saw the row unmarked
        svc.mark(second, items["装饰摆件"], status="damaged", version=0)
    current = svc.current_mark(items["装饰摆件"])
    assert current.status == "ok" and current.marked_by_id == first.id
    with pytest.raises(Conflict):  # a stale version after a correction
        svc.mark(second, items["装饰摆件"], status="damaged", version=current.version + 1)
    svc.mark(second, items["装饰摆件"], status="damaged", version=current.version)
    assert svc.current_mark(items["装饰摆件"]).status == "damaged"


# --- the items list ----------------------------------------------------------------------------


def test_items_are_added_changed_and_deactivated_with_audit(create_user):
    supervisor = create_user("supervisor")
    item = svc.create_item(supervisor, name=" 可乐 ", group="fridge", counted=True,
                           expected_count=12, restock_level=4)
    assert item.name == "可乐" and item.active and item.sort_order == 10
    svc.update_item(supervisor, item, item.version, name="可乐", group="fridge", counted=True,
                    expected_count=10, restock_level=3)
    assert item.expected_count == 10
    with pytest.raises(Conflict):
        svc.update_item(supervisor, item, item.version - 1, name="x", group="fridge",
                        counted=True, expected_count=1, restock_level=None)
    svc.set_item_active(supervisor, item, False, item.version)
    assert not item.active
    assert actions() == ["checklist.item_created", "checklist.item_updated",
                         "checklist.item_deactivated"]


@pytest.mark.parametrize(("values", "field"), [
    ({"name": ""}, "name"),
    ({"group": "garden"}, "group"),
    ({"expected_count": -1}, "expected_count"),
    ({"restock_level": -2}, "restock_level"),
    ({"expected_count": None}, "expected_count"),
    ({"counted": False}, "counted"),
])
def test_bad_items_are_refused(create_user, values, field):
    fields = {"name": "可乐", "group": "fridge", "counted": True, "expected_count": 12,
              "restock_level": 4, **values}
    with pytest.raises(ReceptionError) as error:
        svc.create_item(create_user("supervisor"), **fields)
    assert error.value.field == field
