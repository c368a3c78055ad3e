"""Duplicate customers in the browser (issue 17 item 2): the supervisor opens Duplicate
customers, merges a pair (confirming), sees both customers' orders on the survivor's story,
then undoes the merge and the absorbed customer's page is its own again."""

import secrets

import pytest

from tests.e2e.support import expect

pytestmark = pytest.mark.e2e

SUPERVISOR = "supervisor"


def _pair(portal_data, tag: str) -> tuple[int, int, str, str]:
    """Two customers sharing a new phone, each with an order: (low, high, their order nos)."""

    def make():
        from decimal import Decimal

        from portal.customers.attach import add_contact
        from portal.extensions import db
        from portal.orders.models import Order

        phone = f"137{secrets.randbelow(10**8):08d}"
        made = []
        for platform, name in (("tmall", "合并甲"), ("jd", "合并乙")):
            own_phone = f"136{secrets.randbelow(10**8):08d}"
            order = Order(platform=platform, order_no=f"M{tag}{platform}",
                          buyer_id=f"m_{tag}_{platform}", receiver_name=name,
                          receiver_phone=own_phone,
                          receiver_address=f"浙江省杭州市合并路 {tag} 号{platform}",
                          amount=Decimal("120.00"), payment="online", stage="paid")
            db.session.add(order)
            db.session.flush()
            made.append(order)
        for order in made:
            add_contact(order.customer, "phone", phone)
        db.session.commit()
        return made[0].customer_id, made[1].customer_id, made[0].order_no, made[1].order_no

    return portal_data(make)


def _merge_of(absorbed_id: int) -> int:
    import sqlalchemy as sa

    from portal.customers.merge_models import CustomerMerge
    from portal.extensions import db

    return db.session.scalar(sa.select(CustomerMerge.id)
                             .where(CustomerMerge.absorbed_id == absorbed_id))


def test_the_supervisor_merges_a_pair_and_undoes_it(page, t, sign_in, portal_data, screenshot):
    tag = secrets.token_hex(3)
    low, high, low_order, high_order = _pair(portal_data, tag)
    sign_in(SUPERVISOR)
    page.locator('nav.sidenav a[href="/customers/duplicates"]').click()
    expect(page).to_have_url("/customers/duplicates")
    pair = page.locator(f"#pair-{low}-{high}")
    for _ in range(50):  # the newest pair is on the last page: follow "More pairs"
        if pair.count():
            break
        page.get_by_role("link", name=t("More pairs"), exact=True).last.click()
        page.wait_for_load_state("networkidle")
    expect(pair).to_be_visible()
    pair.scroll_into_view_if_needed()
    screenshot(page, "customer-duplicates")

    # keep the older customer; the browser asks first
    page.once("dialog", lambda dialog: dialog.accept())
    pair.get_by_role("button", name=t("Keep No. %(id)d, merge the other into it", id=low),
                     exact=True).click()
    page.wait_for_function(
        f"() => {{ const p = document.querySelector('#pair-{low}-{high}');"
        " return p && !p.querySelector('.pair-actions'); }")
    expect(pair).to_contain_text(t("Moved"))
    merge_id = portal_data(lambda: _merge_of(high))
    expect(page.locator(f"#merge-{merge_id}")).to_be_visible()  # the list, out of band
    screenshot(page, "customer-merged")

    # the survivor's story holds both customers' orders
    page.goto(f"/customers/{low}")
    expect(page.locator("main")).to_contain_text(low_order)
    expect(page.locator("main")).to_contain_text(high_order)
    screenshot(page, "customer-merged-story")

    # undo: the absorbed customer is their own again
    page.goto("/customers/duplicates")
    row = page.locator(f"#merge-{merge_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=t("Undo merge"), exact=True).click()
    page.wait_for_function(
        f"() => document.querySelector('#merge-{merge_id}.state-undone') !== null")
    expect(row).to_contain_text(t("Undone"))
    screenshot(page, "customer-merge-undone")
    page.goto(f"/customers/{high}")
    main = page.locator("main")
    expect(main).to_contain_text(high_order)
    expect(main).not_to_contain_text(low_order)
    expect(main).not_to_contain_text(t("This customer was merged into another"))
    screenshot(page, "customer-unmerged")
    page.goto(f"/customers/{low}")
    expect(page.locator("main")).not_to_contain_text(high_order)
