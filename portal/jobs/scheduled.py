"""Work the areas hand the job queue (``portal.ui``'s registries): daily jobs at their
department time, and tasks an action hands over when it commits.

Daily jobs ride on the reminders' marks: each minute a job's mark (``daily:<name>``) moves
by compare-and-set, and when the job's moment fell in the window it runs in the same
transaction, so of two workers one runs it; a job that fails rolls back with its mark and
is tried again the next minute; a worker that was down runs it once when it starts.
Tasks: the commit of the action hands their names to huey (``portal.run_task``); each
minute the worker also runs a task whose ``pending()`` says work was left (a hand-over
lost while the queue was down).
"""

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import clock
from portal.actions import commit, discard
from portal.jobs.kinds import at, clock_time, days
from portal.jobs.reminders import claim_window
from portal.ui import DailyJob, daily_jobs, tasks

log = logging.getLogger(__name__)


def run_daily(job: DailyJob, now: datetime) -> bool:
    """Claim the job's window; run it when its moment fell in it; commit. Whether it ran."""
    try:
        since = claim_window(f"daily:{job.name}", now)
        ran = False
        if since is not None:
            moment = clock_time(job.at)
            due = [day for day in days(since, now) if since < at(day, moment) <= now]
            if due:
                job.run(due[-1])  # a worker down for days runs it once, for the last day
                ran = True
        commit()
    except Exception:
        discard()
        log.exception("daily job %s failed; it is tried again next minute", job.name)
        raise
    return ran


def run_task(name: str) -> None:
    """Run one task and commit (the huey task ``portal.run_task``)."""
    try:
        tasks()[name].run()
        commit()
    except Exception:
        discard()
        log.exception("task %s failed", name)
        raise


def check(now: datetime | None = None) -> list[str]:
    """Each minute: the daily jobs whose moment came, and the tasks with work left. The
    names of what ran."""
    now = now or clock.now()
    ran = []
    for job in daily_jobs():
        try:
            if run_daily(job, now):
                ran.append(job.name)
        except Exception:  # noqa: S112 - logged; the others still run
            continue
    for task in tasks().values():
        if task.pending is not None and task.pending():
            try:
                run_task(task.name)
                ran.append(task.name)
            except Exception:  # noqa: S112 - logged
                continue
    return ran


# --- handing tasks over at the commit ------------------------------------------------------------


@event.listens_for(Session, "after_commit")
def _hand_over(session) -> None:
    names = session.info.pop("portal_tasks", None)
    if not names:
        return
    from portal.jobs.queue import get_huey

    try:
        huey = get_huey(current_app._get_current_object())
        if huey.immediate:
            return  # in process: the worker's minute check does it (no SQL in a commit hook)
        for name in sorted(names):
            huey.portal_tasks["run_task"](name)
    except Exception:
        log.exception("could not hand over %s; the worker's minute check will", names)


@event.listens_for(Session, "after_soft_rollback")
def _dropped(session, previous_transaction) -> None:
    session.info.pop("portal_tasks", None)
