"""The refund and dispute queue (退款中 / 维权中): the supervisor's daily check of the open
cases whose platform refund or dispute is running, oldest first, with their age and
assignee; "remind" notifies the assignee with the case's link (a case event and the audit
trail record it). The services flush; the action runner commits."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import has_request_context, url_for
from sqlalchemy.orm import lazyload
from werkzeug.routing import BuildError

from portal import audit, clock
from portal.actions import Conflict
from portal.aftersales.cases import OPEN_STATES
from portal.aftersales.models import AfterSalesCase, CaseEvent
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify
from portal.notifications.models import Notification
from portal.paging import after_cursor, encode_cursor
from portal.rules import RuleError

QUEUED = ("refunding", "dispute")
SHOWN_MAX = 200  # remind-all's bound: more than this is a problem of its own
REMIND = "remind"  # the case event a reminder writes

MESSAGES = {
    "refunding": N_("%(name)s reminds you: the platform refund of case #%(id)s (order "
                    "%(no)s) has been running for %(days)d days."),
    "dispute": N_("%(name)s reminds you: the platform dispute of case #%(id)s (order "
                  "%(no)s) has been open for %(days)d days."),
}


@dataclass(frozen=True)
class Row:
    """A case in the queue: since when its platform status is set, its last reminder."""

    case: AfterSalesCase
    status_since: datetime
    reminded_at: datetime | None

    def age_days(self, today: date) -> int:
        """Days since the case was opened."""
        return (today - clock.local(self.case.created_at).date()).days

    def status_days(self, today: date) -> int:
        """Days since the refund or dispute began on the platform."""
        return (today - clock.local(self.status_since).date()).days


def _latest(kind: str):
    """The latest event of ``kind`` on the row's case (a correlated subquery, indexed)."""
    return (sa.select(CaseEvent.at)
            .where(CaseEvent.case_id == AfterSalesCase.id, CaseEvent.kind == kind)
            .order_by(CaseEvent.id.desc()).limit(1)
            .correlate(AfterSalesCase).scalar_subquery())


def in_queue():
    """The WHERE clause of the queue: a platform refund or dispute on a case not closed."""
    return sa.and_(AfterSalesCase.platform_status.in_(QUEUED),
                   AfterSalesCase.state.in_(OPEN_STATES))


KEY = (AfterSalesCase.created_at, AfterSalesCase.id)  # the queue's order, oldest first


def rows(case_id: int | None = None, limit: int = SHOWN_MAX,
         after: str | None = None) -> list[Row]:
    """The queue, oldest first (one query with the assignee, the status's start and the last
    reminder); ``case_id`` reads one row; ``after``: only the rows after that cursor
    (``cursor(row)``: the next page)."""
    since = _latest("platform")
    reminded = _latest(REMIND)
    query = (sa.select(AfterSalesCase, since, reminded)
             .options(lazyload(AfterSalesCase.order))
             .where(in_queue())
             .order_by(*KEY).limit(limit))
    if case_id is not None:
        query = query.where(AfterSalesCase.id == case_id)
    query = after_cursor(query, KEY, after)
    return [Row(case, status_since or case.created_at, last)
            for case, status_since, last in db.session.execute(query)]


def cursor(item: Row) -> str:
    """Where the page after ``item`` begins (``rows(after=...)``)."""
    return encode_cursor(item.case, KEY)


def row(case_id: int) -> Row | None:
    """One case's row, or None when it is not (any more) in the queue."""
    found = rows(case_id=case_id, limit=1)
    return found[0] if found else None


def count() -> int:
    """How many cases are in the queue (the supervisor's Today card)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(AfterSalesCase)
                             .where(in_queue()))


def case_link(case: AfterSalesCase) -> str:
    """The case page, for a notification (also outside a request)."""
    if has_request_context():
        try:
            return url_for("aftersales.detail", case_id=case.id)
        except BuildError:  # an app without the case pages
            pass
    return f"/aftersales/{case.id}"


def _remind(user: User, item: Row, now: datetime) -> None:
    case = item.case
    notify(case.assignee, MESSAGES[case.platform_status], case_link(case),
           name=user.display_name, id=case.id, no=case.order_no,
           days=item.status_days(now.date()))
    db.session.add(CaseEvent(case_id=case.id, kind=REMIND, text="",
                             actor_id=user.id, at=now))
    audit.record("aftersales.reminded", case, actor=user,
                 details={"assignee": case.assignee.display_name,
                          "platform_status": case.platform_status})


def remind(user: User, case_id: int) -> Row:
    """Remind the assignee of one case in the queue; returns its row as it is now."""
    item = row(case_id)
    if item is None:  # closed, or its platform status changed, since the page was read
        raise Conflict(None, N_("This case is no longer in the refund and dispute queue."))
    if item.case.assignee is None:
        raise RuleError(N_("Nobody is assigned to this case: assign it first."))
    now = clock.now()
    _remind(user, item, now)
    db.session.flush()
    return Row(item.case, item.status_since, now)


def remind_all(user: User) -> tuple[int, int]:
    """Remind the assignee of every case in the queue; returns (reminded, unassigned). The
    notifications, events and audit records go in one INSERT per table, however long the
    queue."""
    now = clock.now()
    reminded = unassigned = 0
    with db.session.no_autoflush:
        for item in rows():
            if item.case.assignee is None:
                unassigned += 1
                continue
            _remind(user, item, now)
            reminded += 1
    _insert_added(Notification, CaseEvent, AuditEvent)
    if reminded:
        audit.record("aftersales.reminded_all", actor=user, details={"count": reminded})
    db.session.flush()
    return reminded, unassigned


def _insert_added(*models) -> None:
    """Write the session's new objects of ``models`` with one INSERT per table (the ORM sends
    one per row when it must read each new id back; nothing here needs them)."""
    batches = []
    for model in models:  # out of the session first: an INSERT would flush the others
        added = [obj for obj in db.session.new if isinstance(obj, model)]
        for obj in added:
            db.session.expunge(obj)
        if added:
            batches.append((model, added))
    for model, added in batches:
        # the columns any of them set (the others keep their defaults)
        columns = [column.key for column in model.__table__.columns if not column.primary_key
                   and any(getattr(obj, column.key) is not None for obj in added)]
        db.session.execute(sa.insert(model),
                           [{key: getattr(obj, key) for key in columns} for obj in added])
