"""What every page does in the browser, for every role (issue 15 items 20–23).

- Each role's pages (Today with its cards loaded, every entry of the side navigation, the
  detail pages they open) have no serious or critical axe-core violation — colour contrast
  above all — and log no console error.
- In-place actions done with the keyboard keep the focus on the changed part (not <body>) and
  say what changed in a live region; a refused form puts the focus on the field refused.
- A swap never writes a ``style`` attribute (the CSP refuses it: a console error), even where
  the browser has given the old element an inline style, as when a person drags a text
  box's corner to make it larger.
- The Today page does not shift as its cards arrive one by one (CLS ≤ 0.05, measured with a
  PerformanceObserver run by Playwright, not by the page).

axe-core is vendored under tests/e2e/vendor/axe-core (``make vendor-axe``) and run through
Playwright's ``evaluate``, which the page's CSP does not govern.
"""

import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e import support
from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

# Accounts of each role; the writers here are accounts no other browser test writes with.
ROLES = {
    "manager": "manager",
    "supervisor": "supervisor",
    "presales": "presales2",
    "aftersales": "aftersales4",
    "clerk": "clerk3",
    "reception": "reception2",
}

# Detail pages a role opens from its lists, besides the side navigation.
DETAILS = {
    "supervisor": ["/orders/{order}", "/aftersales/{case}", "/aftersales/report",
                   "/staff/new", "/audit/"],
    "presales": ["/orders/{order}", "/orders/new"],
    "aftersales": ["/aftersales/{case}", "/aftersales/new"],
    "clerk": ["/orders/queue/{order}/row?edit=flag"],
    "reception": [],
    "manager": ["/orders/{order}"],
}


def run_axe(page) -> list[str]:
    """The serious and critical axe violations of the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations
          .filter(v => v.impact === "serious" || v.impact === "critical")
          .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 5).map(
              n => n.target.join(" ") + " — " + ((n.any[0] || n.all[0] || n.none[0] || {}).message
                                                 || "")).join(" | "));
    }""")
    return found


def settled(page) -> None:
    """Wait until the parts a page fetches on load have arrived and faded in: a part still
    loading is drawn at 70 % opacity (``.htmx-request``, 0.2 s transition), whose colours
    axe measures lighter (a case's complaints link at 3.24:1 in CI)."""
    support.settled(page)
    page.wait_for_timeout(250)


def today_loaded(page) -> None:
    """Wait until every Today card has arrived."""
    page.wait_for_function("() => !document.querySelector('.card-loading')")


def test_every_roles_pages_have_no_serious_axe_violation(page, sign_in, portal_data):
    from portal.aftersales.models import AfterSalesCase
    from portal.extensions import db
    from portal.orders.models import Order

    order, case = portal_data(lambda: (
        db.session.scalar(sa.select(Order.id).where(Order.stage == "paid").limit(1)),
        db.session.scalar(sa.select(AfterSalesCase.id).order_by(AfterSalesCase.id).limit(1))))
    problems = []
    for role, username in ROLES.items():
        sign_in(username)
        today_loaded(page)
        paths = ["/"] + [href for href in page.locator("nav.sidenav a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))") if href != "/"]
        paths += [p.format(order=order, case=case) for p in DETAILS[role]]
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, f"{role} {path}: {response.status}"
            page.wait_for_load_state("load")
            if path == "/":
                today_loaded(page)
            settled(page)
            problems += [f"{role} {path}: {v}" for v in run_axe(page)]
        page.context.clear_cookies()
    assert not problems, "\n".join(problems)
    # the page fixture fails the test on any console error or CSP violation seen on the way


def _keyboard_press(page, button) -> None:
    """Focus ``button`` and press Enter, as a keyboard user does."""
    button.focus()
    page.keyboard.press("Enter")


def _focus_is_on(page) -> str:
    return page.evaluate("""() => {
        const a = document.activeElement;
        return !a || a === document.body ? "BODY" : a.tagName + ":" + a.textContent.trim();
    }""")


def _give_fields_inline_styles(page) -> None:
    """What the browser does when a person drags a text box's corner: an inline style."""
    page.evaluate("""() => document.querySelectorAll("textarea, input, select").forEach(
        f => { f.style.minHeight = "2.5em"; })""")


def test_a_remark_by_keyboard_keeps_focus_announces_and_writes_no_style(page, t, sign_in,
                                                                        portal_data):
    from portal.extensions import db
    from portal.orders.models import Order, OrderRemark

    order_id = portal_data(lambda: db.session.scalar(
        sa.select(Order.id).where(Order.stage == "paid", Order.cancel_requested_at.is_(None),
                                  Order.id.not_in(sa.select(OrderRemark.order_id)))
        .order_by(Order.id).limit(1)))
    sign_in(ROLES["presales"])
    page.goto(f"/orders/{order_id}")
    keep_marker(page)
    card = page.locator("#order-card")
    announcer = page.locator("#announcer")
    add = card.get_by_role("button", name=t("Add the remark"), exact=True)

    # --- refused (no text): the focus goes to the field refused, the message is announced --
    _give_fields_inline_styles(page)
    _keyboard_press(page, add)
    details = card.get_by_label(t("Details"), exact=True)
    expect(details).to_have_attribute("aria-invalid", "true")
    expect(details).to_be_focused()
    expect(announcer).not_to_be_empty()
    page.problems.allow("422")  # the refusal's status line; a CSP error is not allowed

    # --- added: focus on the form's heading; the live region says it was added -------------
    _give_fields_inline_styles(page)
    details.fill("请在包裹里放一张贺卡")
    _keyboard_press(page, add)
    expect(card.locator(".remark-list li").last).to_contain_text("请在包裹里放一张贺卡")
    expect(card.get_by_role("heading", name=t("Add a remark"), exact=True)).to_be_focused()
    expect(announcer).to_have_text(t("Remark added."))
    assert marker_survived(page)
    # the keyboard goes on from there: Tab reaches the form's fields again, not the top bar
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('.remark-form')")
    assert not run_axe(page)


def test_a_clerks_row_action_by_keyboard_keeps_focus_on_the_row(page, t, sign_in,
                                                                portal_data):
    from portal.extensions import db
    from portal.orders.models import Order

    order_id = portal_data(lambda: db.session.scalar(
        sa.select(Order.id).where(Order.stage == "paid", Order.flag.is_(None),
                                  Order.open_tasks == 0, Order.cancel_requested_at.is_(None))
        .order_by(Order.paid_at, Order.id).limit(1)))  # the queue's first (oldest paid)
    sign_in(ROLES["clerk"])
    page.goto("/orders/queue")
    keep_marker(page)
    row = page.locator(f"#order-{order_id}")
    _give_fields_inline_styles(page)
    _keyboard_press(page, row.get_by_role("button", name=t("Flag yellow"), exact=True))
    expect(row.get_by_role("button", name=t("Clear flag"), exact=True)).to_be_visible()
    # the focus moves once the swap has settled (a tick after it): wait for it, then check
    in_row = f"() => !!document.activeElement.closest('#order-{order_id}')"
    page.wait_for_function(in_row, timeout=3000)
    assert _focus_is_on(page) != "BODY"

    _keyboard_press(page, row.get_by_role("button", name=t("Clear flag"), exact=True))
    expect(row.get_by_role("button", name=t("Flag yellow"), exact=True)).to_be_visible()
    page.wait_for_function(in_row, timeout=3000)
    assert marker_survived(page)
    assert not run_axe(page)


def test_marking_a_notification_read_by_keyboard_keeps_focus(page, t, sign_in, portal_data):
    from portal.auth.models import User
    from portal.extensions import db
    from portal.i18n import N_
    from portal.notifications import notify

    username = ROLES["aftersales"]

    def one_more():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        notify(user, N_("Welcome to the customer-service portal, %(name)s."), "/", name="e2e")
        db.session.commit()

    portal_data(one_more)
    sign_in(username)
    page.goto("/notifications/")
    keep_marker(page)
    first = page.locator("#notification-list li.notification.unread").first
    first_id = first.get_attribute("id")
    _keyboard_press(page, first.get_by_role("button", name=t("Mark read"), exact=True))
    expect(page.locator(f"#{first_id}")).not_to_have_class(re.compile(r"\bunread\b"))
    assert _focus_is_on(page) != "BODY"
    assert page.evaluate(f"() => !!document.activeElement.closest('#{first_id}')")
    assert marker_survived(page)


# Measured by Playwright, not by the page: the CSP allows no inline script.
LAYOUT_SHIFT = """
window.__layoutShift = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (entry) {
    if (!entry.hadRecentInput) { window.__layoutShift += entry.value; }
  });
}).observe({type: "layout-shift", buffered: true});
"""


@pytest.mark.parametrize("role", ["supervisor", "manager", "clerk"])
def test_the_today_page_does_not_shift_as_its_cards_load(page, sign_in, role):
    sign_in(ROLES[role])
    page.context.add_init_script(LAYOUT_SHIFT)
    # cards arrive one by one, as on an office network: each a little later than the last
    arrivals = iter(range(1, 100))

    def late(route):
        time.sleep(0.08 * (next(arrivals) % 8))
        route.continue_()

    page.route("**/today/*", late)
    page.goto("/")
    today_loaded(page)
    page.wait_for_timeout(300)
    shift = page.evaluate("window.__layoutShift")
    assert shift <= 0.05, f"the Today page shifted by {shift:.3f} as its cards loaded"
    # a card longer than its room scrolls inside it; its heading stays at the top
    heights = page.locator(".today-cards > .card").evaluate_all(
        "cards => cards.map(c => c.getBoundingClientRect().height)")
    assert len(set(round(h) for h in heights)) == 1, heights
