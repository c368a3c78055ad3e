"""The reminders the portal sends of itself, one finder per kind.

Each finder gets the window (since, now] in department time and gives the reminders whose
moment fell in it and whose reason still holds when it looks (a sheet submitted meanwhile
is not reminded of). This package sits above the areas and reads their services; no area
imports it (another area adds its own kinds through ``portal.ui.register_reminder``).
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, url_for

from portal import clock
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.auth.models import User
from portal.extensions import db
from portal.handover.services import BOOK_LABELS, BOOKS, unsigned_count
from portal.i18n import N_
from portal.notifications import term
from portal.orders import orders as order_svc
from portal.scoring import deadline
from portal.scoring.models import ScoreSheet
from portal.scoring.sheets import SCORED_ROLES
from portal.shifts.models import RosterMonth
from portal.shifts.slots import Slot, shift_types
from portal.ui import Due, ReminderKind, register_reminder

DEFAULTS = {
    "JOBS_PAYDAY_EVE_AT": "09:00",        # R-P2: the morning of the day before payday
    "JOBS_ORDERS_PROMISE_AT": "15:30",    # R-O4: what is promised today and not shipped
    "JOBS_SLA_WARN_MINUTES": 30,          # "about to breach": this long before a due moment
    "JOBS_HANDOVER_SIGN_MINUTES": 30,     # R-H2: unsigned this long after the shift began
    "JOBS_CALL_WINDOWS": "10:00-11:30,15:00-17:30",  # R-C5: when customers are called
    "JOBS_ROSTER_PUBLISH_DAY": 25,        # R-S4: next month's roster published by the 25th
    "JOBS_ROSTER_REMIND_AT": "09:00",
}
NUMBERS_SHOWN = 5  # order numbers named in a reminder; the link lists them all


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


def clock_time(text: str) -> time:
    """``"15:30"`` -> 15:30."""
    hours, _, minutes = str(text).partition(":")
    return time(int(hours), int(minutes or 0))


def call_windows() -> list[tuple[time, time]]:
    """R-C5's call windows: [(10:00, 11:30), (15:00, 17:30)]."""
    windows = []
    for part in str(setting("JOBS_CALL_WINDOWS")).split(","):
        start, _, end = part.strip().partition("-")
        windows.append((clock_time(start), clock_time(end)))
    return windows


def at(day: date, moment: time) -> datetime:
    """``day`` at ``moment`` of the department's clock."""
    return datetime.combine(day, moment, clock.get_clock().tz)


def days(since: datetime, now: datetime, before: int = 0) -> Iterator[date]:
    """The department's dates from ``since`` (``before`` days earlier) to ``now``."""
    day = clock.local(since).date() - timedelta(days=before)
    while day <= clock.local(now).date():
        yield day
        day += timedelta(days=1)


def moments(since: datetime, now: datetime, moment: time) -> Iterator[datetime]:
    """Each day's ``moment`` that fell in (since, now]."""
    for day in days(since, now):
        when = at(day, moment)
        if since < when <= now:
            yield when


def _month_text(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


# --- R-P2: payday eve ------------------------------------------------------------------------


def _month_due_on(day: date) -> tuple[int, int] | None:
    """The month whose sheets are due on ``day`` (the day before its payday), if any."""
    payday_day = int(current_app.config.get("SCORING_PAYDAY", 10))
    for year, month in (deadline.previous_month(day.year, day.month), (day.year, day.month)):
        if deadline.due_date(year, month, payday_day) == day:
            return year, month
    return None


def payday_eve(since: datetime, now: datetime) -> Iterator[Due]:
    """The day before payday: the supervisor, of the sheets not submitted; the manager, of
    the sheets that wait for approval."""
    for when in moments(since, now, clock_time(setting("JOBS_PAYDAY_EVE_AT"))):
        found = _month_due_on(when.date())
        if found is None:
            continue
        year, month = found
        link = url_for("scoring.overview", year=year, month=month)
        done = sa.exists().where(ScoreSheet.user_id == User.id, ScoreSheet.year == year,
                                 ScoreSheet.month == month,
                                 ScoreSheet.status.in_(("submitted", "approved")))
        unsubmitted = db.session.scalar(
            sa.select(sa.func.count()).select_from(User)
            .where(User.role.in_(SCORED_ROLES), User.active.is_(True), ~done))
        waiting = db.session.scalar(
            sa.select(sa.func.count()).select_from(ScoreSheet)
            .where(ScoreSheet.year == year, ScoreSheet.month == month,
                   ScoreSheet.status == "submitted"))
        text = _month_text(year, month)
        if unsubmitted:
            yield Due(f"{text}:supervisor", N_(
                "Payday is tomorrow: %(count)s score sheets of %(month)s are not submitted. "
                "Submit them to the manager today."), roles=("supervisor",), link=link,
                params={"count": unsubmitted, "month": text})
        if waiting:
            yield Due(f"{text}:manager", N_(
                "Payday is tomorrow: %(count)s score sheets of %(month)s wait for your "
                "approval. Approve or return them today."), roles=("manager",), link=link,
                params={"count": waiting, "month": text})


# --- R-O4 / R-O5: orders promised today ------------------------------------------------------


def _numbers(orders) -> str:
    shown = ", ".join(order.order_no for order in orders[:NUMBERS_SHOWN])
    return shown + (" …" if len(orders) > NUMBERS_SHOWN else "")


def orders_promised(since: datetime, now: datetime) -> Iterator[Due]:
    """15:30: today's orders promised to ship today and not shipped yet, to the clerks and
    the supervisor."""
    cutoff = order_svc.ship_cutoff()
    for when in moments(since, now, clock_time(setting("JOBS_ORDERS_PROMISE_AT"))):
        orders = order_svc.promised_today_unshipped(when)
        if orders:
            yield Due(when.date().isoformat(), N_(
                "%(count)s orders promised to ship today are not shipped yet (%(numbers)s). "
                "Ship them before %(cutoff)s."), roles=("order_clerk", "supervisor"),
                link=url_for("orders.queue"), params={
                    "count": len(orders), "numbers": _numbers(orders),
                    "cutoff": cutoff.strftime("%H:%M")})


def orders_missed(since: datetime, now: datetime) -> Iterator[Due]:
    """16:30: the orders that missed the cut-off, to the clerks and the supervisor."""
    cutoff = order_svc.ship_cutoff()
    for when in moments(since, now, cutoff):
        orders = order_svc.missed(when)
        if orders:
            yield Due(when.date().isoformat(), N_(
                "%(count)s orders missed today's %(cutoff)s shipping cut-off (%(numbers)s). "
                "Tell the online agents and ship them first tomorrow."),
                roles=("order_clerk", "supervisor"), link=url_for("orders.queue"), params={
                    "count": len(orders), "numbers": _numbers(orders),
                    "cutoff": cutoff.strftime("%H:%M")})


# --- after-sales SLA -------------------------------------------------------------------------

DEADLINES = {"response": N_("first response"), "resolve": N_("resolution")}


def _due_cases(start: datetime, end: datetime) -> Iterator[tuple[AfterSalesCase, str, datetime]]:
    """Open cases whose first response or resolution is due in (start, end]."""
    case = AfterSalesCase
    resolving = db.session.scalars(
        sa.select(case).where(case.sla_state == "running", case.resolve_due_at > start,
                              case.resolve_due_at <= end).order_by(case.id))
    for found in resolving:
        yield found, "resolve", found.resolve_due_at
    responding = db.session.scalars(
        sa.select(case).where(case.first_response_at.is_(None), case.sla_state != "stopped",
                              case.first_response_due_at > start,
                              case.first_response_due_at <= end).order_by(case.id))
    for found in responding:
        yield found, "response", found.first_response_due_at


def _sla_due(case: AfterSalesCase, which: str, due: datetime, message: str) -> Due:
    return Due(f"{case.id}:{which}:{clock.local(due):%Y%m%d%H%M}", message,
               users=(case.assignee_id,) if case.assignee_id else (), roles=("supervisor",),
               link=url_for("aftersales.detail", case_id=case.id), params={
                   "number": case.id, "order_no": case.order_no, "deadline": term(
                       DEADLINES[which]), "due": clock.local(due).strftime("%H:%M")})


def sla_soon(since: datetime, now: datetime) -> Iterator[Due]:
    """30 minutes before a case's first response or resolution is due."""
    ahead = timedelta(minutes=int(setting("JOBS_SLA_WARN_MINUTES")))
    for case, which, due in _due_cases(since + ahead, now + ahead):
        yield _sla_due(case, which, due, N_(
            "Case #%(number)s (order %(order_no)s) is about to breach: its %(deadline)s is "
            "due at %(due)s. Answer it now or hand it on."))


def sla_breached(since: datetime, now: datetime) -> Iterator[Due]:
    """The moment a case's first response or resolution is overdue."""
    for case, which, due in _due_cases(since, now):
        yield _sla_due(case, which, due, N_(
            "Case #%(number)s (order %(order_no)s) breached its SLA: its %(deadline)s was "
            "due at %(due)s. Deal with it now."))


# --- R-H2: handover items unsigned -----------------------------------------------------------


def handover_unsigned(since: datetime, now: datetime) -> Iterator[Due]:
    """30 minutes after a shift began, the items of each book nobody on it signed, to the
    supervisor."""
    late = timedelta(minutes=int(setting("JOBS_HANDOVER_SIGN_MINUTES")))
    types = shift_types()
    for day in days(since, now, before=1):
        for shift_type in types:
            when = shift_type.starts_at(day) + late
            if not since < when <= now:
                continue
            slot = Slot.of(day, shift_type)
            for book in BOOKS:
                count = unsigned_count(book, slot, types)
                if count:
                    yield Due(f"{day.isoformat()}:{shift_type.id}:{book}", N_(
                        "%(count)s items of the %(book)s are still unsigned %(minutes)s "
                        "minutes after the %(start)s shift began. See that they are read "
                        "and signed."), roles=("supervisor",),
                        link=url_for(f"handover.{book}_index"), params={
                            "count": count, "book": term(BOOK_LABELS[book]),
                            "minutes": int(late.total_seconds() // 60),
                            "start": shift_type.clock_text(shift_type.start_minute)})


# --- R-C2 / R-C5: return visits in the call windows -----------------------------------------


def visits_due(since: datetime, now: datetime) -> Iterator[Due]:
    """At the start of each call window, the return visits due to each caller (the case's
    assignee; after-sales as a whole for a case nobody holds)."""
    for start, end in call_windows():
        window = f"{start:%H:%M}–{end:%H:%M}"
        for when in moments(since, now, start):
            rows = db.session.execute(
                sa.select(AfterSalesCase.assignee_id, sa.func.count())
                .select_from(ReturnVisit).join(AfterSalesCase)
                .where(ReturnVisit.done_at.is_(None), ReturnVisit.due_on <= when.date())
                .group_by(AfterSalesCase.assignee_id)
                .order_by(AfterSalesCase.assignee_id)).all()
            for assignee_id, count in rows:
                key = f"{when.date().isoformat()}:{start:%H%M}:{assignee_id or 'desk'}"
                params = {"count": count, "window": window}
                if assignee_id:
                    yield Due(key, N_(
                        "%(count)s return visits of your cases are due. Call the customers "
                        "in this window (%(window)s) and record each result."),
                        users=(assignee_id,), link=url_for("aftersales.visits"), params=params)
                else:
                    yield Due(key, N_(
                        "%(count)s return visits of cases nobody holds are due. Take them and "
                        "call the customers in this window (%(window)s)."),
                        roles=("aftersales",), link=url_for("aftersales.visits"), params=params)


# --- R-S4: next month's roster ---------------------------------------------------------------


def roster_unpublished(since: datetime, now: datetime) -> Iterator[Due]:
    """On the 25th, when next month's roster is not published, to the supervisor."""
    publish_day = int(setting("JOBS_ROSTER_PUBLISH_DAY"))
    for when in moments(since, now, clock_time(setting("JOBS_ROSTER_REMIND_AT"))):
        if when.day != publish_day:
            continue
        year, month = deadline.next_month(when.year, when.month)
        published = db.session.scalar(
            sa.select(RosterMonth.id).where(RosterMonth.year == year, RosterMonth.month == month,
                                            RosterMonth.status == "published"))
        if published is None:
            yield Due(_month_text(year, month), N_(
                "The roster of %(month)s is not published yet. Plan it and publish it "
                "today."), roles=("supervisor",),
                link=url_for("shifts.plan", year=year, month=month),
                params={"month": _month_text(year, month)})


KINDS = (
    ReminderKind("payday_eve", N_("Payday eve: score sheets"), N_(
        "09:00 on the day before payday: the supervisor, of sheets not submitted; the "
        "manager, of sheets waiting for approval."), payday_eve, order=10),
    ReminderKind("orders_promised", N_("Orders promised today"), N_(
        "15:30: orders promised to ship today and not shipped yet, to the order clerks and "
        "the supervisor."), orders_promised, order=20),
    ReminderKind("orders_missed", N_("Orders that missed the cut-off"), N_(
        "16:30: the orders that missed the shipping cut-off, to the order clerks and the "
        "supervisor."), orders_missed, order=30),
    ReminderKind("sla_soon", N_("After-sales SLA about to breach"), N_(
        "30 minutes before a case's first response or resolution is due, to its assignee "
        "and the supervisor."), sla_soon, order=40),
    ReminderKind("sla_breached", N_("After-sales SLA breached"), N_(
        "The moment a case's first response or resolution is overdue, to its assignee and "
        "the supervisor."), sla_breached, order=50),
    ReminderKind("handover_unsigned", N_("Handover items unsigned"), N_(
        "30 minutes after a shift began, the items nobody on it signed, to the "
        "supervisor."), handover_unsigned, order=60),
    ReminderKind("visits_due", N_("Return visits due"), N_(
        "At the start of each call window (10:00, 15:00), the return visits due, to the "
        "caller."), visits_due, order=70),
    ReminderKind("roster_unpublished", N_("Roster not published"), N_(
        "09:00 on the 25th, when next month's roster is not published, to the "
        "supervisor."), roster_unpublished, order=80),
)


def register(app) -> None:
    """Register the portal's own kinds of reminder."""
    for reminder in KINDS:
        register_reminder(app, reminder)
