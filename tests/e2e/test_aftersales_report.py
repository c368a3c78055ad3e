"""The weekly after-sales report in the browser (issue 15 item 16): the supervisor opens it
from the desk and sees the last complete week with its cases, not the week just begun at
zero; this week is one click away and says it is not over yet."""

import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

SUPERVISOR = "supervisor2"


def _case_opened_last_week(portal_data):
    """A case opened on Wednesday of last week; returns (last week's label, its cases opened,
    this week's label)."""

    def make():
        from datetime import datetime, time

        import sqlalchemy as sa

        from portal import clock
        from portal.aftersales import cases, report
        from portal.auth.models import User
        from portal.extensions import db

        agent = db.session.scalar(sa.select(User).where(User.username == "aftersales5"))
        case = cases.open_case(agent, type="quality", problem="上周的质量投诉",
                               order_no=f"E2E{secrets.randbelow(10**9):09d}")
        year, week = report.last_complete_week()
        wednesday = datetime.fromisocalendar(year, week, 3).date()
        case.created_at = datetime.combine(wednesday, time(10), clock.get_clock().tz)
        db.session.commit()
        this_week = report.current_week()
        return (f"{year}-W{week:02d}", report.weekly(year, week).opened,
                f"{this_week[0]}-W{this_week[1]:02d}")

    return portal_data(make)


def test_the_report_opens_on_the_last_complete_week(page, t, sign_in, portal_data):
    last, opened, current = _case_opened_last_week(portal_data)
    assert opened >= 1
    sign_in(SUPERVISOR)
    page.goto("/aftersales/queue")
    page.get_by_role("link", name=t("Weekly report"), exact=True).click()
    expect(page).to_have_url("/aftersales/report")
    report = page.locator("#weekly-report")
    expect(report.locator("h2")).to_contain_text(t("Week %(week)s", week=last))
    expect(report.locator('[data-total="opened"]').first).to_have_text(str(opened))
    expect(report).not_to_contain_text(
        t("This week is not over yet: the numbers count its days so far."))

    keep_marker(page)
    report.get_by_role("link", name=t("This week"), exact=True).click()
    expect(report.locator("h2")).to_contain_text(t("Week %(week)s", week=current))
    expect(report).to_contain_text(
        t("This week is not over yet: the numbers count its days so far."))
    expect(report.get_by_role("link", name=t("Next week"), exact=True)).to_have_count(0)
    report.get_by_role("link", name=t("Previous week"), exact=True).click()
    expect(report.locator("h2")).to_contain_text(t("Week %(week)s", week=last))
    assert marker_survived(page), "moving between weeks reloaded the page"
