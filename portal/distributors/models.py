"""Distributor accounts (经销商账户, R-O9, R-O10): the account, its ledger of movements
(the balance is always the SUM of the ledger, never stored apart), the review of a
distributor order before it is issued, and delivery investigations.

Sign convention of the ledger: a payment in or a refund to the distributor is positive, an
order charge is negative, an adjustment either. Balance > 0: prepaid money left; < 0: debt.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db

MONEY = sa.Numeric(12, 2)


class DistributorAccount(db.Model):
    """A distributor: who it is (``code`` is the buyer id on its orders; ``customer_id`` its
    customer of kind distributor), its market, contacts, credit line, payment terms and mode
    (strict: no order beyond the balance; loose: up to balance + credit line), and state
    (active / on hold, with the reason)."""

    __tablename__ = "distributor_accounts"
    __table_args__ = (
        sa.Index("ix_distributor_accounts_name", "name", "id"),  # the list's keyset order
        sa.Index("ix_distributor_accounts_market", "market", "name", "id"),
        sa.Index("ix_distributor_accounts_customer", "customer_id"),
        sa.CheckConstraint("credit_line >= 0", name="credit_line_not_negative"),
        sa.CheckConstraint("terms_days >= 0", name="terms_days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)  # = Order.buyer_id
    name: Mapped[str] = mapped_column(sa.String(80))
    market: Mapped[str] = mapped_column(sa.String(20))  # 华东, 西南 … (a region)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    contact_name: Mapped[str] = mapped_column(sa.String(60), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    credit_line: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    terms_days: Mapped[int] = mapped_column(default=30)
    mode: Mapped[str] = mapped_column(sa.String(8), default="strict")  # strict | loose
    state: Mapped[str] = mapped_column(sa.String(8), default="active")  # active | hold
    hold_reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class LedgerEntry(db.Model):
    """One movement of a distributor's account: ``payment`` (linked to its bank transfer
    when one exists), ``charge`` (an issued order), ``refund``, ``adjustment`` (supervisor,
    with a reason). Never edited or deleted: a mistake is corrected by another entry."""

    __tablename__ = "distributor_ledger"
    __table_args__ = (
        # the balance (SUM by account), the ledger pages and the statement's date range
        sa.Index("ix_distributor_ledger_account", "account_id", "booked_at", "id"),
        sa.Index("ix_distributor_ledger_order", "order_id"),
        # one bank transfer pays one ledger entry
        sa.Index("uq_distributor_ledger_transfer", "bank_transfer_id", unique=True),
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("distributor_accounts.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))  # payment | charge | refund | adjustment
    amount: Mapped[Decimal] = mapped_column(MONEY)  # signed: + in, - charged
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    bank_transfer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_transfers.id"))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    account = relationship(DistributorAccount)
    created_by = relationship("User", lazy="joined")


class OrderReview(db.Model):
    """The check of a distributor order before it is issued (R-O9). The order waits in
    stage ``review`` ("waiting for review"); ``state`` says where the review is: ``waiting``
    (not yet decided), ``asked`` (the distributor was asked to pay: the desk's task, with the
    message sent), ``issued`` (charged to the ledger, the order went on to ``paid``)."""

    __tablename__ = "distributor_reviews"
    __table_args__ = (
        sa.Index("uq_distributor_reviews_order", "order_id", unique=True),
        sa.Index("ix_distributor_reviews_state", "state", "created_at", "id"),  # the queue
        sa.Index("ix_distributor_reviews_account", "account_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("distributor_accounts.id"))
    state: Mapped[str] = mapped_column(sa.String(8), default="waiting")  # waiting|asked|issued
    asked_amount: Mapped[Decimal | None] = mapped_column(MONEY)  # the shortfall asked for
    asked_message: Mapped[str | None] = mapped_column(sa.String(600))
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    asked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    order = relationship("Order", lazy="joined")
    account = relationship(DistributorAccount, lazy="joined")


class DeliveryIssue(db.Model):
    """A delivery problem a distributor reported on an issued order (R-O10): short, missing
    or wrong items; investigated and answered to the distributor."""

    __tablename__ = "distributor_delivery_issues"
    __table_args__ = (
        sa.Index("ix_distributor_issues_order", "order_id"),
        sa.Index("ix_distributor_issues_state", "state", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("distributor_accounts.id"))
    kind: Mapped[str] = mapped_column(sa.String(8))  # short | missing | wrong
    text: Mapped[str] = mapped_column(sa.String(1000))
    state: Mapped[str] = mapped_column(sa.String(8), default="open")  # open | answered
    answer: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    order = relationship("Order", lazy="joined")
