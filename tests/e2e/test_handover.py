"""The handover book in the browser: the day shift writes, the night shift signs one item and
takes over another, each without a reload, and the count in the navigation follows."""

import re
import secrets
from datetime import datetime, time

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

WRITER, READER = "presales4", "clerk2"  # 郑丽 and 梁强: accounts no other browser test touches


@pytest.fixture
def department_clock(live_app):
    """``at("15:30")`` freezes the live portal's clock at that time today; unfrozen after."""
    clock = live_app.extensions["portal_clock"]
    today = clock.today()

    def at(hhmm: str):
        clock.freeze(datetime.combine(today, time.fromisoformat(hhmm)))

    yield at
    clock.unfreeze()


def nav_badge(page):
    return page.locator('nav.sidenav a[href="/handover/desk/"] .nav-badge')


def test_the_day_shift_writes_and_the_night_shift_signs_and_takes_over(
        page, t, sign_in, department_clock, screenshot):
    token = secrets.token_hex(3)
    first_text = f"客户要求修改地址,新地址见订单备注 {token}"
    second_text = f"退货快递单号 SF{token},到货后请确认并退款"

    # --- the day shift writes two items (quick-add, no reload) -----------------------------
    department_clock("15:30")
    sign_in(WRITER)
    page.locator('nav.sidenav a[href="/handover/desk/"]').click()
    expect(page).to_have_url("/handover/desk/")
    keep_marker(page)
    written = page.locator("#handover-written > li.handover-item")
    before = written.count()

    page.get_by_label(t("What the next shift needs to know")).fill(first_text)
    page.get_by_role("button", name=t("Write in the book"), exact=True).click()
    expect(written.first).to_contain_text(first_text)
    expect(page.get_by_label(t("What the next shift needs to know"))).to_have_value("")

    # R-H4 (issue 15.18): a problem case opens the order and customer details by itself
    page.get_by_label(t("Category")).select_option(label=t("After-sales case"))
    expect(page.get_by_label(t("Order number"))).to_be_visible()
    expect(page.get_by_label(t("Order number"))).to_have_attribute("aria-required", "true")
    page.get_by_label(t("Priority")).select_option(label=t("Urgent"))
    page.get_by_label(t("What the next shift needs to know")).fill(second_text)
    # without its order number it is refused next to the field, the details still open
    page.get_by_role("button", name=t("Write in the book"), exact=True).click()
    expect(page.locator("#order_no-error")).to_have_text(
        t("A problem case names its order number."))
    expect(page.get_by_label(t("Order number"))).to_be_visible()
    expect(written).to_have_count(before + 1)
    page.get_by_label(t("Order number")).fill(f"TB{token}")
    page.get_by_role("button", name=t("Write in the book"), exact=True).click()
    expect(written.first).to_contain_text(second_text)
    expect(written.first).to_contain_text(t("Urgent"))
    expect(written).to_have_count(before + 2)

    # an empty text is refused next to the field, nothing added
    page.get_by_role("button", name=t("Write in the book"), exact=True).click()
    expect(page.locator("#text-error")).to_have_text(t("Write what the next shift needs to know."))
    expect(written).to_have_count(before + 2)
    assert marker_survived(page), "the page was reloaded instead of the form being swapped"
    screenshot(page, "handover-written")
    page.get_by_role("button", name=t("Sign out"), exact=True).click()

    # --- a colleague on the night shift signs one and takes over the other -------------------
    department_clock("16:30")
    sign_in(READER)
    badge = nav_badge(page)
    expect(badge).to_have_text(re.compile(r"^\d+\D"))
    waiting = int(re.match(r"\d+", badge.text_content()).group())
    page.locator('nav.sidenav a[href="/handover/desk/"]').click()
    expect(page).to_have_url("/handover/desk/")
    keep_marker(page)
    first = page.locator("#handover-waiting > li.handover-item").filter(has_text=first_text)
    second = page.locator("#handover-waiting > li.handover-item").filter(has_text=second_text)
    expect(first).to_have_class(re.compile(r"\bunsigned\b"))
    expect(second).to_have_class(re.compile(r"\bunsigned\b"))
    expect(first.locator(".visually-hidden")).to_have_text(t("Not signed yet by this shift."))
    expect(badge).to_have_text(re.compile(rf"^{waiting}\D"))

    first.get_by_role("button", name=t("Sign as read"), exact=True).click()
    expect(first).not_to_have_class(re.compile(r"\bunsigned\b"))
    expect(first).to_contain_text("梁强 16:30")
    expect(first.get_by_role("button", name=t("Sign as read"), exact=True)).to_have_count(0)
    expect(badge).to_have_text(re.compile(rf"^{waiting - 1}\D"))

    second.get_by_role("button", name=t("Take over"), exact=True).click()
    expect(second).not_to_have_class(re.compile(r"\bunsigned\b"))
    expect(second.get_by_role("button", name=t("Take over"), exact=True)).to_have_count(0)
    expect(second).to_contain_text("梁强")
    expect(second.get_by_text(t("Close with a resolution"))).to_be_visible()
    expect(badge).to_have_text(re.compile(rf"^{waiting - 2}\D" if waiting > 2 else r"^$"))
    assert marker_survived(page), "an action reloaded the page instead of swapping the item"
    second.scroll_into_view_if_needed()
    screenshot(page, "handover-signed-and-taken-over")

    # the follower closes it: the close form comes on request, in place
    expect(second.get_by_label(t("Resolution"))).to_have_count(0)
    second.get_by_text(t("Close with a resolution")).click()
    second.get_by_label(t("Resolution")).fill("已联系客户，退款已完成")
    second.get_by_role("button", name=t("Close the item"), exact=True).click()
    expect(second).to_have_class(re.compile(r"\bclosed\b"))
    expect(second).to_contain_text("已联系客户，退款已完成")
    assert marker_survived(page), "closing reloaded the page instead of swapping the item"


def test_a_correction_saved_in_another_tab_first_is_shown_and_the_typing_kept(
        page, t, sign_in, department_clock):
    """Two tabs correct the same item: the second save answers 409 with the item as the
    first tab left it, and the text typed in the second tab still in its form."""
    token = secrets.token_hex(3)
    department_clock("15:40")
    sign_in(WRITER)
    page.goto("/handover/desk/")
    keep_marker(page)
    page.get_by_label(t("What the next shift needs to know")).fill(f"原来的文字 {token}")
    page.get_by_role("button", name=t("Write in the book"), exact=True).click()
    written = page.locator("#handover-written > li.handover-item").filter(has_text=token)
    expect(written).to_have_count(1)
    item_url = written.locator("a.history-link").get_attribute("href")

    first = page
    second = page.context.new_page()  # the same person, a second tab
    second.on("console", page.problems.console)
    second.on("pageerror", page.problems.page_error)
    for tab in (first, second):
        tab.goto(item_url)
        keep_marker(tab)
        expect(tab.locator("#item-detail textarea[name=text]")).to_have_value(
            f"原来的文字 {token}")

    first.locator("#item-detail textarea[name=text]").fill(f"第一个标签页改的 {token}")
    first.get_by_role("button", name=t("Save the correction"), exact=True).click()
    expect(first.locator("#item-detail .item-text").first).to_have_text(
        f"第一个标签页改的 {token}")

    typed = f"第二个标签页打的字 {token}"
    second.locator("#item-detail textarea[name=text]").fill(typed)
    second.get_by_role("button", name=t("Save the correction"), exact=True).click()
    detail = second.locator("#item-detail")
    expect(detail.get_by_role("alert").first).to_contain_text(
        t("Someone else changed this item first. This is its current state; check it and "
          "try again."))
    expect(detail.locator(".item-text").first).to_have_text(f"第一个标签页改的 {token}")
    expect(detail.locator("textarea[name=text]")).to_have_value(typed)
    assert marker_survived(second), "the conflict reloaded the page instead of the detail"

    # sending it again is a deliberate second try: it is saved, both earlier texts kept
    second.get_by_role("button", name=t("Save the correction"), exact=True).click()
    expect(detail.locator(".item-text").first).to_have_text(typed)
    expect(detail.locator(".revisions")).to_contain_text(f"第一个标签页改的 {token}")
    expect(detail.locator(".revisions")).to_contain_text(f"原来的文字 {token}")
    second.close()


def test_a_supervisor_takes_over_an_escalation_and_writes_in_the_book(
        page, t, sign_in, department_clock):
    """Issue 15.6: the supervisor read the books but had no button to act in them."""
    token = secrets.token_hex(3)
    escalated = f"客户投诉升级，要求主管回电 {token}"
    department_clock("16:35")
    sign_in(WRITER)
    page.goto("/handover/desk/")
    keep_marker(page)
    page.get_by_label(t("What the next shift needs to know")).fill(escalated)
    page.get_by_role("button", name=t("Write in the book"), exact=True).click()
    expect(page.locator("#handover-written > li.handover-item").first).to_contain_text(escalated)
    page.get_by_role("button", name=t("Sign out"), exact=True).click()

    # the supervisor on the same (night) shift takes it over: the escalation is on the record
    department_clock("16:50")
    sign_in("supervisor2")  # 冯主管: an account no other browser test touches
    page.locator('nav.sidenav a[href="/handover/desk/"]').click()
    keep_marker(page)
    item = page.locator("li.handover-item").filter(has_text=escalated)
    expect(item.get_by_role("button", name=t("Sign as read"), exact=True)).to_have_count(0)
    item.get_by_role("button", name=t("Take over"), exact=True).click()
    expect(item).to_contain_text("冯主管")
    expect(item.get_by_role("button", name=t("Take over"), exact=True)).to_have_count(0)
    assert marker_survived(page)

    note = f"已回电客户，明早跟进退款 {token}"
    page.get_by_label(t("What the next shift needs to know")).fill(note)
    page.get_by_role("button", name=t("Write in the book"), exact=True).click()
    written = page.locator("#handover-written > li.handover-item").first
    expect(written).to_contain_text(note)
    expect(written).to_contain_text("冯主管")
