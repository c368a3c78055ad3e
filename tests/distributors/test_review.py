"""The check before issuing (R-O9): enough → issued and charged in one transaction; short →
reduce or ask to pay (a payment releases it); hold and overdue block; a balance changed
since the check is a 409; the clerks' queue never shows an order waiting for review."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.distributors import ledger, review
from portal.distributors.models import LedgerEntry, OrderReview
from portal.extensions import db
from portal.orders import queue
from portal.rules import RuleError
from tests.conftest import count_rows
from tests.distributors.conftest import HX, pay


def test_new_distributor_orders_wait_for_review_and_stay_out_of_the_queue(dist_order):
    order = dist_order()
    assert order.stage == "review"
    assert order.id not in {o.id for o in queue.queue_page().items}


def test_enough_issues_and_charges_the_ledger(account, dist_order, clerk):
    pay(clerk, account, "1500")
    order = dist_order()  # 10 × ¥100
    found = review.check(order, account)
    assert found.enough and found.total == Decimal("1000.00")
    review.issue(clerk, order, order.version, found.seen)
    db.session.commit()
    assert order.stage == "paid" and order.paid_at is not None
    assert ledger.balance(account.id) == Decimal("500.00")
    charge = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.kind == "charge"))
    assert charge.order_id == order.id and charge.amount == Decimal("-1000.00")
    assert db.session.get(OrderReview, review.review_of(order).id).state == "issued"


def test_strict_short_is_refused_loose_uses_the_credit_line(account, dist_order, clerk,
                                                            supervisor):
    pay(clerk, account, "300")
    order = dist_order()
    found = review.check(order, account)
    assert found.short == Decimal("700.00")
    with pytest.raises(RuleError):
        review.issue(clerk, order, order.version, found.seen)
    ledger.update_account(supervisor, account, account.version, name=account.name,
                          market="华东", contact_name="", contact_phone="",
                          credit_line=Decimal("5000"), terms_days=30, mode="loose")
    found = review.check(order, account)
    assert found.enough
    review.issue(clerk, order, order.version, found.seen)
    assert ledger.balance(account.id) == Decimal("-700.00")
    assert ledger.standing(account).credit_left == Decimal("4300.00")


def test_reduce_keeps_one_unit_and_rechecks(account, dist_order, clerk):
    pay(clerk, account, "1000")
    order = dist_order([("TEA-01", 10, "100.00"), ("CUP-02", 5, "80.00")])  # 1400: short 400
    assert review.check(order, account).short == Decimal("400.00")
    tea, cup = order.lines
    with pytest.raises(RuleError):
        review.reduce(clerk, order, order.version, {tea.id: 0})
    with pytest.raises(RuleError):
        review.reduce(clerk, order, order.version, {tea.id: 11})
    with pytest.raises(RuleError):
        review.reduce(clerk, order, order.version, {987654321: 1})
    version = order.version
    review.reduce(clerk, order, order.version, {tea.id: 8, cup.id: 1})
    db.session.commit()
    assert order.version > version
    assert order.amount == Decimal("880.00")
    assert review.check(order, account).enough


def test_ask_to_pay_then_a_payment_releases_the_order(account, dist_order, clerk):
    order = dist_order()
    found = review.ask_to_pay(clerk, order, order.version)
    db.session.commit()
    assert found.state == "asked" and found.asked_amount == Decimal("1000.00")
    assert "¥1,000.00" in found.asked_message
    assert order.stage == "review"
    assert not review.check(order, account).enough
    pay(clerk, account, "1000")
    result = review.check(order, account)
    assert result.enough  # shown as ready to issue
    review.issue(clerk, order, order.version, result.seen)
    assert order.stage == "paid"


def test_hold_blocks_with_the_reason(account, dist_order, clerk, supervisor):
    pay(clerk, account, "5000")
    ledger.set_hold(supervisor, account, account.version, True, "对账未完成")
    order = dist_order()
    found = review.check(order, account)
    assert found.blocked and not found.enough
    with pytest.raises(RuleError) as refused:
        review.issue(clerk, order, order.version, found.seen)
    assert refused.value.params["reason"] == "对账未完成"
    with pytest.raises(RuleError):
        ledger.set_hold(supervisor, account, account.version, True, "")


def test_overdue_debt_blocks(account, dist_order, clerk, supervisor, freeze):
    freeze("2026-09-01 10:00")
    ledger.adjust(supervisor, account, Decimal("-200"), "旧欠款")
    pay(clerk, account, "100")
    freeze("2026-11-01 10:00")
    pay(clerk, account, "5000")  # later money covers it (FIFO): not overdue any more
    order = dist_order()
    assert review.check(order, account).enough
    ledger.adjust(supervisor, account, Decimal("-6000"), "九月底对账")  # now: a fresh debt
    freeze("2026-09-02 10:00")  # (booked later than the payments; not yet past terms)
    order2 = dist_order(at="2026-11-22 11:00")
    assert review.check(order2, account).standing.overdue == 0


def test_overdue_blocks_issuing(account, dist_order, clerk, supervisor, freeze):
    freeze("2026-09-01 10:00")
    ledger.adjust(supervisor, account, Decimal("-200"), "旧欠款")
    freeze("2026-11-22 09:00")
    pay(clerk, account, "100")
    order = dist_order()
    found = review.check(order, account)
    assert found.standing.overdue == Decimal("100.00") and found.blocked
    with pytest.raises(RuleError):
        review.issue(clerk, order, order.version, found.seen)


def test_issue_after_the_balance_changed_is_a_conflict(account, dist_order, clerk):
    pay(clerk, account, "1500")
    order = dist_order()
    seen = review.check(order, account).seen
    pay(clerk, account, "1")
    with pytest.raises(Conflict):
        review.issue(clerk, order, order.version, seen)
    assert order.stage == "review"


# --- through the views -----------------------------------------------------------------------


def test_issue_view_409_shows_the_recheck(client, sign_in, clerk, account, dist_order):
    pay(clerk, account, "1500")
    order = dist_order()
    sign_in(client, clerk)
    seen = review.check(order, account).seen
    pay(clerk, account, "10")
    response = client.post(f"/distributors/review/{order.id}/issue",
                           data={"version": order.version, "seen": seen}, headers=HX)
    assert response.status_code == 409
    assert "¥1,510.00" in response.get_data(as_text=True)
    assert count_rows(LedgerEntry, LedgerEntry.kind == "charge") == 0
    response = client.post(f"/distributors/review/{order.id}/issue",
                           data={"version": order.version, "seen": "1510.00"}, headers=HX)
    assert response.status_code == 200
    assert count_rows(LedgerEntry, LedgerEntry.kind == "charge") == 1


def test_stale_order_version_is_409(client, sign_in, clerk, account, dist_order):
    pay(clerk, account, "1500")
    order = dist_order()
    sign_in(client, clerk)
    response = client.post(f"/distributors/review/{order.id}/issue",
                           data={"version": order.version + 5, "seen": "1500.00"}, headers=HX)
    assert response.status_code == 409


@pytest.mark.parametrize("value", ["0", "-1", "abc", "\x00", "99999999999"])
def test_reduce_view_refuses_bad_quantities(client, sign_in, clerk, account, dist_order, value):
    order = dist_order()
    sign_in(client, clerk)
    line = order.lines[0]
    response = client.post(f"/distributors/review/{order.id}/reduce",
                           data={"version": order.version, f"q{line.id}": value}, headers=HX)
    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert order.lines[0].quantity == 10


def test_reduce_view_answers_the_new_check(client, sign_in, clerk, account, dist_order):
    pay(clerk, account, "500")
    order = dist_order([("TEA-01", 10, "100.00")])
    sign_in(client, clerk)
    line = order.lines[0]
    response = client.post(f"/distributors/review/{order.id}/reduce",
                           data={"version": order.version, f"q{line.id}": "5"}, headers=HX)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "¥500.00" in text and 'id="enough"' in text
    assert len(response.get_data()) < 5 * 1024


def test_ask_view_shows_the_message(client, sign_in, clerk, account, dist_order):
    order = dist_order()
    sign_in(client, clerk)
    response = client.post(f"/distributors/review/{order.id}/ask",
                           data={"version": order.version}, headers=HX)
    assert response.status_code == 200
    assert "pay-message" in response.get_data(as_text=True)


def test_huge_and_foreign_ids_are_404(client, sign_in, clerk, make_order):
    sign_in(client, clerk)
    assert client.get("/distributors/review/99999999999999999999").status_code == 404
    assert client.get("/distributors/99999999999999").status_code == 404
    tmall = make_order()
    assert client.get(f"/distributors/review/{tmall.id}").status_code == 404


def test_review_queue_oldest_first(client, sign_in, clerk, account, dist_order):
    first = dist_order(at="2026-11-22 09:00")
    second = dist_order(at="2026-11-22 10:00")
    sign_in(client, clerk)
    text = client.get("/distributors/review").get_data(as_text=True)
    assert text.index(first.order_no) < text.index(second.order_no)


def test_the_queue_shows_the_oldest_page_and_says_so(client, sign_in, clerk, account,
                                                     dist_order, monkeypatch):
    """The oldest QUEUE_LIMIT orders (forty: a page of checks stays light), and a hint that
    there are more behind them."""
    from portal.distributors import review_views

    monkeypatch.setattr(review_views, "QUEUE_LIMIT", 2)
    made = [dist_order(at=f"2026-11-22 0{hour}:00") for hour in (7, 8, 9)]
    sign_in(client, clerk)
    text = client.get("/distributors/review").get_data(as_text=True)
    assert made[0].order_no in text and made[1].order_no in text
    assert made[2].order_no not in text and "The oldest 2 are shown; issue them first." in text


def test_dispatch_clock_and_investigation(client, sign_in, clerk, account, dist_order, freeze):
    pay(clerk, account, "5000")
    order = dist_order(at="2026-11-18 10:00")
    review.issue(clerk, order, order.version, review.check(order, account).seen)
    db.session.commit()
    freeze("2026-11-22 10:00")
    count, late = review.undispatched()
    assert count == 1 and late[0].id == order.id
    from portal import clock
    from portal.distributors.review_views import undispatched_due

    with client.application.test_request_context():
        due = list(undispatched_due(clock.now() - timedelta(days=2), clock.now()))
    assert [d.key for d in due] == [f"order-{order.id}"]
    sign_in(client, clerk)
    response = client.post("/distributors/issues/new", data={
        "order_no": order.order_no, "kind": "short", "text": "少了两盒龙井"}, headers=HX)
    assert response.status_code == 200
    from portal.distributors.models import DeliveryIssue

    found = db.session.scalar(sa.select(DeliveryIssue))
    response = client.post(f"/distributors/issues/{found.id}/answer",
                           data={"version": found.version, "answer": "已补发两盒，顺丰单号 SF1"},
                           headers=HX)
    assert response.status_code == 200
    assert "已补发" in response.get_data(as_text=True)
    response = client.post("/distributors/issues/new", data={
        "order_no": "NOPE", "kind": "short", "text": "x"}, headers=HX)
    assert response.status_code == 422


def test_undispatched_orders_name_the_distributor_and_link_the_order(
        client, sign_in, clerk, account, dist_order, freeze):
    """The Today card and the dispatch list show the distributor's name, not its code, and
    the order number opens the order."""
    pay(clerk, account, "5000")
    order = dist_order(at="2026-11-18 10:00")
    review.issue(clerk, order, order.version, review.check(order, account).seen)
    db.session.commit()
    freeze("2026-11-22 10:00")
    sign_in(client, clerk)
    link = f'href="/orders/{order.id}"'
    for url in ("/today/distributors-undispatched", "/distributors/dispatch"):
        text = client.get(url).get_data(as_text=True)
        assert "杭州茶源商贸" in text and link in text, url
        assert f"· {account.code} ·" not in text and f"<td>{account.code}</td>" not in text


def test_the_undispatched_orders_come_through_the_stage_index():
    """SQLite keeps no statistics: ``platform = 'distributor'`` took the unique (platform,
    order_no) index and read every distributor order for the Today card; the platform is now
    a condition no index answers and the (stage, paid_at) index finds the few in the queue."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan's wording is SQLite's")
    query = review.undispatched_query()
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " | ".join(str(row[-1]) for row in db.session.execute(
        sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_orders_stage_paid" in plan and "sqlite_autoindex_orders" not in plan, plan
