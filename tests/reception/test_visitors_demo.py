"""The visitor log's demo data: a menu, a month of history, today so far, three parties now."""

import sqlalchemy as sa

from portal.extensions import db
from portal.reception import demo_visitors
from portal.reception import visitors as svc
from portal.reception.models import ChecklistItem, MenuItem, Visit


def test_seed_visitors(create_user, freeze):
    freeze("2026-11-22 15:30")
    db.session.add(ChecklistItem(name="可乐", group="fridge", counted=True, expected_count=12))
    db.session.commit()
    users = {"reception": create_user("reception"), "presales": create_user("presales"),
             "presales2": create_user("presales", display_name="周婷")}
    counts = demo_visitors.seed_visitors(users)
    db.session.commit()
    assert counts["visits"] == db.session.scalar(sa.select(sa.func.count(Visit.id)))
    assert 30 * 8 <= counts["visits"] <= 30 * 15 + 20
    assert len(svc.in_showroom()) == 3
    assert any(svc.minutes_in_showroom(v) >= 90 for v in svc.in_showroom())
    assert len(svc.day_list().visits) >= 6
    cola = db.session.scalar(sa.select(MenuItem).where(MenuItem.name == "可乐"))
    assert cola.stock_item is not None
    earlier = svc.earlier_visits(demo_visitors.RETURNING_PHONE)
    assert earlier and svc.consultant_display(earlier[0]) == "周婷"
    # the arrival form offers the demo's pre-sales staff, and no one else
    assert {u.display_name for u in svc.consultants()} == {"周婷", users["presales"].display_name}
    assert all(v.left_at is None or v.left_at >= v.arrived_at
               for v in db.session.scalars(sa.select(Visit)).unique())
