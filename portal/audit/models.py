"""Audit events: append-only."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db


class AuditEvent(db.Model):
    """One thing someone did (or tried to do)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_target", "target_type", "target_id"),
        sa.Index("ix_audit_events_actor_at", "actor_id", "at"),
        # the trail filtered by action, newest first, without sorting every event of it
        sa.Index("ix_audit_events_action_at", "action", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str | None] = mapped_column(sa.String(64))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    # {"field": [before, after], ...} for changes; free details otherwise
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
    details: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    actor = relationship("User", lazy="joined")
