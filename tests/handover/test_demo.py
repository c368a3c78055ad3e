"""The handover book's demo data: a week in both books, every state, plausible authors."""

import sqlalchemy as sa

from portal.extensions import db
from portal.handover import demo
from portal.handover.models import HandoverAck, HandoverItem, HandoverRevision
from portal.handover.services import waiting_items
from portal.shifts.slots import upcoming_slot


def test_seed_makes_a_week_of_items_in_every_state(create_user, freeze, shift_types):
    freeze("2026-11-22 10:30")
    users = {f"{role}{n}": create_user(role) for role in ("presales", "aftersales",
                                                          "order_clerk", "reception")
             for n in (1, 2)}
    counts = demo.seed(users)
    db.session.commit()
    items = db.session.scalars(sa.select(HandoverItem)).unique().all()
    assert counts["handover_items"] == len(items) >= 15
    assert {i.book for i in items} == {"desk", "showroom"}
    for item in items:  # R-H5: each book written by its own team
        expected = {"reception"} if item.book == "showroom" else {"presales", "aftersales",
                                                                 "order_clerk"}
        assert item.author.role in expected
    days = {i.shift_date for i in items}
    assert (max(days) - min(days)).days >= 5  # about a week
    kinds = set(db.session.scalars(sa.select(HandoverAck.kind)))
    assert kinds == {"signed", "taken_over"}
    assert any(i.status == "closed" and i.resolution for i in items)
    assert any(i.status == "open" and i.owner_id for i in items)
    assert any(i.priority == "urgent" for i in items)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HandoverRevision)) >= 1
    waiting = waiting_items("desk", upcoming_slot())
    assert waiting and any("客户" in i.text for i in waiting)
    acked = set(db.session.scalars(sa.select(HandoverAck.item_id)))
    assert any(i.id not in acked and i.status == "open" for i in items)  # unsigned ones
