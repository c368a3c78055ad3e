"""Repair reports (设备设施报修, R-R3): anything broken is reported to the supervisor and
followed up with notes until it is fixed (or cannot be fixed).

Statuses and the moves a follow-up note may make (kept simple on purpose):

* ``reported`` → ``repairing``, ``fixed`` or ``cannot_fix``
* ``repairing`` → ``fixed`` or ``cannot_fix`` (never back to ``reported``)
* ``fixed`` / ``cannot_fix`` are closed (``closed_at`` set). A closed report moves only to
  ``reported`` again, which is the explicit "reopen" (``closed_at`` cleared); a note on a
  closed report without a move just adds to its trail.

Every note is kept (the trail); a stale ``version`` is a ``Conflict`` with the current state.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify, notify_role, term
from portal.reception.checklist import ReceptionError
from portal.reception.models import ChecklistItem, RepairNote, RepairReport

STATUSES = {
    "reported": N_("Reported"),
    "repairing": N_("Being repaired"),
    "fixed": N_("Fixed"),
    "cannot_fix": N_("Cannot be fixed"),
}
OPEN = ("reported", "repairing")
CLOSED = ("fixed", "cannot_fix")
MOVES = {
    "reported": ("repairing", "fixed", "cannot_fix"),
    "repairing": ("fixed", "cannot_fix"),
    "fixed": ("reported",),       # reopen
    "cannot_fix": ("reported",),  # reopen
}
PLACE_MAX = 100
TEXT_MAX = 500
RECENTLY_CLOSED = timedelta(days=30)


def link(report: RepairReport) -> str:
    """The report on the repairs page, for a notification (also outside a request)."""
    try:
        return url_for("reception.repairs", _anchor=f"repair-{report.id}")
    except RuntimeError:  # no request (CLI, demo): the blueprint's own path
        return f"/showroom/repairs#repair-{report.id}"


def report(user: User, *, place: str | None, problem: str,
           item: ChecklistItem | None = None) -> RepairReport:
    """R-R3: report something broken; every supervisor is notified."""
    place = (place or "").strip() or (item.name if item else "")
    problem = (problem or "").strip()
    if not place:
        raise ReceptionError(N_("Say which item or place needs repair."), "place")
    if len(place) > PLACE_MAX:
        raise ReceptionError(N_("Keep this under %(max)d characters."), "place", max=PLACE_MAX)
    if not problem:
        raise ReceptionError(N_("Describe what is wrong."), "problem")
    if len(problem) > TEXT_MAX:
        raise ReceptionError(N_("Keep this under %(max)d characters."), "problem", max=TEXT_MAX)
    record = RepairReport(item_id=item.id if item else None, place=place, problem=problem,
                          reported_by_id=user.id, reported_at=clock.now(), status="reported")
    db.session.add(record)
    db.session.flush()
    audit.record("repair.reported", record, actor=user,
                 changes=audit.changes(record, ("place", "problem", "status"), before={}))
    notify_role("supervisor", N_("%(name)s reported a repair: %(place)s — %(problem)s"),
                link(record), name=user.display_name, place=place, problem=problem[:60])
    return record


def moves_from(status: str) -> tuple[str, ...]:
    """The statuses a note may move a report in ``status`` to."""
    return MOVES.get(status, ())


def add_note(user: User, record: RepairReport, text: str, version: int,
             status_to: str | None = None) -> RepairNote:
    """R-R3: follow up with a note, optionally moving the status (see the module's rules)."""
    if version != record.version:  # plain notes only add to the trail; moves conflict
        raise Conflict(record)
    text = (text or "").strip()
    status_to = status_to or None
    if not text:
        raise ReceptionError(N_("Write what happened."), "text")
    if len(text) > TEXT_MAX:
        raise ReceptionError(N_("Keep this under %(max)d characters."), "text", max=TEXT_MAX)
    if status_to == record.status:
        status_to = None
    if status_to is not None and status_to not in moves_from(record.status):
        raise ReceptionError(N_("A report that is %(status)s cannot move there."), "status_to",
                             status=STATUSES.get(record.status, record.status))
    # through the relationship: the report's notes (already loaded) gain it in memory, so the
    # row shown next needs no second read
    note = RepairNote(report=record, text=text, status_to=status_to, by=user, at=clock.now())
    db.session.add(note)
    changes = {}
    if status_to:
        changes["status"] = [record.status, status_to]
        record.status = status_to
        record.closed_at = clock.now() if status_to in CLOSED else None
    action = ("repair.reopened" if changes and status_to == "reported"
              else "repair.status_changed" if changes else "repair.noted")
    audit.record(action, record, actor=user, changes=changes or None,
                 details={"note": text[:200]})
    db.session.flush()  # a concurrent follow-up fails here (409), before anyone is notified
    if status_to in CLOSED and record.reported_by_id != user.id:
        notify(record.reported_by, N_("%(name)s closed the repair of %(place)s: %(status)s"),
               link(record), name=user.display_name, place=record.place,
               status=term(STATUSES[status_to]))
    return note


def open_reports() -> list[RepairReport]:
    """Open reports, oldest first (their notes come with one more query)."""
    return list(db.session.scalars(
        sa.select(RepairReport).where(RepairReport.status.in_(OPEN))
        .order_by(RepairReport.reported_at, RepairReport.id)).unique())


def recently_closed(since: timedelta = RECENTLY_CLOSED, limit: int = 30) -> list[RepairReport]:
    """Reports closed in the last ``since``, newest first."""
    return list(db.session.scalars(
        sa.select(RepairReport)
        .where(RepairReport.status.in_(CLOSED), RepairReport.closed_at >= clock.now() - since)
        .order_by(RepairReport.closed_at.desc(), RepairReport.id.desc()).limit(limit)).unique())


def open_count() -> int:
    """The navigation badge: how many repairs are open."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(RepairReport)
                             .where(RepairReport.status.in_(OPEN)))


def age_days(record: RepairReport, now: datetime | None = None) -> int:
    """Whole days since the report (0 on the day it was made)."""
    now = now or clock.now()
    return (clock.local(now).date() - clock.local(record.reported_at).date()).days
