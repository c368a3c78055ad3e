"""The order clerks' queue in the browser: a clerk flags an order red (pre-sales are told),
prints the slips of two ticked orders (the slips open in a new tab, the rows turn "printed"),
packs one and ships it with a tracking number, and voids an unprinted order whose
cancellation was asked for — each without a reload."""

import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

CLERK = "clerk2"        # 梁强: no other browser test works the queue with this account
PRESALES = "presales5"  # 孙浩: asks for the cancellation made here


def make_orders(portal_data, tag: str) -> dict:
    """Four paid orders of our own, large enough to head the "large orders first" queue:
    red (to flag), one and two (to print, pack, ship), gone (cancellation asked: to void)."""

    def make():
        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.orders import orders as svc
        from portal.orders.models import StockItem

        presales = db.session.scalar(sa.select(User).where(User.username == PRESALES))
        item = db.session.scalar(sa.select(StockItem).where(StockItem.on_hand >= 20)
                                 .order_by(StockItem.on_hand.desc()))
        made = {}
        for n, key in enumerate(("red", "one", "two", "gone")):
            order = svc.create(
                presales, platform="own", order_no=f"E2EQ{tag}{n}", buyer_id="e2e_buyer",
                receiver_name=f"测试{key}", receiver_phone="13900001111",
                receiver_address="浙江省杭州市西湖区测试路 9 号", payment="online",
                amount=Decimal("99000.00") - n,
                lines=[svc.LineInput(sku=item.sku, item_name=item.name, quantity=1,
                                     unit_price=Decimal("100.00"), attributes="标准")])
            made[key] = (order.id, order.order_no)
        gone = db.session.get(svc.Order, made["gone"][0])
        svc.request_cancel(presales, gone, gone.version, "买家拍错了")
        db.session.commit()  # the services only flush: the runner commits in a request
        made["sku"] = item.sku
        return made

    return portal_data(make)


def presales_told(portal_data, order_no: str) -> bool:
    """A pre-sales agent has a notification that ``order_no`` is out of stock."""

    def check():
        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.notifications.models import Notification

        notes = db.session.scalars(
            sa.select(Notification).join(User, User.id == Notification.user_id)
            .where(User.role == "presales", Notification.message.contains("out of stock")))
        return any((note.params or {}).get("no") == order_no for note in notes)

    return portal_data(check)


def test_a_clerk_works_the_queue(page, t, sign_in, portal_data, screenshot):
    tag = secrets.token_hex(3).upper()
    orders = make_orders(portal_data, tag)
    sign_in(CLERK)
    page.locator('nav.sidenav a[href="/orders/queue"]').click()
    expect(page).to_have_url("/orders/queue")
    expect(page.locator("#cutoff-banner")).to_contain_text("16:30")
    keep_marker(page)

    # --- large orders first: ours head the queue (after orders with open tasks) ------------
    page.get_by_label(t("Review order"), exact=True).select_option(label=t("Large orders first"))
    expect(page).to_have_url(re.compile(r"sort=large"))

    def row(key):
        return page.locator(f"#order-{orders[key][0]}")

    expect(row("red")).to_be_visible()

    # --- red flag: SKU and expected arrival; pre-sales are told -----------------------------
    arrival = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=7)).isoformat()
    row("red").get_by_role("link", name=t("Flag red") + "…", exact=True).click()
    row("red").get_by_label(t("Out-of-stock SKU"), exact=True).select_option(orders["sku"])
    row("red").get_by_label(t("Expected arrival"), exact=True).fill(arrival)
    row("red").get_by_role("button", name=t("Flag red and tell pre-sales"), exact=True).click()
    expect(row("red").locator(".flag-red")).to_contain_text(f"{orders['sku']} → {arrival}")
    expect(row("red")).to_contain_text(t("Flagged red; pre-sales were told."))
    assert presales_told(portal_data, orders["red"][1])

    # --- two ticked, "Print slips": the slips open in a new tab, the rows say printed -------
    for key in ("one", "two"):
        page.get_by_label(t("Select %(no)s for printing", no=orders[key][1]), exact=True).check()
    with page.context.expect_page() as opened:
        page.get_by_role("button", name=t("Print slips"), exact=True).click()
    slips = opened.value
    slips.wait_for_load_state()
    expect(slips.locator("article.slip")).to_have_count(2)
    for key in ("one", "two"):
        expect(slips.locator(f"#slip-{orders[key][0]}")).to_contain_text(orders[key][1])
        expect(slips.locator(f"#slip-{orders[key][0]}")).to_contain_text(f"测试{key}")
    expect(slips.get_by_role("button", name=t("Print"), exact=True)).to_be_visible()
    screenshot(slips, "orders-queue-slips")
    slips.close()
    for key in ("one", "two"):
        expect(row(key).locator(".stage")).to_have_text(t("Printed"))
    expect(page.locator("#print-status")).to_contain_text(t("%(count)d slips printed.", count=2))
    expect(page.locator("#print-status").get_by_role("link", name=t("Open the slips"))) \
        .to_be_visible()
    assert marker_survived(page)

    # --- one packed, then shipped with its tracking number --------------------------------
    row("one").get_by_role("button", name=t("Mark packed"), exact=True).click()
    expect(row("one").locator(".stage")).to_have_text(t("Packed"))
    row("one").get_by_role("link", name=t("Ship") + "…", exact=True).click()
    row("one").get_by_label(t("Courier"), exact=True).fill("顺丰")
    tracking = f"SF{tag}0001"
    row("one").get_by_label(t("Tracking number"), exact=True).fill(tracking)
    row("one").get_by_role("button", name=t("Mark shipped"), exact=True).click()
    expect(row("one")).to_contain_text(t("Shipped: %(courier)s %(tracking)s", courier="顺丰",
                                         tracking=tracking))

    # --- the unprinted cancellation is voided in one step ---------------------------------
    expect(row("gone")).to_contain_text(t("Cancellation asked"))
    row("gone").get_by_role("button", name=t("Void"), exact=True).click()
    expect(row("gone")).to_contain_text(t("Voided."))
    expect(row("gone").locator(".stage")).to_have_text(t("Cancelled"))
    screenshot(page, "orders-queue")
    assert marker_survived(page)


def test_a_red_flag_moves_the_promise(page, t, sign_in, portal_data):
    """Issue 15 item 7: a clerk red-flags an order the stock list counts as in stock; its
    page and the quick search then promise the arrival date, not today, and its line's
    stock column says out of stock instead of the stock list's count."""
    tag = secrets.token_hex(3).upper()

    def make():
        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.orders import orders as svc
        from portal.orders.models import StockItem

        presales = db.session.scalar(sa.select(User).where(User.username == PRESALES))
        item = db.session.scalar(sa.select(StockItem).where(StockItem.on_hand >= 20)
                                 .order_by(StockItem.on_hand.desc()))
        order = svc.create(
            presales, platform="own", order_no=f"E2ER{tag}", buyer_id="e2e_buyer",
            receiver_name="测试红旗", receiver_phone="13900001111",
            receiver_address="浙江省杭州市西湖区测试路 9 号", payment="online",
            amount=Decimal("99500.00"),
            lines=[svc.LineInput(sku=item.sku, item_name=item.name, quantity=1,
                                 unit_price=Decimal("100.00"), attributes="标准")])
        db.session.commit()  # the services only flush: the runner commits in a request
        return order.id, order.order_no, item.sku

    order_id, number, sku = portal_data(make)
    sign_in(CLERK)
    page.goto("/orders/queue?sort=large")
    row = page.locator(f"#order-{order_id}")
    arrival = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=5)).isoformat()
    row.get_by_role("link", name=t("Flag red") + "…", exact=True).click()
    row.get_by_label(t("Out-of-stock SKU"), exact=True).select_option(sku)
    row.get_by_label(t("Expected arrival"), exact=True).fill(arrival)
    row.get_by_role("button", name=t("Flag red and tell pre-sales"), exact=True).click()
    expect(row.locator(".flag-red")).to_contain_text(f"{sku} → {arrival}")
    ships_on = t("Ships on %(date)s", date=arrival)
    expect(row.locator(".promise")).to_have_text(ships_on)

    page.goto(f"/orders/{order_id}")
    card = page.locator("#order-card")
    expect(card.locator(".promise")).to_have_text(ships_on)
    line = card.locator(".order-lines tbody tr").filter(has_text=sku)
    # not the stock list's count (``on_hand``): what the clerk found on the shelf
    expect(line.locator("td.num").last).to_have_text(re.compile(
        "^" + re.escape(t("Out of stock")) + r"\s+" + re.escape(t("expected %(date)s",
                                                                    date=arrival)) + "$"))

    page.goto("/orders/")
    search_label = t("Order number, buyer ID, name or phone (last 4 digits will do)")
    page.get_by_label(search_label, exact=True).fill(number)
    found = page.locator("#order-results tr").filter(has_text=number)
    expect(found.locator(".promise")).to_have_text(ships_on)
