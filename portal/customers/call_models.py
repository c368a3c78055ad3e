"""Follow-up calls (R-C2, R-C5; issue 17 items 5 and 6): the plans the supervisor keeps, the
calls they plan, each try of a call, and the monthly greetings of the care list.

A plan says whom to call (customer kind, value classes), when (a delay or an interval in
days), in which windows (``10:00-11:30 15:00-17:30``), how often to try and what to say.
``plan_due_calls(today)`` (portal.customers.calls) turns plans into ``PlannedCall`` rows; an
open call (state ``due``) is unique per plan and customer (a partial unique index).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db
from portal.i18n import N_

DEFAULT_WINDOWS = "10:00-11:30 15:00-17:30"  # R-C5

PLAN_KINDS = {
    "member_check": N_("Member verification call"),
    "prospect": N_("Prospect follow-up after a showroom visit"),
    "care": N_("Care call for an important customer"),
    "win_back": N_("Win-back call for a customer gone quiet"),
    # planned one at a time by another area (a complaint's answer), never by plan_due_calls
    "follow_up": N_("Follow-up call after a complaint's answer"),
}
FOLLOW_UP = "follow_up"

STATES = {
    "due": N_("To call"),
    "done": N_("Done"),
    "given_up": N_("Given up"),
}

RESULTS = {
    "reached": N_("Reached"),
    "no_answer": N_("No answer"),
    "wrong_number": N_("Wrong number"),
    "declined": N_("Customer declined"),
    "call_back": N_("Call back at…"),
}


class CallPlan(db.Model):
    """A rule that plans calls: which customers, when, in which windows, with what script."""

    __tablename__ = "call_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[str] = mapped_column(sa.String(16))  # PLAN_KINDS
    # which customers: a customer kind (None: any) and value class codes ("" : any)
    customer_kind: Mapped[str | None] = mapped_column(sa.String(12))
    value_classes: Mapped[str] = mapped_column(sa.String(200), default="")
    # member_check: members new within this many days; prospect: days after the visit;
    # care: every this many days; win_back: quiet for this many days
    days: Mapped[int] = mapped_column(default=1)
    script_hint: Mapped[str] = mapped_column(sa.String(500), default="")
    max_tries: Mapped[int] = mapped_column(default=3)
    windows: Mapped[str] = mapped_column(sa.String(100), default=DEFAULT_WINDOWS)
    # who calls a customer without an owner: anyone of this role
    pool_role: Mapped[str] = mapped_column(sa.String(20), default="presales")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def class_codes(self) -> list[str]:
        return [code for code in (self.value_classes or "").split() if code]


class PlannedCall(db.Model):
    """One call to make: a customer, by a plan, due at a moment, for a person (or a pool)."""

    __tablename__ = "planned_calls"
    __table_args__ = (
        # never two open calls of one plan for one customer (plan_due_calls is idempotent)
        sa.Index("uq_planned_calls_open", "plan_id", "customer_id", unique=True,
                 sqlite_where=sa.text("state = 'due'"),
                 postgresql_where=sa.text("state = 'due'")),
        # My calls today: mine (or my pool's) that are due, by due moment
        sa.Index("ix_planned_calls_assignee", "state", "assignee_id", "due_at"),
        sa.Index("ix_planned_calls_pool", "state", "pool_role", "due_at"),
        sa.Index("ix_planned_calls_customer", "customer_id", "plan_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("call_plans.id"))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    pool_role: Mapped[str | None] = mapped_column(sa.String(20))  # when no assignee
    tries: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(sa.String(10), default="due")  # STATES
    result: Mapped[str | None] = mapped_column(sa.String(12))  # the last try's RESULTS
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    plan = relationship(CallPlan, lazy="joined")
    customer = relationship("Customer", lazy="joined")
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")


class CallAttempt(db.Model):
    """One try of a planned call and its result: what the story and the reports read."""

    __tablename__ = "call_attempts"
    __table_args__ = (
        sa.Index("ix_call_attempts_customer", "customer_id", "at", "id"),
        sa.Index("ix_call_attempts_at", "at", "by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("planned_calls.id"))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    result: Mapped[str] = mapped_column(sa.String(12))  # RESULTS
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    call_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    call = relationship(PlannedCall, lazy="joined")
    by = relationship("User", lazy="joined")


class CareExport(db.Model):
    """One export of the monthly care list for the SMS platform (R-C5): who, when, which
    month, how many; its file is made again from the greetings it wrote."""

    __tablename__ = "care_exports"
    __table_args__ = (sa.Index("ix_care_exports_month", "month", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7))  # 2026-11
    days: Mapped[int]  # quiet for at least this many days
    include_greeted: Mapped[bool] = mapped_column(default=False)
    count: Mapped[int] = mapped_column(default=0)  # customers greeted by this export
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    by = relationship("User", lazy="joined")


class CareGreeting(db.Model):
    """R-C5: a member greeted in a month (exported to the SMS platform); one per month."""

    __tablename__ = "care_greetings"
    __table_args__ = (
        sa.UniqueConstraint("month", "customer_id", name="uq_care_greetings_month_customer"),
        sa.Index("ix_care_greetings_export", "export_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    month: Mapped[str] = mapped_column(sa.String(7))  # 2026-11
    export_id: Mapped[int] = mapped_column(sa.ForeignKey("care_exports.id"))
    greeted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
