"""The customers' work on the job queue (issue 17 / 20): the nightly class recompute, the
morning call planning, the recompute after the thresholds are saved, and the "calls due"
reminder at the start of each call window. Registered through ``portal.ui`` (the job queue
sits above the areas; this area never imports it)."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import url_for

from portal import clock
from portal.customers import calls, classes, merge
from portal.customers.call_models import CallPlan, PlannedCall
from portal.extensions import db
from portal.i18n import N_
from portal.ui import (
    DailyJob,
    Due,
    ReminderKind,
    Task,
    register_daily_job,
    register_reminder,
    register_task,
)

DEFAULTS = {
    "CUSTOMERS_CLASSES_AT": "02:00",  # the nightly recompute, department time
    "CUSTOMERS_PLAN_CALLS_AT": "07:00",  # the morning's calls planned before the first window
}


def nightly_classes(day: date) -> int:
    """Every customer's class with the saved thresholds (set-based, idempotent)."""
    return classes.recompute_all()


def morning_calls(day: date) -> dict[str, int]:
    """The day's calls of every active plan (idempotent: no second open call)."""
    return calls.plan_due_calls(day)


# --- the "calls due" reminder --------------------------------------------------------------------


def _windows() -> dict[tuple[time, time], list[int]]:
    """{(start, end): [plan ids]} of the active plans' call windows."""
    found: dict[tuple[time, time], list[int]] = {}
    for plan in db.session.scalars(sa.select(CallPlan).where(CallPlan.active.is_(True))
                                   .order_by(CallPlan.id)):
        for window in calls.windows_of(plan):
            found.setdefault(window, []).append(plan.id)
    return found


def calls_due(since: datetime, now: datetime) -> Iterator[Due]:
    """At the start of each plan's call window, each caller's open calls of those plans due
    by the window's end: to the assignee (a pool's calls to the pool's role), once per
    (caller, window)."""
    windows = _windows()
    if not windows:
        return
    first = clock.local(since).date()
    for offset in range((clock.local(now).date() - first).days + 1):
        day = first + timedelta(days=offset)
        for (start, end), plan_ids in sorted(windows.items()):
            when = datetime.combine(day, start, clock.get_clock().tz)
            if not since < when <= now:
                continue
            until = datetime.combine(day, end, clock.get_clock().tz)
            rows = db.session.execute(
                sa.select(PlannedCall.assignee_id, PlannedCall.pool_role, sa.func.count())
                .where(PlannedCall.state == "due", PlannedCall.due_at < until,
                       PlannedCall.plan_id.in_(plan_ids))
                .group_by(PlannedCall.assignee_id, PlannedCall.pool_role)
                .order_by(PlannedCall.assignee_id, PlannedCall.pool_role)).all()
            window = f"{start:%H:%M}–{end:%H:%M}"
            for assignee_id, pool_role, count in rows:
                who = assignee_id or f"pool-{pool_role}"
                params = {"count": count, "window": window}
                key = f"{day.isoformat()}:{start:%H%M}:{who}"
                if assignee_id:
                    yield Due(key, N_("%(count)s calls due in this window (%(window)s). Call "
                                      "the customers and record each result."),
                              users=(assignee_id,), link=url_for("customers.calls"),
                              params=params)
                elif pool_role:
                    yield Due(key, N_("%(count)s calls of customers nobody owns are due in "
                                      "this window (%(window)s). Take them from My calls "
                                      "today."), roles=(pool_role,),
                              link=url_for("customers.calls"), params=params)


def register(app) -> None:
    """The daily jobs, the recompute task and the reminder kind."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    register_daily_job(app, DailyJob("customers.classes", app.config["CUSTOMERS_CLASSES_AT"],
                                     nightly_classes))
    register_daily_job(app, DailyJob("customers.plan_calls",
                                     app.config["CUSTOMERS_PLAN_CALLS_AT"], morning_calls))
    register_task(app, Task(classes.RECOMPUTE_TASK, classes.recompute_pending,
                            classes.recompute_is_pending))
    register_task(app, Task(merge.RECOUNT_TASK, merge.recount, merge.recount_is_pending))
    register_reminder(app, ReminderKind("calls_due", N_("Calls due"), N_(
        "At the start of each call plan's window (10:00, 15:00), the calls due in it, to "
        "the caller (a pool's calls to its role)."), calls_due, order=75))
