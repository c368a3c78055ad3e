"""Distributors in the browser (R-O9): an order clerk opens a distributor order short by
¥1,200 from the review queue, reduces two lines in place, issues it, and sees the charge in
the account's ledger and the balance move — without a reload of the check."""

import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

CLERK = "clerk"  # 陈打单


def _short_order(portal_data, token: str) -> tuple[int, int, str]:
    """A strict account with ¥800 and an order of ¥2,000 (three lines) waiting for review."""

    def create():
        from decimal import Decimal

        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.distributors import ledger
        from portal.extensions import db
        from portal.orders import orders as svc
        from portal.orders.models import StockItem

        boss = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        clerk = db.session.scalar(sa.select(User).where(User.username == CLERK))
        account = ledger.create_account(boss, name=f"重庆山城茶业{token}", code=f"fx_{token}",
                                        market="西南", terms_days=30, mode="strict")
        ledger.record_payment(clerk, account, Decimal("800"), note="预付款")
        for sku, name in ((f"T{token}", "沱茶 250g"), (f"C{token}", "盖碗"),
                          (f"P{token}", "茶盘")):
            db.session.add(StockItem(sku=sku, name=name, on_hand=100))
        db.session.flush()
        order = svc.create(clerk, platform="distributor", order_no=f"FXE2E{token}",
                           buyer_id=f"fx_{token}", receiver_name="仓库收货",
                           receiver_phone="13800138000", receiver_address="重庆市渝中区 1 号",
                           payment="transfer", lines=[
                               svc.LineInput(sku=f"T{token}", item_name="沱茶 250g",
                                             quantity=10, unit_price=Decimal("100.00")),
                               svc.LineInput(sku=f"C{token}", item_name="盖碗", quantity=10,
                                             unit_price=Decimal("50.00")),
                               svc.LineInput(sku=f"P{token}", item_name="茶盘", quantity=5,
                                             unit_price=Decimal("100.00"))])
        db.session.commit()
        return account.id, order.id, order.order_no

    return portal_data(create)


def test_clerk_reduces_a_short_order_and_issues_it(page, t, sign_in, portal_data, screenshot):
    token = secrets.token_hex(3).upper()
    account_id, order_id, number = _short_order(portal_data, token)
    sign_in(CLERK)
    page.goto("/distributors/review")
    row = page.locator("#review-table tr", has_text=number)
    expect(row).to_contain_text(t("Short by %(amount)s", amount="¥1,200.00"))
    screenshot(page, "distributors-review-queue")
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(f"/distributors/review/{order_id}")
    keep_marker(page)
    check = page.locator("#check")
    expect(check.locator("#short")).to_contain_text("¥1,200.00")
    expect(check.get_by_role("button", name=t("Issue the order"))).to_be_disabled()
    screenshot(page, "distributors-check-short")

    check.get_by_label(t("Quantity of %(sku)s", sku=f"T{token}")).fill("2")
    check.get_by_label(t("Quantity of %(sku)s", sku=f"C{token}")).fill("2")
    check.get_by_role("button", name=t("Reduce and check again")).click()
    expect(check).to_contain_text(t("Quantities reduced: the order now comes to %(amount)s.",
                                    amount="¥800.00"))
    expect(check.locator("#enough")).to_be_visible()
    check.get_by_role("button", name=t("Issue the order")).click()
    expect(check).to_contain_text(t("Order %(no)s issued: %(amount)s charged to the account.",
                                    no=number, amount="¥800.00"))
    assert marker_survived(page), "the check reloaded the page"
    screenshot(page, "distributors-check-issued")

    page.goto(f"/distributors/{account_id}")
    expect(page.locator("#balance")).to_have_text("¥0.00")
    first = page.locator("#ledger tbody tr").first
    expect(first).to_contain_text(t("Order charge"))
    expect(first).to_contain_text("-¥800.00")
    screenshot(page, "distributors-account")
    page.goto("/distributors/")
    expect(page.locator("#account-table")).to_contain_text(f"重庆山城茶业{token}")
    screenshot(page, "distributors-list")
    page.goto("/distributors/dispatch")
    screenshot(page, "distributors-dispatch")
