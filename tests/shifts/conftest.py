"""Roster fixtures for the shifts tests: months and cells made directly (not by the grid)."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.shifts.models import RosterEntry, RosterMonth

HX = {"HX-Request": "true"}


def hx(target: str | None = None) -> dict:
    """Headers of an htmx request (aimed at ``target``'s id)."""
    return {**HX, "HX-Target": target} if target else dict(HX)


@pytest.fixture
def roster_month(shift_types):
    """``roster_month(2026, 11, published=True)`` -> the RosterMonth, made once."""

    def _month(year: int, month: int, published: bool = True) -> RosterMonth:
        row = db.session.scalar(sa.select(RosterMonth).where(RosterMonth.year == year,
                                                             RosterMonth.month == month))
        if row is None:
            row = RosterMonth(year=year, month=month)
            db.session.add(row)
        row.status = "published" if published else "draft"
        db.session.flush()
        return row

    return _month


@pytest.fixture
def roster(shift_types, roster_month):
    """``roster(user, {22: "day", 23: "night", 24: None}, published=True)``: the user's cells.

    Keys are days of ``year``/``month`` (default 2026-11) or dates; values are shift-type
    codes, or None for rest. Returns {date: RosterEntry}.
    """

    def _roster(user, cells: dict, *, year: int = 2026, month: int = 11,
                published: bool = True) -> dict[date, RosterEntry]:
        made = {}
        for key, code in cells.items():
            day = key if isinstance(key, date) else date(year, month, key)
            month_row = roster_month(day.year, day.month, published)
            entry = db.session.scalar(sa.select(RosterEntry).where(
                RosterEntry.user_id == user.id, RosterEntry.day == day))
            if entry is None:
                entry = RosterEntry(user_id=user.id, day=day, month_id=month_row.id)
                db.session.add(entry)
            entry.shift_type_id = shift_types[code].id if code else None
            made[day] = entry
        db.session.commit()
        return made

    return _roster


def days(first: int, last: int, code: str | None = "day") -> dict:
    """{first..last: code}: a run of the same cell."""
    return dict.fromkeys(range(first, last + 1), code)
