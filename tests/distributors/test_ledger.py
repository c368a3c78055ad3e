"""The ledger: the balance is the SUM of the movements; credit left, overdue debt (FIFO),
statements (a property test: a statement always sums to the balance); bad amounts."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import clock
from portal.distributors import ledger
from portal.distributors.models import LedgerEntry
from portal.extensions import db
from portal.rules import RuleError
from tests.distributors.conftest import pay


def test_balance_is_the_sum_of_the_ledger(account, supervisor, clerk):
    pay(clerk, account, "1000.10")
    ledger.adjust(supervisor, account, Decimal("-0.10"), "四舍五入差")
    ledger.record_refund(supervisor, account, Decimal("50"), "退货退款")
    db.session.commit()
    assert ledger.balance(account.id) == Decimal("1050.00")
    assert ledger.standing(account).balance == Decimal("1050.00")
    assert isinstance(ledger.balance(account.id), Decimal)


def test_strict_has_no_credit_loose_adds_the_credit_line(account, supervisor, clerk):
    pay(clerk, account, "1000")
    assert ledger.standing(account).available == Decimal("1000.00")
    assert ledger.standing(account).credit_left == 0
    account = ledger.update_account(
        supervisor, account, account.version, name=account.name, market="华东",
        contact_name="", contact_phone="", credit_line=Decimal("5000"), terms_days=30,
        mode="loose")
    ledger.adjust(supervisor, account, Decimal("-3000"), "期初欠款")
    db.session.commit()
    found = ledger.standing(account)
    assert found.balance == Decimal("-2000.00")
    assert found.credit_left == Decimal("3000.00")
    assert found.available == Decimal("3000.00")


def test_overdue_is_old_charges_not_covered_first_in_first_out(account, supervisor, clerk,
                                                               freeze):
    freeze("2026-09-01 10:00")
    ledger.adjust(supervisor, account, Decimal("-800"), "九月货款")
    freeze("2026-10-25 10:00")
    ledger.adjust(supervisor, account, Decimal("-500"), "十月货款")
    freeze("2026-11-22 10:00")  # the September charge is past 30 days, October's is not
    db.session.commit()
    assert ledger.standing(account).overdue == Decimal("800.00")
    pay(clerk, account, "600")  # pays the oldest first: 200 of September left
    assert ledger.standing(account).overdue == Decimal("200.00")
    pay(clerk, account, "200")
    assert ledger.standing(account).overdue == 0


@pytest.mark.parametrize("amount", ["0", "-5", "0.001"])
def test_payments_must_be_more_than_zero(account, clerk, amount):
    with pytest.raises(RuleError):
        ledger.record_payment(clerk, account, Decimal(amount))


def test_adjustment_needs_a_reason_and_a_non_zero_amount(account, supervisor):
    with pytest.raises(RuleError):
        ledger.adjust(supervisor, account, Decimal("100"), "  ")
    with pytest.raises(RuleError):
        ledger.adjust(supervisor, account, Decimal("0"), "原因")
    with pytest.raises(RuleError):
        ledger.adjust(supervisor, account, Decimal("1e12"), "太大")


def test_payment_linked_to_a_bank_transfer_once(account, clerk, presales):
    from portal.orders.models import BankTransfer

    transfer = BankTransfer(received_on=date(2026, 11, 20), payer="杭州茶源商贸",
                            amount=Decimal("3000"), bank="工商银行", registered_by_id=presales.id)
    db.session.add(transfer)
    db.session.commit()
    with pytest.raises(RuleError):
        ledger.record_payment(clerk, account, Decimal("2999"), transfer_id=transfer.id)
    entry = pay(clerk, account, "3000", transfer_id=transfer.id)
    assert entry.bank_transfer_id == transfer.id
    with pytest.raises(RuleError):
        ledger.record_payment(clerk, account, Decimal("3000"), transfer_id=transfer.id)
    with pytest.raises(RuleError):
        ledger.record_payment(clerk, account, Decimal("3000"), transfer_id=987654)


def test_statement_opening_movements_closing(account, supervisor, clerk, freeze):
    freeze("2026-10-05 10:00")
    pay(clerk, account, "1000")
    freeze("2026-11-03 10:00")
    ledger.adjust(supervisor, account, Decimal("-300"), "货款")
    freeze("2026-11-20 23:30")
    pay(clerk, account, "50")
    freeze("2026-12-02 10:00")
    db.session.commit()
    found = ledger.statement(account, date(2026, 11, 1), date(2026, 11, 30))
    assert found.opening == Decimal("1000.00")
    assert [e.amount for e in found.entries] == [Decimal("-300.00"), Decimal("50.00")]
    assert found.closing == Decimal("750.00")
    with pytest.raises(RuleError):
        ledger.statement(account, date(2026, 11, 30), date(2026, 11, 1))


amounts = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2,
                      allow_nan=False, allow_infinity=False).filter(lambda d: d != 0)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.tuples(st.integers(0, 120), amounts), min_size=0, max_size=12),
       start=st.integers(0, 130), length=st.integers(0, 60))
def test_a_statement_always_sums_to_the_balance(account, supervisor, moves, start, length):
    db.session.execute(LedgerEntry.__table__.delete().where(
        LedgerEntry.account_id == account.id))
    base = datetime(2026, 6, 1, 12, tzinfo=clock.get_clock().tz)
    for day, amount in moves:
        db.session.add(LedgerEntry(account_id=account.id, kind="adjustment", amount=amount,
                                   reason="p", booked_at=base + timedelta(days=day),
                                   created_by_id=supervisor.id))
    db.session.flush()
    first = base.date() + timedelta(days=start)
    found = ledger.statement(account, first, first + timedelta(days=length))
    assert found.opening + sum((e.amount for e in found.entries), Decimal(0)) == found.closing
    everything = ledger.statement(account, base.date(), base.date() + timedelta(days=200))
    assert everything.opening == 0
    assert everything.closing == ledger.balance(account.id) == sum(
        (a for _d, a in moves), Decimal(0))
    # the closing of one range is the opening of the next
    after = ledger.statement(account, found.end + timedelta(days=1),
                             found.end + timedelta(days=1))
    assert after.opening == found.closing
