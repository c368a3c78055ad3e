"""The demo checklist: the brief's item list, today half done, a month done, repairs."""

import sqlalchemy as sa

from portal.extensions import db
from portal.reception import checklist as svc
from portal.reception import repairs as rsvc
from portal.reception.demo_checklist import seed_checklist
from portal.reception.models import ChecklistDay, ChecklistItem
from portal.reception.stock import stock_rows


def test_the_demo_is_a_morning_in_progress(create_user, freeze):
    freeze("2026-11-22 09:30")
    users = {name: create_user(role, username=name) for name, role in (
        ("reception", "reception"), ("reception2", "reception"), ("supervisor", "supervisor"))}
    counts = seed_checklist(users)
    db.session.commit()
    names = db.session.scalars(sa.select(ChecklistItem.name)).all()
    assert {"装饰摆件", "音响设备", "投影/电视", "椅子", "矿泉水", "钥匙", "挂画"} <= set(names)
    water = db.session.scalar(sa.select(ChecklistItem).where(ChecklistItem.name == "矿泉水"))
    assert (water.counted, water.expected_count, water.restock_level) == (True, 24, 6)
    state = svc.progress()
    assert not state["done"] and state["marked"] == len(names) // 2
    marks = svc.marks_of(state["checklist"]).values()
    assert all(m.marked_by_id == users["reception"].id for m in marks)
    done = db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistDay)
                             .where(ChecklistDay.completed_at.is_not(None)))
    assert done == 30 and counts["checklists"] == 31
    assert len(rsvc.open_reports()) == 2 and len(rsvc.recently_closed()) == 2
    assert any(r.notes for r in rsvc.open_reports())
    assert stock_rows() == []  # the fridge's drinks are in the half not yet checked
