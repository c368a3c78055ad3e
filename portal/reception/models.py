"""Showroom reception (售楼处接待): visitors, the menu, the opening checklist, repairs
(R-R1..R-R7)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import LocalName, UTCDateTime
from portal.extensions import db


class MenuItem(LocalName, db.Model):
    """A drink or snack the showroom serves (kept by the supervisor). A drink kept in the
    fridge names the checklist item whose morning count is its stock."""

    __tablename__ = "menu_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    names: Mapped[dict | None] = mapped_column(sa.JSON)  # {"zh_TW": …, "en": …} (issue 15)
    kind: Mapped[str] = mapped_column(sa.String(10), default="drink")  # drink | snack
    stock_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_items.id"))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    stock_item = relationship("ChecklistItem", lazy="joined")


class Consultant(db.Model):
    """A member of staff marked as a showroom consultant (置业顾问), kept by the supervisor:
    the arrival form offers these, and a free name for anyone else (issue 15 item 14). An
    unmarked consultant keeps the row (``active`` false): the visits they took stay theirs."""

    __tablename__ = "showroom_consultants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    marked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    user = relationship("User", foreign_keys=[user_id], lazy="joined")


class Visit(db.Model):
    """A party received in the showroom (R-R5). Name and phone are optional personal data
    (R-R6)."""

    __tablename__ = "visits"
    __table_args__ = (
        sa.Index("ix_visits_day_arrived", "day", "arrived_at"),
        sa.Index("ix_visits_open", "left_at", "arrived_at"),
        sa.Index("ix_visits_consultant_day", "consultant_id", "day"),
        sa.Index("ix_visits_phone", "phone"),
        sa.Index("ix_visits_customer", "customer_id", "arrived_at", "id"),
        sa.CheckConstraint("party_size >= 1", name="party_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]  # the department-local date of arrival (what lists filter on)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    party_size: Mapped[int]
    purpose: Mapped[str] = mapped_column(sa.String(12))  # viewing | signing | aftersales | other
    source: Mapped[str] = mapped_column(sa.String(12))  # walk_in | appointment | referral | ...
    consultant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    consultant_name: Mapped[str | None] = mapped_column(sa.String(60))  # when not a user
    visitor_name: Mapped[str | None] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # digits only, normalised
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    consultant = relationship("User", foreign_keys=[consultant_id], lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")
    servings = relationship("Serving", back_populates="visit", lazy="selectin",
                            order_by="Serving.id")


class Serving(db.Model):
    """What a party was served (R-R5): a menu item and a quantity."""

    __tablename__ = "servings"
    __table_args__ = (
        sa.Index("ix_servings_day_menu", "day", "menu_item_id"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    menu_item_id: Mapped[int] = mapped_column(sa.ForeignKey("menu_items.id"))
    quantity: Mapped[int]
    day: Mapped[date]  # the date it was served: the fridge stock of that day goes down
    served_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    served_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    visit = relationship(Visit, back_populates="servings")
    menu_item = relationship(MenuItem, lazy="joined")


class ChecklistItem(LocalName, db.Model):
    """A showroom item checked each morning (R-R2), kept by the supervisor. Counted items
    (drinks in the fridge, keys, chairs) have an expected count; a drink below
    ``restock_level`` shows as "restock"."""

    __tablename__ = "checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    names: Mapped[dict | None] = mapped_column(sa.JSON)  # {"zh_TW": …, "en": …} (issue 15)
    group: Mapped[str] = mapped_column(sa.String(20))  # decoration | furniture | equipment | ...
    counted: Mapped[bool] = mapped_column(default=False)
    expected_count: Mapped[int | None]
    restock_level: Mapped[int | None]
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ChecklistDay(db.Model):
    """The opening checklist of one day (物品核查记录单); done when every item is marked."""

    __tablename__ = "checklist_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    marks = relationship("ChecklistMark", back_populates="checklist", lazy="selectin")


class ChecklistMark(db.Model):
    """One item on one day's checklist: OK, missing or damaged, with the count and a note."""

    __tablename__ = "checklist_marks"
    __table_args__ = (
        sa.UniqueConstraint("checklist_id", "item_id", name="uq_checklist_marks_item"),
        sa.CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_days.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_items.id"))
    status: Mapped[str] = mapped_column(sa.String(10))  # ok | missing | damaged
    quantity: Mapped[int | None]  # counted items: the morning's count (the day's stock)
    note: Mapped[str | None] = mapped_column(sa.String(200))
    marked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    checklist = relationship(ChecklistDay, back_populates="marks")
    item = relationship(ChecklistItem, lazy="joined")
    marked_by = relationship("User", lazy="joined")


class RepairReport(db.Model):
    """设备设施报修 (R-R3): reported → being repaired → fixed, or cannot fix; followed up with
    notes until closed."""

    __tablename__ = "repair_reports"
    __table_args__ = (sa.Index("ix_repair_reports_status", "status", "reported_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_items.id"))
    place: Mapped[str] = mapped_column(sa.String(100))  # the item's name, or a place
    problem: Mapped[str] = mapped_column(sa.String(500))
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # reported | repairing | fixed | cannot_fix
    status: Mapped[str] = mapped_column(sa.String(12), default="reported")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    item = relationship(ChecklistItem, lazy="joined")
    reported_by = relationship("User", lazy="joined")
    notes = relationship("RepairNote", back_populates="report", lazy="selectin",
                         order_by="RepairNote.id")


class RepairNote(db.Model):
    """A follow-up note on a repair, with the status it moved to (if any)."""

    __tablename__ = "repair_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("repair_reports.id"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    status_to: Mapped[str | None] = mapped_column(sa.String(12))
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    report = relationship(RepairReport, back_populates="notes")
    by = relationship("User", lazy="joined")
