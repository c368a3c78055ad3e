"""Return visits (回访, R-C2): closing a case schedules a call three days later; the agent
records the outcome, a satisfaction from 1 to 5 and a comment. A customer not reached may
be called again the next day (a new visit: every attempt stays on record)."""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal import audit, clock
from portal.actions import Conflict
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.paging import KeysetPage, after_cursor, encode_cursor, keyset_page
from portal.rules import RuleError

VISIT_AFTER_DAYS = 3
SHOWN_MAX = 100  # due visits listed at once (the oldest first)
COMMENT_MAX = 500

OUTCOMES = {
    "reached": N_("Reached"),
    "not_reached": N_("Not reached"),
    "declined": N_("Declined the visit"),
}


def schedule(case: AfterSalesCase, now=None) -> ReturnVisit:
    """R-C2: the return visit of a closed case, due on the third day (in the caller's
    transaction)."""
    now = now or clock.now()
    visit = ReturnVisit(case_id=case.id, due_on=now.date() + timedelta(days=VISIT_AFTER_DAYS))
    db.session.add(visit)
    return visit


def _with_case():
    """The visit's case and its assignee come in the same query (not the order)."""
    return sa.select(ReturnVisit).options(
        joinedload(ReturnVisit.case).lazyload(AfterSalesCase.order))


def _due_query(today: date):
    return _with_case().where(ReturnVisit.done_at.is_(None), ReturnVisit.due_on <= today)


DUE_KEY = (ReturnVisit.due_on, ReturnVisit.id)  # the due list's order, oldest first


def due(today: date | None = None, limit: int = SHOWN_MAX,
        after: str | None = None) -> list[ReturnVisit]:
    """The visits due today or earlier and not done, the oldest first (one query, with the
    case and its assignee); ``after``: those after that cursor (``cursor(visit)``)."""
    query = after_cursor(_due_query(today or clock.today()).order_by(*DUE_KEY), DUE_KEY, after)
    return list(db.session.scalars(query.limit(limit)))


def cursor(visit: ReturnVisit) -> str:
    """Where the due list after ``visit`` begins (``due(after=...)``)."""
    return encode_cursor(visit, DUE_KEY)


def due_with_count(today: date | None = None, limit: int = 5) -> tuple[list[ReturnVisit], int]:
    """The oldest due visits and how many are due in all (one query: a window count)."""
    query = (_due_query(today or clock.today()).add_columns(sa.func.count().over())
             .order_by(ReturnVisit.due_on, ReturnVisit.id).limit(limit))
    rows = db.session.execute(query).unique().all()
    return [visit for visit, _total in rows], rows[0][1] if rows else 0


def due_count(today: date | None = None) -> int:
    """How many visits are due today or earlier and not done."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ReturnVisit)
        .where(ReturnVisit.done_at.is_(None), ReturnVisit.due_on <= (today or clock.today())))


def done_on(day: date | None = None, limit: int = SHOWN_MAX) -> list[ReturnVisit]:
    """The visits recorded on ``day`` (today), the latest first."""
    day = day or clock.today()
    begin = datetime.combine(day, time(), clock.get_clock().tz)
    query = (_with_case()
             .where(ReturnVisit.done_at >= begin,
                    ReturnVisit.done_at < begin + timedelta(days=1))
             .order_by(ReturnVisit.done_at.desc(), ReturnVisit.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def done_page(day: date | None = None, *, before: str | None = None,
              per_page: int = 10) -> KeysetPage:
    """A page of the visits recorded on ``day`` (today), the latest first."""
    day = day or clock.today()
    begin = datetime.combine(day, time(), clock.get_clock().tz)
    query = _with_case().where(ReturnVisit.done_at >= begin,
                               ReturnVisit.done_at < begin + timedelta(days=1))
    return keyset_page(query, (ReturnVisit.done_at, ReturnVisit.id), before=before,
                       per_page=per_page)


def done_count(day: date | None = None) -> int:
    """How many visits were recorded on ``day`` (today)."""
    day = day or clock.today()
    begin = datetime.combine(day, time(), clock.get_clock().tz)
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ReturnVisit)
        .where(ReturnVisit.done_at >= begin, ReturnVisit.done_at < begin + timedelta(days=1)))


def get(visit_id: int) -> ReturnVisit | None:
    """One visit with its case and the case's assignee (not the order) in one query."""
    return db.session.get(ReturnVisit, visit_id,
                          options=[joinedload(ReturnVisit.case).lazyload(AfterSalesCase.order)])


def record(user: User, visit: ReturnVisit, version: int, outcome: str,
           satisfaction: int | None = None, comment: str = "",
           again: bool = False) -> ReturnVisit | None:
    """R-C2: the visit's outcome; a satisfaction from 1 to 5 when the customer was reached;
    a customer not reached may be called again tomorrow (returns that new visit)."""
    if version is None or int(version) != visit.version or visit.done_at is not None:
        raise Conflict(visit)
    if outcome not in OUTCOMES:
        raise RuleError(N_("Choose how the call went."), "outcome")
    if outcome == "reached":
        if satisfaction is None:
            raise RuleError(N_("Ask how satisfied the customer is (1 to 5)."), "satisfaction")
        if not 1 <= satisfaction <= 5:
            raise RuleError(N_("Satisfaction goes from 1 to 5."), "satisfaction")
    else:
        satisfaction = None  # only a customer reached gives one
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise RuleError(N_("Keep this under %(max)d characters."), "comment", max=COMMENT_MAX)
    if again and outcome != "not_reached":
        raise RuleError(N_("Only a customer not reached is called again."), "again")
    now = clock.now()
    visit.outcome, visit.satisfaction, visit.comment = outcome, satisfaction, comment
    visit.done_at, visit.done_by_id = now, user.id
    audit.record("aftersales.visit_recorded", visit, actor=user, changes={
        "outcome": [None, outcome], "satisfaction": [None, satisfaction],
        "comment": [None, comment or None]}, details={"case_id": visit.case_id})
    following = None
    if again:
        following = ReturnVisit(case_id=visit.case_id, due_on=now.date() + timedelta(days=1))
        db.session.add(following)
        db.session.flush()
        audit.record("aftersales.visit_rescheduled", following, actor=user,
                     changes={"due_on": [None, following.due_on.isoformat()]},
                     details={"case_id": visit.case_id, "after": visit.id})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return following
