"""The one search in the browser: an agent types a question in the handover form and the
published article for it is suggested in place, its reply inserted with one click; the
header's box finds a handover item, marked, in Chinese."""

import re

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

AGENT = "clerk5"  # 董亮: typing only, nothing is written


def test_a_suggestion_appears_while_typing_in_the_handover_form(page, t, sign_in, screenshot):
    sign_in(AGENT)
    page.goto("/handover/desk/")
    keep_marker(page)
    box = page.get_by_label(t("What the next shift needs to know"))
    box.press_sequentially("客人打电话来问退款", delay=30)
    suggestions = page.locator("#suggest-text")
    expect(suggestions).to_contain_text(t("Suggested articles"))
    expect(suggestions).to_contain_text("退款多久到账")
    screenshot(page, "search-suggest-handover")
    box.fill("")
    box.press_sequentially("回复:", delay=30)
    box.press_sequentially("退款", delay=30)
    suggestions.get_by_role("button", name=t("Use this reply")).first.click()
    expect(box).to_have_value("回复:退款亲,退款已为您办理,原路返回,支付宝或微信1-3个工作日到账,银行卡3-7个工作日,请留意~")
    assert marker_survived(page), "the page was reloaded instead of the suggestions swapped"


def test_the_header_box_finds_a_handover_item_and_marks_it(page, t, sign_in, screenshot):
    sign_in(AGENT)
    page.locator("#topbar-q").fill("仓库")
    page.locator(".topbar-search").get_by_role("button", name=t("Search"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/search\?q="))
    hits = page.locator("#search-results .search-hit")
    expect(hits.first).to_be_visible()
    expect(page.locator("#search-results mark").first).to_have_text("仓库")
    expect(hits.first.locator(".kind-badge")).to_have_text(t("Handover item"))
    screenshot(page, "search-page")
    # typing again answers in place
    keep_marker(page)
    page.locator("#search-q").fill("退货")
    expect(page.locator("#search-results mark").first).to_have_text("退货")
    assert marker_survived(page)
    screenshot(page, "search-page-typed")
