"""Roster fixtures for the shifts tests: months and cells made directly (not by the grid)."""

from datetime import date
from html.parser import HTMLParser

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


class _GridRows(HTMLParser):
    """The cells of every table row with an id: ``{row id: [(classes, text), ...]}``, the
    row's heading left out. The grid writes its day cells without ``</td>`` (optional in
    HTML), so a cell ends where the next begins."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[set, str]]] = {}
        self.row: list | None = None
        self.cell: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.row = self.rows.setdefault(attrs["id"], []) if attrs.get("id") else None
            self.cell = None
        elif tag == "th":
            self.cell = None
        elif tag == "td" and self.row is not None:
            self.cell = [set((attrs.get("class") or "").split()), ""]
            self.row.append(self.cell)

    def handle_endtag(self, tag):
        if tag in ("tr", "tbody", "table"):
            self.row = self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data


def grid_rows(html: str) -> dict[str, list[tuple[set, str]]]:
    parser = _GridRows()
    parser.feed(html)
    return {key: [(classes, text.strip()) for classes, text in cells]
            for key, cells in parser.rows.items()}


def person_days(html: str, user) -> list[tuple[set, str]]:
    """A person's day cells in the grid (day 1 first): (classes, text shown)."""
    return [cell for cell in grid_rows(html)[f"row-{user.id}"] if "sum" not in cell[0]]


def person_sums(html: str, user) -> tuple[int, int]:
    """(days worked, rest days) as the person's row shows them."""
    worked, rest = (int(text) for classes, text in grid_rows(html)[f"row-{user.id}"]
                    if "sum" in classes)
    return worked, rest
