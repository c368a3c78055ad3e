"""The visitor board in the browser: reception logs a party's arrival (a returning phone
number shows the earlier visit; the consultant list holds only consultants), serves a
party's two drinks in one submit (the fridge count drops when the
checklist's stock widget is there), marks the party as left, each without a reload; a
pre-sales agent is refused the showroom."""

import re
import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

RECEPTION = "reception3"  # 韩雪: an account no other browser test touches
RETURNING_PHONE = "13912345678"  # portal.reception.demo_visitors: 钱先生, taken by 周婷


def stock_left(page, drink: str) -> int | None:
    """What the fridge-stock widget says is left of ``drink``, or None without one."""
    rows = page.locator("#fridge-stock tr").filter(has_text=drink)
    if rows.count() == 0:
        return None
    match = re.match(r"\s*(-?\d+)", rows.first.locator("td.left").text_content())
    return int(match.group(1)) if match else None


def serve(row, t, order: dict[str, int]):
    """The party's whole order in one submit: how many of each item (issue 15 item 14)."""
    row.get_by_text(t("Serve"), exact=True).click()
    for item, how_many in order.items():
        row.get_by_label(item, exact=True).fill(str(how_many))
    row.get_by_role("button", name=t("Served"), exact=True).click()


def test_reception_logs_serves_and_marks_a_party_as_left(page, t, sign_in, screenshot):
    consultant = f"顾问{secrets.token_hex(2)}"
    sign_in(RECEPTION)
    page.locator('nav.sidenav a[href="/showroom/"]').click()
    expect(page).to_have_url("/showroom/")
    keep_marker(page)
    board = page.locator("#showroom-board")
    expect(board.locator("li.visit-row")).not_to_have_count(0)  # the demo's parties

    # --- the consultant list: staff marked as consultants, not every account ----------------
    offered = page.get_by_label(t("Consultant"), exact=True).locator("option").all_text_contents()
    assert "周婷" in offered and not {"王经理", "李主管"} & set(offered), offered

    # --- arrival: a returning phone number shows the earlier visit and its consultant -------
    page.get_by_label(t("People"), exact=True).fill("3")
    page.get_by_label(t("Purpose"), exact=True).select_option(label=t("Signing"))
    page.get_by_label(t("Or another consultant's name"), exact=True).fill(consultant)
    page.get_by_label(t("Phone (optional)"), exact=True).press_sequentially(RETURNING_PHONE)
    returning = page.locator("#returning-visits")
    expect(returning).to_contain_text(t("Seen before:"))
    expect(returning).to_contain_text("周婷")
    page.get_by_role("button", name=t("Log the arrival"), exact=True).click()
    row = board.locator("li.visit-row").filter(has_text=consultant)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(t("%(count)d people", count=3))
    expect(page.get_by_label(t("Or another consultant's name"), exact=True)).to_have_value("")

    # --- two drinks served in place; the fridge count follows when the widget is there ------
    # (other browser tests share the day's fridge: serve a counted drink that is still in it)
    counted = None
    for drink in ("矿泉水", "可乐", "橙汁"):
        left = stock_left(page, drink)
        if left is not None and left >= 1:
            counted = (drink, left)
            break
    first = counted[0] if counted else "可乐"
    serve(row, t, {first: 1, "咖啡": 2})  # coffee: the machine, not the fridge
    expect(row.locator(".served")).to_contain_text(f"{first} × 1")
    expect(row.locator(".served")).to_contain_text("咖啡 × 2")
    expect(row.locator("input.qty")).to_have_count(0)  # the form closed with the answer
    if counted:
        expect(page.locator("#fridge-stock tr").filter(has_text=first).locator("td.left")) \
            .to_contain_text(str(counted[1] - 1))

    # --- one click: the party left; it leaves the board and shows in today's list -----------
    row.get_by_role("button", name=t("Mark as left"), exact=True).click()
    expect(row).to_have_count(0)
    today = page.locator("#today-visits tr").filter(has_text=consultant)
    expect(today).to_have_count(1)
    expect(today.locator("td").nth(1)).to_have_text(re.compile(r"^\d\d:\d\d$"))
    assert marker_survived(page), "an action reloaded the page instead of swapping in place"
    # last: Playwright's screenshot leaves style="" on inputs, which a later htmx swap would
    # copy (a CSP report that is the test's own doing)
    page.wait_for_load_state("networkidle")
    screenshot(page, "reception-board")


def test_a_presales_agent_is_refused_the_showroom(page, sign_in):
    sign_in("presales5")
    expect(page.locator('nav.sidenav a[href="/showroom/"]')).to_have_count(0)
    for url in ("/showroom/", "/showroom/history", "/showroom/summary"):
        response = page.goto(url)
        assert response.status == 403, url
