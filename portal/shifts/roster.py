"""Duty roster services (值班表, 值日表): the month grid, editing a cell, generating, publishing,
minimum staffing, cleaning duty, and the checks shown on the grid (R-S2, R-S4).

Plain functions taking the acting user; no ``request`` in here. The grid of a month is
loaded with a fixed number of queries however many people it shows.
"""

import calendar
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import NamedTuple

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm.attributes import flag_modified

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.auth.permissions import ROSTER_ROLES
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify
from portal.rules import RuleError
from portal.shifts import rotation
from portal.shifts.models import CleaningDuty, RosterEntry, RosterMonth, ShiftType, StaffingMinimum
from portal.shifts.slots import shift_types

FIRST_YEAR, LAST_YEAR = 2000, 2100
REST = "rest"  # the form value of a rest day (休)
CLEAR = ""  # the form value of an empty cell (the generator decides)
# Who keeps the office tidy: everyone on the day's first shift but the supervisor (R-S4).
CLEANING_ROLES = tuple(r for r in ROSTER_ROLES if r != "supervisor")
MAX_CLEANERS = 5
PUBLISHED_MESSAGE = N_("The duty roster for %(month)s is published.")


class RosterError(RuleError):
    """A roster request the rules refuse: an untranslated message (``N_``) and its params.
    ``status``: what a page that cannot be drawn answers (404 for a month not on the
    roster); an action refused by the runner answers 422 with the message."""

    def __init__(self, message: str, field: str | None = None, *, status: int = 422,
                 **params) -> None:
        super().__init__(message, field, **params)
        self.status = status


class ShortStaffed(RosterError):
    """Generate cannot meet a minimum; nothing is saved. ``plan.shortfalls`` says where."""

    def __init__(self, plan: rotation.Plan) -> None:
        super().__init__(N_("Not saved: the minimum staffing cannot be met on these days."))
        self.plan = plan


# --- months and days ------------------------------------------------------------------------


def check_month(year: int, month: int) -> None:
    """Refuse a month that does not exist (13) or lies outside the roster's calendar."""
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise RosterError(N_("There is no month %(year)d-%(month)02d on the roster."),
                          status=404, year=year, month=month)


def month_days(year: int, month: int) -> list[date]:
    """Every date of the month."""
    check_month(year, month)
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    """The month ``delta`` months away."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_label(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def roster_link(year: int, month: int) -> str:
    """The read-only month page (for notifications; also outside a request, as in the demo)."""
    if has_request_context():
        return url_for("shifts.roster", year=year, month=month)
    return f"/roster/{year}/{month}"


def get_month(year: int, month: int) -> RosterMonth | None:
    return db.session.scalar(sa.select(RosterMonth).where(RosterMonth.year == year,
                                                          RosterMonth.month == month))


def _month_for_change(year: int, month: int) -> RosterMonth:
    """The month's row, created as a draft on its first change."""
    found = get_month(year, month)
    if found is None:
        found = RosterMonth(year=year, month=month, status="draft")
        db.session.add(found)
        db.session.flush()
    return found


def _check_month_version(found: RosterMonth | None, version: int | None) -> None:
    """The form's month version (0 for a month not yet made) must be the current one."""
    if version is None:
        return
    if (found.version if found and found.id else 0) != version:
        raise Conflict(found)


def _touch(found: RosterMonth) -> None:
    """Bump the month's version: the whole month changed (generate, publish, cleaning)."""
    flag_modified(found, "status")


def active_shift_types() -> list[ShiftType]:
    """Active shift types in the order of the day."""
    return shift_types()


def minimums_map() -> dict[tuple[str, int], int]:
    return {(m.role, m.shift_type_id): m.minimum
            for m in db.session.scalars(sa.select(StaffingMinimum))}


def rostered_staff() -> list[User]:
    """Active people of the rostered roles, by role then name."""
    users = db.session.scalars(sa.select(User).where(User.active.is_(True),
                                                     User.role.in_(ROSTER_ROLES)))
    return sorted(users, key=_person_order)


def _person_order(user: User):
    rank = ROSTER_ROLES.index(user.role) if user.role in ROSTER_ROLES else len(ROSTER_ROLES)
    return rank, user.display_name, user.id


def _tail_start(first_day: date) -> date:
    """The first of the days before a month that can carry a run into it."""
    return first_day - timedelta(days=rotation.MAX_RUN + 1)


def carry_in(first_day: date, user_ids=None) -> dict[int, int]:
    """Working days in a row ending the day before ``first_day`` (the previous month's tail)."""
    query = sa.select(RosterEntry.user_id, RosterEntry.day, RosterEntry.shift_type_id).where(
        RosterEntry.day >= _tail_start(first_day), RosterEntry.day < first_day)
    if user_ids is not None:
        query = query.where(RosterEntry.user_id.in_(list(user_ids)))
    return _runs_into(first_day, db.session.execute(query))


def _runs_into(first_day: date, rows) -> dict[int, int]:
    """{user id: working days in a row up to the day before ``first_day``} from (user id,
    day, shift type id) rows of the days before it."""
    working = defaultdict(set)
    for uid, day, sid in rows:
        if sid is not None:
            working[uid].add(day)
    result = {}
    for uid, days in working.items():
        run, day = 0, first_day - timedelta(days=1)
        while day in days:
            run += 1
            day -= timedelta(days=1)
        if run:
            result[uid] = run
    return result


# --- the month grid -------------------------------------------------------------------------


@dataclass
class Group:
    """One role's rows of the grid."""

    role: str
    people: list[User]


class Cell(NamedTuple):
    """One person's day as the grid shows it: read as plain rows, not as ORM objects (a month
    of sixty people is 1,800 cells)."""

    shift_type_id: int | None  # None: a rest day
    fixed: bool  # set by hand: Generate keeps it
    version: int


@dataclass
class MonthGrid:
    """Everything the month grid, its totals and its checks show."""

    year: int
    month: int
    record: RosterMonth | None
    days: list[date]
    shift_types: list[ShiftType]
    groups: list[Group]
    cells: dict[tuple[int, date], Cell]
    carry: dict[int, int]
    minimums: dict[tuple[str, int], int]
    cleaning: dict[date, list[User]]
    totals: Counter = field(default_factory=Counter)  # (role, shift id, day) -> people
    long_runs: list[rotation.LongRun] = field(default_factory=list)
    long_cells: set = field(default_factory=set)
    shortfalls: list[rotation.Shortfall] = field(default_factory=list)
    short_keys: set = field(default_factory=set)
    _looks: dict | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        role_of = {u.id: u.role for g in self.groups for u in g.people}
        for (uid, day), entry in self.cells.items():
            if entry.shift_type_id is not None:
                self.totals[(role_of.get(uid), entry.shift_type_id, day)] += 1
        assignments = {key: entry.shift_type_id for key, entry in self.cells.items()}
        self.long_runs = rotation.long_runs(assignments, self.days, self.carry,
                                            [u.id for u in self.people])
        for run in self.long_runs:
            for day in self.days:
                if run.first_day <= day <= run.last_day:
                    self.long_cells.add((run.user_id, day))
        if self.cells:  # an unplanned month is not "short" every day
            for day in self.days:
                for (role, sid), needed in sorted(self.minimums.items()):
                    if needed <= 0 or sid not in self.shift_by_id:
                        continue
                    have = self.totals[(role, sid, day)]
                    if have < needed:
                        self.shortfalls.append(rotation.Shortfall(day, role, sid, needed, have))
                        self.short_keys.add((role, sid, day))

    @property
    def label(self) -> str:
        return month_label(self.year, self.month)

    @property
    def status(self) -> str:
        return self.record.status if self.record else "none"

    @property
    def is_published(self) -> bool:
        return bool(self.record and self.record.is_published)

    @property
    def version(self) -> int:
        return self.record.version if self.record else 0

    @property
    def people(self) -> list[User]:
        return [u for g in self.groups for u in g.people]

    @cached_property
    def shift_by_id(self) -> dict[int, ShiftType]:
        return {t.id: t for t in self.shift_types}

    @property
    def inactive(self) -> list[User]:
        """Deactivated people who still have cells this month (a check)."""
        return [u for u in self.people if not u.active and self.row(u)[0]]

    @property
    def problem_count(self) -> int:
        return len(self.long_runs) + len(self.shortfalls) + len(self.inactive)

    def shortfall_lines(self) -> list[tuple[str, ShiftType, int, str]]:
        """The shortfalls for the list of checks, one line per role and shift however many
        days fall short: (role, shift type, minimum, the days as "1–5, 8")."""
        days: dict[tuple[str, int], list[int]] = defaultdict(list)
        needed: dict[tuple[str, int], int] = {}
        for s in self.shortfalls:
            days[(s.role, s.shift_type_id)].append(s.day.day)
            needed[(s.role, s.shift_type_id)] = s.needed
        order = {role: n for n, role in enumerate(ROSTER_ROLES)}
        keys = sorted(days, key=lambda k: (order.get(k[0], len(order)),
                                           self.shift_types.index(self.shift_by_id[k[1]])))
        return [(role, self.shift_by_id[sid], needed[(role, sid)], day_ranges(days[(role, sid)]))
                for role, sid in keys]

    def cell(self, user: User, day: date) -> Cell | None:
        return self.cells.get((user.id, day))

    def cell_name(self, entry: Cell | None) -> str:
        """A cell in words: the shift's name, Rest, or "" for an empty cell."""
        if entry is None:
            return ""
        if entry.shift_type_id is None:
            return _("Rest")
        return self.shift_by_id[entry.shift_type_id].label

    def day_cells(self, user: User, focus: date | None = None,
                  message: str | None = None) -> Markup:
        """A person's day cells, as compact as a month of sixty people (1,800 cells) needs
        them: the shift's first letter and class only (``s<id>`` its colour, ``r`` rest,
        ``f`` set by hand, ``lr`` in a run of more than six working days), a one-word class
        unquoted and no ``</td>`` (both optional in HTML). The row says whose cells they are
        (``data-user``), the column which day (weekends are coloured by their ``<col>``);
        the shift's whole name and the editor come on request. Built here, not by a macro
        per cell, which cost more than the page's queries. ``focus``: the day just edited
        (focused after the swap, with ``message`` read out)."""
        looks = self._cell_looks()
        cells, long, uid = self.cells, self.long_cells, user.id
        parts = []
        for day in self.days:
            entry = cells.get((uid, day))
            if entry is None:
                css, text = "", ""
            else:
                css, text = looks[entry.shift_type_id]
                if entry.fixed:
                    css += " f"
            if (uid, day) in long:
                css += " lr"
            css = css.lstrip()
            attrs = (f' class="{css}"' if " " in css else f" class={css}") if css else ""
            if day == focus:
                attrs += ' tabindex="0" autofocus'
                if message:
                    text += str(Markup('<span class="cell-message" role="alert">%s</span>')
                                % message)
            parts.append(f"<td{attrs}>{text}")
        # our own class names and numbers; the letters are escaped in _cell_looks
        return Markup("".join(parts))  # noqa: S704

    def total_cells(self, role: str, shift_type_id: int) -> Markup:
        """A role's head count on one shift, day by day (``short``: below the minimum)."""
        parts = []
        for day in self.days:
            key = (role, shift_type_id, day)
            css = " class=short" if key in self.short_keys else ""
            parts.append(f"<td{css}>{self.totals[key]}")  # as compact as day_cells
        return Markup("".join(parts))  # noqa: S704 (numbers)

    def _cell_looks(self) -> dict:
        """{shift type id or None (rest): (class, the letter shown)}."""
        if self._looks is None:
            looks = {t.id: (f"s{t.id}", str(escape(t.label[:1]))) for t in self.shift_types}
            looks[None] = ("r", str(escape(_("Rest")[:1])))
            self._looks = looks
        return self._looks

    def row(self, user: User) -> tuple[int, int]:
        """(days worked, rest days) of a row."""
        worked = rest = 0
        for day in self.days:
            entry = self.cells.get((user.id, day))
            if entry is not None:
                if entry.shift_type_id is None:
                    rest += 1
                else:
                    worked += 1
        return worked, rest

    def runs_of(self, user: User) -> list[rotation.LongRun]:
        return [r for r in self.long_runs if r.user_id == user.id]

    def total(self, role: str, shift_type_id: int, day: date) -> int:
        return self.totals[(role, shift_type_id, day)]

    def minimum(self, role: str, shift_type_id: int) -> int:
        return self.minimums.get((role, shift_type_id), 0)

    def is_short(self, role: str, shift_type_id: int, day: date) -> bool:
        return (role, shift_type_id, day) in self.short_keys

    def in_long_run(self, user: User, day: date) -> bool:
        return (user.id, day) in self.long_cells

    def cleaning_token(self, day: date) -> str:
        return cleaning_token(self.cleaning.get(day, []))

    def cleaning_candidates(self, day: date) -> list[User]:
        """People on the roster that day (working), for the cleaning-duty choice."""
        return [u for u in self.people if u.active and (e := self.cells.get((u.id, day)))
                and e.shift_type_id is not None]


def day_ranges(numbers) -> str:
    """[1, 2, 3, 5, 7, 8] -> "1–3, 5, 7–8"."""
    parts: list[str] = []
    run: list[int] = []
    for n in sorted(set(numbers)):
        if run and n != run[-1] + 1:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}")
            run = []
        run.append(n)
    if run:
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}")
    return ", ".join(parts)


def load_grid(year: int, month: int, *, only_published: bool = False) -> MonthGrid:
    """The month's grid in a fixed number of queries: the month, shift types, minimums, the
    rostered staff, the month's cells with the previous month's last days (plain rows, one
    query), the people with cells who are not rostered staff (deactivated, another role) and
    shift types switched off but still on the roster (both only when there are any), and the
    cleaning duty."""
    days = month_days(year, month)
    record = get_month(year, month)
    shift_types = list(active_shift_types())
    minimums = minimums_map()
    cells: dict[tuple[int, date], Cell] = {}
    cleaning: dict[date, list[User]] = defaultdict(list)
    people = {u.id: u for u in ([] if only_published else rostered_staff())}
    visible = record is not None and (record.is_published or not only_published)
    carry = None
    if visible:
        # the month's cells and, in the same query, the previous month's last days (the runs
        # that carry into this month)
        tail = []
        for month_id, uid, day, sid, fixed, version in db.session.execute(
                sa.select(RosterEntry.month_id, RosterEntry.user_id, RosterEntry.day,
                          RosterEntry.shift_type_id, RosterEntry.fixed, RosterEntry.version)
                .where(sa.or_(RosterEntry.month_id == record.id,
                              RosterEntry.day.between(_tail_start(days[0]),
                                                      days[0] - timedelta(days=1))))):
            if month_id == record.id and day >= days[0]:
                cells[(uid, day)] = Cell(sid, fixed, version)
            elif day < days[0]:
                tail.append((uid, day, sid))
        carry = _runs_into(days[0], tail)
        missing = {user_id for user_id, _day in cells} - set(people)
        if missing:
            people.update((u.id, u) for u in db.session.scalars(
                sa.select(User).where(User.id.in_(missing))))
        for duty in db.session.scalars(
                sa.select(CleaningDuty).where(CleaningDuty.day.between(days[0], days[-1]))
                .order_by(CleaningDuty.day, CleaningDuty.id)):
            cleaning[duty.day].append(duty.user)
    _add_switched_off(shift_types, cells)
    if carry is None:
        carry = carry_in(days[0]) if people else {}
    return MonthGrid(year, month, record, days, shift_types, _groups(people.values()), cells,
                     carry, minimums, dict(cleaning))


def _add_switched_off(shift_types: list[ShiftType], cells: dict) -> None:
    """A shift type switched off still shows where it is on the roster (a query only then)."""
    unknown = {e.shift_type_id for e in cells.values()} - {t.id for t in shift_types} - {None}
    if unknown:
        shift_types += db.session.scalars(sa.select(ShiftType).where(ShiftType.id.in_(unknown))
                                          .order_by(ShiftType.sort_order, ShiftType.id))


def load_row(year: int, month: int, user: User) -> MonthGrid:
    """The month of one person (one query, and the day's shift types, read once a request):
    what their row of the grid shows after a cell changes; the totals and the checks, which
    need everyone, come by a request of their own."""
    days = month_days(year, month)
    shift_types = list(active_shift_types())
    cells: dict[tuple[int, date], Cell] = {}
    tail = []
    for day, sid, fixed, version in db.session.execute(
            sa.select(RosterEntry.day, RosterEntry.shift_type_id, RosterEntry.fixed,
                      RosterEntry.version)
            .where(RosterEntry.user_id == user.id,
                   RosterEntry.day.between(_tail_start(days[0]), days[-1]))):
        if day >= days[0]:
            cells[(user.id, day)] = Cell(sid, fixed, version)
        else:
            tail.append((user.id, day, sid))
    _add_switched_off(shift_types, cells)
    return MonthGrid(year, month, None, days, shift_types, [Group(user.role, [user])], cells,
                     _runs_into(days[0], tail), {}, {})


def load_frame(year: int, month: int) -> MonthGrid:
    """The month without its cells (four queries): the month, shift types, minimums and the
    rostered staff, as the planner's Generate and Minimum staffing forms need them."""
    days = month_days(year, month)
    return MonthGrid(year, month, get_month(year, month), days, list(active_shift_types()),
                     _groups(rostered_staff()), {}, {}, minimums_map(), {})


def _groups(people) -> list[Group]:
    """People by role, the rostered roles first, each by name."""
    groups: dict[str, list[User]] = defaultdict(list)
    for user in sorted(people, key=_person_order):
        groups[user.role].append(user)
    ordered = [Group(role, groups[role]) for role in ROSTER_ROLES if groups.get(role)]
    return ordered + [Group(role, users) for role, users in groups.items()
                      if role not in ROSTER_ROLES]


# --- editing a cell -------------------------------------------------------------------------


def parse_choice(value: str | None) -> int | None | str:
    """A cell form value: a shift type id, REST (None), or CLEAR; anything else is refused."""
    value = (value or "").strip()
    if value == CLEAR:
        return CLEAR
    if value == REST:
        return None
    # the active types are read once a request (the grid drawn after uses them too)
    if value.isdigit() and any(t.id == int(value) for t in active_shift_types()):
        return int(value)
    raise RosterError(N_("Choose a shift, a rest day or an empty cell."), "shift")


def cell_text(entry: RosterEntry | None) -> str:
    """How a cell is written in the audit trail: the shift's name (data), ``rest`` (shown
    translated through the audit trail's value labels), or "" for an empty cell."""
    if entry is None:
        return ""
    return entry.shift_type.name if entry.shift_type_id is not None else REST


def set_cell(actor: User, year: int, month: int, user: User, day: date, choice,
             version: int | None) -> RosterEntry | None:
    """Set one person's cell by hand (it becomes fixed: the generator keeps it).

    ``version`` is the cell's version the editor saw (0 for an empty cell); a different
    current version is a conflict. Returns the entry (None when the cell was emptied).
    """
    days = month_days(year, month)
    if day not in days:
        raise RosterError(N_("%(day)s is not in %(month)s."), day=day.isoformat(),
                          month=month_label(year, month))
    if user.role not in ROSTER_ROLES and not db.session.scalar(
            sa.select(RosterEntry.id).where(RosterEntry.user_id == user.id,
                                            RosterEntry.day == day)):
        raise RosterError(N_("%(name)s does not work shifts."), name=user.display_name)
    if choice not in (CLEAR, None) and not user.active:
        raise RosterError(N_("%(name)s is deactivated and cannot be given a shift."),
                          name=user.display_name)
    entry = db.session.scalar(sa.select(RosterEntry).where(RosterEntry.user_id == user.id,
                                                           RosterEntry.day == day))
    if (entry.version if entry else 0) != version:
        raise Conflict(entry)
    if choice == CLEAR and entry is None:
        return None
    record = _month_for_change(year, month)
    before, was_fixed = cell_text(entry), bool(entry and entry.fixed)
    # the shift type as an object too, so the entry says its name without being read again
    shift_type = db.session.get(ShiftType, choice) if choice not in (CLEAR, None) else None
    if choice == CLEAR:
        db.session.delete(entry)
        entry = None
    elif entry is None:
        entry = RosterEntry(month_id=record.id, user_id=user.id, day=day,
                            shift_type=shift_type, fixed=True)
        db.session.add(entry)
    else:
        entry.shift_type = shift_type
        entry.fixed = True
    db.session.flush()
    after = cell_text(entry)
    if before != after or (entry is not None and not was_fixed):
        audit.record("roster.cell_set", record, actor=actor,
                     changes={"shift": [before or None, after or None]},
                     details={"person": user.display_name, "day": day.isoformat()})
    if record.is_published and before != after:
        _notify_cell(user, day, entry)
    return entry


def _notify_cell(user: User, day: date, entry: RosterEntry | None) -> None:
    """R-S4: a change to a published month is told to the person it concerns."""
    link = roster_link(day.year, day.month)
    if entry is None:
        notify(user, N_("Your cell on %(day)s was removed from the published roster."), link,
               day=day.isoformat())
    elif entry.shift_type_id is None:
        notify(user, N_("The roster changed: %(day)s is now a rest day for you."), link,
               day=day.isoformat())
    else:
        notify(user, N_("The roster changed: on %(day)s you are on %(shift)s."), link,
               day=day.isoformat(), shift=entry.shift_type.name)


# --- generating a month ---------------------------------------------------------------------


@dataclass
class GenerateResult:
    plan: rotation.Plan
    changed_people: int = 0


def generate(actor: User, year: int, month: int, user_ids, version: int | None) -> GenerateResult:
    """Fill the month for the chosen people with the rotation (R-S2), keeping cells fixed by
    hand and continuing from the previous month. Nothing is saved when a minimum falls short.

    People not chosen lose their generated cells; their fixed cells stay and count toward
    the minimums.
    """
    days = month_days(year, month)
    record = get_month(year, month)
    _check_month_version(record, version)
    shift_types = active_shift_types()
    if not shift_types:
        raise RosterError(N_("There is no active shift type to plan."), "staff")
    wanted = set(user_ids)
    chosen = list(db.session.scalars(sa.select(User).where(User.id.in_(wanted)))) \
        if wanted else []
    if not chosen or len(chosen) != len(wanted):
        raise RosterError(N_("Choose the people to plan."), "staff")
    for user in chosen:
        if not user.active or user.role not in ROSTER_ROLES:
            raise RosterError(N_("%(name)s cannot be planned: only active staff of the "
                                 "rostered roles."), "staff", name=user.display_name)
    entries = list(db.session.scalars(sa.select(RosterEntry)
                                      .where(RosterEntry.month_id == record.id))) \
        if record else []
    before = {(e.user_id, e.day): e.shift_type_id for e in entries}
    fixed, coverage = {}, Counter()
    for entry in entries:
        if not entry.fixed:
            continue
        if entry.user_id in wanted:
            fixed[(entry.user_id, entry.day)] = entry.shift_type_id
        elif entry.shift_type_id is not None:
            coverage[(entry.day, entry.user.role, entry.shift_type_id)] += 1
    plan = rotation.generate(
        [rotation.Person(u.id, u.role) for u in sorted(chosen, key=_person_order)],
        days, [(t.id, t.sort_order) for t in shift_types], minimums_map(),
        carry_in=carry_in(days[0], wanted), previous_counts=_previous_counts(days[0], wanted),
        fixed=fixed, coverage=coverage,
    )
    if plan.shortfalls:
        raise ShortStaffed(plan)  # nothing was written yet

    record = _month_for_change(year, month)
    db.session.execute(sa.delete(RosterEntry).where(RosterEntry.month_id == record.id,
                                                    RosterEntry.fixed.is_(False)))
    db.session.add_all(
        RosterEntry(month_id=record.id, user_id=uid, day=day, shift_type_id=sid, fixed=False)
        for (uid, day), sid in plan.assignments.items() if (uid, day) not in fixed
    )
    _touch(record)
    after = {**{(e.user_id, e.day): e.shift_type_id for e in entries if e.fixed},
             **plan.assignments}
    changed = {uid for (uid, day) in set(before) | set(after)
               if before.get((uid, day), "none") != after.get((uid, day), "none")}
    audit.record("roster.generated", record, actor=actor,
                 details={"people": len(chosen), "changed": len(changed),
                          "long_runs": len(plan.long_runs)})
    if record.is_published and changed:
        link = roster_link(year, month)
        people = db.session.scalars(sa.select(User).where(User.id.in_(changed))).all()
        notify(people, N_("Your duty roster for %(month)s changed."), link,
               month=month_label(year, month))
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return GenerateResult(plan, changed_people=len(changed))


def _previous_counts(first_day: date, user_ids) -> dict[int, dict[int, int]]:
    """How often each person had each shift in the previous month (for the balance)."""
    start = (first_day - timedelta(days=1)).replace(day=1)
    rows = db.session.execute(
        sa.select(RosterEntry.user_id, RosterEntry.shift_type_id, sa.func.count())
        .where(RosterEntry.day >= start, RosterEntry.day < first_day,
               RosterEntry.user_id.in_(list(user_ids)), RosterEntry.shift_type_id.is_not(None))
        .group_by(RosterEntry.user_id, RosterEntry.shift_type_id))
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for uid, sid, n in rows:
        counts[uid][sid] = n
    return dict(counts)


# --- publishing -----------------------------------------------------------------------------


def publish(actor: User, year: int, month: int, version: int | None, *,
            anyway: bool = False, reason: str | None = None) -> int:
    """R-S4: publish the month; every rostered person is notified once. Returns how many.

    R-S2 holds first: a run of more than six working days is refused however it is asked.
    A staffing shortfall is published only ``anyway``, with a ``reason`` for the audit trail.
    """
    check_month(year, month)
    record = get_month(year, month)
    _check_month_version(record, version)
    if record is None or not db.session.scalar(
            sa.select(RosterEntry.id).where(RosterEntry.month_id == record.id).limit(1)):
        raise RosterError(N_("There is nothing to publish: plan the month first."))
    if record.is_published:
        raise RosterError(N_("This month is already published."))
    grid = load_grid(year, month)
    if grid.long_runs:
        names = {u.id: u.display_name for u in grid.people}
        raise RosterError(
            N_("Not published: more than six working days in a row for %(names)s. Give them "
               "a rest day first."), "publish",
            names=", ".join(dict.fromkeys(names.get(r.user_id, "?") for r in grid.long_runs)))
    short_days = len({s.day for s in grid.shortfalls})
    reason = (reason or "").strip()
    if short_days and not anyway:
        raise RosterError(N_("Not published: the minimum staffing is not met on %(count)d "
                             "days. Fix the roster, or publish anyway with a reason."),
                          "publish", count=short_days)
    if short_days and not reason:
        raise RosterError(N_("Say why the month is published below the minimum staffing."),
                          "reason")
    record.status = "published"
    record.published_at = clock.now()
    record.published_by_id = actor.id
    people = db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.id.in_(
            sa.select(RosterEntry.user_id).where(RosterEntry.month_id == record.id)))).all()
    notify(people, PUBLISHED_MESSAGE,
           roster_link(year, month), month=month_label(year, month))
    details = {"notified": len(people)}
    if short_days:
        details.update(short_days=short_days, reason=reason)
    audit.record("roster.published_short" if short_days else "roster.published", record,
                 actor=actor, changes={"status": ["draft", "published"]}, details=details)
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return len(people)


# --- minimum staffing -----------------------------------------------------------------------


def set_minimums(actor: User, values: dict[tuple[str, int], int]) -> int:
    """Change the fewest people per role and shift each day; returns how many changed."""
    current = {(m.role, m.shift_type_id): m
               for m in db.session.scalars(sa.select(StaffingMinimum))}
    names = {t.id: t.name for t in db.session.scalars(sa.select(ShiftType))}
    changes = {}
    for (role, sid), value in values.items():
        if role not in ROSTER_ROLES or sid not in names:
            raise RosterError(N_("Unknown role or shift."))
        if not 0 <= value <= 99:
            raise RosterError(N_("A minimum is a number from 0 to 99."))
        row = current.get((role, sid))
        old = row.minimum if row else 0
        if old == value:
            continue
        if row is None:
            db.session.add(StaffingMinimum(role=role, shift_type_id=sid, minimum=value))
        else:
            row.minimum = value
        changes[f"{role}/{names[sid]}"] = [old, value]
    if changes:
        audit.record("roster.minimums_set", actor=actor, changes=changes)
    return len(changes)


# --- cleaning duty (值日表) ------------------------------------------------------------------


def cleaning_token(users) -> str:
    """What the cleaning editor saw for a day; another value now is a conflict."""
    return ",".join(str(i) for i in sorted(u.id for u in users)) or "-"


def generate_cleaning(actor: User, year: int, month: int, per_day: int = 1,
                      version: int | None = None) -> int:
    """Cleaning duty for the month: ``per_day`` people on the day's first shift, rotating
    fairly (fewest duties so far, counting the previous month; then least recently)."""
    days = month_days(year, month)
    if not 1 <= per_day <= MAX_CLEANERS:
        raise RosterError(N_("Choose from 1 to %(n)d people a day."), "per_day", n=MAX_CLEANERS)
    record = get_month(year, month)
    _check_month_version(record, version)
    shift_types = active_shift_types()
    if record is None or not shift_types:
        raise RosterError(N_("Plan the month before its cleaning duty."))
    first_shift = shift_types[0].id
    on_first: dict[date, list[User]] = defaultdict(list)
    for entry in db.session.scalars(sa.select(RosterEntry)
                                    .where(RosterEntry.month_id == record.id)):
        if (entry.shift_type_id == first_shift and entry.user.active
                and entry.user.role in CLEANING_ROLES):
            on_first[entry.day].append(entry.user)
    previous_start = (days[0] - timedelta(days=1)).replace(day=1)
    counts = Counter(dict(db.session.execute(
        sa.select(CleaningDuty.user_id, sa.func.count())
        .where(CleaningDuty.day >= previous_start, CleaningDuty.day < days[0])
        .group_by(CleaningDuty.user_id)).all()))
    last: dict[int, int] = {}
    old = {(d.day, d.user_id) for d in db.session.scalars(
        sa.select(CleaningDuty).where(CleaningDuty.day.between(days[0], days[-1])))}
    db.session.execute(sa.delete(CleaningDuty).where(CleaningDuty.day.between(days[0],
                                                                              days[-1])))
    new = set()
    for index, day in enumerate(days):
        people = sorted(on_first.get(day, []),
                        key=lambda u: (counts[u.id], last.get(u.id, -1), u.id))
        for user in people[:per_day]:
            db.session.add(CleaningDuty(day=day, user_id=user.id))
            counts[user.id] += 1
            last[user.id] = index
            new.add((day, user.id))
    _touch(record)
    audit.record("roster.cleaning_generated", record, actor=actor,
                 details={"per_day": per_day, "duties": len(new)})
    if record.is_published:
        affected = {uid for _, uid in old ^ new}
        if affected:
            notify(db.session.scalars(sa.select(User).where(User.id.in_(affected))).all(),
                   N_("The cleaning duty for %(month)s changed."),
                   roster_link(year, month),
                   month=month_label(year, month))
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return len(new)


def set_cleaning_day(actor: User, year: int, month: int, day: date, user_ids,
                     token: str | None) -> list[User]:
    """Change who has cleaning duty on ``day``; ``token`` is what the editor saw."""
    days = month_days(year, month)
    if day not in days:
        raise RosterError(N_("%(day)s is not in %(month)s."), day=day.isoformat(),
                          month=month_label(year, month))
    ids = list(dict.fromkeys(i for i in user_ids if i))
    if len(ids) > MAX_CLEANERS:
        raise RosterError(N_("Choose from 1 to %(n)d people a day."), "person", n=MAX_CLEANERS)
    users = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)))) if ids else []
    if len(users) != len(ids) or any(not u.active for u in users):
        raise RosterError(N_("Choose active staff for the cleaning duty."), "person")
    current = list(db.session.scalars(sa.select(CleaningDuty).where(CleaningDuty.day == day)))
    if cleaning_token([d.user for d in current]) != token:
        raise Conflict()
    record = _month_for_change(year, month)
    before = {d.user_id: d.user for d in current}
    for duty in current:
        if duty.user_id not in ids:
            db.session.delete(duty)
    for user in users:
        if user.id not in before:
            db.session.add(CleaningDuty(day=day, user_id=user.id))
    db.session.flush()
    names_before = [u.display_name for u in before.values()]
    names_after = [u.display_name for u in users]
    if set(before) != set(ids):
        audit.record("roster.cleaning_set", record, actor=actor,
                     changes={"cleaning": [", ".join(names_before) or None,
                                           ", ".join(names_after) or None]},
                     details={"day": day.isoformat()})
        if record.is_published:
            link = roster_link(year, month)
            added = [u for u in users if u.id not in before]
            removed = [u for uid, u in before.items() if uid not in ids]
            if added:
                notify(added, N_("You are on cleaning duty on %(day)s."), link,
                       day=day.isoformat())
            if removed:
                notify(removed, N_("You are no longer on cleaning duty on %(day)s."), link,
                       day=day.isoformat())
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return users


# --- the supervisor's Today card ------------------------------------------------------------


def card_context(user: User) -> dict:
    """Months not yet published (this and next) and the week's staffing shortfalls."""
    today = clock.today()
    months = []
    for delta in (0, 1):
        year, month = shift_month(today.year, today.month, delta)
        record = get_month(year, month)
        if record is None or not record.is_published:
            months.append({"year": year, "month": month, "label": month_label(year, month),
                           "status": record.status if record else "none"})
    week = [today + timedelta(days=i) for i in range(7)]
    minimums = {k: v for k, v in minimums_map().items() if v > 0}
    rows = db.session.execute(
        sa.select(RosterEntry.day, User.role, RosterEntry.shift_type_id, sa.func.count())
        .join(User, User.id == RosterEntry.user_id)
        .where(RosterEntry.day.between(week[0], week[-1]),
               RosterEntry.shift_type_id.is_not(None))
        .group_by(RosterEntry.day, User.role, RosterEntry.shift_type_id)).all()
    planned_days = {day for day, *_ in rows}
    have = {(day, role, sid): n for day, role, sid, n in rows}
    names = {t.id: t.label for t in active_shift_types()}
    shortfalls = [
        {"day": day, "role": role, "shift": names.get(sid, "?"), "needed": needed,
         "have": have.get((day, role, sid), 0)}
        for day in week if day in planned_days
        for (role, sid), needed in sorted(minimums.items())
        if sid in names and have.get((day, role, sid), 0) < needed
    ]
    return {"months": months, "shortfalls": shortfalls, "week_planned": bool(planned_days)}


# --- export ---------------------------------------------------------------------------------


def export_xlsx(grid: MonthGrid) -> bytes:
    """The month as a workbook: one row per person (shift names, 休), row and column totals,
    and the cleaning duty; shift colours as cell fills."""
    from flask_babel import format_date
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from portal.auth.permissions import ROLE_LABELS
    from portal.exports import append, workbook_bytes

    book = Workbook()
    sheet = book.active
    sheet.title = grid.label
    status = _("Published") if grid.is_published else _("Draft")
    append(sheet, [_("Duty roster %(month)s", month=grid.label), status])
    sheet["A1"].font = Font(bold=True, size=13)
    append(sheet, [_("Name"), _("Role")]
                 + [f"{d.day} {format_date(d, 'EEEEE')}" for d in grid.days]
                 + [_("Days worked"), _("Rest days")])
    header_row = sheet.max_row
    fills = {t.id: PatternFill("solid", fgColor=t.colour.lstrip("#").upper())
             for t in grid.shift_types if re.match(r"^#[0-9a-fA-F]{6}$", t.colour or "")}
    first_day_col = 3
    for group in grid.groups:
        role = _(ROLE_LABELS.get(group.role, group.role))
        for user in group.people:
            row = [user.display_name, role]
            row += [grid.cell_name(grid.cell(user, day)) for day in grid.days]
            row += list(grid.row(user))
            append(sheet, row)
            for index, day in enumerate(grid.days):
                entry = grid.cell(user, day)
                if entry is not None and entry.shift_type_id in fills:
                    sheet.cell(sheet.max_row, first_day_col + index).fill = \
                        fills[entry.shift_type_id]
        for shift_type in grid.shift_types:
            append(sheet, [f"{role} · {shift_type.label}", _("Total")]
                         + [grid.total(group.role, shift_type.id, d) for d in grid.days])
            sheet.cell(sheet.max_row, 1).font = Font(italic=True)
    append(sheet, [_("Cleaning duty"), ""]
                 + [", ".join(u.display_name for u in grid.cleaning.get(d, []))
                    for d in grid.days])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 12
    for index in range(len(grid.days)):
        sheet.column_dimensions[get_column_letter(first_day_col + index)].width = 5
    sheet.freeze_panes = sheet.cell(header_row + 1, first_day_col)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return workbook_bytes(book)
