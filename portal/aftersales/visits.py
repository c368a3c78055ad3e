"""Return visits (回访, R-C2): closing a case schedules a call three days later; the agent
records the outcome, a satisfaction from 1 to 5 and a comment."""

from datetime import timedelta

from portal import clock
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.extensions import db

VISIT_AFTER_DAYS = 3


def schedule(case: AfterSalesCase, now=None) -> ReturnVisit:
    """R-C2: the return visit of a closed case, due on the third day (in the caller's
    transaction)."""
    now = now or clock.now()
    visit = ReturnVisit(case_id=case.id, due_on=now.date() + timedelta(days=VISIT_AFTER_DAYS))
    db.session.add(visit)
    return visit
