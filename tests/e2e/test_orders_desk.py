"""The order desk in the browser, pre-sales' side: the quick search shows an order's shipping
promise; an address change on a printed order is written in the standard form, changes the
address and gives the order clerks a task (which a clerk sees in the queue); a shipped
order's cancellation is refused and the after-sales case form is offered — each without a
reload until then."""

import re

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

PRESALES = "presales6"  # 黄静: no other browser test writes with this account
CLERK = "clerk5"        # 董亮


def _orders(portal_data, stage: str, **where):
    """Order numbers (with ids) of demo orders at ``stage`` with no remark, task or
    cancellation yet."""

    def find():
        import sqlalchemy as sa

        from portal.extensions import db
        from portal.orders.models import Order, OrderRemark

        remarked = sa.select(OrderRemark.order_id)
        rows = db.session.execute(
            sa.select(Order.id, Order.order_no).where(
                Order.stage == stage, Order.open_tasks == 0,
                Order.cancel_requested_at.is_(None), Order.id.not_in(remarked),
                *[getattr(Order, k) == v for k, v in where.items()])
            .order_by(Order.id.desc()).limit(5))
        return [tuple(row) for row in rows]

    return portal_data(find)


def _ask_to_cancel(card, t, reason: str) -> None:
    """Open the card's cancellation box, give the buyer's reason and ask."""
    card.get_by_text(t("The buyer cancels"), exact=True).click()
    card.get_by_label(t("Why the buyer cancels"), exact=True).fill(reason)
    card.get_by_role("button", name=t("Ask to cancel"), exact=True).click()


def test_presales_search_promise_and_late_address_change(page, t, sign_in, portal_data,
                                                         browser, live_server):
    order_id, number = _orders(portal_data, "printed")[0]
    sign_in(PRESALES)
    page.locator('nav.sidenav a[href="/orders/"]').click()
    expect(page).to_have_url("/orders/")
    keep_marker(page)

    # --- quick search while chatting: the order and its promise, in place ---------------
    search_label = t("Order number, buyer ID, name or phone (last 4 digits will do)")
    page.get_by_label(search_label, exact=True).press_sequentially(number[:-2])
    results = page.locator("#order-results")
    row = results.locator("tr").filter(has_text=number)
    expect(row).to_have_count(1)
    ships_on = re.escape(t("Ships on %(date)s", date="@")).replace("@", r"\d{4}-\d\d-\d\d")
    expect(row.locator(".promise")).to_have_text(
        re.compile(f"^({re.escape(t('Ships today'))}|{ships_on})$"))
    assert marker_survived(page)

    # --- the order: an address change after printing --------------------------------------
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(f"/orders/{order_id}")
    keep_marker(page)
    card = page.locator("#order-card")
    card.get_by_label(t("The remark is about"), exact=True).select_option(
        label=t("Address change"))
    card.get_by_label(t("New address"), exact=True).fill("上海市徐汇区漕溪北路 88 号 1203 室")
    card.get_by_role("button", name=t("Add the remark"), exact=True).click()
    remark = card.locator(".remark-list li").last
    expect(remark).to_contain_text("上海市徐汇区漕溪北路 88 号 1203 室")
    expect(remark).to_contain_text(re.compile(r"---\d{4}\.\d\d\.\d\d 黄静"))
    expect(card.locator(".receiver")).to_contain_text("上海市徐汇区漕溪北路 88 号 1203 室")
    expect(card.locator(".order-tasks")).to_contain_text(t("Take back and correct the slip"))
    assert marker_survived(page)

    # --- a shipped order cannot be cancelled here: after-sales is offered -----------------
    shipped_id, _shipped_no = _orders(portal_data, "shipped")[0]
    page.goto(f"/orders/{shipped_id}")
    keep_marker(page)
    card = page.locator("#order-card")
    _ask_to_cancel(card, t, "买家不想要了")
    expect(card.get_by_role("alert")).to_contain_text(
        t("This order has shipped: it cannot be cancelled here. Open an after-sales case "
          "(interception) instead."))
    assert marker_survived(page)
    card.get_by_role("link", name=t("Open an after-sales case (interception)"),
                     exact=True).click()
    expect(page).to_have_url(f"/aftersales/new?order={shipped_id}")
    page.problems.allow("422")

    # --- the clerk sees the task on the queue ---------------------------------------------
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  base_url=live_server)
    clerk_page = context.new_page()
    try:
        clerk_page.goto("/login")
        clerk_page.locator("input[name=username]").fill(CLERK)
        clerk_page.locator("input[name=password]").fill("demo-pass-2026")
        clerk_page.get_by_role("button", name=t("Sign in"), exact=True).click()
        clerk_page.wait_for_url("/")
        clerk_page.goto("/orders/queue")
        expect(clerk_page.locator("body")).to_contain_text(number)
        expect(clerk_page.locator("body")).to_contain_text(t("Take back and correct the slip"))
    finally:
        context.close()


def _own_order(portal_data, number: str) -> int:
    """A paid order of our own (so no other browser test touches it); its id."""

    def make():
        from decimal import Decimal

        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.orders import orders as svc
        from portal.orders.models import StockItem

        author = db.session.scalar(sa.select(User).where(User.username == PRESALES))
        item = db.session.scalar(sa.select(StockItem).where(StockItem.on_hand >= 5)
                                 .order_by(StockItem.sku))
        order = svc.create(author, platform="own", order_no=number, buyer_id="e2e_buyer",
                           receiver_name="测试买家", receiver_phone="13900002222",
                           receiver_address="浙江省杭州市西湖区测试路 10 号", payment="online",
                           lines=[svc.LineInput(sku=item.sku, item_name=item.name, quantity=1,
                                                unit_price=Decimal("88.00"))])
        db.session.commit()  # the services only flush: the runner commits in a request
        return order.id

    return portal_data(make)


def test_two_tabs_on_one_order_the_late_remark_keeps_its_text(page, t, sign_in, portal_data):
    """Tab two asks to cancel; tab one, drawn before, adds a remark: the answer is the card as
    it is now (the cancellation shown) with the remark still typed; sending it again works."""
    order_id = _own_order(portal_data, f"E2EC{page.evaluate('Date.now()') % 10**8}")
    sign_in(PRESALES)
    page.goto(f"/orders/{order_id}")
    other = page.context.new_page()
    other.goto(f"/orders/{order_id}")
    keep_marker(other)
    keep_marker(page)

    # --- tab two: the buyer cancels --------------------------------------------------------
    card_two = other.locator("#order-card")
    _ask_to_cancel(card_two, t, "买家拍错了")
    expect(card_two.locator(".saved")).to_have_text(
        t("Cancellation asked. An order clerk voids the order."))

    # --- tab one, still showing the order as it was: a remark ------------------------------
    card = page.locator("#order-card")
    expect(card.locator(".badge-cancel")).to_have_count(0)
    typed = "周六上午送货,请先电话联系"
    card.get_by_label(t("The remark is about"), exact=True).select_option(
        label=t("Delivery time"))
    card.get_by_label(t("Details"), exact=True).fill(typed)
    card.get_by_role("button", name=t("Add the remark"), exact=True).click()
    expect(card.get_by_role("alert").first).to_have_text(
        t("Someone else changed this order first. This is its current state; check it and "
          "try again."))
    expect(card.locator(".badge-cancel")).to_have_text(t("Cancellation asked"))  # as it is now
    expect(card.locator("dd").filter(has_text="买家拍错了")).to_have_count(1)
    expect(card.get_by_label(t("Details"), exact=True)).to_have_value(typed)  # typing kept
    expect(card.locator(".remark-list li")).to_have_count(0)
    assert marker_survived(page)

    # --- sent again, deliberately: it is added -------------------------------------------
    card.get_by_role("button", name=t("Add the remark"), exact=True).click()
    expect(card.locator(".remark-list li")).to_have_count(1)
    expect(card.locator(".remark-list li")).to_contain_text(typed)
    page.problems.allow("409")


def test_two_tabs_change_one_address_the_late_one_keeps_its_typing(page, t, sign_in,
                                                                   portal_data):
    """Issue 15 item 10: two tabs change one order's address; the second gets the conflict
    message, the address as it is now on the card, and its typed address still in the form."""
    order_id = _own_order(portal_data, f"E2EA{page.evaluate('Date.now()') % 10**8}")
    sign_in(PRESALES)
    page.goto(f"/orders/{order_id}")
    other = page.context.new_page()
    other.goto(f"/orders/{order_id}")

    def change_address(card, address):
        card.get_by_label(t("The remark is about"), exact=True).select_option(
            label=t("Address change"))
        card.get_by_label(t("New address"), exact=True).fill(address)
        card.get_by_role("button", name=t("Add the remark"), exact=True).click()

    first, late = "江苏省南京市鼓楼区中山路 1 号", "广东省深圳市南山区科技园 2 号"
    card_two = other.locator("#order-card")
    change_address(card_two, first)
    expect(card_two.locator(".receiver")).to_contain_text(first)

    card = page.locator("#order-card")
    keep_marker(page)
    change_address(card, late)
    expect(card.get_by_role("alert").first).to_have_text(
        t("Someone else changed this order first. This is its current state; check it and "
          "try again."))
    expect(card.locator(".receiver")).to_contain_text(first)  # as it is now
    expect(card.get_by_label(t("New address"), exact=True)).to_have_value(late)  # kept
    assert marker_survived(page)
    page.problems.allow("409")
