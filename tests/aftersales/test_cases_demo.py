"""The demo after-sales desk: thirty cases across kinds and states on demo orders and typed
numbers, generated photos in the photo folder, one interception, SLA breaches, and return
visits due today."""

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from portal import clock, demo
from portal.aftersales import sla
from portal.aftersales.models import AfterSalesCase, CaseEvent, CasePhoto, ReturnVisit
from portal.auth.models import User
from portal.extensions import db
from portal.notifications.models import Notification


def test_the_demo_desk(freeze, photo_dir):
    freeze("2026-11-22 15:10")
    counts = demo.seed()
    cases = list(db.session.scalars(sa.select(AfterSalesCase)))
    assert counts["aftersales_cases"] == len(cases) == 30
    assert set(Counter(c.type for c in cases)) == {
        "return_refund", "exchange", "refund_only", "quality", "logistics", "interception"}
    assert {c.state for c in cases} >= {
        "new", "in_progress", "waiting_customer", "waiting_parcel", "parcel_received",
        "refunded", "exchange_shipped", "resolved", "closed"}
    assert sum(c.order_id is None for c in cases) >= 3 and sum(
        c.order_id is not None for c in cases) >= 20
    assert [c.interception_state for c in cases if c.type == "interception"] == ["requested"]
    photos = list(db.session.scalars(sa.select(CasePhoto)))
    assert len(photos) >= 8 and {p.content_type for p in photos} >= {"image/jpeg", "image/png"}
    assert all((photo_dir / p.stored_name).is_file() for p in photos)
    now = clock.now()
    kinds = Counter(sla.status(c, now).kind for c in cases)
    assert kinds["breached"] >= 2 and kinds["paused"] >= 1 and kinds["stopped"] >= 8
    due = db.session.scalars(sa.select(ReturnVisit.due_on)).all()
    assert due.count(clock.today()) == 2
    assert clock.today() + timedelta(days=3) in due
    assert {c.platform_status for c in cases} >= {"refunding", "dispute"}
    # every moment is in the past, and every case's story starts with its opening
    assert max(e.at for e in db.session.scalars(sa.select(CaseEvent))) <= now
    first = db.session.scalars(sa.select(CaseEvent).order_by(CaseEvent.id).limit(1)).one()
    assert first.kind == "state" and first.to_state == "new"
    assert clock.get_clock().frozen == now  # the demo gave the clock back as it found it
    # what the past days told the agents is read, except by the demo's main agent
    unread = db.session.execute(
        sa.select(User.username).join(Notification, Notification.user_id == User.id)
        .where(Notification.read_at.is_(None), Notification.link.like("/aftersales/%"))
    ).scalars().all()
    assert unread and set(unread) == {"aftersales"}
