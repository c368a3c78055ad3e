"""The language switch in the top bar: Simplified Chinese by default, English on request."""

import pytest

from tests.e2e.support import DEMO_PASSWORD, VIEWPORT, expect

pytestmark = pytest.mark.e2e

# An account of its own: the choice of language is stored on the user.
USERNAME = "supervisor2"


def test_language_switch_to_english_and_back(page, t, sign_in, browser, live_server,
                                             screenshot):
    sign_in(USERNAME)
    switch = page.locator("form.language-switch")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(switch.locator('button[value="en"]')).not_to_have_attribute("aria-current", "true")

    switch.locator('button[value="en"]').click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url("/")
    expect(switch.locator('button[value="en"]')).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.locator('nav.sidenav a[href="/"]')).to_have_text("Today")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    screenshot(page, "today-en")

    # The choice follows the user to the next page ...
    page.goto("/notifications/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")

    # ... and to their next sign-in on another computer (a browser without this session).
    other = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=live_server)
    try:
        elsewhere = other.new_page()
        elsewhere.goto("/login")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "zh-Hans")
        elsewhere.locator("input[name=username]").fill(USERNAME)
        elsewhere.locator("input[name=password]").fill(DEMO_PASSWORD)
        elsewhere.get_by_role("button", name=t("Sign in"), exact=True).click()
        elsewhere.wait_for_url("/")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "en")
    finally:
        other.close()

    page.locator("form.language-switch").locator('button[value="zh_CN"]').click()

    expect(page).to_have_url("/notifications/")  # back where the switch was pressed
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Notifications"))
    expect(page.get_by_role("button", name=t("Sign out"), exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


def test_traditional_chinese_before_signing_in(page, t):
    page.goto("/login")
    switch = page.locator("form.language-switch")
    switch.locator('button[value="zh_TW"]').click()

    expect(page).to_have_url("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Sign in", "zh_TW"))
    expect(switch.locator('button[value="zh_TW"]')).to_have_attribute("aria-current", "true")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    assert t("Sign in", "zh_TW") != "Sign in"  # the zh_TW catalogue is in use


def test_the_switch_marks_simplified_chinese_current_by_default(page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator('form.language-switch button[value="zh_CN"]')).to_have_attribute(
        "aria-current", "true")
