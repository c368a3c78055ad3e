"""Demo opening checklist and repairs: the domain brief's item list (R-R2), a month of earlier
completed checklists, today's checklist half done by the reception demo user, two open
repairs (one followed up) and a couple of fixed ones. For demonstration only."""

from datetime import datetime, time, timedelta

from portal import clock
from portal.extensions import db
from portal.reception.models import (
    ChecklistDay,
    ChecklistItem,
    ChecklistMark,
    RepairNote,
    RepairReport,
)

# (name, group, expected count or None, restock level or None)
ITEMS = (
    ("装饰摆件", "decoration", None, None),
    ("音响设备", "audio_video", None, None),
    ("投影/电视", "audio_video", None, None),
    ("沙发和靠垫", "furniture", None, None),
    ("椅子", "furniture", 12, None),
    ("桌布", "furniture", None, None),
    ("咖啡机", "fridge", None, None),
    ("冰箱", "fridge", None, None),
    ("矿泉水", "fridge", 24, 6),
    ("可乐", "fridge", 12, 4),
    ("橙汁", "fridge", 12, 4),
    ("茶饮", "fridge", 12, 4),
    ("钥匙", "keys", 5, None),
    ("灯具", "lights", None, None),
    ("窗帘", "curtains", None, None),
    ("挂画", "paintings", None, None),
)


def _local(day, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm)).replace(tzinfo=clock.get_clock().tz)


def seed_checklist(users: dict) -> dict:
    """Seed the items, the checklists and the repairs; returns what was made."""
    reception = users.get("reception")
    second = users.get("reception2", reception)
    supervisor = users.get("supervisor")
    today = clock.today()
    items = []
    for order, (name, group, expected, restock) in enumerate(ITEMS, start=1):
        item = ChecklistItem(name=name, group=group, counted=expected is not None,
                             expected_count=expected, restock_level=restock,
                             sort_order=order * 10, active=True)
        db.session.add(item)
        items.append(item)
    db.session.flush()

    # a month of earlier checklists, done each morning (now and then something was short)
    days = 0
    for back in range(30, 0, -1):
        day = today - timedelta(days=back)
        who = reception if back % 2 else second
        checklist = ChecklistDay(day=day, completed_at=_local(day, "08:40"),
                                 completed_by_id=who.id)
        db.session.add(checklist)
        db.session.flush()
        for index, item in enumerate(items):
            status = "damaged" if (back == 12 and item.name == "灯具") else "ok"
            quantity = item.expected_count
            if item.name == "钥匙" and back == 20:
                status, quantity = "missing", 4
            db.session.add(ChecklistMark(
                checklist_id=checklist.id, item_id=item.id, status=status, quantity=quantity,
                marked_by_id=who.id, marked_at=_local(day, "08:15") + timedelta(minutes=index)))
        days += 1

    # today: the first half checked by "reception"; the projector is damaged
    checklist = ChecklistDay(day=today)
    db.session.add(checklist)
    db.session.flush()
    half = items[: len(items) // 2]
    now = clock.now()
    for index, item in enumerate(half):
        status, note = "ok", None
        if item.name == "投影/电视":
            status, note = "damaged", "投影仪开机后无画面"
        db.session.add(ChecklistMark(
            checklist_id=checklist.id, item_id=item.id, status=status,
            quantity=item.expected_count if item.counted else None, note=note,
            marked_by_id=reception.id,
            marked_at=min(now, _local(today, "08:10") + timedelta(minutes=index))))

    by_name = {item.name: item for item in items}
    # two open repairs (one followed up), two fixed
    projector = RepairReport(item_id=by_name["投影/电视"].id, place="投影/电视",
                             problem="投影仪开机后无画面,已检查电源线", reported_by_id=reception.id,
                             reported_at=min(now, _local(today, "08:14")), status="reported")
    curtain = RepairReport(item_id=by_name["窗帘"].id, place="窗帘",
                           problem="会客区电动窗帘只能打开一半", reported_by_id=second.id,
                           reported_at=_local(today - timedelta(days=3), "09:05"),
                           status="repairing")
    lamp = RepairReport(item_id=by_name["灯具"].id, place="灯具", problem="入口筒灯不亮两盏",
                        reported_by_id=reception.id,
                        reported_at=_local(today - timedelta(days=12), "08:30"), status="fixed",
                        closed_at=_local(today - timedelta(days=10), "15:00"))
    door = RepairReport(place="洽谈室门锁", problem="门锁卡住,钥匙难以转动",
                        reported_by_id=second.id,
                        reported_at=_local(today - timedelta(days=8), "10:20"), status="fixed",
                        closed_at=_local(today - timedelta(days=7), "11:00"))
    db.session.add_all([projector, curtain, lamp, door])
    db.session.flush()
    db.session.add_all([
        RepairNote(report_id=curtain.id, text="已联系物业,师傅明天上午来看", status_to="repairing",
                   by_id=supervisor.id, at=_local(today - timedelta(days=2), "10:00")),
        RepairNote(report_id=lamp.id, text="电工已更换灯泡", status_to="fixed",
                   by_id=supervisor.id, at=_local(today - timedelta(days=10), "15:00")),
        RepairNote(report_id=door.id, text="锁芯已更换", status_to="fixed", by_id=second.id,
                   at=_local(today - timedelta(days=7), "11:00")),
    ])
    db.session.flush()
    # the supervisor heard of today's report, as reporting it in the portal does (R-R3)
    from portal.i18n import N_
    from portal.notifications import notify_role
    from portal.reception.repairs import link

    notify_role("supervisor", N_("%(name)s reported a repair: %(place)s — %(problem)s"),
                link(projector), name=reception.display_name, place=projector.place,
                problem=projector.problem[:60])
    return {"checklist items": len(items), "checklists": days + 1, "repairs": 4}
