"""Demo roster: the current month generated and published, next month a draft, the
current month's cleaning duty, a few swap requests and overtime records. Demo only."""

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.notifications.models import Notification
from portal.shifts import roster
from portal.shifts.defaults import ensure_defaults
from portal.shifts.models import CleaningDuty, RosterEntry


def seed(users: dict) -> dict:
    """Plan this month and next for the active rostered demo staff; publish this month."""
    ensure_defaults()
    db.session.flush()
    supervisor = users["supervisor"]
    staff = [u.id for u in roster.rostered_staff()]
    today = clock.today()
    this_month = (today.year, today.month)
    next_month = roster.shift_month(today.year, today.month, 1)
    for year, month in (this_month, next_month):
        # the demo staff always suffice; roster.ShortStaffed says so loudly if not
        roster.generate(supervisor, year, month, staff, version=0)
    roster.generate_cleaning(supervisor, *this_month, per_day=1)
    roster.publish(supervisor, *this_month, version=roster.get_month(*this_month).version)
    # the month was published before it began: everyone has read that notification
    db.session.execute(sa.update(Notification).where(
        Notification.message == roster.PUBLISHED_MESSAGE, Notification.read_at.is_(None)).values(
        read_at=clock.now()))
    from portal.shifts.swaps import seed_demo as seed_swaps_and_overtime

    counts = seed_swaps_and_overtime(users)
    return counts | {
        "roster_months": 2,
        "roster_entries": db.session.scalar(sa.select(sa.func.count(RosterEntry.id))),
        "cleaning_duties": db.session.scalar(sa.select(sa.func.count(CleaningDuty.id))),
    }
