"""The complaints' monthly analysis in the browser (issue 18 item 3, R-C3): the supervisor
opens the month due from the navigation and sees its chart and figures, writes a comment,
sends it to the manager; the manager is told, opens it and reads the comment with the date."""

import os
from pathlib import Path

import pytest

from tests.e2e.support import expect
from tests.e2e.test_every_role_in_the_browser import run_axe

pytestmark = pytest.mark.e2e

CATEGORIES = [("quality", "产品质量"), ("logistics", "物流问题"), ("market", "市场支持"),
              ("information", "资料申请"), ("suggestion", "建议"), ("other", "其他")]


def _month_of_complaints(portal_data):
    """Complaints in the month due and the three before; returns the month's label."""

    def make():
        from datetime import datetime, timedelta

        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.complaints import analysis
        from portal.complaints.models import Complaint, ComplaintCategory
        from portal.customers.models import Customer
        from portal.extensions import db
        from portal.orders.models import Order

        year, month = analysis.due_month()
        if db.session.get(analysis.ComplaintMonth, datetime(year, month, 1).date()):
            return analysis.label(year, month)
        agent = db.session.scalar(sa.select(User).where(User.username == "aftersales5"))
        cats = {}
        for position, (code, name) in enumerate(CATEGORIES):
            cats[code] = db.session.scalar(sa.select(ComplaintCategory).where(
                ComplaintCategory.name == name)) or ComplaintCategory(name=name, position=position)
            db.session.add(cats[code])
        customer = Customer(name="刘女士")
        db.session.add(customer)
        db.session.flush()
        orders = db.session.scalars(sa.select(Order).order_by(Order.id).limit(4)).all()
        texts = {"quality": ["紫砂壶壶盖有裂纹,要求换货", "茶叶开封后有异味"],
                 "logistics": ["快递一周还没到", "外包装破损,杯子碎了一只", "物流信息不更新"],
                 "suggestion": ["希望增加小包装规格"], "market": ["门店活动价格与网店不一致"]}
        for back, factor in ((0, 1), (1, 2), (2, 1), (3, 3)):
            y, m = analysis.shift(year, month, -back)
            start = analysis.start_of(y, m)
            n = 0
            for code, said in texts.items():
                for text in said * factor:
                    n += 1
                    received = start + timedelta(days=n % 25, hours=9 + n % 8)
                    db.session.add(Complaint(
                        category_id=cats[code].id, received_at=received,
                        severity=("crisis" if n == 3 else "serious" if n % 4 == 0 else "normal"),
                        channel=("chat", "phone", "dispute", "letter", "showroom")[n % 5],
                        said=text, owner_id=agent.id, created_by_id=agent.id,
                        customer_id=customer.id if n % 3 == 0 else None,
                        order_id=orders[n % len(orders)].id if orders and n % 2 else None,
                        answered_at=received + timedelta(hours=2 + n), state="answered",
                        answer="已处理", satisfaction=("satisfied", "neutral",
                                                    "dissatisfied")[n % 3]))
        db.session.commit()
        return analysis.label(year, month)

    return portal_data(make)


def test_the_supervisor_sends_the_analysis_and_the_manager_reads_it(page, t, sign_in,
                                                                   portal_data, screenshot):
    month = _month_of_complaints(portal_data)
    sign_in("supervisor")
    # the Today card says it is not sent yet
    card = page.locator("#card-complaints-analysis")
    expect(card).to_contain_text(
        t("The complaint analysis of %(month)s is not sent to the manager yet.", month=month))
    page.get_by_role("navigation").get_by_role(
        "link", name=t("Complaint analysis"), exact=True).first.click()
    expect(page).to_have_url("/complaints/analysis")
    analysis = page.locator("#analysis")
    expect(analysis.locator("h2").first).to_contain_text(t("Month %(month)s", month=month))
    chart = analysis.locator("svg.complaints-chart")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() > 8
    expect(analysis).to_contain_text("紫砂壶壶盖有裂纹")
    expect(analysis).to_contain_text(t("Median time to answer"))
    assert not run_axe(page)
    screenshot(page, "analysis-supervisor")
    shots = os.environ.get("PORTAL_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "analysis-full.png"), full_page=True)
    page.locator("#analysis-comment").scroll_into_view_if_needed()
    screenshot(page, "analysis-comment")

    comment = page.locator("#analysis-comment-text")
    comment.fill("本月物流投诉最多,已约快递公司下周面谈;质量问题集中在紫砂壶壶盖。")
    page.get_by_role("button", name=t("Save the comment"), exact=True).click()
    expect(page.locator("#analysis-comment")).to_contain_text(t("The comment was saved."))
    page.get_by_role("button", name=t("Send to the manager"), exact=True).click()
    section = page.locator("#analysis-comment")
    expect(section).to_contain_text(t("The analysis was sent to the manager."))
    expect(section.get_by_role("button", name=t("Reopen to change the comment"),
                               exact=True)).to_be_visible()
    expect(page.locator("#analysis-comment-text")).to_have_count(0)
    screenshot(page, "analysis-sent")

    # the print view
    page.get_by_role("link", name=t("Print view"), exact=True).click()
    expect(page.locator(".analysis-print svg.complaints-chart")).to_be_visible()
    expect(page.locator(".analysis-print")).to_contain_text("已约快递公司下周面谈")
    screenshot(page, "analysis-print")
    if shots:
        page.emulate_media(media="print")
        page.screenshot(path=str(Path(shots) / "analysis-print-media.png"), full_page=True)
        page.emulate_media(media="screen")

    # the manager is told and reads it
    page.context.clear_cookies()
    sign_in("manager")
    page.goto("/notifications/")
    link = page.get_by_role("link", name=t(
        "The complaint analysis of %(month)s was sent to you by %(name)s.", month=month,
        name="李主管"))
    expect(link.first).to_be_visible()
    link.first.click()
    expect(page).to_have_url(f"/complaints/analysis?month={month}")
    section = page.locator("#analysis-comment")
    expect(section).to_contain_text("已约快递公司下周面谈")
    expect(section.locator(".sent-note")).to_contain_text("李主管")
    expect(section.locator("textarea")).to_have_count(0)
    expect(section.get_by_role("button")).to_have_count(0)
    assert not run_axe(page)
    screenshot(page, "analysis-manager")
