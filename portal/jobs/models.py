"""What the job queue keeps: the reminders sent (once each), how far each kind has looked,
and which kinds the supervisor switched off."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db


class ReminderSent(db.Model):
    """A reminder that went out: (kind, key) is unique, so a second run, a second worker or
    a restart that finds the same reminder due sends nothing."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        sa.UniqueConstraint("kind", "key", name="uq_reminders_sent_kind_key"),
        sa.Index("ix_reminders_sent_kind_sent", "kind", "sent_at"),  # the settings' "last sent"
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    key: Mapped[str] = mapped_column(sa.String(120))
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class JobMark(db.Model):
    """How far a periodic job has looked (``at``): the next run finds what fell due after it,
    so a worker that was down catches up; moving it is a compare-and-set, so of two workers
    running at once only one handles a window."""

    __tablename__ = "job_marks"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderSetting(db.Model):
    """Whether a kind of reminder is sent (the supervisor switches kinds off and on)."""

    __tablename__ = "reminder_settings"

    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def id(self) -> str:
        """The audit trail names a setting by its kind."""
        return self.kind
