"""The score sheets' workflow (R-P2, R-P3): the supervisor submits, the manager approves or
returns with a comment, and reopens an approved sheet with a reason.

draft --submit--> submitted --approve--> approved --reopen(reason)--> returned
returned --submit--> submitted --return(comment)--> returned

A reopened sheet goes to "returned", not "draft": it carries the manager's reason in
``return_comment`` like a returned sheet, counts among the sheets the supervisor still has to
submit, and its SheetEvent "reopened" keeps it apart from an ordinary return on the record.

A sheet with an open appeal cannot be approved: the supervisor answers the appeal first (the
staff member's objection must be settled before the sheet decides their pay).

Every step writes a SheetEvent, an audit event with the status before and after, and
notifications. A stale ``version`` (another manager acted first, or the supervisor changed an
entry since the page was shown: ``sheets.apply_totals`` moves the version) is a ``Conflict``;
a concurrent write found at the flush is a ``StaleDataError``, which the runner answers the
same way (409). The steps flush and never commit: the action runner commits once.
"""

import sqlalchemy as sa
from flask import has_request_context, url_for
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit, clock
from portal.actions import Conflict, NotAllowed
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify
from portal.scoring.models import Appeal, ScoreSheet, SheetEvent
from portal.scoring.sheets import ScoringError

TO_SUBMIT = ("draft", "returned")

STATUS_LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "returned": N_("Returned"),
}
EVENT_LABELS = {
    "submitted": N_("Submitted to the manager"),
    "approved": N_("Approved"),
    "returned": N_("Returned to the supervisor"),
    "reopened": N_("Reopened"),
    "acknowledged": N_("Acknowledged by the staff member"),
}
# a step asked of a sheet in another state (with the current version): what stands in the way
WRONG_STATE = {
    "submitted": N_("This sheet is already with the manager."),
    "approved": N_("This sheet is approved and locked."),
    "draft": N_("This sheet has not been submitted yet."),
    "returned": N_("This sheet was returned to the supervisor and has not been submitted "
                   "again."),
}


def _month_label(sheet: ScoreSheet) -> str:
    return f"{sheet.year}-{sheet.month:02d}"


def sheet_link(sheet: ScoreSheet) -> str:
    """Where notifications about a sheet lead (also outside a request)."""
    if has_request_context():
        return url_for("scoring.sheet_workflow", sheet_id=sheet.id)
    return f"/scores/sheets/{sheet.id}/workflow"


def my_link(sheet: ScoreSheet) -> str:
    """The staff member's own view of the sheet."""
    if has_request_context():
        return url_for("scoring.my_month", year=sheet.year, month=sheet.month)
    return f"/scores/my/{sheet.year}/{sheet.month}"


def _active(role: str) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(User.role == role, User.active.is_(True))))


def open_appeal_count(sheet: ScoreSheet) -> int:
    """Appeals on the sheet that wait for the supervisor's answer."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Appeal).where(
        Appeal.sheet_id == sheet.id, Appeal.status == "open"))


def _check(sheet: ScoreSheet, version: int | None, *allowed: str) -> None:
    """A stale version is a conflict; a wrong state with the current version is a refusal."""
    if version is not None and version != sheet.version:
        raise Conflict(sheet)
    if sheet.status not in allowed:
        raise ScoringError(WRONG_STATE.get(sheet.status, N_("This step is not possible now.")))


def _step(actor: User, sheet: ScoreSheet, status: str, action: str,
          comment: str | None = None) -> None:
    old = sheet.status
    sheet.status = status
    db.session.add(SheetEvent(sheet_id=sheet.id, action=action, comment=comment,
                              by_id=actor.id, at=clock.now()))
    changes = {"status": [old, status]}
    if comment is not None:
        changes["comment"] = [None, comment]
    audit.record(f"scoring.sheet_{action}", sheet, actor=actor, changes=changes,
                 details={"user_id": sheet.user_id, "month": _month_label(sheet)})


def _required(text: str | None, message: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ScoringError(message, field)
    if len(text) > 500:
        raise ScoringError(N_("At most %(max)d characters."), field, max=500)
    return text


# --- the supervisor ----------------------------------------------------------------------


def _submit(actor: User, sheet: ScoreSheet) -> None:
    sheet.submitted_at, sheet.submitted_by_id = clock.now(), actor.id
    _step(actor, sheet, "submitted", "submitted")


def submit(actor: User, sheet: ScoreSheet, version: int | None) -> None:
    """The supervisor submits a draft or returned sheet to the managers (R-P2)."""
    _check(sheet, version, *TO_SUBMIT)
    _submit(actor, sheet)
    notify(_active("manager"), N_("%(by)s submitted the score sheet of %(name)s for %(month)s; "
                                  "it waits for your approval."), sheet_link(sheet),
           by=actor.display_name, name=sheet.user.display_name, month=_month_label(sheet))
    db.session.flush()  # a concurrent write of the sheet fails here: the runner answers 409


def submit_all(actor: User, year: int, month: int) -> list[ScoreSheet]:
    """Submit every draft or returned sheet of the month at once; one notification each
    manager. Returns the sheets submitted (none: nothing to do)."""
    sheets = list(db.session.scalars(sa.select(ScoreSheet).where(
        ScoreSheet.year == year, ScoreSheet.month == month,
        ScoreSheet.status.in_(TO_SUBMIT)).order_by(ScoreSheet.id)))
    if not sheets:
        raise ScoringError(N_("No sheet of this month is waiting to be submitted."))
    for sheet in sheets:
        _submit(actor, sheet)
    link = (url_for("scoring.month_status", year=year, month=month) if has_request_context()
            else f"/scores/{year}/{month}/status")
    notify(_active("manager"), N_("%(by)s submitted %(count)s score sheets for %(month)s; "
                                  "they wait for your approval."), link,
           by=actor.display_name, count=len(sheets), month=f"{year}-{month:02d}")
    db.session.flush()
    return sheets


# --- the manager --------------------------------------------------------------------------


def _approve(actor: User, sheet: ScoreSheet) -> None:
    if open_appeal_count(sheet):
        raise ScoringError(N_("%(name)s has an open appeal on this sheet. The supervisor must "
                              "answer it before the sheet can be approved."),
                           name=sheet.user.display_name)
    sheet.decided_at, sheet.decided_by_id = clock.now(), actor.id
    _step(actor, sheet, "approved", "approved")
    notify(sheet.user, N_("Your score sheet for %(month)s was approved: %(total)s points."),
           my_link(sheet), month=_month_label(sheet), total=sheet.total)


def approve(actor: User, sheet: ScoreSheet, version: int | None) -> None:
    """The manager approves a submitted sheet; it is locked from now on (R-P3)."""
    _check(sheet, version, "submitted")
    _approve(actor, sheet)
    db.session.flush()


def approve_all(actor: User, year: int, month: int) -> tuple[list[ScoreSheet], list[ScoreSheet]]:
    """Approve every submitted sheet of the month; sheets with an open appeal are left
    submitted. Returns (approved, skipped)."""
    sheets = list(db.session.scalars(sa.select(ScoreSheet).where(
        ScoreSheet.year == year, ScoreSheet.month == month,
        ScoreSheet.status == "submitted").order_by(ScoreSheet.id)))
    if not sheets:
        raise ScoringError(N_("No sheet of this month waits for approval."))
    blocked = set(db.session.scalars(sa.select(Appeal.sheet_id).where(
        Appeal.sheet_id.in_([s.id for s in sheets]), Appeal.status == "open")))
    approved = [s for s in sheets if s.id not in blocked]
    for sheet in approved:
        _approve(actor, sheet)
    db.session.flush()
    return approved, [s for s in sheets if s.id in blocked]


def return_sheet(actor: User, sheet: ScoreSheet, version: int | None, comment: str) -> None:
    """The manager sends a submitted sheet back to the supervisors with a comment (R-P2)."""
    comment = _required(comment, N_("Write what should be corrected."), "comment")
    _check(sheet, version, "submitted")
    sheet.decided_at, sheet.decided_by_id = clock.now(), actor.id
    sheet.return_comment = comment
    _step(actor, sheet, "returned", "returned", comment)
    notify(_active("supervisor"), N_("%(by)s returned the score sheet of %(name)s for "
                                     "%(month)s: %(comment)s"), sheet_link(sheet),
           by=actor.display_name, name=sheet.user.display_name, month=_month_label(sheet),
           comment=comment)
    db.session.flush()


def reopen(actor: User, sheet: ScoreSheet, version: int | None, reason: str) -> None:
    """The manager reopens an approved sheet for a correction, with a reason on the record
    (R-P3). The sheet becomes "returned" (see the module docstring)."""
    reason = _required(reason, N_("Write why the sheet is reopened."), "reason")
    _check(sheet, version, "approved")
    sheet.decided_at, sheet.decided_by_id = clock.now(), actor.id
    sheet.return_comment = reason
    sheet.acknowledged_at = None  # the staff member acknowledges the corrected sheet again
    _step(actor, sheet, "returned", "reopened", reason)
    notify(_active("supervisor"), N_("%(by)s reopened the approved score sheet of %(name)s for "
                                     "%(month)s: %(comment)s"), sheet_link(sheet),
           by=actor.display_name, name=sheet.user.display_name, month=_month_label(sheet),
           comment=reason)
    notify(sheet.user, N_("Your approved score sheet for %(month)s was reopened for a "
                          "correction: %(comment)s"), my_link(sheet),
           month=_month_label(sheet), comment=reason)
    db.session.flush()


# --- the staff member ----------------------------------------------------------------------


def acknowledge(actor: User, sheet: ScoreSheet) -> None:
    """The staff member confirms they have read their sheet. Not a change of its content:
    the version stays, so a manager approving at the same time is not disturbed."""
    if sheet.user_id != actor.id:
        raise NotAllowed("scoring.own")
    if sheet.acknowledged_at is not None:
        raise ScoringError(N_("You have already acknowledged this sheet."))
    now = clock.now()
    db.session.execute(sa.update(ScoreSheet).where(ScoreSheet.id == sheet.id)
                       .values(acknowledged_at=now)
                       .execution_options(synchronize_session=False))
    db.session.add(SheetEvent(sheet_id=sheet.id, action="acknowledged", by_id=actor.id, at=now))
    audit.record("scoring.sheet_acknowledged", sheet, actor=actor,
                 changes={"acknowledged_at": [None, now.isoformat()]},
                 details={"month": _month_label(sheet)})
    # what the answer shows, without reading the row again nor marking it changed
    set_committed_value(sheet, "acknowledged_at", now)


# --- reading ------------------------------------------------------------------------------


def events_of(sheet: ScoreSheet) -> list[SheetEvent]:
    """The sheet's own record, oldest first."""
    return list(db.session.scalars(sa.select(SheetEvent).where(SheetEvent.sheet_id == sheet.id)
                                   .order_by(SheetEvent.at, SheetEvent.id)))


def month_counts(year: int, month: int) -> dict[str, int]:
    """{status: number of sheets} of a month (one query)."""
    rows = db.session.execute(sa.select(ScoreSheet.status, sa.func.count())
                              .where(ScoreSheet.year == year, ScoreSheet.month == month)
                              .group_by(ScoreSheet.status))
    return dict(rows.all())
