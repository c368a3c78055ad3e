"""The calls on a customer's story (issue 17 item 4): every try of a planned call and its
result, newest first, keyset-paged by (at, id) on ``ix_call_attempts_customer``.

``items(customer_id, before=cursor)`` gives one page; each item has ``at`` (the moment the
story sorts by), ``kind`` = ``"call"``, ``template`` (its row) and ``record`` (the
``CallAttempt``, with its call, plan and caller loaded). The story registry of
``portal.customers`` merges the sources by ``at``.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.customers.call_models import CallAttempt, PlannedCall
from portal.extensions import db
from portal.paging import KeysetPage, keyset_page

ROW = "customers/calls/_story_row.html"
KEY = (CallAttempt.at, CallAttempt.id)


@dataclass(frozen=True)
class StoryItem:
    at: datetime
    kind: str
    template: str
    record: CallAttempt


def items(customer_id: int, *, before: str | None = None,
          per_page: int = 20) -> tuple[list[StoryItem], str | None]:
    """A page of the customer's calls, newest first, and the cursor of the next (older)
    page (None at the end). One query."""
    query = (sa.select(CallAttempt).where(CallAttempt.customer_id == customer_id)
             .options(joinedload(CallAttempt.call).joinedload(PlannedCall.plan),
                      joinedload(CallAttempt.call).lazyload(PlannedCall.customer),
                      joinedload(CallAttempt.call).lazyload(PlannedCall.assignee)))
    page: KeysetPage = keyset_page(query, KEY, before=before, per_page=per_page)
    return [StoryItem(a.at, "call", ROW, a) for a in page.items], page.older


def next_due(customer_id: int) -> PlannedCall | None:
    """The customer's earliest open call (for the story's header "call due"), or None."""
    return db.session.scalars(
        sa.select(PlannedCall).where(PlannedCall.customer_id == customer_id,
                                     PlannedCall.state == "due")
        .order_by(PlannedCall.due_at).limit(1)).first()
