"""Shift swap requests (R-S2): a staff member asks a colleague of the same role to swap; the
colleague accepts or declines; the supervisor approves or rejects; the roster changes.

A swap of ``requester_day`` (X) for ``colleague_day`` (Y) exchanges the two people's cells on
X and on Y (on one day when X == Y: they swap shift types). Within one role this never
changes how many of that role work each shift, but it can make a run of working days too
long; ``rule_breaks`` says so before the supervisor approves.

requested -> accepted -> approved | rejected;  requested -> declined;
requested | accepted -> cancelled (by the requester).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import gettext as _

from portal import audit, clock
from portal.actions import Conflict, NotAllowed
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify
from portal.rules import RuleError
from portal.shifts import checks
from portal.shifts.models import RosterEntry, RosterMonth, ShiftType, SwapRequest

OPEN = ("requested", "accepted")
STATUS_LABELS = {
    "requested": N_("Waiting for the colleague"),
    "accepted": N_("Waiting for approval"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Withdrawn"),
}


class SwapError(RuleError):
    """A swap the rules refuse."""


# --- reading -------------------------------------------------------------------------------


def colleagues_for(user: User) -> list[User]:
    """Active colleagues of ``user``'s role, by name: whom they may ask."""
    return list(db.session.scalars(
        sa.select(User).where(User.role == user.role, User.active.is_(True), User.id != user.id)
        .order_by(User.display_name)
    ))


def my_requests(user: User, limit: int = 50) -> list[SwapRequest]:
    """Swaps ``user`` asked for, open ones first, newest first."""
    return list(db.session.scalars(
        sa.select(SwapRequest).where(SwapRequest.requester_id == user.id)
        .order_by(SwapRequest.status.not_in(OPEN), SwapRequest.created_at.desc(),
                  SwapRequest.id.desc()).limit(limit)
    ))


def requests_to(user: User, limit: int = 50) -> list[SwapRequest]:
    """Swaps colleagues asked ``user`` for, open ones first, newest first."""
    return list(db.session.scalars(
        sa.select(SwapRequest).where(SwapRequest.colleague_id == user.id)
        .order_by(SwapRequest.status != "requested", SwapRequest.created_at.desc(),
                  SwapRequest.id.desc()).limit(limit)
    ))


def _approval_query(user: User):
    return sa.select(SwapRequest).where(
        SwapRequest.status == "accepted",
        SwapRequest.requester_id != user.id, SwapRequest.colleague_id != user.id,
    )


def approval_queue(user: User) -> list[SwapRequest]:
    """Accepted swaps waiting for a supervisor (never their own), oldest first."""
    if not user.can("shifts.swap_approve"):
        return []
    return list(db.session.scalars(
        _approval_query(user).order_by(SwapRequest.accepted_at, SwapRequest.id)
    ))


def waiting_count(user: User) -> int:
    """Swaps waiting for ``user``: to accept, and (supervisor) to approve. One query."""
    mine = sa.and_(SwapRequest.colleague_id == user.id, SwapRequest.status == "requested")
    condition = mine
    if user.can("shifts.swap_approve"):
        condition = sa.or_(mine, _approval_query(user).whereclause)
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SwapRequest).where(condition)
    )


def _published_entries(user_ids, days) -> dict[tuple[int, date], RosterEntry]:
    rows = db.session.scalars(
        sa.select(RosterEntry).join(RosterMonth, RosterMonth.id == RosterEntry.month_id)
        .where(RosterEntry.user_id.in_(list(user_ids)), RosterEntry.day.in_(list(days)),
               RosterMonth.status == "published")
    )
    return {(e.user_id, e.day): e for e in rows}


def _days(swap_or_days) -> list[date]:
    if isinstance(swap_or_days, SwapRequest):
        return sorted({swap_or_days.requester_day, swap_or_days.colleague_day})
    return sorted(set(swap_or_days))


def cells_for_rows(rows: list[SwapRequest]) -> dict[tuple[int, date], RosterEntry]:
    """The published cells of the people and days of many swaps, in one query."""
    if not rows:
        return {}
    users = {s.requester_id for s in rows} | {s.colleague_id for s in rows}
    days = {s.requester_day for s in rows} | {s.colleague_day for s in rows}
    return _published_entries(users, days)


def cells_of(swap: SwapRequest) -> dict[tuple[int, date], RosterEntry]:
    """The published cells a swap exchanges: both people on both days."""
    return _published_entries({swap.requester_id, swap.colleague_id}, _days(swap))


# --- rule checks before approval -----------------------------------------------------------


@dataclass(frozen=True)
class RuleBreak:
    """A rule the swap would break, said in words for the supervisor."""

    kind: str  # "run" | "staffing"
    message: str


def _after_swap(cells, requester_id, colleague_id, days) -> dict[tuple[int, date], int | None]:
    after = {key: entry.shift_type_id for key, entry in cells.items()}
    for day in days:
        a, b = (requester_id, day), (colleague_id, day)
        if a in cells and b in cells:
            after[a], after[b] = cells[b].shift_type_id, cells[a].shift_type_id
    return after


def rule_breaks(swap: SwapRequest) -> list[RuleBreak]:
    """Rules the swap would break that the roster does not break now (R-S2): a run of more
    than six working days for either person, a role's shift below its minimum on either day.
    Three queries."""
    days = _days(swap)
    people = {swap.requester_id: swap.requester, swap.colleague_id: swap.colleague}
    cells = cells_of(swap)
    after = _after_swap(cells, swap.requester_id, swap.colleague_id, days)
    breaks: list[RuleBreak] = []

    # runs: follow each person 13 days either side (enough to see any run of seven)
    margin = timedelta(days=checks.MAX_CONSECUTIVE_DAYS * 2 + 1)
    working = checks.load_working_days(people, days[0] - margin, days[-1] + margin)
    for uid, person in people.items():
        before = working[uid]
        now_working = set(before)
        for day in days:
            if (uid, day) in after:
                now_working.discard(day)
                if after[(uid, day)] is not None:
                    now_working.add(day)
        old_runs = set(checks.overlong_runs(before))
        for run in checks.overlong_runs(now_working):
            if run not in old_runs and any(day in run for day in days):
                breaks.append(RuleBreak("run", _(
                    "%(name)s would work %(count)d days in a row (%(first)s – %(last)s).",
                    name=person.display_name, count=run.length,
                    first=run.first.isoformat(), last=run.last.isoformat())))

    # staffing: the day's cells with the two people's roles as they are now
    minimums = checks.load_minimums()
    roles = {uid: person.role for uid, person in people.items()}
    cells_now = checks.load_cells(days)
    others = [(d, s, r) for d, s, r in cells_now]
    for (uid, day), entry in cells.items():
        if entry.shift_type_id is not None and people[uid].active:
            others.remove((day, entry.shift_type_id, roles[uid]))
    before_counts = checks.staffing_counts(cells_now)
    after_counts = checks.staffing_counts(
        others + [(day, shift, roles[uid]) for (uid, day), shift in after.items()
                  if people[uid].active])
    names = {t.id: t.label for t in db.session.scalars(sa.select(ShiftType))}
    from portal.auth.permissions import ROLE_LABELS

    for gap in checks.shortfalls(after_counts, minimums, days):
        if gap.have < before_counts.get((gap.day, gap.shift_type_id, gap.role), 0):
            breaks.append(RuleBreak("staffing", _(
                "%(day)s %(shift)s: %(have)d %(role)s instead of at least %(need)d.",
                day=gap.day.isoformat(), shift=names.get(gap.shift_type_id, "?"),
                have=gap.have, role=_(ROLE_LABELS.get(gap.role, gap.role)), need=gap.need)))
    return breaks


# --- steps ---------------------------------------------------------------------------------


def _link() -> str:
    """Where every swap notification leads (also outside a request, e.g. the demo seed)."""
    return url_for("shifts.swaps") if has_request_context() else "/roster/swaps"


def _check_days(requester: User, colleague: User, requester_day: date, colleague_day: date):
    """Both days today or later, every cell the swap exchanges on a published roster, the
    requester on a shift on their day, and the swap changing something."""
    today = clock.today()
    for field, day in (("requester_day", requester_day), ("colleague_day", colleague_day)):
        if day < today:
            raise SwapError(N_("%(day)s is in the past; only coming shifts can be swapped."),
                            field, day=day.isoformat())
    days = sorted({requester_day, colleague_day})
    cells = _published_entries({requester.id, colleague.id}, days)
    for person, field in ((requester, "requester_day"), (colleague, "colleague_day")):
        for day in days:
            if (person.id, day) not in cells:
                if person is colleague and day == requester_day:
                    field = "requester_day"
                raise SwapError(N_("%(name)s is not on the published roster on %(day)s."),
                                field, name=person.display_name, day=day.isoformat())
    if cells[(requester.id, requester_day)].shift_type_id is None:
        raise SwapError(N_("%(name)s has no shift on %(day)s to swap."), "requester_day",
                        name=requester.display_name, day=requester_day.isoformat())
    if all(cells[(requester.id, d)].shift_type_id == cells[(colleague.id, d)].shift_type_id
           for d in days):
        raise SwapError(N_("You and %(name)s have the same shifts on these days; the swap "
                           "would change nothing."), "colleague_day", name=colleague.display_name)
    return cells


def request_swap(actor: User, colleague: User | None, requester_day: date,
                 colleague_day: date, reason: str | None = None) -> SwapRequest:
    """Ask ``colleague`` to swap the actor's ``requester_day`` for their ``colleague_day``."""
    if colleague is None:
        raise SwapError(N_("Choose a colleague."), "colleague")
    if colleague.id == actor.id:
        raise SwapError(N_("You cannot swap a shift with yourself."), "colleague")
    if colleague.role != actor.role:
        raise SwapError(N_("%(name)s has another role; swap only with a colleague of the same "
                           "role."), "colleague", name=colleague.display_name)
    if not colleague.active:
        raise SwapError(N_("%(name)s's account is deactivated."), "colleague",
                        name=colleague.display_name)
    _check_days(actor, colleague, requester_day, colleague_day)
    duplicate = db.session.scalar(
        sa.select(SwapRequest.id).where(
            SwapRequest.status.in_(OPEN),
            sa.or_(
                sa.and_(SwapRequest.requester_id == actor.id,
                        SwapRequest.colleague_id == colleague.id,
                        SwapRequest.requester_day == requester_day,
                        SwapRequest.colleague_day == colleague_day),
                sa.and_(SwapRequest.requester_id == colleague.id,
                        SwapRequest.colleague_id == actor.id,
                        SwapRequest.requester_day == colleague_day,
                        SwapRequest.colleague_day == requester_day),
            ),
        ).limit(1)
    )
    if duplicate:
        raise SwapError(N_("A request to swap these days with %(name)s is already open."),
                        name=colleague.display_name)
    swap = SwapRequest(requester_id=actor.id, colleague_id=colleague.id,
                       requester_day=requester_day, colleague_day=colleague_day,
                       reason=(reason or "").strip() or None, status="requested",
                       created_at=clock.now())
    swap.requester, swap.colleague = actor, colleague
    db.session.add(swap)
    db.session.flush()
    audit.record("shifts.swap_requested", swap, actor=actor, changes={
        "status": [None, "requested"], "colleague_id": [None, colleague.id],
        "requester_day": [None, requester_day.isoformat()],
        "colleague_day": [None, colleague_day.isoformat()]})
    notify(colleague, N_("%(name)s asks to swap shifts with you: their %(mine)s for your "
                         "%(theirs)s."), _link(), name=actor.display_name,
           mine=requester_day.isoformat(), theirs=colleague_day.isoformat())
    return swap


def _check_version(swap: SwapRequest, version: int | None, *allowed_status: str) -> None:
    if (version is not None and version != swap.version) or swap.status not in allowed_status:
        raise Conflict(swap)


def _set_status(actor: User, swap: SwapRequest, status: str, action: str) -> str:
    old = swap.status
    swap.status = status
    audit.record(action, swap, actor=actor, changes={"status": [old, status]})
    return old


def _supervisors_except(*people: User) -> list[User]:
    ids = [p.id for p in people]
    return list(db.session.scalars(
        sa.select(User).where(User.role == "supervisor", User.active.is_(True),
                              User.id.not_in(ids))
    ))


def _pair(swap: SwapRequest) -> dict:
    return {"a": swap.requester.display_name, "b": swap.colleague.display_name,
            "day": swap.requester_day.isoformat()}


def accept(actor: User, swap: SwapRequest, version: int | None) -> None:
    """The colleague agrees; the swap goes to the supervisors."""
    if actor.id != swap.colleague_id:
        raise NotAllowed("shifts.swap")
    _check_version(swap, version, "requested")
    _check_days(swap.requester, swap.colleague, swap.requester_day, swap.colleague_day)
    _set_status(actor, swap, "accepted", "shifts.swap_accepted")
    swap.accepted_at = clock.now()
    notify(swap.requester, N_("%(b)s accepted your swap request for %(day)s; it now waits for "
                              "the supervisor."), _link(), **_pair(swap))
    notify(_supervisors_except(swap.requester, swap.colleague),
           N_("A shift swap between %(a)s and %(b)s (%(day)s) waits for your approval."),
           _link(), **_pair(swap))
    db.session.flush()  # a concurrent step fails here: the runner answers 409


def decline(actor: User, swap: SwapRequest, version: int | None) -> None:
    """The colleague says no."""
    if actor.id != swap.colleague_id:
        raise NotAllowed("shifts.swap")
    _check_version(swap, version, "requested")
    _set_status(actor, swap, "declined", "shifts.swap_declined")
    swap.decided_at, swap.decided_by_id = clock.now(), actor.id
    notify(swap.requester, N_("%(b)s declined your swap request for %(day)s."), _link(),
           **_pair(swap))
    db.session.flush()  # a concurrent step fails here: the runner answers 409


def cancel(actor: User, swap: SwapRequest, version: int | None) -> None:
    """The requester withdraws a request that is still open."""
    if actor.id != swap.requester_id:
        raise NotAllowed("shifts.swap")
    _check_version(swap, version, *OPEN)
    old = _set_status(actor, swap, "cancelled", "shifts.swap_cancelled")
    swap.decided_at, swap.decided_by_id = clock.now(), actor.id
    told = [swap.colleague]
    if old == "accepted":
        told += _supervisors_except(swap.requester, swap.colleague)
    notify(told, N_("%(a)s withdrew the shift swap request with %(b)s (%(day)s)."), _link(),
           **_pair(swap))
    db.session.flush()  # a concurrent step fails here: the runner answers 409


def _check_approver(actor: User, swap: SwapRequest) -> None:
    if not actor.can("shifts.swap_approve"):
        raise NotAllowed("shifts.swap_approve")
    if actor.id in (swap.requester_id, swap.colleague_id):
        raise SwapError(N_("Another supervisor decides on a swap you are part of."))


def approve(actor: User, swap: SwapRequest, version: int | None) -> None:
    """The supervisor approves: the two people's cells on the swap's days are exchanged."""
    _check_approver(actor, swap)
    _check_version(swap, version, "accepted")
    for person in (swap.requester, swap.colleague):
        if not person.active:
            raise SwapError(N_("%(name)s's account is deactivated."), name=person.display_name)
    cells = _check_days(swap.requester, swap.colleague, swap.requester_day, swap.colleague_day)
    changed = []
    for day in _days(swap):
        mine, theirs = cells[(swap.requester_id, day)], cells[(swap.colleague_id, day)]
        if mine.shift_type_id == theirs.shift_type_id:
            continue
        old_mine, old_theirs = mine.shift_type_id, theirs.shift_type_id
        mine.shift_type_id, theirs.shift_type_id = old_theirs, old_mine
        for entry, old in ((mine, old_mine), (theirs, old_theirs)):
            entry.fixed = True  # a swap is a hand-made change: the generator keeps it
            audit.record("shifts.entry_swapped", entry, actor=actor,
                         changes={"shift_type_id": [old, entry.shift_type_id]},
                         details={"swap_id": swap.id, "user_id": entry.user_id,
                                  "day": day.isoformat()})
        changed.append(day.isoformat())
    _set_status(actor, swap, "approved", "shifts.swap_approved")
    swap.decided_at, swap.decided_by_id = clock.now(), actor.id
    notify([swap.requester, swap.colleague],
           N_("%(name)s approved the shift swap between %(a)s and %(b)s; your roster changed "
              "on %(days)s."), _link(), name=actor.display_name,
           days=", ".join(changed), **_pair(swap))
    db.session.flush()  # a concurrent step fails here: the runner answers 409


def reject(actor: User, swap: SwapRequest, version: int | None) -> None:
    """The supervisor says no; the roster stays as it is."""
    _check_approver(actor, swap)
    _check_version(swap, version, "accepted")
    _set_status(actor, swap, "rejected", "shifts.swap_rejected")
    swap.decided_at, swap.decided_by_id = clock.now(), actor.id
    notify([swap.requester, swap.colleague],
           N_("%(name)s rejected the shift swap between %(a)s and %(b)s (%(day)s)."), _link(),
           name=actor.display_name, **_pair(swap))
    db.session.flush()  # a concurrent step fails here: the runner answers 409


# --- demo ----------------------------------------------------------------------------------


def seed_demo(users: dict[str, User]) -> dict:
    """2–3 swaps in various states and a few overtime records in the current month.

    Assumes the current month is published with entries for the demo users; quietly makes
    less when the roster does not allow it. Returns counts for the demo summary.
    """
    from portal.shifts.overtime import seed_demo_overtime

    today = clock.today()
    made = 0
    pairs = [("presales", "presales2"), ("aftersales", "aftersales2"),
             ("presales3", "presales4")]
    statuses = ["accepted", "requested", "approved"]
    for (a_name, b_name), status in zip(pairs, statuses, strict=True):
        a, b = users.get(a_name), users.get(b_name)
        if a is None or b is None:
            continue
        swap = _demo_swap(a, b, today, status)
        made += swap is not None
    return {"shift swaps": made, "overtime records": seed_demo_overtime(users)}


def _demo_swap(a: User, b: User, today: date, status: str) -> SwapRequest | None:
    """A swap of a day ``a`` works and ``b`` rests for a day ``b`` works and ``a`` rests."""
    first = today + timedelta(days=1)
    last = date(today.year + (today.month == 12), today.month % 12 + 1, 1) - timedelta(days=1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    cells = _published_entries({a.id, b.id}, days)

    def shift(user, day):
        entry = cells.get((user.id, day))
        return entry.shift_type_id if entry else "missing"

    # both on a shift of different types: the swap breaks no run of working days
    mine = next((d for d in days if shift(a, d) not in (None, "missing")
                 and shift(b, d) not in (None, "missing") and shift(b, d) != shift(a, d)), None)
    if mine is None:  # else a's shift against b's rest day
        mine = next((d for d in days if shift(a, d) not in (None, "missing")
                     and shift(b, d) is None), None)
    if mine is None:
        return None
    swap = SwapRequest(requester_id=a.id, colleague_id=b.id, requester_day=mine,
                       colleague_day=mine, status="requested", reason="家里有事",
                       created_at=clock.now() - timedelta(hours=5))
    db.session.add(swap)
    db.session.flush()
    audit.record("shifts.swap_requested", swap, actor=a, changes={"status": [None, "requested"]})
    if status in ("accepted", "approved"):
        swap.status, swap.accepted_at = "accepted", clock.now() - timedelta(hours=3)
        audit.record("shifts.swap_accepted", swap, actor=b,
                     changes={"status": ["requested", "accepted"]})
    if status == "approved":
        supervisor = db.session.scalar(sa.select(User).where(
            User.role == "supervisor", User.active.is_(True)).limit(1))
        if supervisor is not None:
            mine_cell, theirs = cells[(a.id, mine)], cells[(b.id, mine)]
            mine_cell.shift_type_id, theirs.shift_type_id = (theirs.shift_type_id,
                                                             mine_cell.shift_type_id)
            swap.status, swap.decided_by_id = "approved", supervisor.id
            swap.decided_at = clock.now() - timedelta(hours=1)
            audit.record("shifts.swap_approved", swap, actor=supervisor,
                         changes={"status": ["accepted", "approved"]})
    db.session.flush()
    return swap
