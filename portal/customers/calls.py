"""Follow-up calls (R-C2, R-C5; issue 17 item 5): plans, planning, My calls today, results.

``plan_due_calls(today)`` turns each active plan into calls due today, in the first of the
plan's windows: member verification (members new within N days, once), prospect follow-up
(a showroom visit with a phone N days ago), care calls (important classes, every N days) and
win-back calls (no order or visit for N days). It is idempotent: a customer never has two
open calls of one plan (the partial unique index says so too). The day-3 return visits of
the after-sales desk keep their own flow; My calls today lists them beside the planned calls.

A call's result: reached / wrong number / declined close it; "no answer" moves it to the
start of the next window (after ``max_tries`` tries it is given up); "call back at" sets the
moment. Every try is a ``CallAttempt`` (the story and the reports read them).
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from portal import audit, clock
from portal.actions import Conflict, NotAllowed
from portal.auth.models import User
from portal.auth.permissions import role_can
from portal.customers.call_models import (
    DEFAULT_WINDOWS,
    FOLLOW_UP,
    PLAN_KINDS,
    RESULTS,
    CallAttempt,
    CallPlan,
    PlannedCall,
)
from portal.customers.classes import CLASSES
from portal.customers.models import KINDS, Customer
from portal.extensions import db
from portal.i18n import N_
from portal.reception.models import Visit
from portal.rules import RuleError

NOTE_MAX = 500
HINT_MAX = 500
CALL_BACK_DAYS = 90  # a "call back at" no further than this
SHOWN_MAX = 25  # calls listed at once on My calls today (the most valuable; page ≤ 60 KB)
PLAN_BATCH = 5000  # calls one plan makes in one run at most (the rest the next day)
CATCH_UP_DAYS = 6  # a prospect's visit missed by a run that did not happen is still called

# the order of My calls today: the most valuable first (the codes of
# portal.customers.classes; a missing class last)
CLASS_ORDER = ("important_value", "important_keep", "important_develop", "important_retain",
               "general_value", "general_keep", "general_develop", "general_retain")

_WINDOW = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-3]):([0-5]\d)$")


# --- windows ---------------------------------------------------------------------------------


def parse_windows(text: str | None) -> list[tuple[time, time]]:
    """``"10:00-11:30 15:00-17:30"`` -> [(10:00, 11:30), (15:00, 17:30)], sorted; raises
    ``RuleError`` for anything else (overlapping or empty windows too)."""
    parts = [p for p in re.split(r"[\s,，;；]+", (text or "").strip()) if p]
    windows = []
    for part in parts:
        match = _WINDOW.match(part.replace("–", "-"))
        if not match:
            raise RuleError(N_("Write the windows as 10:00-11:30 15:00-17:30."), "windows")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = time(h1, m1), time(h2, m2)
        if end <= start:
            raise RuleError(N_("A window ends after it begins."), "windows")
        windows.append((start, end))
    if not windows:
        raise RuleError(N_("Give at least one call window."), "windows")
    windows.sort()
    for (_s1, e1), (s2, _e2) in zip(windows, windows[1:], strict=False):
        if s2 < e1:
            raise RuleError(N_("Call windows must not overlap."), "windows")
    return windows


def windows_of(plan: CallPlan | None) -> list[tuple[time, time]]:
    """The plan's windows (the default ones if a stored text no longer parses)."""
    try:
        return parse_windows(plan.windows if plan else DEFAULT_WINDOWS)
    except RuleError:
        return parse_windows(DEFAULT_WINDOWS)


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, clock.get_clock().tz)


def first_window(day: date, windows) -> datetime:
    """The start of the day's first window (department time)."""
    return _at(day, windows[0][0])


def next_window(now: datetime, windows) -> datetime:
    """The start of the first window after ``now`` (today's next one, else tomorrow's
    first): where a call not answered goes."""
    local = clock.local(now)
    for start, _end in windows:
        if _at(local.date(), start) > local:
            return _at(local.date(), start)
    return first_window(local.date() + timedelta(days=1), windows)


def _day_begin(day: date) -> datetime:
    return _at(day, time())


# --- planning --------------------------------------------------------------------------------


def _callers() -> set[str]:
    return {role for role in ("supervisor", "presales", "aftersales", "manager",
                              "order_clerk", "reception") if role_can(role, "customers.calls")}


def _candidates(plan: CallPlan, today: date):
    """A SELECT of (customer id, owner id, owner active, owner role) the plan calls today."""
    begin_today = _day_begin(today)
    open_call = sa.exists().where(PlannedCall.plan_id == plan.id,
                                  PlannedCall.customer_id == Customer.id,
                                  PlannedCall.state == "due")

    def called_since(moment):
        return sa.exists().where(PlannedCall.plan_id == plan.id,
                                 PlannedCall.customer_id == Customer.id,
                                 PlannedCall.created_at >= moment)

    query = (sa.select(Customer.id, Customer.owner_id, User.active, User.role)
             .outerjoin(User, User.id == Customer.owner_id)
             .where(Customer.merged_into_id.is_(None), Customer.anonymised_at.is_(None),
                    ~open_call))
    if plan.customer_kind:
        query = query.where(Customer.kind == plan.customer_kind)
    if plan.class_codes:
        query = query.where(Customer.value_class.in_(plan.class_codes))
    days = max(plan.days, 0)
    if plan.kind == "member_check":  # new members, called once
        never = ~sa.exists().where(PlannedCall.plan_id == plan.id,
                                   PlannedCall.customer_id == Customer.id)
        query = query.where(Customer.created_at >= _day_begin(today - timedelta(days=days)),
                            never)
    elif plan.kind == "prospect":  # a visit with a phone, ``days`` days ago
        last = today - timedelta(days=days)
        first = last - timedelta(days=CATCH_UP_DAYS)
        visited = sa.exists().where(Visit.customer_id == Customer.id, Visit.day >= first,
                                    Visit.day <= last)
        query = query.where(visited, ~called_since(_day_begin(first)))
    elif plan.kind == "care":  # every ``days`` days
        query = query.where(~called_since(begin_today - timedelta(days=days)))
    elif plan.kind == "win_back":  # no order or visit for ``days`` days
        quiet = begin_today - timedelta(days=days)
        query = query.where(Customer.last_contact_at.is_not(None),
                            Customer.last_contact_at < quiet,
                            ~called_since(quiet))
    else:
        return None
    return query.order_by(Customer.id).limit(PLAN_BATCH)


def plan_due_calls(today: date | None = None) -> dict[str, int]:
    """Plan today's calls of every active plan; returns {plan name: calls made}. Run it
    once or many times a day: a customer never gets a second open call of one plan."""
    today = today or clock.today()
    callers = _callers()
    made: dict[str, int] = {}
    plans = db.session.scalars(sa.select(CallPlan).where(CallPlan.active.is_(True))
                               .order_by(CallPlan.id)).all()
    for plan in plans:
        query = _candidates(plan, today)
        if query is None:
            continue
        due_at = first_window(today, windows_of(plan))
        calls = []
        for customer_id, owner_id, active, role in db.session.execute(query):
            owned = owner_id is not None and active and role in callers
            calls.append(PlannedCall(
                plan_id=plan.id, customer_id=customer_id, due_at=due_at,
                assignee_id=owner_id if owned else None,
                pool_role=None if owned else plan.pool_role))
        db.session.add_all(calls)
        db.session.flush()
        made[plan.name] = len(calls)
    return made


def plan_follow_up(customer_id: int, assignee_id: int | None,
                   now: datetime | None = None) -> datetime:
    """Plan one follow-up call (another area's: after a complaint's answer, to ask the
    customer's satisfaction) in the first window of the next day, for ``assignee_id``. The
    follow-up plan is made on first use; a customer with a follow-up call still open keeps
    that one. The call's due moment."""
    now = now or clock.now()
    plan = db.session.scalar(sa.select(CallPlan).where(CallPlan.kind == FOLLOW_UP)
                             .order_by(CallPlan.id).limit(1))
    if plan is None:
        plan = CallPlan(name="投诉回访", kind=FOLLOW_UP, days=1, max_tries=3,
                        script_hint="询问客户对投诉处理结果是否满意，并记录满意度。")
        db.session.add(plan)
        db.session.flush()
    open_call = db.session.scalar(sa.select(PlannedCall).where(
        PlannedCall.plan_id == plan.id, PlannedCall.customer_id == customer_id,
        PlannedCall.state == "due"))
    if open_call is not None:
        return open_call.due_at
    due_at = first_window(clock.local(now).date() + timedelta(days=1), windows_of(plan))
    db.session.add(PlannedCall(plan_id=plan.id, customer_id=customer_id, due_at=due_at,
                               assignee_id=assignee_id,
                               pool_role=None if assignee_id else plan.pool_role))
    db.session.flush()
    return due_at


# --- My calls today --------------------------------------------------------------------------


def _class_rank():
    return sa.case({code: rank for rank, code in enumerate(CLASS_ORDER)},
                   value=Customer.value_class, else_=len(CLASS_ORDER))


def _mine(user: User):
    return sa.or_(PlannedCall.assignee_id == user.id,
                  sa.and_(PlannedCall.assignee_id.is_(None), PlannedCall.pool_role == user.role))


def end_of_day(day: date) -> datetime:
    return _day_begin(day + timedelta(days=1))


def my_calls(user: User, today: date | None = None,
             limit: int = SHOWN_MAX) -> tuple[list[PlannedCall], int]:
    """The open calls due today or earlier that are ``user``'s (or their role's pool's),
    the most valuable customer first, then by due moment, at most ``limit`` of them; and
    how many are due in all. One query (a window count; the customers' contacts and tags
    come by the model's loaders)."""
    today = today or clock.today()
    query = (sa.select(PlannedCall, sa.func.count().over())
             .join(Customer, Customer.id == PlannedCall.customer_id)
             .options(contains_eager(PlannedCall.customer))
             .where(PlannedCall.state == "due", PlannedCall.due_at < end_of_day(today),
                    _mine(user))
             .order_by(_class_rank(), PlannedCall.due_at, PlannedCall.id).limit(limit))
    rows = db.session.execute(query).unique().all()
    return [call for call, _total in rows], rows[0][1] if rows else 0


def my_due_count(user: User, today: date | None = None) -> int:
    """How many calls are due for ``user`` today or earlier (the Today card)."""
    today = today or clock.today()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(PlannedCall)
        .where(PlannedCall.state == "due", PlannedCall.due_at < end_of_day(today), _mine(user)))


def get(call_id: int) -> PlannedCall | None:
    """One call with its plan, customer and assignee."""
    return db.session.get(PlannedCall, call_id)


# --- recording a result ----------------------------------------------------------------------


def may_record(user: User, call: PlannedCall) -> bool:
    """The assignee, anyone of the pool's role, or someone who oversees the calls."""
    if call.assignee_id is not None:
        return call.assignee_id == user.id or user.can("customers.oversee")
    return call.pool_role == user.role or user.can("customers.oversee")


def record(user: User, call: PlannedCall, version: int | None, result: str, note: str = "",
           call_back_at: datetime | None = None) -> PlannedCall:
    """One try of ``call`` and what came of it (R-C5: each call's result is recorded)."""
    if version is None or int(version) != call.version or call.state != "due":
        raise Conflict(call)
    if not may_record(user, call):
        raise NotAllowed("customers.calls")
    if result not in RESULTS:
        raise RuleError(N_("Choose how the call went."), "result")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise RuleError(N_("Keep this under %(max)d characters."), "note", max=NOTE_MAX)
    now = clock.now()
    before = {"state": call.state, "due_at": call.due_at}
    if result == "call_back":
        if call_back_at is None:
            raise RuleError(N_("Say when to call back."), "call_back_at")
        if call_back_at.tzinfo is None:
            call_back_at = call_back_at.replace(tzinfo=clock.get_clock().tz)
        if call_back_at <= now:
            raise RuleError(N_("A call back is later than now."), "call_back_at")
        if call_back_at > now + timedelta(days=CALL_BACK_DAYS):
            raise RuleError(N_("Call back within %(days)d days."), "call_back_at",
                            days=CALL_BACK_DAYS)
    else:
        call_back_at = None
    call.tries += 1
    call.result, call.note = result, note
    if result == "no_answer":
        if call.tries >= max(call.plan.max_tries, 1):
            call.state = "given_up"
            call.done_at, call.done_by_id = now, user.id
        else:
            call.due_at = next_window(now, windows_of(call.plan))
    elif result == "call_back":
        call.due_at = call_back_at
    else:
        call.state = "done"
        call.done_at, call.done_by_id = now, user.id
    db.session.add(CallAttempt(call_id=call.id, customer_id=call.customer_id, result=result,
                               note=note, call_back_at=call_back_at, at=now, by_id=user.id))
    changes = {"result": [None, result], "note": [None, note or None]}
    if before["state"] != call.state:
        changes["state"] = [before["state"], call.state]
    if before["due_at"] != call.due_at:
        changes["due_at"] = [clock.local(before["due_at"]).isoformat(),
                             clock.local(call.due_at).isoformat()]
    audit.record("customers.call_recorded", call, actor=user, changes=changes,
                 details={"customer_id": call.customer_id, "try": call.tries})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return call


# --- the plans (customers.manage) ------------------------------------------------------------


def plans() -> list[CallPlan]:
    """Every plan, the active ones first."""
    return list(db.session.scalars(
        sa.select(CallPlan).order_by(CallPlan.active.desc(), CallPlan.kind, CallPlan.id)))


def save_plan(user: User, plan: CallPlan | None, version: int | None, *, name: str, kind: str,
              customer_kind: str | None, value_classes: str, days: int, script_hint: str,
              max_tries: int, windows: str, pool_role: str, active: bool) -> CallPlan:
    """Create a plan (``plan`` None) or change one (with the version the user saw)."""
    if plan is not None and (version is None or int(version) != plan.version):
        raise Conflict(plan)
    name = (name or "").strip()
    if not name:
        raise RuleError(N_("Give the plan a name."), "name")
    if kind not in PLAN_KINDS:
        raise RuleError(N_("Choose the kind of plan."), "kind")
    if customer_kind and customer_kind not in KINDS:
        raise RuleError(N_("Choose a kind of customer."), "customer_kind")
    if not 0 <= days <= 3650:
        raise RuleError(N_("Between %(min)d and %(max)d days."), "days", min=0, max=3650)
    if not 1 <= max_tries <= 10:
        raise RuleError(N_("Between %(min)d and %(max)d tries."), "max_tries", min=1, max=10)
    if pool_role not in _callers():
        raise RuleError(N_("Choose a role that makes calls."), "pool_role")
    if len(script_hint or "") > HINT_MAX:
        raise RuleError(N_("Keep this under %(max)d characters."), "script_hint", max=HINT_MAX)
    windows_text = " ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in parse_windows(windows))
    codes = " ".join(dict.fromkeys(c for c in re.split(r"[\s,，]+", value_classes or "") if c))
    if len(codes) > 200 or any(c not in CLASSES for c in codes.split()):
        raise RuleError(N_("Value classes are codes like important_value, separated by "
                           "spaces."), "value_classes")
    values = {"name": name, "kind": kind, "customer_kind": customer_kind or None,
              "value_classes": codes, "days": days, "script_hint": (script_hint or "").strip(),
              "max_tries": max_tries, "windows": windows_text, "pool_role": pool_role,
              "active": bool(active)}
    if plan is None:
        plan = CallPlan(**values)
        db.session.add(plan)
        db.session.flush()
        audit.record("customers.call_plan_created", plan, actor=user,
                     changes={k: [None, v] for k, v in values.items()})
    else:
        changes = {k: [getattr(plan, k), v] for k, v in values.items() if getattr(plan, k) != v}
        for key, value in values.items():
            setattr(plan, key, value)
        audit.record("customers.call_plan_changed", plan, actor=user, changes=changes)
    db.session.flush()
    return plan


# --- oversight (customers.oversee) -----------------------------------------------------------


@dataclass
class AgentCalls:
    """One agent's calls of a day: tries by result, calls closed, calls still open."""

    user: User
    tries: Counter = field(default_factory=Counter)
    open_due: int = 0  # open calls of theirs due by the end of the day
    overdue: int = 0  # of those, due before now

    @property
    def tried(self) -> int:
        return sum(self.tries.values())

    @property
    def closed(self) -> int:
        return sum(n for result, n in self.tries.items() if result not in ("no_answer",
                                                                             "call_back"))

    @property
    def percent(self) -> int | None:
        planned = self.closed + self.open_due
        return round(100 * self.closed / planned) if planned else None


def completion(day: date | None = None) -> tuple[list[AgentCalls], dict[str, int]]:
    """Per agent, the day's tries by result and the calls still open (two grouped queries
    and one of the people); and the pool's open calls by role."""
    day = day or clock.today()
    begin, end = _day_begin(day), end_of_day(day)
    now = clock.now()
    rows: dict[int, AgentCalls] = {}
    tries = db.session.execute(
        sa.select(CallAttempt.by_id, CallAttempt.result, sa.func.count())
        .where(CallAttempt.at >= begin, CallAttempt.at < end)
        .group_by(CallAttempt.by_id, CallAttempt.result)).all()
    open_rows = db.session.execute(
        sa.select(PlannedCall.assignee_id, PlannedCall.pool_role,
                  sa.func.count(), sa.func.sum(sa.case((PlannedCall.due_at < now, 1), else_=0)))
        .where(PlannedCall.state == "due", PlannedCall.due_at < end)
        .group_by(PlannedCall.assignee_id, PlannedCall.pool_role)).all()
    ids = {r[0] for r in tries} | {r[0] for r in open_rows if r[0] is not None}
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} \
        if ids else {}
    pools: dict[str, int] = Counter()
    for by_id, result, n in tries:
        rows.setdefault(by_id, AgentCalls(people[by_id])).tries[result] += n
    for assignee_id, pool_role, n, late in open_rows:
        if assignee_id is None:
            pools[pool_role or ""] += n
            continue
        row = rows.setdefault(assignee_id, AgentCalls(people[assignee_id]))
        row.open_due += n
        row.overdue += int(late or 0)
    return sorted(rows.values(), key=lambda r: r.user.display_name), dict(pools)


def overdue_by_agent(limit: int = 8) -> tuple[list[tuple[str, int]], int]:
    """Open calls due before now, by assignee (a pool by its role's name): the supervisor's
    Today card. One grouped query."""
    now = clock.now()
    rows = db.session.execute(
        sa.select(User.display_name, PlannedCall.pool_role, sa.func.count())
        .select_from(PlannedCall).outerjoin(User, User.id == PlannedCall.assignee_id)
        .where(PlannedCall.state == "due", PlannedCall.due_at < now)
        .group_by(User.display_name, PlannedCall.pool_role)
        .order_by(sa.func.count().desc())).all()
    total = sum(n for *_rest, n in rows)
    return [(name, role, n) for name, role, n in rows[:limit]], total


def weekly_figures(begin: datetime, end: datetime) -> dict:
    """The calls of a week for the weekly satisfaction report: tries by result and by plan
    kind, and how many calls were given up (the try that gave up is the one at the call's
    ``done_at``). One grouped query."""
    by_result: Counter = Counter()
    by_kind: Counter = Counter()
    given_up = 0
    gave_up = sa.case((sa.and_(PlannedCall.state == "given_up",
                               PlannedCall.done_at == CallAttempt.at), 1), else_=0)
    for kind, result, n, ended in db.session.execute(
            sa.select(CallPlan.kind, CallAttempt.result, sa.func.count(), sa.func.sum(gave_up))
            .select_from(CallAttempt)
            .join(PlannedCall, PlannedCall.id == CallAttempt.call_id)
            .join(CallPlan, CallPlan.id == PlannedCall.plan_id)
            .where(CallAttempt.at >= begin, CallAttempt.at < end)
            .group_by(CallPlan.kind, CallAttempt.result)):
        by_result[result] += n
        by_kind[kind] += n
        given_up += int(ended or 0)
    tried = sum(by_result.values())
    reached = by_result.get("reached", 0)
    return {"tried": tried, "by_result": by_result, "by_kind": by_kind, "given_up": given_up,
            "reached_percent": round(100 * reached / tried) if tried else None}
