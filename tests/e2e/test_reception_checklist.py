"""The opening checklist in the browser: reception completes the morning's checklist item by
item without a reload (one item damaged), the fridge stock and the Today card follow, and a
repair is reported from the damaged item; two tabs following up the same repair at once."""

import re
import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

RECEPTIONIST = "reception3"  # 韩雪: an account no other browser test touches


def test_reception_completes_the_checklist_and_reports_a_repair(page, t, sign_in, screenshot):
    token = secrets.token_hex(3)
    sign_in(RECEPTIONIST)
    expect(page.locator("#card-reception-checklist")).to_contain_text(
        t("The checklist is not yet done today."))
    page.locator('nav.sidenav a[href="/showroom/checklist"]').click()
    expect(page).to_have_url("/showroom/checklist")
    expect(page.locator("#fridge-stock")).to_be_visible()
    keep_marker(page)

    rows = page.locator("li.check-row.unmarked")
    assert rows.count() > 0, "the demo leaves half of the checklist to do"
    damaged_name = None
    while rows.count():
        row = rows.first
        row_id = row.get_attribute("id")
        name = row.locator(".check-name strong").inner_text()
        count = row.locator("input[name=quantity]")
        if count.count():
            count.fill("3" if name == "矿泉水" else "12")
        if damaged_name is None and not count.count():
            damaged_name = name
            row.locator("input[name=note]").fill(f"坏了 {token}")
            row.get_by_role("button", name=t("Damaged"), exact=True).click()
        else:
            row.get_by_role("button", name=t("OK"), exact=True).click()
        expect(page.locator(f"#{row_id}")).to_have_class(
            re.compile(r"\bmarked\b"))
    expect(page.locator("#checklist-progress")).to_contain_text(
        t("The checklist is done for today."))
    # the fridge count became the day's stock; 3 bottles of water is below its restock level
    water = page.locator("#fridge-stock tr", has_text="矿泉水")
    expect(water).to_contain_text(t("Restock"))
    assert marker_survived(page), "marking items must not reload the page"
    screenshot(page, "checklist-done")

    page.goto("/")
    expect(page.locator("#card-reception-checklist")).to_contain_text(
        t("The checklist is done for today."))

    # R-R2 → R-R3: report a repair from the damaged item, prefilled
    page.goto("/showroom/checklist")
    damaged = page.locator("li.check-row.status-damaged", has_text=damaged_name)
    damaged.get_by_role("link", name=t("Report a repair")).click()
    expect(page).to_have_url(re.compile(r"/showroom/repairs\?item=\d+"))
    expect(page.get_by_label(t("Item or place"))).to_have_value(damaged_name)
    keep_marker(page)
    page.get_by_label(t("What is wrong")).fill(f"开机无反应 {token}")
    page.get_by_role("button", name=t("Report to the supervisor"), exact=True).click()
    expect(page.locator("#repairs-open > li.repair").first).to_contain_text(token)
    expect(page.locator("#repair-form")).to_contain_text(
        t("The repair was reported; the supervisor is notified."))
    assert marker_survived(page)
    screenshot(page, "repairs-reported")



def test_two_tabs_follow_up_the_same_repair_the_second_keeps_its_note(page, t, sign_in):
    """The repairs page is open in two tabs; the first moves the repair on, the second's note
    then gets the conflict: the repair as it is now, the note still typed, and sending it
    again (deliberately) saves it."""
    token = secrets.token_hex(3)
    sign_in(RECEPTIONIST)
    page.goto("/showroom/repairs")
    keep_marker(page)
    page.get_by_label(t("Item or place")).fill(f"咖啡机 {token}")
    page.get_by_label(t("What is wrong")).fill("出水很慢")
    page.get_by_role("button", name=t("Report to the supervisor"), exact=True).click()
    first_row = page.locator("#repairs-open > li.repair").filter(has_text=token)
    expect(first_row).to_have_count(1)

    # --- a second tab opens the page and starts typing its note -----------------------------
    other = page.context.new_page()
    for event, listener in (("console", page.problems.console),
                            ("pageerror", page.problems.page_error),
                            ("response", page.problems.response)):
        other.on(event, listener)  # the page fixture fails the test on the tab's problems too
    other.goto("/showroom/repairs")
    keep_marker(other)
    second_row = other.locator("#repairs-open > li.repair").filter(has_text=token)
    second_row.get_by_text(t("Follow up"), exact=True).click()
    typed = f"已换滤芯，出水正常 {token}"
    second_row.get_by_label(t("Follow-up note"), exact=True).fill(typed)
    second_row.get_by_label(t("Move to"), exact=True).select_option(label=t("Fixed"))

    # --- meanwhile the first tab moves the repair on -----------------------------------------
    first_row.get_by_text(t("Follow up"), exact=True).click()
    first_row.get_by_label(t("Follow-up note"), exact=True).fill(f"已联系厂家 {token}")
    first_row.get_by_label(t("Move to"), exact=True).select_option(label=t("Being repaired"))
    first_row.get_by_role("button", name=t("Add the note"), exact=True).click()
    expect(first_row.locator(".repair-head .repair-status")).to_have_text(t("Being repaired"))

    # --- the second tab saves: the conflict, the repair as it is now, the note kept ----------
    second_row.get_by_role("button", name=t("Add the note"), exact=True).click()
    expect(second_row.locator(".form-error")).to_have_text(t(
        "Someone else followed this repair up first. This is its current state; check it and "
        "try again."))
    expect(second_row.locator(".repair-head .repair-status")).to_have_text(t("Being repaired"))
    expect(second_row.locator(".repair-trail")).to_contain_text(f"已联系厂家 {token}")
    expect(second_row.get_by_label(t("Follow-up note"), exact=True)).to_have_value(typed)
    expect(second_row.get_by_label(t("Move to"), exact=True)).to_have_value("fixed")

    # --- sent again, deliberately, it is saved -----------------------------------------------
    second_row.get_by_role("button", name=t("Add the note"), exact=True).click()
    expect(second_row.locator(".repair-head .repair-status")).to_have_text(t("Fixed"))
    expect(second_row.locator(".repair-trail")).to_contain_text(typed)
    expect(second_row.locator(".form-error")).to_have_count(0)
    assert marker_survived(other), "the conflict reloaded the second tab"
    assert marker_survived(page)
