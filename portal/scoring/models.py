"""Monthly penalty/reward score sheets (客服每月奖罚评分表, R-P1..R-P4)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db
from portal.i18n import localized


class ScoreRule(db.Model):
    """A standard item of the catalogue the supervisor keeps: a reward or a penalty with its
    default points (always positive here; the kind gives the sign)."""

    __tablename__ = "score_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # reward | penalty
    default_points: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(200))
    # the item's name per language ({"zh_CN": …, "zh_TW": …, "en": …}, issue 15 item 17);
    # a language left out shows the description
    names: Mapped[dict | None] = mapped_column(sa.JSON)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def name(self) -> str:
        """The item in the reader's language."""
        return localized(self.names, self.description)


class ScoreSheet(db.Model):
    """One staff member's sheet for one month (R-P1). States: draft → submitted → approved,
    or returned (with the manager's comment) and edited again; approved is locked (R-P3)."""

    __tablename__ = "score_sheets"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "year", "month", name="uq_score_sheets_user_month"),
        sa.Index("ix_score_sheets_month_status", "year", "month", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    year: Mapped[int]
    month: Mapped[int]
    base_score: Mapped[int] = mapped_column(default=100)
    # the sum of the entries' signed points, kept with every entry change (overview speed)
    rewards: Mapped[int] = mapped_column(default=0)
    penalties: Mapped[int] = mapped_column(default=0)  # positive number of points taken off
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    return_comment: Mapped[str | None] = mapped_column(sa.String(500))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def total(self) -> int:
        """Base + rewards − penalties (R-P1)."""
        return self.base_score + self.rewards - self.penalties

    @property
    def editable(self) -> bool:
        """Entries may change only on a draft or a returned sheet."""
        return self.status in ("draft", "returned")


class ScoreEntry(db.Model):
    """A reward or penalty on a sheet: date, points (signed), reason, evidence, optional link
    to another area's record. Removed entries stay, marked removed (the record is kept)."""

    __tablename__ = "score_entries"
    __table_args__ = (
        sa.Index("ix_score_entries_sheet", "sheet_id", "removed_at"),
        sa.Index("ix_score_entries_link", "link_type", "link_id"),
        sa.CheckConstraint("points <> 0", name="points_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id"))
    day: Mapped[date]
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("score_rules.id"))
    reason: Mapped[str] = mapped_column(sa.String(200))
    points: Mapped[int]  # + reward, − penalty
    evidence: Mapped[str | None] = mapped_column(sa.String(500))
    # a record of another area: handover_item | visit | order | aftersales_case
    link_type: Mapped[str | None] = mapped_column(sa.String(20))
    link_id: Mapped[int | None]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    sheet = relationship(ScoreSheet)
    rule = relationship(ScoreRule, lazy="joined")
    recorded_by = relationship("User", lazy="joined")
    # read-only: the sheet page loads them with the entries (one query); appeals change
    # through Appeal rows (appeals.py)
    appeals = relationship("Appeal", viewonly=True,
                           order_by=lambda: (Appeal.created_at.desc(), Appeal.id.desc()))

    @property
    def shown_reason(self) -> str:
        """The reason as the reader sees it: an entry from the catalogue in the reader's
        language, while its text is still the item's (a renamed item leaves the entries
        recorded before as they were)."""
        rule = self.rule
        if rule is not None and self.reason == rule.description:
            return rule.name
        return self.reason


class ScoreEntryRevision(db.Model):
    """An entry as it was before a change or a removal (kept for the record)."""

    __tablename__ = "score_entry_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("score_entries.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(10))  # changed | removed
    day_before: Mapped[date]
    points_before: Mapped[int]
    reason_before: Mapped[str] = mapped_column(sa.String(200))
    evidence_before: Mapped[str | None] = mapped_column(sa.String(500))
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    by = relationship("User", lazy="joined")


class SheetEvent(db.Model):
    """The sheet's own record: submitted, approved, returned (comment), reopened (reason),
    acknowledged — shown on the sheet (R-P3)."""

    __tablename__ = "score_sheet_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(12))
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    by = relationship("User", lazy="joined")


class Appeal(db.Model):
    """A staff member disputes an entry of their own sheet before approval; the supervisor
    answers: kept, changed or removed."""

    __tablename__ = "score_appeals"
    __table_args__ = (sa.Index("ix_score_appeals_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("score_entries.id"), index=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="open")  # open|kept|changed|removed
    answer: Mapped[str | None] = mapped_column(sa.String(500))
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    entry = relationship(ScoreEntry, lazy="joined")
    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    answered_by = relationship("User", foreign_keys=[answered_by_id])
