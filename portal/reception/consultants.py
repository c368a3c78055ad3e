"""The showroom's consultants (置业顾问), kept by the supervisor: the staff the arrival form
offers as the consultant who takes a party (R-R5, issue 15 item 14). Anyone else is typed as
a free name. A mark is never deleted: unmarking keeps the row, and the visits stay theirs.
"""

import sqlalchemy as sa

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.reception.models import Consultant
from portal.rules import RuleError


def offered() -> list[User]:
    """Active staff marked as consultants, by name: the arrival form's list."""
    return list(db.session.scalars(
        sa.select(User).join(Consultant, Consultant.user_id == User.id)
        .where(Consultant.active.is_(True), User.active.is_(True))
        .order_by(User.display_name, User.id)))


def offered_consultant(user_id: int) -> User | None:
    """The member of staff when they are active and marked as a consultant, else None."""
    return db.session.scalar(
        sa.select(User).join(Consultant, Consultant.user_id == User.id)
        .where(User.id == user_id, Consultant.active.is_(True), User.active.is_(True)))


def marks() -> list[Consultant]:
    """Every mark, the active ones first, by name (the consultants page)."""
    return list(db.session.scalars(
        sa.select(Consultant).join(User, User.id == Consultant.user_id)
        .order_by(Consultant.active.desc(), User.display_name, User.id)).unique())


def unmarked_staff() -> list[User]:
    """Active staff who are not marked now: whom the supervisor may mark."""
    marked = sa.select(Consultant.user_id).where(Consultant.active.is_(True))
    return list(db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.id.not_in(marked))
        .order_by(User.display_name, User.id)))


def mark(user: User, staff_id) -> Consultant:
    """Mark a member of staff as a showroom consultant (again, if they were unmarked)."""
    staff = db.session.get(User, int(staff_id)) if str(staff_id or "").isdigit() else None
    if staff is None or not staff.active:
        raise RuleError(N_("Choose an active staff member."), "user_id")
    consultant = db.session.scalar(sa.select(Consultant).where(Consultant.user_id == staff.id))
    if consultant is not None and consultant.active:
        raise RuleError(N_("%(name)s is already a consultant."), "user_id",
                        name=staff.display_name)
    if consultant is None:
        consultant = Consultant(user=staff, marked_by_id=user.id, marked_at=clock.now())
        db.session.add(consultant)
    else:
        consultant.active, consultant.marked_by_id = True, user.id
        consultant.marked_at = clock.now()
    db.session.flush()
    audit.record("reception.consultant_marked", consultant, actor=user,
                 changes={"consultant": [None, staff.display_name]})
    return consultant


def unmark(user: User, consultant: Consultant, version: int) -> Consultant:
    """Take a consultant off the arrival form's list; their visits stay theirs."""
    if version != consultant.version or not consultant.active:
        raise Conflict(consultant)
    consultant.active = False
    audit.record("reception.consultant_unmarked", consultant, actor=user,
                 changes={"consultant": [consultant.user.display_name, None]})
    db.session.flush()  # a concurrent change fails here (409)
    return consultant
