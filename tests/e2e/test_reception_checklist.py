"""The opening checklist in the browser: reception completes the morning's checklist item by
item without a reload (one item damaged), the fridge stock and the Today card follow, and a
repair is reported from the damaged item; two screens following up the same repair at once."""

import re
import secrets

import pytest

from tests.e2e.support import (
    DEMO_PASSWORD,
    REPORT_CSP_VIOLATIONS,
    VIEWPORT,
    BrowserProblems,
    expect,
    keep_marker,
    marker_survived,
)

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


SECOND_DESK = "reception4"  # 邓琪: signs in only to follow the repair up from another screen


def test_two_screens_follow_up_the_same_repair_the_second_keeps_its_note(
        page, t, sign_in, browser, live_server):
    """Two receptionists have the repairs page open; the first moves the repair on, the
    second's note then gets the conflict: the repair as it is now, the note still typed, and
    sending it again (deliberately) saves it."""
    token = secrets.token_hex(3)
    sign_in(RECEPTIONIST)
    page.goto("/showroom/repairs")
    keep_marker(page)
    page.get_by_label(t("Item or place")).fill(f"咖啡机 {token}")
    page.get_by_label(t("What is wrong")).fill("出水很慢")
    page.get_by_role("button", name=t("Report to the supervisor"), exact=True).click()
    first_row = page.locator("#repairs-open > li.repair").filter(has_text=token)
    expect(first_row).to_have_count(1)

    # --- the second screen opens the page and starts typing its note ------------------------
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=live_server)
    context.set_default_timeout(5_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    other = context.new_page()
    problems = BrowserProblems()
    other.on("console", problems.console)
    other.on("pageerror", problems.page_error)
    other.on("response", problems.response)
    other.goto("/login")
    other.locator("input[name=username]").fill(SECOND_DESK)
    other.locator("input[name=password]").fill(DEMO_PASSWORD)
    other.get_by_role("button", name=t("Sign in"), exact=True).click()
    other.wait_for_url("/")
    other.goto("/showroom/repairs")
    keep_marker(other)
    second_row = other.locator("#repairs-open > li.repair").filter(has_text=token)
    second_row.get_by_text(t("Follow up"), exact=True).click()
    typed = f"已换滤芯，出水正常 {token}"
    second_row.get_by_label(t("Follow-up note"), exact=True).fill(typed)
    second_row.get_by_label(t("Move to"), exact=True).select_option(label=t("Fixed"))

    # --- meanwhile the first screen moves the repair on --------------------------------------
    first_row.get_by_text(t("Follow up"), exact=True).click()
    first_row.get_by_label(t("Follow-up note"), exact=True).fill(f"已联系厂家 {token}")
    first_row.get_by_label(t("Move to"), exact=True).select_option(label=t("Being repaired"))
    first_row.get_by_role("button", name=t("Add the note"), exact=True).click()
    expect(first_row.locator(".repair-head .repair-status")).to_have_text(t("Being repaired"))

    # --- the second screen saves: the conflict, the repair as it is now, the note kept -------
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
    assert marker_survived(other), "the conflict reloaded the second screen"
    assert marker_survived(page)
    context.close()
    assert not problems.errors, "the second screen reported problems:\n" + "\n".join(
        problems.errors)
