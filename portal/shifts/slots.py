"""Shift slots: a shift type on a date (R-S1). The one place that knows which shift is now,
which comes next, and who is on duty. A 16:00–24:00 shift belongs wholly to its date."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import g, has_request_context

from portal import clock
from portal.extensions import db
from portal.shifts.models import RosterEntry, RosterMonth, ShiftType


@dataclass(frozen=True, order=True)
class Slot:
    """One shift on one date, ordered in time."""

    day: date
    order: int
    shift_type_id: int

    @classmethod
    def of(cls, day: date, shift_type: ShiftType) -> "Slot":
        return cls(day, shift_type.sort_order, shift_type.id)

    @property
    def shift_type(self) -> ShiftType:
        return db.session.get(ShiftType, self.shift_type_id)


def shift_types() -> list[ShiftType]:
    """Active shift types in the order of the day (read once per request, and again in one
    query, not one per type, when a commit or rollback has expired them)."""
    if has_request_context() and "portal_shift_types" in g and not any(
            sa.inspect(t).expired for t in g.portal_shift_types):
        return g.portal_shift_types
    types = list(db.session.scalars(
        sa.select(ShiftType).where(ShiftType.active.is_(True))
        .order_by(ShiftType.sort_order, ShiftType.start_minute, ShiftType.id)
    ))
    if has_request_context():
        g.portal_shift_types = types
    return types


def minute_of_day(moment: datetime) -> int:
    local = clock.local(moment)
    return local.hour * 60 + local.minute


def slot_at(moment: datetime | None = None) -> Slot | None:
    """The shift the clock is in (None between shifts, e.g. 00:00–08:00)."""
    moment = moment or clock.now()
    minute = minute_of_day(moment)
    for shift_type in shift_types():
        if shift_type.covers(minute):
            return Slot.of(clock.local(moment).date(), shift_type)
    return None


def next_slot(slot: Slot) -> Slot:
    """The shift after ``slot``: the next type the same day, else the first type next day."""
    types = shift_types()
    later = [t for t in types if (t.sort_order, t.id) > (slot.order, slot.shift_type_id)]
    if later:
        return Slot.of(slot.day, later[0])
    return Slot.of(slot.day + timedelta(days=1), types[0])


def previous_slot(slot: Slot) -> Slot:
    """The shift before ``slot``."""
    types = shift_types()
    earlier = [t for t in types if (t.sort_order, t.id) < (slot.order, slot.shift_type_id)]
    if earlier:
        return Slot.of(slot.day, earlier[-1])
    return Slot.of(slot.day - timedelta(days=1), types[-1])


def upcoming_slot(moment: datetime | None = None) -> Slot:
    """The shift under way, or between shifts the next one to start."""
    moment = moment or clock.now()
    current = slot_at(moment)
    if current:
        return current
    minute = minute_of_day(moment)
    today = clock.local(moment).date()
    types = shift_types()
    for shift_type in types:
        if shift_type.start_minute > minute:
            return Slot.of(today, shift_type)
    return Slot.of(today + timedelta(days=1), types[0])


def published_entry(user, day: date) -> RosterEntry | None:
    """``user``'s cell on ``day`` in a published month."""
    return db.session.scalar(
        sa.select(RosterEntry).join(RosterMonth, RosterEntry.month_id == RosterMonth.id)
        .where(RosterEntry.user_id == user.id, RosterEntry.day == day,
               RosterMonth.status == "published")
    )


def current_shift_of(user, moment: datetime | None = None) -> tuple[RosterEntry, Slot] | None:
    """The published shift ``user`` is on now, if any (shown in the top bar)."""
    moment = moment or clock.now()
    entry = published_entry(user, clock.local(moment).date())
    if entry is None or entry.shift_type is None:
        return None
    if not entry.shift_type.covers(minute_of_day(moment)):
        return None
    return entry, Slot.of(entry.day, entry.shift_type)
