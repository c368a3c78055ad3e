"""The daily work record in the browser: an agent writes ten questions without a reload,
edits one in place, and the supervisor sees the day's totals."""

import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived, settled

pytestmark = pytest.mark.e2e

AGENT, AGENT_NAME, SUPERVISOR = "presales7", "曹颖", "supervisor2"  # the demo gives them no lines


def test_an_agent_writes_ten_questions_without_a_reload(page, t, sign_in, screenshot):
    token = secrets.token_hex(3)
    sign_in(AGENT)
    page.locator('nav.sidenav a[href="/worklog/"]').click()
    expect(page).to_have_url("/worklog/")
    keep_marker(page)
    lines = page.locator("#work-lines > li.work-line")
    before = lines.count()
    documents = []
    page.on("request", lambda request: request.resource_type == "document"
            and documents.append(request.url))

    question = page.get_by_label(t("Question"), exact=True)
    answer = page.get_by_label(t("Answer given"), exact=True)
    categories = [t("Product"), t("Delivery"), t("Orders and payment")]
    for n in range(10):
        page.get_by_label(t("Category"), exact=True).select_option(index=n % 3)
        question.fill(f"客户问第{n + 1}个问题:沙发能不能加宽 {token}")
        if n == 9:  # one left unresolved
            page.get_by_label(t("Resolved"), exact=True).uncheck()
        else:
            answer.fill(f"回答{n + 1}:可以定制")
        question.press("Enter")
        expect(lines.first).to_contain_text(f"第{n + 1}个问题")
        expect(question).to_have_value("")
        expect(question).to_be_focused()
        # htmx gives the focus back to the question by its id at the swap and again by its
        # autofocus when the swap settles (20 ms on): a person cannot type into the answer in
        # between, Playwright can (the answer's text went into the question, now and then)
        settled(page)
    expect(lines).to_have_count(before + 10)
    expect(page.locator("#day-summary")).to_contain_text(
        t("%(count)d resolved", count=9 + before) if before == 0 else "")
    assert documents == [], documents  # no full page load
    assert marker_survived(page)
    assert categories  # the three seeded categories were offered

    # an empty question is refused next to its field, nothing added
    question.press("Enter")
    expect(page.locator("#line-form .field-error")).to_contain_text(
        t("Write the question you met."))
    expect(lines).to_have_count(before + 10)
    screenshot(page, "worklog-day-agent")

    # edit one line of today in place
    third = lines.nth(2)
    third.get_by_role("link", name=t("Edit"), exact=True).click()
    edit_question = third.get_by_label(t("Question"), exact=True)
    expect(edit_question).to_be_visible()
    edit_question.fill(f"改过的问题 {token}")
    third.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.locator("#work-lines")).to_contain_text(f"改过的问题 {token}")
    assert documents == [], documents
    assert marker_survived(page)

    # the supervisor sees the day's totals and opens the agent's day
    page.context.clear_cookies()
    sign_in(SUPERVISOR)
    page.goto("/worklog/team")
    row = page.locator("table.team-table tbody tr", has_text=AGENT_NAME)
    expect(row).to_contain_text(str(before + 10))
    screenshot(page, "worklog-team")
    row.get_by_role("link", name=AGENT_NAME).click()
    expect(page.locator("#work-lines")).to_contain_text(f"改过的问题 {token}")
    expect(page.locator("#line-form")).to_have_count(0)  # reading, not writing
    screenshot(page, "worklog-day-read-by-supervisor")


def test_the_pages_of_the_work_record(page, t, sign_in, screenshot):
    sign_in("presales")
    page.goto("/")
    card = page.locator("#card-worklog-mine")
    expect(card).to_contain_text(t("My work record"))
    card.scroll_into_view_if_needed()
    screenshot(page, "worklog-today-agent")
    page.goto("/worklog/")
    page.get_by_role("link", name=t("Previous day"), exact=True).click()
    expect(page.locator(".line-corrections")).to_contain_text(t("earlier:"))
    screenshot(page, "worklog-yesterday-corrected")
    page.locator("#work-lines > li.work-line").first.get_by_role(
        "link", name=t("Correct"), exact=True).click()
    expect(page.get_by_label(t("Why (optional)"))).to_be_visible()
    screenshot(page, "worklog-correct-form")
    page.context.clear_cookies()
    sign_in("supervisor")
    card = page.locator("#card-worklog-team")
    expect(card).to_contain_text(t("Daily work statistics"))
    card.scroll_into_view_if_needed()
    screenshot(page, "worklog-today-supervisor")
    page.goto("/scores/")
    expect(page.locator("table.overview")).to_contain_text(t("Work record (resolved)"))
    screenshot(page, "worklog-score-overview")
    for path, name in (("/worklog/unresolved", "worklog-unresolved"),
                       ("/worklog/categories", "worklog-categories")):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        screenshot(page, name)
