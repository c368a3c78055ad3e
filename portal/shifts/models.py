"""Duty roster: shift types, months, cells, staffing minimums, swaps, overtime, cleaning duty."""

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db
from portal.i18n import localized

MINUTES_PER_DAY = 24 * 60


class ShiftType(db.Model):
    """A kind of shift (R-S1): data, not code. Times are minutes from the start of its date;
    an end of 1440 is 24:00 of the same date (a night shift never spills into the next day)."""

    __tablename__ = "shift_types"
    __table_args__ = (
        sa.CheckConstraint("start_minute >= 0 AND end_minute <= 1440 AND start_minute < "
                           "end_minute", name="shift_time_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    # the name per language as the supervisor typed it ({"zh_TW": …, "en": …}); a language
    # left out shows ``name`` (the default, zh_CN) — see ``label``
    names: Mapped[dict | None] = mapped_column(sa.JSON)
    colour: Mapped[str] = mapped_column(sa.String(7), default="#dbe8f6")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def label(self) -> str:
        """The name in the reader's language (issue 15.17), else the default name."""
        return localized(self.names, self.name)

    @staticmethod
    def clock_text(minute: int) -> str:
        """``960`` -> ``16:00``; ``1440`` -> ``24:00``."""
        return f"{minute // 60:02d}:{minute % 60:02d}"

    @property
    def hours_text(self) -> str:
        """``16:00–24:00``."""
        return f"{self.clock_text(self.start_minute)}–{self.clock_text(self.end_minute)}"

    def starts_at(self, day: date) -> datetime:
        """The aware moment the shift starts on ``day`` (department time)."""
        return datetime.combine(day, time(), clock.get_clock().tz) + _minutes(self.start_minute)

    def ends_at(self, day: date) -> datetime:
        """The aware moment the shift ends on ``day`` (24:00 is the next midnight)."""
        return datetime.combine(day, time(), clock.get_clock().tz) + _minutes(self.end_minute)

    def covers(self, moment_minute: int) -> bool:
        """True when a minute of the day falls inside the shift."""
        return self.start_minute <= moment_minute < self.end_minute


def _minutes(n: int):
    from datetime import timedelta

    return timedelta(minutes=n)


class RosterMonth(db.Model):
    """One month of the roster: a draft until the supervisor publishes it (R-S4)."""

    __tablename__ = "roster_months"
    __table_args__ = (sa.UniqueConstraint("year", "month", name="uq_roster_months_year_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    month: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")  # draft | published
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def is_published(self) -> bool:
        return self.status == "published"


class RosterEntry(db.Model):
    """One person's cell on one day: a shift type, or rest (``shift_type_id`` is None)."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "day", name="uq_roster_entries_user_day"),
        sa.Index("ix_roster_entries_day_shift", "day", "shift_type_id"),
        sa.Index("ix_roster_entries_month", "month_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month_id: Mapped[int] = mapped_column(sa.ForeignKey("roster_months.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    day: Mapped[date]
    shift_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shift_types.id"))
    fixed: Mapped[bool] = mapped_column(default=False)  # set by hand: the generator keeps it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now,
                                                 onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    shift_type = relationship(ShiftType, lazy="joined")
    user = relationship("User", lazy="joined")

    @property
    def is_rest(self) -> bool:
        return self.shift_type_id is None


class StaffingMinimum(db.Model):
    """The fewest people of a role on a shift each day (R-S2 staggering target)."""

    __tablename__ = "staffing_minimums"
    __table_args__ = (
        sa.UniqueConstraint("role", "shift_type_id", name="uq_staffing_minimums_role_shift"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    shift_type_id: Mapped[int] = mapped_column(sa.ForeignKey("shift_types.id"))
    minimum: Mapped[int] = mapped_column(default=0)


class SwapRequest(db.Model):
    """A staff member asks a colleague to swap shifts; the colleague accepts; the supervisor
    approves and the roster changes."""

    __tablename__ = "swap_requests"
    __table_args__ = (sa.Index("ix_swap_requests_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    colleague_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    requester_day: Mapped[date]
    colleague_day: Mapped[date]
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    # requested -> accepted -> approved | declined (colleague) | rejected (supervisor) | cancelled
    status: Mapped[str] = mapped_column(sa.String(12), default="requested")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    requester = relationship("User", foreign_keys=[requester_id], lazy="joined")
    colleague = relationship("User", foreign_keys=[colleague_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")


class OvertimeRecord(db.Model):
    """R-S3: a night-shift person kept past the end of the shift by a customer."""

    __tablename__ = "overtime_records"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "day", "shift_type_id", name="uq_overtime_records_shift"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(index=True)  # the shift's own date
    shift_type_id: Mapped[int] = mapped_column(sa.ForeignKey("shift_types.id"))
    actual_end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    minutes: Mapped[int]  # past the shift's planned end
    note: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    user = relationship("User", lazy="joined")
    shift_type = relationship(ShiftType, lazy="joined")


class CleaningDuty(db.Model):
    """值日表: who keeps the office tidy on a day."""

    __tablename__ = "cleaning_duties"
    __table_args__ = (
        sa.UniqueConstraint("day", "user_id", name="uq_cleaning_duties_day_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    user = relationship("User", lazy="joined")
