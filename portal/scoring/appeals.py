"""Appeals (R-P1, issue 5 item 9): a staff member disputes an entry of their own sheet before
it is approved; the supervisor answers: kept, changed (new points and reason) or removed.

One open appeal per entry. Changing or removing the entry goes the way every entry change
goes: ``require_editable`` (not on a submitted or approved sheet), a ScoreEntryRevision of the
earlier value, ``apply_totals`` (the sheet's version moves on). The services flush and never
commit; only the person whose sheet it is may appeal (anyone else: ``NotAllowed``, a 403).
"""

import sqlalchemy as sa
from flask import has_request_context, url_for

from portal import audit, clock
from portal.actions import Conflict, NotAllowed
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify
from portal.scoring.catalogue import as_catalogue
from portal.scoring.models import Appeal, ScoreEntry, ScoreEntryRevision, ScoreSheet
from portal.scoring.sheets import ScoringError, apply_totals, max_points, require_editable
from portal.scoring.workflow import my_link

OUTCOMES = ("kept", "changed", "removed")
STATUS_LABELS = {
    "open": N_("Open"),
    "kept": N_("Entry kept"),
    "changed": N_("Entry changed"),
    "removed": N_("Entry removed"),
}
# what the staff member is told, one text per outcome (a parameter would stay untranslated)
ANSWER_MESSAGES = {
    "kept": N_("%(by)s answered your appeal on the entry of %(day)s: the entry stays. "
               "%(answer)s"),
    "changed": N_("%(by)s answered your appeal on the entry of %(day)s: the entry was "
                  "changed. %(answer)s"),
    "removed": N_("%(by)s answered your appeal on the entry of %(day)s: the entry was "
                  "removed. %(answer)s"),
}


def _appeals_link() -> str:
    return url_for("scoring.appeals") if has_request_context() else "/scores/appeals"


def _text(value: str | None, message: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ScoringError(message, field)
    if len(value) > 500:
        raise ScoringError(N_("At most %(max)d characters."), field, max=500)
    return value


def open_appeal_for(entry: ScoreEntry) -> Appeal | None:
    """The entry's open appeal, if any."""
    return db.session.scalar(sa.select(Appeal).where(Appeal.entry_id == entry.id,
                                                     Appeal.status == "open"))


def file_appeal(actor: User, entry: ScoreEntry, comment: str) -> Appeal:
    """The staff member appeals an entry of their own sheet, before it is approved."""
    sheet = db.session.get(ScoreSheet, entry.sheet_id)
    if sheet.user_id != actor.id:
        raise NotAllowed("scoring.own")  # only entries of one's own sheet
    comment = _text(comment, N_("Write why you disagree with this entry."), "comment")
    if entry.removed_at is not None:
        raise ScoringError(N_("This entry has been removed."))
    if sheet.status == "approved":
        raise ScoringError(N_("This sheet is approved; appeals are closed. Ask the manager if "
                              "something is wrong."))
    if open_appeal_for(entry) is not None:
        raise ScoringError(N_("You already have an open appeal on this entry."))
    appeal = Appeal(entry_id=entry.id, sheet_id=sheet.id, user_id=actor.id, comment=comment,
                    status="open", created_at=clock.now())
    db.session.add(appeal)
    db.session.flush()
    audit.record("scoring.appeal_filed", appeal, actor=actor,
                 changes={"status": [None, "open"], "comment": [None, comment]},
                 details={"entry_id": entry.id, "sheet_id": sheet.id})
    supervisors = db.session.scalars(sa.select(User).where(User.role == "supervisor",
                                                           User.active.is_(True))).all()
    notify(supervisors, N_("%(name)s appealed an entry of their score sheet (%(day)s, "
                           "%(points)s): %(comment)s"), _appeals_link(),
           name=actor.display_name, day=entry.day.isoformat(), points=entry.points,
           comment=comment)
    return appeal


def _points(points) -> int:
    try:
        value = int(points)
    except (TypeError, ValueError):
        raise ScoringError(N_("Enter the points as a whole number."), "points") from None
    if value == 0:
        raise ScoringError(N_("Points cannot be zero; remove the entry instead."), "points")
    if abs(value) > max_points():
        raise ScoringError(N_("At most %(max)d points either way."), "points", max=max_points())
    return value


def _revision(actor: User, entry: ScoreEntry, action: str) -> None:
    db.session.add(ScoreEntryRevision(
        entry_id=entry.id, action=action, day_before=entry.day, points_before=entry.points,
        reason_before=entry.reason, evidence_before=entry.evidence, by_id=actor.id,
        at=clock.now()))


def answer_appeal(actor: User, appeal: Appeal, version: int | None, outcome: str,
                  answer: str, points=None, reason: str | None = None) -> None:
    """The supervisor answers an open appeal; the staff member is notified."""
    if version is not None and version != appeal.version:
        raise Conflict(appeal)
    if appeal.status != "open":
        raise ScoringError(N_("This appeal has already been answered."))
    if outcome not in OUTCOMES:
        raise ScoringError(N_("Choose an answer: keep, change or remove the entry."), "outcome")
    answer = _text(answer, N_("Write your answer to the appeal."), "answer")
    entry = db.session.get(ScoreEntry, appeal.entry_id)
    sheet = db.session.get(ScoreSheet, appeal.sheet_id)
    if outcome != "kept":
        require_editable(sheet)
        if entry.removed_at is not None:
            raise ScoringError(N_("This entry has already been removed."))
    if outcome == "changed":
        new_points = _points(points)
        new_reason = (reason or "").strip() or entry.reason
        if len(new_reason) > 200:
            raise ScoringError(N_("At most %(max)d characters."), "reason", max=200)
        if new_points == entry.points and new_reason == entry.reason:
            raise ScoringError(N_("Give new points or a new reason, or keep the entry."),
                               "points")
        # a reason rewritten freely is no longer the catalogue item (issue 15, item 3)
        rule, new_reason = as_catalogue(entry.rule, new_reason, new_points,
                                        recorded=entry.reason)
        before = {"points": entry.points, "reason": entry.reason, "rule_id": entry.rule_id}
        _revision(actor, entry, "changed")
        entry.points, entry.reason, entry.rule = new_points, new_reason, rule
        db.session.flush()
        audit.record("scoring.entry_changed", entry, actor=actor,
                     changes={k: [v, getattr(entry, k)] for k, v in before.items()
                              if v != getattr(entry, k)},
                     details={"sheet_id": sheet.id, "appeal_id": appeal.id})
    elif outcome == "removed":
        _revision(actor, entry, "removed")
        entry.removed_at = clock.now()
        audit.record("scoring.entry_removed", entry, actor=actor,
                     changes={"removed_at": [None, entry.removed_at.isoformat()]},
                     details={"sheet_id": sheet.id, "appeal_id": appeal.id,
                              "points": entry.points, "reason": entry.reason})
    if outcome != "kept":
        db.session.flush()
        apply_totals(sheet)
        sheet.acknowledged_at = None  # the staff member acknowledges the new content again
    appeal.status, appeal.answer = outcome, answer
    appeal.answered_by_id, appeal.answered_at = actor.id, clock.now()
    audit.record("scoring.appeal_answered", appeal, actor=actor,
                 changes={"status": ["open", outcome], "answer": [None, answer]},
                 details={"entry_id": entry.id, "sheet_id": sheet.id})
    notify(appeal.user, ANSWER_MESSAGES[outcome], my_link(sheet), by=actor.display_name,
           day=entry.day.isoformat(), answer=answer)
    db.session.flush()  # a concurrent answer or sheet change fails here: the runner answers 409


# --- reading ------------------------------------------------------------------------------


def open_count() -> int:
    """Appeals waiting for the supervisor: the nav badge."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Appeal)
                             .where(Appeal.status == "open"))


def open_appeals() -> list[Appeal]:
    """Open appeals, oldest first, with their entries and people (one query)."""
    return list(db.session.scalars(sa.select(Appeal).where(Appeal.status == "open")
                                   .order_by(Appeal.created_at, Appeal.id)))


def recent_answered(limit: int = 20) -> list[Appeal]:
    """The latest answered appeals."""
    return list(db.session.scalars(sa.select(Appeal).where(Appeal.status != "open")
                                   .order_by(Appeal.answered_at.desc(), Appeal.id.desc())
                                   .limit(limit)))


def by_entry(sheet: ScoreSheet) -> dict[int, list[Appeal]]:
    """{entry id: [Appeal]} of a sheet, newest first (one query)."""
    result: dict[int, list[Appeal]] = {}
    for appeal in db.session.scalars(sa.select(Appeal).where(Appeal.sheet_id == sheet.id)
                                     .order_by(Appeal.created_at.desc(), Appeal.id.desc())):
        result.setdefault(appeal.entry_id, []).append(appeal)
    return result
