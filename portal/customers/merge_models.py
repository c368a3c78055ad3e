"""What a merge of two customers leaves behind (issue 17 item 2): the merge itself, with
the keys of every row it moved, so that an undo moves exactly those back; and the pairs a
person said are not the same person, which the duplicates list leaves out."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db


class CustomerMerge(db.Model):
    """``absorbed`` merged into ``survivor``: ``moved`` is {"table.column": [keys]} of the
    rows that pointed at the absorbed customer and now point at the survivor (a key is the
    row's id, or a list of its other primary-key values for a link table)."""

    __tablename__ = "customer_merges"
    __table_args__ = (
        sa.Index("ix_customer_merges_survivor", "survivor_id", "state"),
        sa.Index("ix_customer_merges_absorbed", "absorbed_id", "state"),
        sa.Index("ix_customer_merges_at", "merged_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    absorbed_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    moved: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    state: Mapped[str] = mapped_column(sa.String(8), default="in_force")  # | undone
    merged_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    survivor = relationship("Customer", foreign_keys=[survivor_id], lazy="joined")
    absorbed = relationship("Customer", foreign_keys=[absorbed_id], lazy="joined")
    merged_by = relationship("User", foreign_keys=[merged_by_id], lazy="joined")
    undone_by = relationship("User", foreign_keys=[undone_by_id])

    def counts(self) -> dict[str, int]:
        """{table: rows moved}."""
        result: dict[str, int] = {}
        for key, rows in (self.moved or {}).items():
            table = key.split(".")[0]
            result[table] = result.get(table, 0) + len(rows)
        return result


class DismissedPair(db.Model):
    """Two customers a person judged "not the same person": kept, never listed again
    (``low_id`` < ``high_id``)."""

    __tablename__ = "customer_pair_dismissals"

    low_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), primary_key=True)
    high_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), primary_key=True)
    dismissed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class DuplicateCount(db.Model):
    """How many possible duplicate pairs wait: the supervisor's Today card reads this one row
    (counting them reads the whole contacts index: ~0.3 s at 300,000 customers, seconds under
    load). The job queue counts again every ``CUSTOMER_DUPLICATES_RECOUNT_MINUTES`` and after
    each merge, undo or dismissal. Only row 1 is used."""

    __tablename__ = "customer_duplicate_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairs: Mapped[int] = mapped_column(default=0)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
