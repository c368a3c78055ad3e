"""Complaints in the browser (issue 18 items 1-2): an agent records a crisis complaint; the
manager's Today page shows it at once; the agent answers it in place and closes it with the
customer's satisfaction."""

import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived
from tests.e2e.test_every_role_in_the_browser import run_axe

pytestmark = pytest.mark.e2e

AGENT = "presales5"  # 孙浩: no other browser test records complaints


def _sign_out(page):
    page.context.clear_cookies()


def test_a_crisis_reaches_the_manager_and_is_answered_and_closed(page, t, sign_in,
                                                                  screenshot):
    said = f"客户说茶盘边缘划伤了手，要找媒体曝光 {secrets.token_hex(2)}"
    sign_in(AGENT)
    page.locator('nav.sidenav a[href="/complaints/"]').click()
    expect(page).to_have_url("/complaints/")
    screenshot(page, "complaints-register")
    assert run_axe(page) == []
    page.get_by_role("link", name=t("New complaint"), exact=True).click()
    expect(page).to_have_url("/complaints/new")
    page.get_by_label(t("Channel"), exact=True).select_option("phone")
    page.get_by_label(t("Severity"), exact=True).select_option("crisis")
    page.get_by_label(t("Category"), exact=True).select_option(index=1)
    page.get_by_label(t("What the customer said"), exact=True).fill(said)
    page.get_by_label(t("What the customer asks for"), exact=True).fill("赔偿医药费")
    screenshot(page, "complaints-new")
    assert run_axe(page) == []
    page.get_by_role("button", name=t("Record the complaint"), exact=True).click()
    page.wait_for_url("**/complaints/*")
    card = page.locator("#complaint")
    expect(card).to_contain_text(said)
    expect(card).to_contain_text(t("Escalated"))
    complaint_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # the manager's Today page shows it, with the open crisis count
    _sign_out(page)
    sign_in("manager")
    today_card = page.locator("#card-complaints-open")
    expect(today_card).to_contain_text(t("Crisis"))
    expect(today_card).to_contain_text(f"#{complaint_id}")
    screenshot(page, "complaints-today-manager")

    # the agent answers in place, then closes with the customer's satisfaction
    _sign_out(page)
    sign_in(AGENT)
    page.goto(f"/complaints/{complaint_id}")
    keep_marker(page)
    answer = page.locator(".step-answer")
    answer.get_by_label(t("The answer given to the customer"), exact=True).fill(
        "已向客户道歉，承担医药费并补发新茶盘")
    answer.get_by_role("button", name=t("Record the answer"), exact=True).click()
    expect(page.locator("#complaint .complaint-state")).to_have_text(t("Answered"))
    screenshot(page, "complaints-answered")
    close = page.locator(".step-close")
    close.get_by_label(t("Customer's satisfaction"), exact=True).select_option("satisfied")
    close.get_by_role("button", name=t("Close the complaint"), exact=True).click()
    expect(page.locator("#complaint .complaint-state")).to_have_text(t("Closed"))
    expect(page.locator("#complaint")).to_contain_text(t("Satisfied"))
    screenshot(page, "complaints-closed")
    assert run_axe(page) == []
    assert marker_survived(page), "answering and closing reloaded the page"


def test_raise_a_case_to_a_complaint_and_keep_the_lists(page, t, sign_in, portal_data,
                                                       screenshot):
    def a_case():
        import sqlalchemy as sa

        from portal.aftersales.models import AfterSalesCase
        from portal.complaints.models import Complaint
        from portal.extensions import db

        raised = sa.select(Complaint.case_id).where(Complaint.case_id.is_not(None))
        return db.session.scalar(sa.select(AfterSalesCase.id).where(
            AfterSalesCase.id.not_in(raised)).order_by(AfterSalesCase.id.desc()).limit(1))

    case_id = portal_data(a_case)
    sign_in("supervisor")
    page.goto(f"/aftersales/{case_id}")
    raise_link = page.get_by_role("link", name=t("Raise to a complaint"), exact=True)
    expect(raise_link).to_be_visible()
    screenshot(page, "complaints-case-raise")
    raise_link.click()
    expect(page.locator(".complaint-raised")).to_contain_text(f"#{case_id}")
    page.get_by_label(t("Category"), exact=True).select_option(index=2)
    page.get_by_role("button", name=t("Record the complaint"), exact=True).click()
    page.wait_for_url("**/complaints/*")
    expect(page.locator("#complaint")).to_contain_text(f"#{case_id}")
    screenshot(page, "complaints-page-raised")
    assert run_axe(page) == []
    page.goto("/complaints/setup")
    expect(page.locator("#complaint-setup input[value='产品质量问题']")).to_have_count(1)
    screenshot(page, "complaints-setup")
    assert run_axe(page) == []
