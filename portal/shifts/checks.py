"""Roster rule checks (R-S2): runs of working days, and staffing below the minimum.

The checks are pure functions over plain values (dates, counts), so the roster grid, the
rotation generator and the swap approval can share them. The loaders at the bottom read
what the checks need from the database, one query each, including the previous month's
tail (a run of working days does not stop at the month boundary).
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from portal.extensions import db

# R-S2: six days on, one day off; no one works more than six days in a row.
MAX_CONSECUTIVE_DAYS = 6

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class Run:
    """Consecutive working days, ``first`` to ``last`` inclusive."""

    first: date
    last: date

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True, order=True)
class Shortfall:
    """Fewer people of ``role`` on a shift on a day than the minimum asks."""

    day: date
    shift_type_id: int
    role: str
    have: int
    need: int


def working_runs(working_days: Iterable[date]) -> list[Run]:
    """The runs of consecutive working dates, in date order."""
    runs: list[Run] = []
    for day in sorted(set(working_days)):
        if runs and runs[-1].last + ONE_DAY == day:
            runs[-1] = Run(runs[-1].first, day)
        else:
            runs.append(Run(day, day))
    return runs


def overlong_runs(working_days: Iterable[date], limit: int = MAX_CONSECUTIVE_DAYS) -> list[Run]:
    """Runs longer than ``limit`` days (R-S2: seven or more in a row)."""
    return [run for run in working_runs(working_days) if run.length > limit]


def run_through(working_days: Iterable[date], day: date) -> Run | None:
    """The run of working days that includes ``day`` (None on a rest day)."""
    return next((run for run in working_runs(working_days) if day in run), None)


def staffing_counts(cells: Iterable[tuple[date, int | None, str]]) -> Counter:
    """{(day, shift type id, role): people} from (day, shift type id or None, role) cells."""
    return Counter((day, shift, role) for day, shift, role in cells if shift is not None)


def shortfalls(counts: Mapping, minimums: Mapping[tuple[str, int], int],
               days: Iterable[date]) -> list[Shortfall]:
    """Every (day, shift, role) in ``days`` below its minimum, in date order."""
    found = []
    for day in sorted(set(days)):
        for (role, shift_type_id), need in minimums.items():
            have = counts.get((day, shift_type_id, role), 0)
            if have < need:
                found.append(Shortfall(day, shift_type_id, role, have, need))
    return sorted(found)


# --- loaders -------------------------------------------------------------------------------


def load_minimums() -> dict[tuple[str, int], int]:
    """{(role, shift type id): minimum} of the active shift types (zero minimums left out)."""
    from portal.shifts.models import ShiftType, StaffingMinimum

    rows = db.session.execute(
        sa.select(StaffingMinimum.role, StaffingMinimum.shift_type_id, StaffingMinimum.minimum)
        .join(ShiftType, ShiftType.id == StaffingMinimum.shift_type_id)
        .where(ShiftType.active.is_(True), StaffingMinimum.minimum > 0)
    )
    return {(role, shift): minimum for role, shift, minimum in rows}


def _entries(first: date, last: date, published_only: bool):
    from portal.shifts.models import RosterEntry, RosterMonth

    query = sa.select(RosterEntry.user_id, RosterEntry.day, RosterEntry.shift_type_id).where(
        RosterEntry.day >= first, RosterEntry.day <= last)
    if published_only:
        query = query.join(RosterMonth, RosterMonth.id == RosterEntry.month_id).where(
            RosterMonth.status == "published")
    return query


def load_working_days(user_ids: Iterable[int], first: date, last: date, *,
                      published_only: bool = False) -> dict[int, set[date]]:
    """{user id: the dates they work between ``first`` and ``last``} (any month, so a run
    is followed across the month boundary)."""
    from portal.shifts.models import RosterEntry

    ids = list(set(user_ids))
    working: dict[int, set[date]] = {uid: set() for uid in ids}
    rows = db.session.execute(
        _entries(first, last, published_only)
        .where(RosterEntry.user_id.in_(ids), RosterEntry.shift_type_id.is_not(None))
    )
    for user_id, day, _shift in rows:
        working[user_id].add(day)
    return working


def load_cells(days: Iterable[date], *, roles: Iterable[str] | None = None,
               published_only: bool = False) -> list[tuple[date, int | None, str]]:
    """(day, shift type id, role) of every active person on the roster on ``days``."""
    from portal.auth.models import User
    from portal.shifts.models import RosterEntry

    days = sorted(set(days))
    if not days:
        return []
    query = (
        _entries(days[0], days[-1], published_only)
        .add_columns(User.role)
        .join(User, User.id == RosterEntry.user_id)
        .where(RosterEntry.day.in_(days), User.active.is_(True))
    )
    if roles is not None:
        query = query.where(User.role.in_(list(roles)))
    return [(day, shift, role) for _uid, day, shift, role in db.session.execute(query)]
