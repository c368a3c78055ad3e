"""The daily work record (每日工作记录, R-C4, R-P4): each agent writes down every question met
in a day and how it was answered. A line may be edited on its own day; afterwards it is
corrected, and every correction keeps the earlier text (as the handover book does).
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import NamedEntry, UTCDateTime
from portal.extensions import db


class QuestionCategory(NamedEntry, db.Model):
    """What a question is about (product, order, logistics, payment, after-sales, other): one
    list for the work record and the knowledge base, kept by the supervisor, named per
    language."""

    __tablename__ = "question_categories"

    position: Mapped[int] = mapped_column(default=0)


class WorkLine(db.Model):
    """One question of an agent's day and the answer given."""

    __tablename__ = "work_lines"
    __table_args__ = (
        sa.Index("ix_work_lines_user_day", "user_id", "day", "id"),
        sa.Index("ix_work_lines_day", "day", "category_id"),
        # unresolved questions for the knowledge editor, newest first
        sa.Index("ix_work_lines_unresolved", "resolved", "day", "id"),
        # …of them, those not promoted to an article yet: the knowledge editor's list and its
        # Today card's count (80,000 of 1,000,000 lines at scale 1: counted from this index
        # alone, 150 → a few ms on PostgreSQL)
        sa.Index("ix_work_lines_unpromoted", "day", "id",
                 sqlite_where=sa.text("resolved = 0 AND article_id IS NULL"),
                 postgresql_where=sa.text("resolved IS false AND article_id IS NULL")),
        sa.Index("ix_work_lines_order", "order_id"),
        sa.Index("ix_work_lines_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    day: Mapped[date]  # the agent's working day (department time)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("question_categories.id"))
    question: Mapped[str] = mapped_column(sa.String(1000))
    answer: Mapped[str] = mapped_column(sa.String(2000), default="")
    resolved: Mapped[bool] = mapped_column(default=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    # the draft article this line was promoted to (knowledge base)
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("articles.id"))
    corrections: Mapped[int] = mapped_column(default=0)  # how many corrections it has
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now,
                                                 onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    user = relationship("User")
    category = relationship(QuestionCategory, lazy="joined")


class WorkLineCorrection(db.Model):
    """A correction of a line after its day: the text the line had before it (kept)."""

    __tablename__ = "work_line_corrections"
    __table_args__ = (sa.Index("ix_work_line_corrections_line", "line_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("work_lines.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(sa.String(1000))  # the earlier text
    answer: Mapped[str] = mapped_column(sa.String(2000), default="")
    resolved: Mapped[bool] = mapped_column()
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("question_categories.id"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
