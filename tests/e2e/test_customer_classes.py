"""Value classes in the browser (issue 17 item 3): the supervisor changes a threshold, sees
the preview of customers per class move in place, saves, and the classes are recomputed —
without a reload."""

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived, settled

pytestmark = pytest.mark.e2e


def _counts(page) -> dict[str, int]:
    return page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('#class-preview tr[data-class]')].map(
            row => [row.dataset.class, Number(row.querySelector('.class-count').textContent)]))""")


def test_the_supervisor_previews_and_saves_the_thresholds(page, t, sign_in, portal_data,
                                                        screenshot):
    sign_in("supervisor")
    page.goto("/customers/classes")
    expect(page.get_by_role("heading", name=t("Value classes"), level=1)).to_be_visible()
    keep_marker(page)
    before = _counts(page)
    assert sum(before.values()) > 0 and before["important_value"] > 0

    # every customer who spent something in the year becomes "important"
    money = page.get_by_label(t("Big spender: at least this amount (¥) in the window"))
    money.fill("0.01")
    page.wait_for_function("() => document.querySelector('#class-preview.typed') !== null")
    settled(page)
    expect(page.locator("#class-preview h3")).to_have_text(
        t("Preview with the figures typed (not saved)"))
    previewed = _counts(page)
    assert previewed["general_develop"] == 0 and previewed["general_value"] == 0
    assert previewed["important_value"] > before["important_value"]
    assert sum(previewed.values()) == sum(before.values())
    screenshot(page, "customer-classes-preview")

    page.get_by_role("button", name=t("Save and recompute"), exact=True).click()
    expect(page.locator("#class-settings .flash-success")).to_have_text(
        t("Thresholds saved. Every customer's class is being recomputed; this page shows "
          "when it is done."))
    assert _counts(page) == previewed  # what the classes will hold
    assert marker_survived(page)

    def work_the_queue():  # what the job worker does with the task the save handed it
        from portal.customers import classes
        from portal.extensions import db

        classes.recompute_pending()
        db.session.commit()

    portal_data(work_the_queue)
    page.reload()
    keep_marker(page)  # what follows happens in place again
    expect(page.locator("#class-preview h3")).to_have_text(t("Customers in each class now"))
    assert _counts(page) == previewed
    screenshot(page, "customer-classes-saved")

    def stored():
        import sqlalchemy as sa

        from portal.customers.class_models import ClassThresholds
        from portal.customers.models import Customer
        from portal.extensions import db

        saved = db.session.get(ClassThresholds, 1)
        return str(saved.money_amount), db.session.scalar(
            sa.select(sa.func.count()).select_from(Customer)
            .where(Customer.value_class == "important_value"))

    assert portal_data(stored) == ("0.01", previewed["important_value"])

    # a figure out of bounds: refused in place, nothing saved
    page.get_by_label(t("Recent: last order at most this many days ago")).fill("-3")
    page.wait_for_function("() => document.querySelector('#class-preview [role=alert]') !== null")
    page.get_by_role("button", name=t("Save and recompute"), exact=True).click()
    expect(page.locator("#class-settings .field-error").first).to_be_visible()
    page.problems.allow("422")
    assert marker_survived(page)
