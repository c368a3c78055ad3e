"""The opening checklist (物品核查记录单, R-R2): the items the supervisor keeps, and each
morning's marks — OK, missing or damaged, with the count of counted items and a note.

A day's checklist (``ChecklistDay``) is created by its first mark. It is done when every
*active* item carries a mark; ``completed_at`` is set once, by the mark that completes it
(a correction afterwards keeps it done). Two people marking the same item at once: the mark
carries a ``version`` and the person who saw an older state gets ``Conflict`` with the row as
it is now (version 0 stands for "not marked yet").
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.reception.models import ChecklistDay, ChecklistItem, ChecklistMark
from portal.reception.names import clean_names
from portal.rules import RuleError

# R-R2 / R-R3: what is checked in the morning, grouped as the paper record is
GROUPS = {
    "decoration": N_("Decoration"),
    "furniture": N_("Furniture"),
    "audio_video": N_("Audio and video"),
    "lights": N_("Lights"),
    "curtains": N_("Curtains"),
    "fridge": N_("Fridge and drinks"),
    "keys": N_("Keys"),
    "paintings": N_("Paintings"),
    "other": N_("Other"),
}
STATUSES = {"ok": N_("OK"), "missing": N_("Missing"), "damaged": N_("Damaged")}
NAME_MAX = 60
NOTE_MAX = 200


class ReceptionError(RuleError):
    """A checklist or repair request the rules refuse."""


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# --- the items list (reception.lists) --------------------------------------------------------


def all_items() -> list[ChecklistItem]:
    """Every item, active ones first, in list order."""
    return list(db.session.scalars(
        sa.select(ChecklistItem)
        .order_by(ChecklistItem.active.desc(), ChecklistItem.sort_order, ChecklistItem.id)))


def active_items() -> list[ChecklistItem]:
    """The items of the morning check, in list order."""
    return list(db.session.scalars(
        sa.select(ChecklistItem).where(ChecklistItem.active.is_(True))
        .order_by(ChecklistItem.sort_order, ChecklistItem.id)))


def _validated(name, group, counted, expected_count, restock_level) -> dict:
    name = _clean(name)
    if not name:
        raise ReceptionError(N_("Give the item a name."), "name")
    if len(name) > NAME_MAX:
        raise ReceptionError(N_("Keep the name under %(max)d characters."), "name", max=NAME_MAX)
    if group not in GROUPS:
        raise ReceptionError(N_("Choose a group from the list."), "group")
    counted = bool(counted)
    for field, value in (("expected_count", expected_count), ("restock_level", restock_level)):
        if value is not None and value < 0:
            raise ReceptionError(N_("A count cannot be below zero."), field)
    if not counted and (expected_count is not None or restock_level is not None):
        raise ReceptionError(N_("Only counted items have an expected count or a restock "
                                "level; tick \"Counted\"."), "counted")
    if counted and expected_count is None:
        raise ReceptionError(N_("Give the count expected for a counted item."),
                             "expected_count")
    return {"name": name, "group": group, "counted": counted,
            "expected_count": expected_count if counted else None,
            "restock_level": restock_level if counted else None}


ITEM_FIELDS = ("name", "names", "group", "counted", "expected_count", "restock_level", "sort_order",
               "active")


def create_item(user: User, *, name: str, group: str, counted: bool = False,
                expected_count: int | None = None, restock_level: int | None = None,
                sort_order: int | None = None, names: dict | None = None) -> ChecklistItem:
    """R-R2: the supervisor adds an item to the morning check (``names``: its name in the
    other languages)."""
    values = _validated(name, group, counted, expected_count, restock_level)
    values["names"] = clean_names(names)
    if sort_order is None:
        sort_order = (db.session.scalar(sa.select(sa.func.max(ChecklistItem.sort_order))) or 0) + 10
    item = ChecklistItem(**values, sort_order=sort_order, active=True)
    db.session.add(item)
    db.session.flush()
    audit.record("checklist.item_created", item, actor=user,
                 changes=audit.changes(item, ITEM_FIELDS, before={}))
    return item


def update_item(user: User, item: ChecklistItem, version: int, *, name: str, group: str,
                counted: bool, expected_count: int | None, restock_level: int | None,
                sort_order: int | None = None, names: dict | None = None) -> ChecklistItem:
    """Change an item (its names too); marks already made keep what they recorded."""
    if version != item.version:
        raise Conflict(item)
    values = _validated(name, group, counted, expected_count, restock_level)
    values["names"] = clean_names(names)
    before = {field: getattr(item, field) for field in ITEM_FIELDS}
    for field, value in values.items():
        setattr(item, field, value)
    if sort_order is not None:
        item.sort_order = sort_order
    changed = audit.changes(item, ITEM_FIELDS, before=before)
    if changed:
        audit.record("checklist.item_updated", item, actor=user, changes=changed)
    db.session.flush()  # a concurrent change of the item fails here (409)
    return item


def set_item_active(user: User, item: ChecklistItem, active: bool, version: int) -> ChecklistItem:
    """Deactivate (or bring back) an item; it is never deleted: earlier marks name it."""
    if version != item.version:
        raise Conflict(item)
    if item.active == active:
        return item
    item.active = active
    audit.record("checklist.item_deactivated" if not active else "checklist.item_reactivated",
                 item, actor=user, changes={"active": [not active, active]})
    db.session.flush()
    return item


# --- the day's checklist (reception.work) ---------------------------------------------------


def day_of(day: date | None = None) -> ChecklistDay | None:
    """The checklist of ``day`` (today by default), or None before its first mark."""
    return db.session.scalar(sa.select(ChecklistDay)
                             .where(ChecklistDay.day == (day or clock.today())))


def marks_of(checklist: ChecklistDay | None) -> dict[int, ChecklistMark]:
    """{item id: mark} of a day's checklist, in one query."""
    if checklist is None:
        return {}
    return {mark.item_id: mark for mark in db.session.scalars(
        sa.select(ChecklistMark).where(ChecklistMark.checklist_id == checklist.id)).unique()}


def progress(day: date | None = None) -> dict:
    """How far the day's checklist is: marked / total active items, done, who finished it."""
    day = day or clock.today()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistItem)
                              .where(ChecklistItem.active.is_(True)))
    row = db.session.execute(
        sa.select(ChecklistDay,
                  sa.select(sa.func.count()).select_from(ChecklistMark)
                  .join(ChecklistItem, ChecklistItem.id == ChecklistMark.item_id)
                  .where(ChecklistMark.checklist_id == ChecklistDay.id,
                         ChecklistItem.active.is_(True)).scalar_subquery(),
                  sa.select(sa.func.count()).select_from(ChecklistMark)
                  .where(ChecklistMark.checklist_id == ChecklistDay.id,
                         ChecklistMark.status != "ok").scalar_subquery())
        .where(ChecklistDay.day == day)).first()
    checklist, marked, problems = row if row else (None, 0, 0)
    return {"day": day, "checklist": checklist, "marked": marked or 0, "total": total,
            "problems": problems or 0,
            "done": bool(checklist and checklist.completed_at)}


def _ensure_day(day: date) -> ChecklistDay:
    checklist = day_of(day)
    if checklist is None:
        checklist = ChecklistDay(day=day)
        db.session.add(checklist)
        db.session.flush()
    return checklist


def mark(user: User, item: ChecklistItem, *, status: str, quantity: int | None = None,
         note: str | None = None, version: int = 0, day: date | None = None) -> ChecklistMark:
    """R-R2: mark ``item`` on the day's checklist (a correction re-marks it).

    ``version`` is the mark's version the person saw (0: not marked yet). Counted items need
    their count (≥ 0): the fridge's count is the day's drinks stock. The mark that leaves no
    active item unmarked completes the checklist.
    """
    day = day or clock.today()
    checklist = day_of(day)
    existing = marks_of(checklist).get(item.id) if checklist else None
    if (existing.version if existing else 0) != (version or 0):
        raise Conflict(existing)
    if not item.active:
        raise ReceptionError(N_("This item is no longer on the checklist."))
    if status not in STATUSES:
        raise ReceptionError(N_("Mark the item OK, missing or damaged."), "status")
    if item.counted:
        if quantity is None:
            raise ReceptionError(N_("Enter how many there are (0 when none)."), "quantity")
        if quantity < 0:
            raise ReceptionError(N_("The count cannot be below zero."), "quantity")
    else:
        quantity = None
    note = _clean(note)
    if note and len(note) > NOTE_MAX:
        raise ReceptionError(N_("Keep the note under %(max)d characters."), "note", max=NOTE_MAX)
    checklist = checklist or _ensure_day(day)
    fields = ("status", "quantity", "note")
    if existing is None:
        record = ChecklistMark(checklist_id=checklist.id, item_id=item.id, status=status,
                               quantity=quantity, note=note, marked_by_id=user.id,
                               marked_at=clock.now())
        db.session.add(record)
        db.session.flush()
        audit.record("checklist.marked", record, actor=user,
                     changes=audit.changes(record, fields, before={}),
                     details={"day": day.isoformat(), "item": item.name})
    else:
        record = existing
        before = {field: getattr(record, field) for field in fields}
        record.status, record.quantity, record.note = status, quantity, note
        record.marked_by_id, record.marked_at = user.id, clock.now()
        audit.record("checklist.remarked", record, actor=user,
                     changes=audit.changes(record, fields, before=before),
                     details={"day": day.isoformat(), "item": item.name})
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as error:
        # someone marked it (or opened the day's checklist) at the same moment; the runner
        # rolls back and answers the row as it is now
        raise Conflict(existing) from error
    if checklist.completed_at is None:
        state = progress(day)
        if state["marked"] >= state["total"]:
            checklist.completed_at = clock.now()
            checklist.completed_by_id = user.id
            audit.record("checklist.completed", checklist, actor=user,
                         details={"day": day.isoformat(), "items": state["total"],
                                  "problems": state["problems"]})
    return record


def current_mark(item: ChecklistItem, day: date | None = None) -> ChecklistMark | None:
    """The mark ``item`` carries on the day's checklist now."""
    return db.session.scalar(
        sa.select(ChecklistMark).join(ChecklistDay)
        .where(ChecklistDay.day == (day or clock.today()), ChecklistMark.item_id == item.id))
