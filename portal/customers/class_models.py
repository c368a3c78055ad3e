"""The value-class thresholds the supervisor sets (issue 17 item 3): one row, versioned, so
that two supervisors saving at once get a conflict, not a lost update."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db

MONEY = sa.Numeric(12, 2)

# what a department starts with: bought within 90 days, twice a year, ¥1,000 a year
DEFAULT_WINDOW_DAYS = 365
DEFAULT_RECENCY_DAYS = 90
DEFAULT_FREQUENCY_ORDERS = 2
DEFAULT_MONEY_AMOUNT = Decimal("1000.00")


class ClassThresholds(db.Model):
    """R, F and M thresholds and the window F and M are counted in. Only row 1 is used."""

    __tablename__ = "customer_class_thresholds"

    id: Mapped[int] = mapped_column(primary_key=True)
    window_days: Mapped[int] = mapped_column(default=DEFAULT_WINDOW_DAYS)
    # R is high when the last order is at most this many (calendar) days ago
    recency_days: Mapped[int] = mapped_column(default=DEFAULT_RECENCY_DAYS)
    # F is high with at least this many orders in the window
    frequency_orders: Mapped[int] = mapped_column(default=DEFAULT_FREQUENCY_ORDERS)
    # M is high with at least this much spent in the window
    money_amount: Mapped[Decimal] = mapped_column(MONEY, default=DEFAULT_MONEY_AMOUNT)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # the version whose classes are stored (the job queue recomputes after a save; while
    # it differs from ``version`` the page says the classes are being recomputed)
    recomputed_version: Mapped[int | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    updated_by = relationship("User", lazy="joined")


class ClassCount(db.Model):
    """How many customers each class holds (the Today card reads 8 rows, not 300,000):
    written by ``recompute_all()``, moved by each recompute after an order."""

    __tablename__ = "customer_class_counts"

    value_class: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    customers: Mapped[int] = mapped_column(default=0)
