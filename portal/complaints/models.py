"""Complaints (投诉, R-C3): every complaint received, classified, followed to an answer,
escalated when serious, and counted and analysed every month for the general manager.

A complaint is never deleted. Its steps (received, investigating, answered, closed,
escalated, the escalated person's decision, a note) are ``ComplaintEvent`` rows.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import NamedEntry, UTCDateTime
from portal.extensions import db
from portal.i18n import N_

CHANNELS = {
    "chat": N_("Platform chat"),
    "phone": N_("Phone"),
    "showroom": N_("Showroom"),
    "letter": N_("Letter"),
    "dispute": N_("Platform dispute"),
}

SEVERITIES = {
    "normal": N_("Normal"),
    "serious": N_("Serious"),
    "crisis": N_("Crisis"),
}

# received -> investigating -> answered -> closed; escalated beside them (R-C3)
STATES = {
    "received": N_("Newly received"),
    "investigating": N_("Investigating"),
    "escalated": N_("Escalated"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
}
OPEN_STATES = ("received", "investigating", "escalated")

SATISFACTION = {
    "satisfied": N_("Satisfied"),
    "neutral": N_("Neutral"),
    "dissatisfied": N_("Dissatisfied"),
}

# escalation levels: 0 the owner, 1 the supervisor, 2 the supervisor and the manager
LEVELS = {0: N_("Owner"), 1: N_("Supervisor"), 2: N_("Manager")}


class ComplaintCategory(NamedEntry, db.Model):
    """A category of the list the supervisor keeps (product quality, logistics, market
    support, information request, suggestion, other), named per language."""

    __tablename__ = "complaint_categories"

    position: Mapped[int] = mapped_column(default=0)


class ComplaintDueRule(db.Model):
    """How long a complaint of one severity may take to be answered, in working hours
    (the after-sales SLA clock's working time); the supervisor sets them."""

    __tablename__ = "complaint_due_rules"

    severity: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # SEVERITIES
    hours: Mapped[int] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Complaint(db.Model):
    """One complaint, from receipt to the customer's satisfaction with the answer."""

    __tablename__ = "complaints"
    __table_args__ = (
        sa.Index("ix_complaints_state_due", "state", "due_at"),
        sa.Index("ix_complaints_received", "received_at", "id"),
        sa.Index("ix_complaints_owner_state", "owner_id", "state"),
        sa.Index("ix_complaints_customer", "customer_id"),
        sa.Index("ix_complaints_order", "order_id"),
        sa.Index("ix_complaints_case", "case_id"),
        sa.Index("ix_complaints_handover_item", "handover_item_id"),
        sa.Index("ix_complaints_severity_state", "severity", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    channel: Mapped[str] = mapped_column(sa.String(10))  # CHANNELS
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aftersales_cases.id"))
    handover_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handover_items.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint_categories.id"))
    severity: Mapped[str] = mapped_column(sa.String(10), default="normal")  # SEVERITIES
    said: Mapped[str] = mapped_column(sa.Text)  # what the customer said
    asks: Mapped[str] = mapped_column(sa.String(1000), default="")  # what they ask for
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(sa.String(14), default="received")  # STATES
    level: Mapped[int] = mapped_column(default=0)  # LEVELS: who it is escalated to
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(sa.Text)  # the answer given
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    satisfaction: Mapped[str | None] = mapped_column(sa.String(12))  # SATISFACTION
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now,
                                                 onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    category = relationship(ComplaintCategory, lazy="joined")
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    events = relationship("ComplaintEvent", back_populates="complaint",
                          order_by="ComplaintEvent.id")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ComplaintEvent(db.Model):
    """A step of a complaint: received, a state change, an escalation (by a person or by the
    clock), the escalated person's decision, an answer, a note. Append-only."""

    __tablename__ = "complaint_events"
    __table_args__ = (sa.Index("ix_complaint_events_complaint", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the clock
    kind: Mapped[str] = mapped_column(sa.String(14))  # received, state, escalated, decision…
    state: Mapped[str | None] = mapped_column(sa.String(14))  # the state it moved to
    level: Mapped[int | None] = mapped_column()  # the level it was escalated to
    text: Mapped[str] = mapped_column(sa.Text, default="")

    complaint = relationship(Complaint, back_populates="events")
    user = relationship("User")


class ComplaintMonth(db.Model):
    """The month's analysis for the general manager (R-C3): the supervisor's comment and when
    it was sent to the manager. The figures are computed from the complaints, never stored."""

    __tablename__ = "complaint_months"

    month: Mapped[date] = mapped_column(primary_key=True)  # the first day of the month
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    sent_by = relationship("User")
