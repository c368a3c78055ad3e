"""The allocation run when stock is short (R-O9): the rules' order and weights the
supervisor keeps, the markets short of stock (per market and SKU), and a run — a record
with a state and a version, so two clerks issuing from one run conflict — with its cells
(order line, asked, proposed, and the rule that decided)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db


class AllocationRule(db.Model):
    """One rule of the review order: ``fifo`` (first come, first served), ``large`` (large
    orders first), ``market`` (markets short of stock first), ``spread`` (spread what is left).
    ``position`` orders the first three; ``weight`` 0 turns an ordering rule off, and for
    ``spread`` is the percent of the stock left after one unit per item that is spread."""

    __tablename__ = "distributor_allocation_rules"
    __table_args__ = (sa.CheckConstraint("weight >= 0 AND weight <= 100", name="weight_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(12), unique=True)
    position: Mapped[int] = mapped_column(default=1)
    weight: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class MarketStock(db.Model):
    """A market short of a SKU (the old ``ORDERS_URGENT_PLATFORMS`` list made data): the
    higher the priority, the earlier that market's orders get the SKU."""

    __tablename__ = "distributor_market_stock"
    __table_args__ = (
        sa.Index("uq_distributor_market_stock", "market", "sku", unique=True),
        sa.CheckConstraint("priority >= 1 AND priority <= 9", name="priority_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    market: Mapped[str] = mapped_column(sa.String(20))
    sku: Mapped[str] = mapped_column(sa.String(40))
    priority: Mapped[int] = mapped_column(default=1)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class AllocationRun(db.Model):
    """One proposal over the orders waiting for review: ``open`` (cells adjustable),
    ``issued`` (issued all at once; ``outcome`` says which orders stayed waiting and why),
    ``replaced`` (a newer run was made). ``rules`` and ``stock`` are what the run saw."""

    __tablename__ = "distributor_allocation_runs"
    __table_args__ = (sa.Index("ix_distributor_allocation_runs_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(8), default="open")
    rules: Mapped[list] = mapped_column(sa.JSON, default=list)
    stock: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    outcome: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")


class AllocationCell(db.Model):
    """One order line of a run: asked, proposed (the clerk may adjust it), and why — the
    decision (``why``) and the rule that decided it (``rule``)."""

    __tablename__ = "distributor_allocation_cells"
    __table_args__ = (sa.Index("ix_distributor_allocation_cells_run", "run_id", "rank", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("distributor_allocation_runs.id"))
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    order_version: Mapped[int]
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"))
    sku: Mapped[str] = mapped_column(sa.String(40))
    market: Mapped[str] = mapped_column(sa.String(20), default="")
    rank: Mapped[int] = mapped_column(default=0)  # the line's place in its SKU's line
    asked: Mapped[int]
    proposed: Mapped[int]
    adjusted: Mapped[bool] = mapped_column(default=False)
    why: Mapped[str] = mapped_column(sa.String(8))  # enough|ahead|cut|spread|one|none
    rule: Mapped[str | None] = mapped_column(sa.String(12))
