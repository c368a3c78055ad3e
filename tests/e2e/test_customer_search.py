"""Finding a customer in the browser (issue 17 item 7): pre-sales type the last four digits of
a buyer's phone into the header's search box and get the customer, phone masked, in place;
the page's own box narrows it without a reload; the customer's name links to their page."""

import re

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

PRESALES = "presales3"  # reads only


def _a_buyer(portal_data):
    """(id, name, phone) of a demo customer whose last four digits no other customer has."""

    def find():
        import sqlalchemy as sa

        from portal.customers.models import Customer, CustomerContact
        from portal.extensions import db

        rows = db.session.execute(
            sa.select(Customer.id, Customer.name, CustomerContact.value)
            .join(CustomerContact).where(CustomerContact.kind == "phone",
                                         Customer.merged_into_id.is_(None))
            .order_by(Customer.id)).all()
        tails: dict[str, int] = {}
        for row in rows:
            tails[row.value[-4:]] = tails.get(row.value[-4:], 0) + 1
        return next(tuple(row) for row in rows if tails[row.value[-4:]] == 1)

    return portal_data(find)


def test_find_a_buyer_by_the_last_four_digits(page, t, sign_in, portal_data, screenshot):
    customer_id, name, phone = _a_buyer(portal_data)
    sign_in(PRESALES)
    keep_marker(page)

    # the header's one box, its second button: customers
    box = page.locator("header #topbar-q")
    box.fill(phone[-4:])
    page.locator("header form.topbar-search").get_by_role(
        "button", name=t("Customers"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/customers/\?q=" + phone[-4:]))
    results = page.locator("#customer-results")
    row = results.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(name)
    masked = phone[:3] + "****" + phone[-4:]
    expect(row.locator(".phone")).to_have_text(masked)  # pre-sales see it masked
    assert marker_survived(page)  # the header's box answered in place (boosted)
    screenshot(page, "customers-search")

    # the page's own box: typing narrows the list in place
    keep_marker(page)
    search = page.get_by_label(
        t("Name, phone (last 4 digits will do), buyer ID, order or tracking number"),
        exact=True)
    search.fill("")
    search.press_sequentially(name)
    page.wait_for_function(
        "name => [...document.querySelectorAll('#customer-results tbody tr')]"
        ".every(tr => tr.textContent.includes(name))", arg=name)
    expect(results.get_by_role("link", name=name, exact=True).first).to_have_attribute(
        "href", f"/customers/{customer_id}")
    assert marker_survived(page)
