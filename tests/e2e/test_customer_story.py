"""The customer's whole story in the browser (issue 17 item 4): open a customer from an
order, read the story, page to older items, edit the tags and add a note in place — without
a page load after the customer's page."""

import re

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived, settled

pytestmark = pytest.mark.e2e

AGENT = "presales3"  # 吴磊: no other browser test writes with it (one deactivates and
# reactivates the account within its own test)


def _customer_with_a_long_story(portal_data, number: str) -> tuple[int, int]:
    """An order of a new buyer and sixteen notes on their customer: (order id, customer id)."""

    def make():
        from datetime import timedelta
        from decimal import Decimal

        import sqlalchemy as sa

        from portal import clock
        from portal.auth.models import User
        from portal.customers.models import CustomerNote
        from portal.extensions import db
        from portal.orders import orders as svc
        from portal.orders.models import StockItem

        author = db.session.scalar(sa.select(User).where(User.username == AGENT))
        item = db.session.scalar(sa.select(StockItem).where(StockItem.on_hand >= 5)
                                 .order_by(StockItem.sku))
        order = svc.create(author, platform="own", order_no=number, buyer_id=f"e2e_{number}",
                           receiver_name="故事女士", receiver_phone="13900004321",
                           receiver_address="浙江省杭州市西湖区故事路 8 号", payment="online",
                           lines=[svc.LineInput(sku=item.sku, item_name=item.name, quantity=1,
                                                unit_price=Decimal("88.00"))])
        db.session.flush()
        now = clock.now()
        db.session.add_all([CustomerNote(customer_id=order.customer_id, body=f"第 {n} 次沟通记录",
                                         author_id=author.id,
                                         created_at=now - timedelta(days=n + 1))
                            for n in range(16)])
        db.session.commit()
        return order.id, order.customer_id

    return portal_data(make)


def test_open_a_customer_from_an_order_read_page_and_edit_in_place(page, t, sign_in,
                                                                  portal_data, screenshot):
    order_id, customer_id = _customer_with_a_long_story(
        portal_data, f"E2ES{page.evaluate('Date.now()') % 10**8}")
    sign_in(AGENT)
    page.goto(f"/orders/{order_id}")
    page.get_by_role("link", name=t("The customer's whole story"), exact=True).click()
    expect(page).to_have_url(f"/customers/{customer_id}")
    keep_marker(page)

    # --- the story: newest first, the order at the top; masked phone for a non-owner -------
    items = page.locator("#story-items > li.story-item")
    expect(items).to_have_count(12)
    expect(items.first).to_contain_text(t("Sales order"))
    expect(page.locator("#customer-contacts")).to_contain_text("139****4321")
    expect(page.locator("#customer-contacts")).not_to_contain_text("13900004321")

    # --- older items come in place ---------------------------------------------------------
    page.get_by_role("link", name=t("Older"), exact=True).click()
    expect(items).to_have_count(17)
    expect(items.last).to_contain_text("第 15 次沟通记录")
    expect(page.get_by_role("link", name=t("Older"), exact=True)).to_have_count(0)
    assert marker_survived(page)

    # --- take the customer, then tags and needs in place -----------------------------------
    header = page.locator("#customer-header")
    header.get_by_role("button", name=t("I keep this customer"), exact=True).click()
    expect(header).to_contain_text(t("You keep this customer now."))
    expect(page.locator("#customer-contacts")).to_contain_text("139****4321")  # until reload
    header.get_by_role("link", name=t("Edit"), exact=True).click()
    header.get_by_label("老客户", exact=True).check()
    header.get_by_label("爱喝绿茶", exact=True).check()
    header.get_by_label(t("Needs and interests"), exact=True).fill("想买明前龙井送长辈")
    header.get_by_role("button", name=t("Save"), exact=True).click()
    expect(header).to_contain_text(t("Saved."))
    expect(header.locator(".tag-chip")).to_have_text(["爱喝绿茶", "老客户"])
    expect(header).to_contain_text("想买明前龙井送长辈")
    assert marker_survived(page)

    # --- a note goes on top of the story ---------------------------------------------------
    note_form = page.locator("#note-form")
    note_form.get_by_label(t("Note"), exact=True).fill("客户来电确认收货地址")
    note_form.get_by_role("button", name=t("Add the note"), exact=True).click()
    expect(note_form).to_contain_text(t("Note added."))
    expect(items.first).to_contain_text("客户来电确认收货地址")
    expect(note_form.get_by_label(t("Note"), exact=True)).to_have_value("")
    settled(page)
    assert marker_survived(page)
    screenshot(page, "customer-story")

    # --- the owner now sees the phone in full after a reload -------------------------------
    page.reload()
    expect(page.locator("#customer-contacts")).to_contain_text("13900004321")
    expect(page.locator("#story-items > li.story-item").first).to_contain_text(
        re.compile("客户来电确认收货地址"))
