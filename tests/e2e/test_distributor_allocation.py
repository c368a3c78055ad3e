"""The allocation run in the browser (R-O9): over a SKU short of stock, a clerk makes a run,
sees why each order got what it got, adjusts a cell in place (the SKU's total and stock left
follow, no reload), and issues the run all at once."""

import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

CLERK = "clerk"


def _short_stock(portal_data, token: str) -> tuple[str, str, str]:
    """A SKU with 6 in stock; two distributors (¥10,000 each) ask 5 and 4, the first earlier."""

    def create():
        from datetime import timedelta
        from decimal import Decimal

        import sqlalchemy as sa

        from portal import clock
        from portal.auth.models import User
        from portal.distributors import ledger
        from portal.extensions import db
        from portal.orders import orders as svc
        from portal.orders.models import StockItem

        boss = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        clerk = db.session.scalar(sa.select(User).where(User.username == CLERK))
        sku = f"Z{token}"
        db.session.add(StockItem(sku=sku, name="限量礼盒", on_hand=6))
        numbers = []
        for i, (market, quantity) in enumerate((("华东", 5), ("西南", 4))):
            account = ledger.create_account(boss, name=f"分销商{token}{i}", code=f"fa_{token}{i}",
                                            market=market, terms_days=30, mode="strict")
            ledger.record_payment(clerk, account, Decimal("10000"), note="预付款")
            order = svc.create(clerk, platform="distributor", order_no=f"FXA{token}{i}",
                               buyer_id=account.code, receiver_name="仓库收货",
                               receiver_phone="13800138000", receiver_address="仓库 1 号",
                               payment="transfer", lines=[svc.LineInput(
                                   sku=sku, item_name="限量礼盒", quantity=quantity,
                                   unit_price=Decimal("100.00"))])
            order.created_at = clock.now() - timedelta(hours=10 - i)
            numbers.append(order.order_no)
        db.session.commit()
        return sku, numbers[0], numbers[1]

    return portal_data(create)


def test_clerk_runs_allocation_adjusts_and_issues(page, t, sign_in, portal_data, screenshot):
    token = secrets.token_hex(3).upper()
    sku, first, later = _short_stock(portal_data, token)
    sign_in(CLERK)
    page.goto("/distributors/review")
    page.get_by_role("link", name=t("Allocation when stock is short")).click()
    page.get_by_role("button", name=t("Make a new run")).click()
    run = page.locator("#run")
    expect(page.get_by_text(t("Run made: check the proposal, adjust cells, then issue.")))\
        .to_be_visible()  # flashed on the run's page
    keep_marker(page)
    first_row = run.locator("tr", has_text=first)
    later_row = run.locator("tr", has_text=later)
    # 6 in stock: one unit each, then the earlier order is filled first (5), the later gets 1
    expect(first_row).to_contain_text(t("Served in full: ahead in line"))
    expect(first_row).to_contain_text(t("First come, first served"))
    expect(later_row).to_contain_text(t("Stock ran out at this order"))
    expect(first_row.locator("input")).to_have_value("5")
    expect(later_row.locator("input")).to_have_value("1")
    total = run.locator(f"#total-{sku}")
    expect(total).to_contain_text(t("In stock %(stock)d · left %(left)d", stock=6, left=0))
    screenshot(page, "allocation-run")

    # above the stock: refused in place with the message
    later_row.locator("input").fill("4")
    later_row.locator("input").press("Tab")
    expect(run.locator(".cell-message")).to_contain_text(t(
        "Only %(stock)d of %(sku)s are in stock and %(others)d are proposed to other orders: "
        "at most %(most)d here.", stock=6, sku=sku, others=5, most=1))
    expect(total).to_contain_text(t("In stock %(stock)d · left %(left)d", stock=6, left=0))
    screenshot(page, "allocation-refused")
    # lower the first order, then give the later one more
    first_row = run.locator("tr", has_text=first)
    first_row.locator("input").fill("3")
    first_row.locator("input").press("Tab")
    expect(total).to_contain_text(t("In stock %(stock)d · left %(left)d", stock=6, left=2))
    later_row = run.locator("tr", has_text=later)
    later_row.locator("input").fill("3")
    later_row.locator("input").press("Tab")
    expect(total).to_contain_text(t("In stock %(stock)d · left %(left)d", stock=6, left=0))
    expect(run.locator("tr", has_text=later)).to_contain_text(t("Adjusted"))
    screenshot(page, "allocation-adjusted")

    assert marker_survived(page), "an adjustment reloaded the page"
    run.get_by_role("button", name=t("Issue all as proposed")).click()
    expect(page.locator("#run-title")).to_contain_text(t("Issued"))  # the run's page
    expect(page.locator("#run")).to_contain_text(t("The rules this run followed"))
    screenshot(page, "allocation-issued")
    page.goto("/distributors/review")
    expect(page.locator("#review-table")).not_to_contain_text(first)
