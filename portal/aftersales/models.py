"""The after-sales desk (售后): cases with their events, evidence photos, canned replies and
return visits (R-A1..R-A7, R-C2, R-C3)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db
from portal.orders.models import Order  # noqa: F401 - a case points at an order

MONEY = sa.Numeric(12, 2)


class AfterSalesCase(db.Model):
    """One customer's problem with one order (R-A7): the order (picked, or only its number
    typed), what is wrong and what the customer asks for, the workflow state, the freight
    rule's outcome (R-A3), an interception (R-A5), the refund, and the SLA clock's due
    moments (stored so lists can filter on them; recomputed at every state change)."""

    __tablename__ = "aftersales_cases"
    __table_args__ = (
        sa.Index("ix_aftersales_cases_state_created", "state", "created_at", "id"),
        sa.Index("ix_aftersales_cases_assignee_state", "assignee_id", "state", "created_at"),
        sa.Index("ix_aftersales_cases_created", "created_at", "id"),
        # the case lists: my cases / unassigned, and one kind, newest first
        sa.Index("ix_aftersales_cases_assignee_created", "assignee_id", "created_at", "id"),
        sa.Index("ix_aftersales_cases_type_created", "type", "created_at", "id"),
        sa.Index("ix_aftersales_cases_order_no", "order_no"),
        sa.Index("ix_aftersales_cases_order", "order_id"),
        sa.Index("ix_aftersales_cases_return_tracking", "return_tracking_no"),
        sa.Index("ix_aftersales_cases_sla", "sla_state", "resolve_due_at"),
        # the reminders' "first response due" window (portal/jobs)
        sa.Index("ix_aftersales_cases_response_due", "first_response_due_at"),
        sa.Index("ix_aftersales_cases_platform", "platform_status", "created_at"),
        sa.Index("ix_aftersales_cases_closed", "closed_at"),
        sa.Index("ix_aftersales_cases_resolved", "resolved_at"),  # the weekly report
        sa.Index("ix_aftersales_cases_customer", "customer_id", "created_at", "id"),
        sa.CheckConstraint("refund_amount IS NULL OR refund_amount >= 0",
                           name="refund_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # return_refund | exchange | refund_only | quality | logistics | interception
    type: Mapped[str] = mapped_column(sa.String(16))
    # lost | damaged | short | wrong
    logistics_problem: Mapped[str | None] = mapped_column(sa.String(10))
    # R-C3: quality | logistics | market | suggestion
    category: Mapped[str | None] = mapped_column(sa.String(12))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    order_no: Mapped[str] = mapped_column(sa.String(40))  # typed, or the picked order's
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    platform: Mapped[str | None] = mapped_column(sa.String(12))
    purchase_date: Mapped[date | None]
    delivery_date: Mapped[date | None]
    problem: Mapped[str] = mapped_column(sa.String(1000))
    request: Mapped[str] = mapped_column(sa.String(500), default="")
    return_courier: Mapped[str | None] = mapped_column(sa.String(30))
    return_tracking_no: Mapped[str | None] = mapped_column(sa.String(40))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # new | in_progress | waiting_customer | waiting_parcel | parcel_received | refunded |
    # exchange_shipped | resolved | closed
    state: Mapped[str] = mapped_column(sa.String(20), default="new")
    # R-A2: whether the photos confirm a quality claim (None: not yet looked at)
    photos_confirm: Mapped[bool | None]
    # R-A1: a no-reason return decided outside the 7 days needs a written reason
    window_override: Mapped[str | None] = mapped_column(sa.String(300))
    # R-A3: the return freight the customer advanced and the company owes back
    freight_owed: Mapped[Decimal | None] = mapped_column(MONEY)
    freight_refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refund_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    # 退款中 / 维权中: the platform's refund or dispute the supervisor checks daily
    platform_status: Mapped[str | None] = mapped_column(sa.String(10))  # refunding | dispute
    # R-A5: an interception of a shipped parcel
    # requested | intercepted | failed
    interception_state: Mapped[str | None] = mapped_column(sa.String(12))
    parcel_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    parcel_received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # the SLA clock (portal.aftersales.sla): working-time due moments, paused while the
    # case waits for the customer
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_remaining_minutes: Mapped[int | None]  # working minutes left when paused
    # running | paused | stopped
    sla_state: Mapped[str] = mapped_column(sa.String(8), default="running")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # kept both due moments when resolved (set by sla.stop; the weekly report counts it)
    sla_met: Mapped[bool | None]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    order = relationship("Order", lazy="joined")
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")
    parcel_received_by = relationship("User", foreign_keys=[parcel_received_by_id])


class CaseEvent(db.Model):
    """What happened on a case, in order: each state change (who, when, from, to), internal
    notes, assignments, photos added or hidden."""

    __tablename__ = "aftersales_events"
    __table_args__ = (sa.Index("ix_aftersales_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("aftersales_cases.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))  # state | note | assign | photo | ...
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.String(2000), default="")
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    actor = relationship("User", lazy="joined")


class CasePhoto(db.Model):
    """An evidence photo (R-A2): stored outside the web root under a random name, served only
    to staff who may see the case; never deleted, only hidden with a reason."""

    __tablename__ = "aftersales_photos"
    __table_args__ = (sa.Index("ix_aftersales_photos_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("aftersales_cases.id"))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(20))  # image/jpeg | image/png | image/webp
    size: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(300))

    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id], lazy="joined")


class ReturnVisit(db.Model):
    """R-C2: the call three days after a case is closed: outcome, satisfaction, comment."""

    __tablename__ = "aftersales_visits"
    __table_args__ = (
        sa.Index("ix_aftersales_visits_due", "done_at", "due_on"),
        sa.Index("ix_aftersales_visits_case", "case_id"),
        sa.Index("ix_aftersales_visits_customer", "customer_id", "due_on", "id"),
        sa.CheckConstraint("satisfaction IS NULL OR (satisfaction >= 1 AND satisfaction <= 5)",
                           name="satisfaction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("aftersales_cases.id"))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    due_on: Mapped[date]
    outcome: Mapped[str | None] = mapped_column(sa.String(12))  # reached | not_reached | declined
    satisfaction: Mapped[int | None]
    comment: Mapped[str] = mapped_column(sa.String(500), default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    case = relationship(AfterSalesCase, lazy="joined")
