"""The registers in the browser: pre-sales enter a bank transfer linked to an order picked
by search, and it appears at the top of the register with the order marked paid (R-O7); an
order clerk raises a SKU with nothing on hand to 10 in place, and pre-sales see the waiting
buyer under "Tell these buyers" on the Today page and mark them told (R-O8) — each without
a reload."""

import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

PRESALES = "presales4"  # 郑丽: writes handover items elsewhere, registers only here
CLERK = "clerk4"        # 唐杰: scored elsewhere, counts stock only here


def _awaiting_order(portal_data, number: str) -> None:
    """An order awaiting payment (typed in by hand), with a SKU of its own."""

    def create():
        from decimal import Decimal

        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.orders import orders as svc
        from portal.orders.models import StockItem

        author = db.session.scalar(sa.select(User).where(User.username == PRESALES))
        db.session.add(StockItem(sku=f"E2E-{number}", name="测试茶叶", on_hand=20))
        db.session.commit()
        svc.create(author, platform="phone", order_no=number, buyer_id="e2e_buyer",
                   receiver_name="测试买家", receiver_phone="13800009999",
                   receiver_address="浙江省杭州市西湖区文三路 9 号", payment="awaiting",
                   lines=[svc.LineInput(sku=f"E2E-{number}", item_name="测试茶叶",
                                        quantity=2, unit_price=Decimal("128.00"))])
        db.session.commit()  # the services only flush: the runner commits in a request

    portal_data(create)


def _order_state(portal_data, number: str) -> tuple[str, str]:
    def read():
        import sqlalchemy as sa

        from portal.extensions import db
        from portal.orders.models import Order

        order = db.session.scalar(sa.select(Order).where(Order.order_no == number))
        return order.stage, order.payment

    return portal_data(read)


def test_presales_enter_a_transfer_for_an_order_picked_by_search(page, t, sign_in,
                                                               portal_data):
    token = secrets.token_hex(3).upper()
    number, payer = f"DHE2E{token}", f"转账人{token}"
    _awaiting_order(portal_data, number)
    sign_in(PRESALES)
    page.locator('nav.sidenav a[href="/orders/transfers"]').click()
    expect(page).to_have_url("/orders/transfers")
    keep_marker(page)

    form = page.locator("#transfer-add-form")
    form.get_by_label(t("Payer"), exact=True).fill(payer)
    form.get_by_label(t("Amount"), exact=True).fill("256.00")
    form.get_by_label(t("Bank"), exact=True).fill("招商银行")
    form.get_by_label(t("Reference (optional)"), exact=True).fill(f"REF{token}")
    form.get_by_label(t("Linked order (optional)"), exact=True) \
        .press_sequentially(number[:-2])
    form.get_by_role("button", name=number).click()  # the search's match, picked
    expect(form.locator(".picked")).to_contain_text(number)
    form.get_by_role("button", name=t("Enter the transfer"), exact=True).click()

    expect(form).to_contain_text(
        t("Entered. Order %(no)s was marked paid by this transfer.", no=number))
    top = page.locator("#transfer-rows tr").first
    expect(top).to_contain_text(payer)
    expect(top).to_contain_text("¥256.00")
    expect(top.get_by_role("link", name=number)).to_be_visible()
    expect(form.get_by_label(t("Payer"), exact=True)).to_have_value("")
    assert marker_survived(page), "entering the transfer reloaded the page"
    assert _order_state(portal_data, number) == ("paid", "transfer")


def _out_of_stock_with_a_buyer(portal_data, sku: str, buyer: str) -> None:
    """A SKU with nothing on hand and one buyer waiting for it."""

    def create():
        from datetime import timedelta

        import sqlalchemy as sa

        from portal import clock
        from portal.auth.models import User
        from portal.extensions import db
        from portal.orders import registers
        from portal.orders.models import StockItem

        author = db.session.scalar(sa.select(User).where(User.username == PRESALES))
        db.session.add(StockItem(sku=sku, name="限量紫砂壶", on_hand=0,
                                 expected_on=clock.today() + timedelta(days=3)))
        db.session.commit()
        registers.add_wait(author, buyer=buyer, contact="13912340000", sku=sku, quantity=1,
                           note="到货请电话通知")
        db.session.commit()  # the services only flush: the runner commits in a request

    portal_data(create)


def _wait_state(portal_data, buyer: str) -> str:
    def read():
        import sqlalchemy as sa

        from portal.extensions import db
        from portal.orders.models import StockWait

        return db.session.scalar(sa.select(StockWait.state).where(StockWait.buyer == buyer))

    return portal_data(read)


def test_a_clerk_restocks_and_presales_tell_the_waiting_buyer(page, t, sign_in, portal_data,
                                                              screenshot):
    token = secrets.token_hex(3).upper()
    sku, buyer = f"POT-E2E-{token}", f"等货买家{token}"
    _out_of_stock_with_a_buyer(portal_data, sku, buyer)

    # --- the order clerk: 0 → 10 in place ----------------------------------------------------
    sign_in(CLERK)
    page.locator('nav.sidenav a[href="/orders/stock"]').click()
    expect(page).to_have_url("/orders/stock")
    keep_marker(page)
    page.get_by_label(t("SKU or name begins with"), exact=True).press_sequentially(sku)
    expect(page.locator("#stock-rows tr")).to_have_count(1)  # the search has answered
    row = page.locator("#stock-rows tr").filter(has_text=sku)
    expect(row).to_contain_text(t("Out of stock"))
    row.get_by_role("link", name=t("Edit"), exact=True).click()
    row.get_by_label(t("On hand of %(sku)s", sku=sku), exact=True).fill("10")
    row.get_by_role("button", name=t("Save"), exact=True).click()
    expect(row).to_contain_text(
        t("Saved. Buyers to tell now: %(count)d; pre-sales were notified.", count=1))
    expect(row.locator("td.num").first).to_have_text("10")
    assert marker_survived(page), "saving the count reloaded the page"
    page.get_by_role("button", name=t("Sign out"), exact=True).click()

    # --- pre-sales: the Today card, told in place --------------------------------------------
    sign_in(PRESALES)
    card = page.locator("#card-orders-tell-buyers")
    expect(card).to_contain_text(t("Tell these buyers"))
    item = card.locator("li.tell-item").filter(has_text=buyer)
    expect(item).to_contain_text("13912340000")
    expect(item).to_contain_text(sku)
    keep_marker(page)
    item.get_by_role("button", name=t("Told"), exact=True).click()
    expect(item).to_contain_text(t("%(buyer)s: %(state)s.", buyer=buyer, state=t("Told")))
    expect(item.get_by_role("button")).to_have_count(0)
    assert marker_survived(page), "marking the buyer told reloaded the page"
    assert _wait_state(portal_data, buyer) == "told"
    page.wait_for_load_state("networkidle")
    screenshot(page, "orders-tell-buyers")


def test_a_short_transfer_to_an_order_being_cancelled_is_confirmed_with_a_note(
        page, t, sign_in, portal_data):
    """Issue 15 item 8: ¥157.00 linked to a ¥158.00 order whose buyer asked to cancel: the
    row shows the difference and the cancellation and asks for a confirmation with a note;
    only then is the order marked paid, and the note stays on the entry."""
    token = secrets.token_hex(3).upper()
    number, payer = f"DHS2E{token}", f"少付人{token}"

    def create():
        from datetime import date
        from decimal import Decimal

        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.orders import orders as svc
        from portal.orders import registers
        from portal.orders.models import StockItem

        author = db.session.scalar(sa.select(User).where(User.username == PRESALES))
        db.session.add(StockItem(sku=f"E2E-{number}", name="测试茶叶", on_hand=20))
        db.session.commit()
        order = svc.create(author, platform="phone", order_no=number, buyer_id="e2e_buyer",
                           receiver_name="测试买家", receiver_phone="13800009999",
                           receiver_address="浙江省杭州市西湖区文三路 9 号", payment="awaiting",
                           lines=[svc.LineInput(sku=f"E2E-{number}", item_name="测试茶叶",
                                                quantity=1, unit_price=Decimal("158.00"))])
        svc.request_cancel(author, order, order.version, "买家说拍重了")
        registers.add_transfer(author, received_on=date.today(), payer=payer,
                               amount=Decimal("157.00"), bank="招商银行")
        db.session.commit()  # the services only flush: the runner commits in a request

    portal_data(create)
    sign_in(PRESALES)
    page.goto(f"/orders/transfers?q={payer}")
    keep_marker(page)
    row = page.locator("#transfer-rows tr").filter(has_text=payer)
    row.locator("summary").filter(has_text=t("Link to order")).click()
    row.get_by_label(t("Linked order"), exact=True).press_sequentially(number[:-2])
    row.get_by_role("button", name=number).click()
    expect(row.locator(".picked")).to_contain_text(number)
    row.get_by_role("button", name=t("Link"), exact=True).click()

    check = row.locator(".paid-check")
    expect(check).to_contain_text(t(
        "The transfer of %(transfer)s is %(diff)s short of the order's %(order)s.",
        transfer="¥157.00", diff="¥1.00", order="¥158.00"))
    expect(check).to_contain_text(t("Pre-sales asked to cancel this order: %(reason)s",
                                    reason="买家说拍重了"))
    assert _order_state(portal_data, number) == ("awaiting_payment", "awaiting")
    check.get_by_label(t("Mark the order paid anyway"), exact=True).check()
    check.get_by_label(t("Note (short payment, overpayment)"), exact=True) \
        .fill("少付 1 元,买家已同意补付")
    row.get_by_role("button", name=t("Link"), exact=True).click()
    expect(row).to_contain_text(
        t("Linked. Order %(no)s was marked paid by this transfer.", no=number))
    expect(row).to_contain_text(t("Marked paid anyway: %(note)s", note="少付 1 元,买家已同意补付"))
    assert marker_survived(page), "linking reloaded the page"
    assert _order_state(portal_data, number) == ("paid", "transfer")
    page.problems.allow("422")


def test_the_out_of_stock_register_takes_a_sku_in_any_case_from_a_list(page, t, sign_in,
                                                                      portal_data):
    """Issue 15 item 19: typing part of a SKU in lower case offers the matching SKUs; the
    buyer is registered under the stock list's SKU."""
    token = secrets.token_hex(3).upper()
    sku, buyer = f"VASE-E2E-{token}", f"大小写买家{token}"

    def create():
        from portal.extensions import db
        from portal.orders.models import StockItem

        db.session.add(StockItem(sku=sku, name="青花瓷瓶", on_hand=0))
        db.session.commit()

    portal_data(create)
    sign_in(PRESALES)
    page.goto("/orders/waits")
    keep_marker(page)
    form = page.locator("#wait-add-form")
    form.get_by_label(t("Buyer"), exact=True).fill(buyer)
    form.get_by_label(t("Contact (phone, WeChat or platform ID)"), exact=True) \
        .fill("13912340001")
    typed = sku.lower()[:-2]
    form.get_by_label(t("SKU"), exact=True).press_sequentially(typed)
    expect(page.locator(f'#sku-choices option[value="{sku}"]')).to_have_count(1)
    form.get_by_label(t("SKU"), exact=True).fill(sku.lower())
    form.get_by_role("button", name=t("Register the buyer"), exact=True).click()
    expect(form).to_contain_text(t("%(buyer)s is registered as waiting for %(sku)s.",
                                   buyer=buyer, sku=sku))
    expect(page.locator("#wait-rows tr").filter(has_text=buyer)).to_contain_text(sku)
    assert marker_survived(page)
