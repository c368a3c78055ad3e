"""The handover book (交接本): items written by one shift for the next (R-H1..R-H6)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db


class HandoverItem(db.Model):
    """An item of a book, written in one shift and addressed to the next, open until its owner
    closes it with a resolution (R-H3). Never deleted (R-H6)."""

    __tablename__ = "handover_items"
    __table_args__ = (
        sa.Index("ix_handover_items_book_status_shift", "book", "status", "shift_date"),
        sa.Index("ix_handover_items_book_shift", "book", "shift_date", "id"),
        sa.Index("ix_handover_items_order_no", "order_no"),
        sa.Index("ix_handover_items_customer_ref", "customer_ref"),
        # history filtered by author, newest first (keyset on shift_date, id)
        sa.Index("ix_handover_items_book_author_shift", "book", "author_id", "shift_date", "id"),
        # what a person followed up in a period (score sheets' link candidates); also serves
        # every lookup by owner alone, so owner_id has no index of its own
        sa.Index("ix_handover_items_owner_shift", "owner_id", "shift_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    book: Mapped[str] = mapped_column(sa.String(12))  # desk | showroom (R-H5)
    shift_date: Mapped[date]  # the shift it was written in
    shift_type_id: Mapped[int] = mapped_column(sa.ForeignKey("shift_types.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20))
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal")  # normal | urgent
    text: Mapped[str] = mapped_column(sa.Text)
    # R-H4: a problem case names these
    order_no: Mapped[str | None] = mapped_column(sa.String(64))
    customer_ref: Mapped[str | None] = mapped_column(sa.String(64))
    purchase_date: Mapped[date | None]
    return_tracking: Mapped[str | None] = mapped_column(sa.String(64))
    customer_request: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="open")  # open | closed
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    taken_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    shift_type = relationship("ShiftType", lazy="joined")
    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    closed_by = relationship("User", foreign_keys=[closed_by_id], lazy="joined")


class HandoverAck(db.Model):
    """R-H2: someone on a receiving shift signed the item as read (签字确认) or took it over
    (继续跟进), recorded with the shift they were on."""

    __tablename__ = "handover_acks"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "user_id", "shift_date", "shift_type_id", "kind",
                            name="uq_handover_acks_once"),
        sa.Index("ix_handover_acks_shift", "shift_date", "shift_type_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("handover_items.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))  # signed | taken_over
    shift_date: Mapped[date]
    shift_type_id: Mapped[int] = mapped_column(sa.ForeignKey("shift_types.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    user = relationship("User", lazy="joined")


class HandoverRevision(db.Model):
    """R-H6: the text an item had before an edit."""

    __tablename__ = "handover_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("handover_items.id"), index=True)
    text_before: Mapped[str] = mapped_column(sa.Text)
    edited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    edited_by = relationship("User", lazy="joined")
