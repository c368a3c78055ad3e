"""The reminder settings in the browser (issue 20 item 2): the supervisor switches a kind of
reminder off and on again at /reminders/; each switch answers its own row in place (htmx),
the page is not reloaded, and the setting is kept."""

import pytest

from tests.e2e.support import SETTLED, expect

pytestmark = pytest.mark.e2e

KIND = "roster_unpublished"
ANSWERED = SETTLED + " && document.querySelector('#reminder-{kind}.reminder-row .flash')"


def _enabled(portal_data) -> bool:
    def read():
        from portal.jobs import settings

        return settings.ensure_settings()[KIND].enabled

    return portal_data(read)


def test_the_supervisor_switches_a_kind_off_and_on_in_place(page, sign_in, t, portal_data,
                                                             screenshot):
    sign_in("supervisor")
    page.goto("/reminders/")
    row = page.locator(f"#reminder-{KIND}")
    expect(row.locator(".reminder-state")).to_have_text(t("On"))
    page.evaluate("() => { window.notReloaded = true }")

    row.get_by_role("button", name=t("Switch off"), exact=True).click()
    page.wait_for_function(ANSWERED.format(kind=KIND))
    expect(row).to_have_class("reminder-row is-off")
    expect(row.locator(".reminder-state")).to_have_text(t("Off"))
    expect(row.locator(".flash")).to_have_text(
        t("Switched off: not sent until switched on again."))
    screenshot(page, "reminders-switched-off")
    assert page.evaluate("() => window.notReloaded === true"), "the row, not the page"
    assert _enabled(portal_data) is False
    # the other kinds are untouched
    expect(page.locator(".reminder-row.is-off")).to_have_count(1)

    row.get_by_role("button", name=t("Switch on"), exact=True).click()
    page.wait_for_function(ANSWERED.format(kind=KIND) + " && !document.querySelector("
                           f"'#reminder-{KIND}.is-off')")
    expect(row.locator(".reminder-state")).to_have_text(t("On"))
    expect(row.locator(".flash")).to_have_text(t("Sent again from now on."))
    assert page.evaluate("() => window.notReloaded === true")
    assert _enabled(portal_data) is True
    expect(page.locator(".reminder-row.is-off")).to_have_count(0)
