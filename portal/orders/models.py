"""The order desk (订单): orders and their lines, remarks, the order clerks' tasks, stock per
SKU, the bank-transfer register, the out-of-stock register, and pending imports
(R-O1..R-O11)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db

MONEY = sa.Numeric(12, 2)


class StockItem(db.Model):
    """A SKU and how many are on hand (kept by the order clerks); when none are, the
    expected arrival date (R-O4, R-O8)."""

    __tablename__ = "stock_items"
    __table_args__ = (
        sa.Index("ix_stock_items_name", "name"),  # the stock page's search by name prefix
        sa.Index("ix_stock_items_on_hand", "on_hand", "sku"),  # "out of stock only"
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    on_hand: Mapped[int] = mapped_column(default=0)
    expected_on: Mapped[date | None]  # when out of stock: the expected arrival
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Order(db.Model):
    """An order of one platform (R-O1..R-O11). ``stage`` moves awaiting_payment → paid →
    printed → packed → shipped → completed, or to cancelled; ``closed_at`` is when it was
    completed or cancelled (what the six-month archive filters on, R-O11)."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("platform", "order_no", name="uq_orders_platform_order_no"),
        sa.Index("ix_orders_order_no", "order_no"),
        sa.Index("ix_orders_buyer", "buyer_id"),
        sa.Index("ix_orders_phone", "receiver_phone"),
        sa.Index("ix_orders_phone_tail", "phone_tail"),  # the last digits, read backwards
        sa.Index("ix_orders_receiver_name", "receiver_name"),
        sa.Index("ix_orders_stage_paid", "stage", "paid_at"),
        sa.Index("ix_orders_stage_created", "stage", "created_at", "id"),  # the review queue
        sa.Index("ix_orders_closed", "closed_at"),
        sa.Index("ix_orders_created", "created_at", "id"),
        sa.Index("ix_orders_customer", "customer_id", "created_at", "id"),  # the story
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(12))
    order_no: Mapped[str] = mapped_column(sa.String(40))
    buyer_id: Mapped[str] = mapped_column(sa.String(60))  # the buyer's account on the platform
    receiver_name: Mapped[str] = mapped_column(sa.String(60))
    receiver_phone: Mapped[str] = mapped_column(sa.String(20))
    # the phone's digits reversed: "the last four digits" is a prefix of it, which an index
    # serves on both databases (set with the phone, see phone_tail())
    phone_tail: Mapped[str | None] = mapped_column(sa.String(20))
    receiver_address: Mapped[str] = mapped_column(sa.String(300))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    payment: Mapped[str] = mapped_column(sa.String(12))  # awaiting | online | transfer
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stage: Mapped[str] = mapped_column(sa.String(20), default="awaiting_payment")
    courier: Mapped[str | None] = mapped_column(sa.String(30))
    tracking_no: Mapped[str | None] = mapped_column(sa.String(40))
    # R-O6: yellow = checked; red = out of stock, with the SKU and the expected arrival
    flag: Mapped[str | None] = mapped_column(sa.String(6))
    flag_sku: Mapped[str | None] = mapped_column(sa.String(40))
    flag_arrival: Mapped[date | None]
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flagged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # R-O2: a cancellation asked for by pre-sales, done (voided) by an order clerk
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(300))
    open_tasks: Mapped[int] = mapped_column(default=0)  # the queue puts these first
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    packed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_imports.id"))
    # the platform's status as the last imported export gave it (import_presets.STATUSES):
    # a re-import compares with it, so the same file changes nothing twice
    platform_status: Mapped[str | None] = mapped_column(sa.String(20))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    lines = relationship("OrderLine", back_populates="order", lazy="selectin",
                         order_by="OrderLine.id", cascade="all, delete-orphan")
    cancel_requested_by = relationship("User", foreign_keys=[cancel_requested_by_id])

    @validates("receiver_phone")
    def _keep_phone_tail(self, key, value):
        self.phone_tail = phone_tail(value)
        return value


def phone_tail(phone: str | None) -> str | None:
    """A phone's digits reversed (``138 1234 5678`` → ``87654321831``): staff search by the
    last four to seven digits a buyer tells them, a prefix of this."""
    digits = "".join(c for c in (phone or "") if c.isdigit())
    return digits[::-1] or None


class OrderLine(db.Model):
    """One item of an order: SKU, name, attributes (colour, size), quantity, unit price."""

    __tablename__ = "order_lines"
    __table_args__ = (
        sa.Index("ix_order_lines_order", "order_id"),
        sa.Index("ix_order_lines_sku", "sku"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    sku: Mapped[str] = mapped_column(sa.String(40))
    item_name: Mapped[str] = mapped_column(sa.String(120))
    attributes: Mapped[str] = mapped_column(sa.String(120), default="")
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(MONEY)

    order = relationship(Order, back_populates="lines")


class OrderRemark(db.Model):
    """A remark written on an order (R-O1, R-O3), never edited: the standard text is made
    from ``kind``, ``details`` and, for a change, the old and new values, stamped with the
    date and the author's name."""

    __tablename__ = "order_remarks"
    __table_args__ = (sa.Index("ix_order_remarks_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    details: Mapped[str] = mapped_column(sa.String(500), default="")
    old_value: Mapped[str | None] = mapped_column(sa.String(400))
    new_value: Mapped[str | None] = mapped_column(sa.String(400))
    stage: Mapped[str] = mapped_column(sa.String(20))  # the order's stage when written
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    author = relationship("User", lazy="joined")


class OrderTask(db.Model):
    """Work an order clerk must do on an order before it goes on (R-O2, R-O3): take back and
    correct the slip, reprint, or take back the slip/parcel before voiding."""

    __tablename__ = "order_tasks"
    __table_args__ = (
        sa.Index("ix_order_tasks_state", "state", "created_at"),
        sa.Index("ix_order_tasks_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # correct_slip | reprint | retrieve
    remark_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_remarks.id"))
    state: Mapped[str] = mapped_column(sa.String(8), default="open")  # open | done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    order = relationship(Order, lazy="joined")
    remark = relationship(OrderRemark, lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")
    done_by = relationship("User", foreign_keys=[done_by_id])


class BankTransfer(db.Model):
    """An entry of the bank-transfer register (银行转账明细表, R-O7), linked to its order."""

    __tablename__ = "bank_transfers"
    __table_args__ = (
        sa.Index("ix_bank_transfers_received", "received_on", "id"),
        sa.Index("ix_bank_transfers_unlinked", "order_id", "received_on"),
        # one transfer per order: two agents linking one order at once → one is refused
        sa.Index("uq_bank_transfers_order", "order_id", unique=True),
        sa.Index("ix_bank_transfers_customer", "customer_id", "received_on", "id"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_on: Mapped[date]
    payer: Mapped[str] = mapped_column(sa.String(60))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    bank: Mapped[str] = mapped_column(sa.String(60))
    reference: Mapped[str] = mapped_column(sa.String(60), default="")
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    # why the order was marked paid although the amount differs or a cancellation was asked
    # for (R-O7): confirmed by the agent who linked it
    paid_note: Mapped[str | None] = mapped_column(sa.String(300))
    registered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    order = relationship(Order, lazy="joined")
    registered_by = relationship("User", lazy="joined")


class StockWait(db.Model):
    """An entry of the out-of-stock register (缺货登记表, R-O8): a buyer waiting for a SKU.
    ``available_at`` is set when the SKU's stock goes from zero to positive: the buyer is
    then to be told; ``state`` records the outcome."""

    __tablename__ = "stock_waits"
    __table_args__ = (
        sa.Index("ix_stock_waits_state_sku", "state", "sku"),
        sa.Index("ix_stock_waits_state_available", "state", "available_at"),
        sa.Index("ix_stock_waits_state_closed", "state", "closed_at", "id"),  # closed views
        sa.Index("ix_stock_waits_customer", "customer_id", "created_at", "id"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer: Mapped[str] = mapped_column(sa.String(60))
    contact: Mapped[str] = mapped_column(sa.String(60))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    sku: Mapped[str] = mapped_column(sa.String(40))
    quantity: Mapped[int] = mapped_column(default=1)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    # waiting | told | bought | gave_up
    state: Mapped[str] = mapped_column(sa.String(8), default="waiting")
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    registered_by = relationship("User", foreign_keys=[registered_by_id], lazy="joined")


class OrderImport(db.Model):
    """An uploaded platform export waiting for confirmation: the parsed rows are kept with
    their verdicts (create / duplicate / error) until someone confirms or discards them."""

    __tablename__ = "order_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(12))
    filename: Mapped[str] = mapped_column(sa.String(200))
    rows: Mapped[list] = mapped_column(sa.JSON)  # the parsed orders with their verdicts
    # preview | done | discarded
    state: Mapped[str] = mapped_column(sa.String(10), default="preview")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_count: Mapped[int] = mapped_column(default=0)
    # {"create": n, "duplicate": n, "error": n, "rows": n, ...}: the list of imports shows
    # these without loading ``rows``
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    created_by = relationship("User", lazy="joined")
