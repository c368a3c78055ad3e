"""Actions that htmx performs in place: the page stays, only the affected parts change."""

import re

import pytest
import sqlalchemy as sa

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

INACTIVE = re.compile(r"\binactive\b")


def answer_next_dialog(page, accept: bool) -> list[str]:
    """Accept or dismiss the next confirm(); the returned list receives its message."""
    messages: list[str] = []

    def answer(dialog):
        messages.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)
    return messages


def account_active(portal_data, username: str) -> bool:
    from portal.auth.models import User
    from portal.extensions import db

    return portal_data(lambda: db.session.scalar(
        sa.select(User.active).where(User.username == username)))


def test_supervisor_deactivates_and_reactivates_an_account_in_the_staff_list(
        page, t, sign_in, portal_data, screenshot):
    target, name = "presales3", "吴磊"  # an account no other test touches
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    sign_in("supervisor")
    page.locator('nav.sidenav a[href="/staff/"]').click()
    expect(page).to_have_url("/staff/")
    row = page.locator("#staff-table tbody tr").filter(
        has=page.get_by_role("cell", name=target, exact=True))
    expect(row).to_have_count(1)
    expect(row).not_to_have_class(INACTIVE)
    rows = page.locator("#staff-table tbody tr").count()
    keep_marker(page)
    posts.clear()
    question = t("Deactivate %(name)s? They will be signed out and cannot sign in until "
                 "reactivated.", name=name)

    # Asked first; saying no changes nothing.
    asked = answer_next_dialog(page, accept=False)
    row.get_by_role("button", name=t("Deactivate"), exact=True).click()
    assert asked == [question]
    expect(row).not_to_have_class(INACTIVE)

    asked = answer_next_dialog(page, accept=True)
    row.get_by_role("button", name=t("Deactivate"), exact=True).click()
    assert asked == [question]

    expect(row).to_have_class(INACTIVE)
    expect(row.locator("td").nth(3)).to_have_text(t("Deactivated"))
    expect(row.get_by_role("button", name=t("Reactivate"), exact=True)).to_be_visible()
    assert marker_survived(page), "the page was reloaded instead of the row being swapped"
    expect(page).to_have_url("/staff/")
    expect(page.locator("#staff-table tbody tr")).to_have_count(rows)  # swapped, not removed
    assert account_active(portal_data, target) is False
    assert len(posts) == 1, f"the dismissed confirmation still sent a request: {posts}"
    row.scroll_into_view_if_needed()
    screenshot(page, "staff-row-deactivated")

    row.get_by_role("button", name=t("Reactivate"), exact=True).click()

    expect(row).not_to_have_class(INACTIVE)
    expect(row.locator("td").nth(3)).to_have_text(t("Active"))
    expect(row.get_by_role("button", name=t("Deactivate"), exact=True)).to_be_visible()
    assert marker_survived(page)
    assert account_active(portal_data, target) is True


def test_the_supervisor_has_no_button_for_their_own_row_or_a_managers(page, sign_in):
    sign_in("supervisor")
    page.goto("/staff/")
    for username in ("supervisor", "manager"):
        row = page.locator("#staff-table tbody tr").filter(
            has=page.get_by_role("cell", name=username, exact=True))
        expect(row).to_have_count(1)
        expect(row.get_by_role("button")).to_have_count(0)


def test_marking_a_notification_read_updates_the_row_and_the_bell(page, t, sign_in, portal_data):
    from portal.auth.models import User
    from portal.extensions import db
    from portal.i18n import N_
    from portal.notifications import notify

    username = "aftersales2"  # 林峰: the demo data's notifications (a welcome, a complaint…)
    unread = {}

    def two_more():
        from portal.notifications.models import Notification

        user = db.session.scalar(sa.select(User).where(User.username == username))
        unread["before"] = db.session.scalar(sa.select(sa.func.count()).select_from(
            Notification).where(Notification.user_id == user.id,
                                Notification.read_at.is_(None)))
        for n in (1, 2):
            notify(user, N_("Welcome to the customer-service portal, %(name)s."), "/",
                   name=f"e2e {n}")
        db.session.commit()

    portal_data(two_more)
    sign_in(username)
    bell_count = page.locator("header.topbar #bell .bell-count")
    total = unread["before"] + 2
    expect(bell_count).to_have_text(str(total))  # drawn with the page, not the first poll
    page.locator('nav.sidenav a[href="/notifications/"]').click()
    expect(page).to_have_url("/notifications/")
    rows = page.locator("#notification-list li.notification.unread")
    expect(rows).to_have_count(total)
    first = page.locator("#notification-list li.notification").first
    first_id = first.get_attribute("id")
    keep_marker(page)

    first.get_by_role("button", name=t("Mark read"), exact=True).click()

    row = page.locator(f"#{first_id}")
    expect(row).not_to_have_class(re.compile(r"\bunread\b"))
    expect(row).to_contain_text(t("Read"))
    expect(row.get_by_role("button")).to_have_count(0)
    expect(rows).to_have_count(total - 1)
    expect(bell_count).to_have_text(str(total - 1))  # the bell followed notifications-changed
    assert marker_survived(page)

    page.get_by_role("button", name=t("Mark all read"), exact=True).click()

    expect(rows).to_have_count(0)
    expect(bell_count).to_be_hidden()
    expect(page.locator("header.topbar #bell")).not_to_have_class(re.compile(r"has-unread"))
    assert marker_survived(page)

