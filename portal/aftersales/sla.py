"""The SLA clock of after-sales cases: first response and resolution due in working time.

Working time is the department's shift hours (the active shift types: 08:00–24:00 with the
defaults), every day. The clock pauses while a case waits for the customer: the working
minutes left are kept and a new due moment is set when the case moves on. Due moments are
stored on the case so that lists filter and sort on them with an index.

The arithmetic is pure (``add_working``, ``working_minutes`` take the periods); the case
functions (``start``, ``on_state_change``, ``responded``, ``status``) are what the workflow
calls.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_app_context

from portal import clock

DEFAULTS = {
    "AFTERSALES_FIRST_RESPONSE_MINUTES": 120,  # 2 working hours
    "AFTERSALES_RESOLVE_DAYS": 3,              # 3 days of working hours
    "AFTERSALES_SOON_MINUTES": 120,            # "about to breach" within 2 working hours
    # ... and the first response within 30 working minutes (its whole window is 2 hours:
    # the resolution's window would mark every new case as about to breach)
    "AFTERSALES_RESPONSE_SOON_MINUTES": 30,
}
WAITING = "waiting_customer"
STOPPING = ("refunded", "exchange_shipped", "resolved", "closed")
DAY = 24 * 60

Periods = list[tuple[int, int]]  # (start minute, end minute) of each day, merged, sorted


def setting(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return int(DEFAULTS[name])


def merge(periods) -> Periods:
    """Overlapping or touching periods joined: (480, 960), (960, 1440) -> (480, 1440)."""
    merged: Periods = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def working_periods() -> Periods:
    """The department's working periods of a day, from the active shift types (read once
    per request); all day when there are none."""
    if has_app_context() and "aftersales_periods" in g:
        return g.aftersales_periods
    from portal.shifts.slots import shift_types  # the one place that reads the shifts

    periods = merge((int(t.start_minute), int(t.end_minute)) for t in shift_types()) \
        or [(0, DAY)]
    if has_app_context():
        g.aftersales_periods = periods
    return periods


def daily_minutes(periods: Periods) -> int:
    return sum(end - start for start, end in periods)


def _local(moment: datetime, tz) -> datetime:
    """``moment`` in the department's zone, where the working periods are (values read
    from the database come back in UTC; naive values are department time)."""
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def _at(day: date, minute: int, tz) -> datetime:
    return datetime.combine(day, time(), tz) + timedelta(minutes=minute)


def add_working(start: datetime, minutes: int, periods: Periods) -> datetime:
    """The moment ``minutes`` of working time after ``start``."""
    tz = clock.get_clock().tz
    local = _local(start, tz)
    day = local.date()
    minute = local.hour * 60 + local.minute + local.second / 60
    left = max(int(minutes), 0)
    for _ in range(3660):  # ten years of days at most
        for begin, end in periods:
            if minute >= end:
                continue
            begin = max(begin, minute)
            if left <= end - begin:
                return _at(day, 0, tz) + timedelta(minutes=begin + left)
            left -= end - begin
        day += timedelta(days=1)
        minute = 0
    raise ValueError("working time does not end")


def working_minutes(start: datetime, end: datetime, periods: Periods) -> int:
    """Working minutes from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -working_minutes(end, start, periods)
    tz = clock.get_clock().tz
    a, b = _local(start, tz), _local(end, tz)
    total = 0.0
    day = a.date()
    while day <= b.date():
        lo = a.hour * 60 + a.minute + a.second / 60 if day == a.date() else 0
        hi = b.hour * 60 + b.minute + b.second / 60 if day == b.date() else DAY
        for begin, stop in periods:
            total += max(0.0, min(stop, hi) - max(begin, lo))
        day += timedelta(days=1)
    return int(total)


# --- the case's clock ---------------------------------------------------------------------------


def resolve_minutes(periods: Periods) -> int:
    return setting("AFTERSALES_RESOLVE_DAYS") * daily_minutes(periods)


def start(case, now: datetime | None = None) -> None:
    """A new case: first response and resolution due in working time from now."""
    now = now or clock.now()
    periods = working_periods()
    case.first_response_due_at = add_working(
        now, setting("AFTERSALES_FIRST_RESPONSE_MINUTES"), periods)
    case.resolve_due_at = add_working(now, resolve_minutes(periods), periods)
    case.sla_state, case.sla_paused_at, case.sla_remaining_minutes = "running", None, None


def responded(case, now: datetime | None = None) -> None:
    """The first answer to the customer (a note, a state change) stops the response clock."""
    if case.first_response_at is None:
        case.first_response_at = now or clock.now()


def pause(case, now: datetime | None = None) -> None:
    """Waiting for the customer: keep the working minutes left, clear the due moment."""
    if case.sla_state != "running" or case.resolve_due_at is None:
        return
    now = now or clock.now()
    case.sla_remaining_minutes = working_minutes(now, case.resolve_due_at, working_periods())
    case.sla_paused_at, case.resolve_due_at, case.sla_state = now, None, "paused"


def resume(case, now: datetime | None = None) -> None:
    """The customer answered: the minutes left run again from now."""
    if case.sla_state != "paused":
        return
    now = now or clock.now()
    left = case.sla_remaining_minutes or 0
    case.resolve_due_at = add_working(now, left, working_periods()) if left > 0 \
        else now - timedelta(minutes=-left)
    case.sla_paused_at, case.sla_remaining_minutes, case.sla_state = None, None, "running"


def stop(case, now: datetime | None = None) -> None:
    """Resolved (refunded, exchange shipped, resolved, closed): the clock stops."""
    now = now or clock.now()
    resume(case, now)
    if case.resolved_at is None:
        case.resolved_at = now
        # the weekly report's "SLA met": resolved by the resolution due moment (pauses
        # excluded) and first answered by the first response due moment
        case.sla_met = met(case, now)
    case.sla_state = "stopped"


def met(case, now: datetime) -> bool:
    """Whether a case resolved at ``now`` kept both due moments."""
    answered = case.first_response_at or now
    response_ok = case.first_response_due_at is None or answered <= case.first_response_due_at
    resolve_ok = case.resolve_due_at is None or now <= case.resolve_due_at
    return response_ok and resolve_ok


def on_state_change(case, old: str, new: str, now: datetime | None = None) -> None:
    """What the workflow calls at every step."""
    now = now or clock.now()
    responded(case, now)
    if new in STOPPING:
        stop(case, now)
    elif new == WAITING:
        pause(case, now)
    elif old == WAITING:
        resume(case, now)


def soon_minutes(which: str) -> int:
    """The working minutes before a due moment from which a case is "about to breach"."""
    return setting("AFTERSALES_RESPONSE_SOON_MINUTES" if which == "response"
                   else "AFTERSALES_SOON_MINUTES")


@dataclass(frozen=True)
class Status:
    """What a case shows: ``kind`` ok | soon | breached | paused | stopped; ``minutes`` the
    working minutes left (negative: overdue) to the nearest due moment."""

    kind: str
    minutes: int | None = None
    due: datetime | None = None
    which: str = "resolve"  # resolve | response
    met: bool | None = None  # a stopped clock: whether both due moments were kept


def status(case, now: datetime | None = None) -> Status:
    """The case's SLA now: the more urgent of the first response (while it is still due)
    and the resolution."""
    if case.sla_state == "stopped":
        return Status("stopped", met=case.sla_met)
    now = now or clock.now()
    periods = working_periods()
    candidates = []
    if case.first_response_at is None and case.first_response_due_at is not None:
        candidates.append((case.first_response_due_at, "response"))
    if case.sla_state == "paused":
        if not candidates:
            return Status("paused", case.sla_remaining_minutes)
    elif case.resolve_due_at is not None:
        candidates.append((case.resolve_due_at, "resolve"))
    if not candidates:
        return Status("stopped")
    shown = []
    for due, which in candidates:
        left = working_minutes(now, due, periods)
        if left < 0 or due <= now:
            kind = "breached"
        elif left <= soon_minutes(which):
            kind = "soon"
        else:
            kind = "ok"
        shown.append(Status(kind, left, due, which))
    # the most urgent: a breach before a near due, then the earliest due
    return min(shown, key=lambda s: (("breached", "soon", "ok").index(s.kind), s.due))


def breach_filter(model, kind: str, now: datetime | None = None):
    """A WHERE clause for lists: cases whose resolution or first response is ``breached``,
    due ``soon`` (not breached, the nearest due within the soon window of working time, as
    ``status`` says), or ``paused``. Compares the stored due moments, so an index serves it."""
    now = now or clock.now()
    # the first moment SOON + 1 working minutes away: a due before it has at most SOON
    # working minutes left (nights included), exactly as status() counts them
    periods = working_periods()
    soon = add_working(now, soon_minutes("resolve") + 1, periods)
    response_soon = add_working(now, soon_minutes("response") + 1, periods)
    response_open = sa.and_(model.first_response_at.is_(None),
                            model.first_response_due_at.is_not(None),
                            model.sla_state != "stopped")
    running = sa.and_(model.sla_state == "running", model.resolve_due_at.is_not(None))
    breached = sa.or_(sa.and_(running, model.resolve_due_at <= now),
                      sa.and_(response_open, model.first_response_due_at <= now))
    if kind == "breached":
        return breached
    if kind == "soon":
        return sa.and_(sa.not_(breached),
                       sa.or_(sa.and_(running, model.resolve_due_at < soon),
                              sa.and_(response_open,
                                      model.first_response_due_at < response_soon)))
    if kind == "paused":
        return model.sla_state == "paused"
    raise ValueError(kind)
