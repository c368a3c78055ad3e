"""The after-sales desk in the browser: the supervisor adds a canned reply (a published article
of the knowledge base with a reply text); an agent copies it filled in with the order's
facts in one click and records it as replied to the customer (with and without JavaScript);
the supervisor reminds an agent from the refund and dispute queue; the agent opens a due
return visit's form and records it with satisfaction 4 — each without a reload."""

import re
import secrets

import pytest

from tests.e2e.support import (
    DEMO_PASSWORD,
    REPORT_CSP_VIOLATIONS,
    BrowserProblems,
    expect,
    keep_marker,
    marker_survived,
)

pytestmark = pytest.mark.e2e

SUPERVISOR = "supervisor2"  # 冯主管: no other browser test writes with these accounts
AGENT = "aftersales5"       # 罗琳


def _open_case(portal_data, problem: str, *, platform_status=None, visit_due_today=False):
    """A case assigned to the agent (opened through the services); optionally in a platform
    dispute, or closed with its return visit due today. Returns (case id, order number)."""

    def make():
        import sqlalchemy as sa

        from portal import clock
        from portal.aftersales import cases
        from portal.aftersales.models import ReturnVisit
        from portal.auth.models import User
        from portal.extensions import db

        agent = db.session.scalar(sa.select(User).where(User.username == AGENT))
        number = f"E2E{secrets.randbelow(10**9):09d}"
        case = cases.open_case(agent, type="return_refund", problem=problem,
                               order_no=number, assignee_id=agent.id)
        if platform_status:
            cases.update_details(agent, case, case.version, platform_status=platform_status)
        if visit_due_today:
            db.session.add(ReturnVisit(case_id=case.id, due_on=clock.today()))
        db.session.commit()  # the services flush; a request's runner would commit
        return case.id, number

    return portal_data(make)


def _agent_signs_in(agent, t) -> None:
    """The agent signs in on a page of a second browser context."""
    agent.goto("/login")
    agent.locator("input[name=username]").fill(AGENT)
    agent.locator("input[name=password]").fill(DEMO_PASSWORD)
    agent.get_by_role("button", name=t("Sign in"), exact=True).click()
    agent.wait_for_url("/")


def test_a_canned_reply_is_copied_filled_in_and_recorded_as_replied(page, t, sign_in,
                                                                   portal_data, browser,
                                                                   live_server):
    """Issue 15 item 13: the reply went into the internal note, which the customer never
    sees. The agent copies it in one click with the order's facts filled in, pastes it into
    the platform's chat, and records on the case that the customer was replied to."""
    title = f"运费{secrets.token_hex(2)}"
    text = f"亲，订单 {{订单号}} 的质量问题来回运费由我们承担（{title}）。"
    case_id, number = _open_case(portal_data, "客户说茶杯有裂纹")
    filled = text.replace("{订单号}", number)

    # --- the supervisor writes it in the knowledge base: an article with a reply text ------
    sign_in(SUPERVISOR)
    page.goto("/aftersales/replies")  # the old page leads to the knowledge base
    expect(page).to_have_url("/knowledge/")
    page.get_by_role("link", name=t("New article"), exact=True).click()
    page.locator("#question").fill(title)
    page.locator("#answer").fill(text)
    page.locator("#reply_text").fill(text)
    page.get_by_role("button", name=t("Save the draft"), exact=True).click()
    page.get_by_role("button", name=t("Publish"), exact=True).click()
    expect(page.locator(".kb-state")).to_have_text(t("Published"))

    # --- an agent copies it in one click, filled in, and records the reply ------------------
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  base_url=live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    agent = context.new_page()
    problems = BrowserProblems()
    agent.on("console", problems.console)
    agent.on("pageerror", problems.page_error)
    _agent_signs_in(agent, t)
    agent.goto(f"/aftersales/{case_id}")
    keep_marker(agent)
    note_field = agent.locator('#case-card textarea[name="text"]')
    reply = agent.locator("#case-reply")
    reply.get_by_role("link", name=title, exact=True).click()
    expect(reply.locator("[data-copy-status]")).to_have_text(
        t("Copied. Paste it into the chat, then record it here."))
    assert agent.evaluate("navigator.clipboard.readText()") == filled
    expect(reply.get_by_label(t("Reply sent to the customer"), exact=True)).to_have_value(
        filled)
    expect(note_field).to_have_value("")  # the internal note is left alone
    # the agent edits the text, copies it again, and records what was sent
    field = reply.get_by_label(t("Reply sent to the customer"), exact=True)
    field.fill(filled + "祝您生活愉快！")
    reply.get_by_role("button", name=t("Copy"), exact=True).click()
    agent.wait_for_function("(t) => navigator.clipboard.readText().then(c => c === t)",
                            arg=filled + "祝您生活愉快！")
    reply.get_by_role("button", name=t("Record: replied to the customer"), exact=True).click()
    expect(reply).to_contain_text(t("Recorded: replied to the customer."))
    expect(field).to_have_value("")
    event = agent.locator("#case-timeline li.as-event-reply").first
    expect(event).to_contain_text(t("Replied to the customer"))
    expect(event).to_contain_text(filled + "祝您生活愉快！")
    expect(agent.locator("#case-timeline li.as-event-note")).to_have_count(0)
    assert marker_survived(agent), "copying or recording the reply reloaded the page"
    context.close()
    assert not problems.errors, "the agent's browser reported problems:\n" + "\n".join(
        problems.errors)


def test_without_javascript_a_reply_is_shown_to_select_and_recorded(browser, live_server,
                                                                    portal_data, t):
    """The no-script fallback: the reply's link opens the case with the text in the field."""
    case_id, number = _open_case(portal_data, "客户问物流")
    context = browser.new_context(java_script_enabled=False, locale="zh-CN",
                                  base_url=live_server)
    agent = context.new_page()
    _agent_signs_in(agent, t)
    agent.goto(f"/aftersales/{case_id}")
    reply = agent.locator("#case-reply")
    expect(reply.get_by_role("button", name=t("Copy"), exact=True)).to_be_hidden()
    reply.get_by_role("link", name="物流查询", exact=True).click()
    field = agent.locator("#case-reply").get_by_label(t("Reply sent to the customer"),
                                                      exact=True)
    expect(field).to_have_value(re.compile(re.escape(f"您的订单 {number} 已发出")))
    agent.locator("#case-reply").get_by_role(
        "button", name=t("Record: replied to the customer"), exact=True).click()
    expect(agent.locator("#case-timeline li.as-event-reply").first).to_contain_text(number)
    context.close()


def test_the_supervisor_reminds_from_the_queue_in_place(page, t, sign_in, portal_data):
    case_id, number = _open_case(portal_data, "客户在平台发起维权", platform_status="dispute")
    sign_in(SUPERVISOR)
    page.locator('nav.sidenav a[href="/aftersales/queue"]').click()
    expect(page).to_have_url("/aftersales/queue")
    keep_marker(page)
    row = page.locator(f"#queue-case-{case_id}")
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("罗琳")
    row.get_by_role("button", name=t("Remind %(name)s of case #%(id)s", name="罗琳",
                                     id=case_id), exact=True).click()
    reminded = re.escape(t("reminded at %(time)s", time="@")).replace("@", r"\d\d:\d\d")
    expect(row.locator(".reminded")).to_have_text(re.compile(reminded))
    expect(row).to_contain_text(t("%(name)s was reminded.", name="罗琳"))
    assert marker_survived(page), "the reminder reloaded the page"


def test_an_agent_records_a_due_return_visit(page, t, sign_in, portal_data):
    _case_id, number = _open_case(portal_data, "退货已退款，三天后回访", visit_due_today=True)
    sign_in(AGENT)
    page.locator('nav.sidenav a[href="/aftersales/visits"]').click()
    expect(page).to_have_url("/aftersales/visits")
    keep_marker(page)
    row = page.locator("li.visit-row").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row.locator("form")).to_have_count(0)  # the list carries no form per row
    row.get_by_role("link", name=t("Record the result"), exact=True).click()
    expect(row.locator("form.visit-form")).to_have_count(1)
    row.get_by_label(t("Reached"), exact=True).check()
    row.get_by_role("group", name=t("Satisfaction (1–5)")).get_by_label("4", exact=True) \
        .check()
    row.get_by_label(t("Comment"), exact=True).fill("客户很满意")
    row.get_by_role("button", name=t("Save the result"), exact=True).click()
    expect(row).to_contain_text(t("satisfaction %(score)d of 5", score=4))
    expect(row.locator("form")).to_have_count(0)
    expect(page.locator("#done-visits")).to_contain_text("客户很满意")
    assert marker_survived(page), "recording the visit reloaded the page"
