"""Every page loads htmx under the strict CSP with no violation and no JavaScript error.

With PORTAL_SCREENSHOTS=/some/dir the tour also saves a screenshot of each page.
"""

import pytest
import sqlalchemy as sa

from tests.e2e.support import expect

pytestmark = pytest.mark.e2e

# path, expected status, screenshot name (None: no screenshot)
SUPERVISOR_TOUR = [
    ("/", 200, "today-supervisor"),
    ("/staff/", 200, "staff"),
    ("/staff/?status=inactive", 200, None),
    ("/staff/new", 200, None),
    ("/staff/{presales4}", 200, "staff-account"),
    ("/audit/", 200, "audit"),
    ("/notifications/", 200, "notifications"),
    ("/account", 200, "account"),
    ("/customers/1", 200, "customer-record"),
    ("/customers/tags", 200, "customer-tags"),
    ("/customers/1/data", 200, None),
    ("/customers/new", 200, None),
    ("/knowledge/", 200, None),
    ("/knowledge/1", 200, None),
    ("/knowledge/8/versions?a=1&b=3", 200, None),
    ("/knowledge/8/edit", 200, None),
    ("/knowledge/new", 200, None),
    ("/knowledge/questions", 200, None),
    ("/no-such-page", 404, "error-404"),
]


def assert_clean(page, response, path: str, status: int, htmx_expected: bool = True) -> None:
    assert response.status == status, f"{path}: status {response.status}"
    csp = response.header_value("content-security-policy") or ""
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, f"{path}: CSP {csp!r}"
    page.wait_for_load_state("load")
    htmx = page.evaluate(
        "() => window.htmx ? {version: htmx.version, allowEval: htmx.config.allowEval} : null")
    if htmx_expected:  # a print page (slips, a return slip) needs no htmx
        assert htmx is not None, f"{path}: htmx is not loaded"
        assert htmx["allowEval"] is False, f"{path}: htmx may eval"
    assert not page.problems.errors, f"{path}: " + "\n".join(page.problems.errors)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path}: {overflow}px wider than the 1366px window"


def test_sign_in_page_is_clean(page, screenshot):
    response = page.goto("/login")
    assert_clean(page, response, "/login", 200)
    expect(page.locator("input[name=username]")).to_be_focused()
    screenshot(page, "sign-in")


def test_supervisor_pages_are_clean(page, sign_in, portal_data, screenshot):
    from portal.auth.models import User
    from portal.extensions import db

    presales4 = portal_data(lambda: db.session.scalar(
        sa.select(User.id).where(User.username == "presales4")))
    sign_in("supervisor")
    for template, status, shot in SUPERVISOR_TOUR:
        path = template.format(presales4=presales4)
        response = page.goto(path)
        assert_clean(page, response, path, status)
        if shot:
            screenshot(page, shot)


def test_an_htmx_failure_is_shown_not_swallowed(page, sign_in, t, screenshot):
    """A refused htmx request (here a CSRF failure) leaves the page and shows a toast."""
    sign_in("supervisor")
    page.goto("/staff/")
    # A stale CSRF token, as after the session expired in another tab.
    page.evaluate("""() => document.body.setAttribute(
        "hx-headers", JSON.stringify({"X-CSRFToken": "stale"}))""")
    page.evaluate("""() => document.querySelectorAll(
        "#staff-table input[name=csrf_token]").forEach(i => i.value = "stale")""")
    row = page.locator("#staff-table tbody tr").filter(
        has=page.get_by_role("cell", name="presales5", exact=True))
    page.once("dialog", lambda dialog: dialog.accept())  # "Deactivate ...?"
    row.get_by_role("button", name=t("Deactivate"), exact=True).click()

    toast = page.locator("#toasts .toast-error")
    expect(toast).to_contain_text(t("The form expired or was sent from elsewhere. Reload the "
                                    "page and try again."))
    expect(row.get_by_role("button", name=t("Deactivate"), exact=True)).to_be_visible()
    expect(page).to_have_url("/staff/")
    screenshot(page, "htmx-failure-toast")
    assert page.problems.allow("Response Status Error Code 400"), "htmx logged no error"


DESK_TOURS = {
    "supervisor": ["/orders/", "/orders/{order}", "/orders/stock", "/orders/transfers",
                   "/orders/waits", "/aftersales/", "/aftersales/{case}", "/aftersales/queue",
                   "/aftersales/visits", "/aftersales/report", "/aftersales/replies"],
    "clerk": ["/orders/queue", "/orders/import", "/orders/slips?ids={order}",
              "/aftersales/parcels", "/orders/queue/{order}/row?edit=flag"],
    "presales": ["/orders/new", "/orders/?q=1", "/orders/{order}"],
    "aftersales": ["/aftersales/new", "/aftersales/{case}", "/aftersales/{case}/slip"],
}


@pytest.mark.parametrize("username", list(DESK_TOURS))
def test_order_and_after_sales_pages_are_clean(page, sign_in, portal_data, username,
                                               screenshot):
    from portal.aftersales.models import AfterSalesCase
    from portal.extensions import db
    from portal.orders.models import Order

    order, case = portal_data(lambda: (
        db.session.scalar(sa.select(Order.id).where(Order.stage == "paid").limit(1)),
        db.session.scalar(sa.select(AfterSalesCase.id).where(
            AfterSalesCase.type == "interception").limit(1))))
    sign_in(username)
    for template in DESK_TOURS[username]:
        path = template.format(order=order, case=case)
        response = page.goto(path)
        assert_clean(page, response, path, 200, htmx_expected="slip" not in path)
        screenshot(page, f"{username}-{path.strip('/').replace('/', '-').split('?')[0]}")
