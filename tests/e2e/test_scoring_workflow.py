"""The score sheets' workflow in the browser: the supervisor submits draft sheets, the manager
returns one with a comment and approves another, each in place without a reload; an approved
sheet offers no way to add or change an entry and refuses a crafted POST; a staff member sees
only their own sheet and appeals one of its entries, which the supervisor then finds among the
open appeals."""

import json
import re
import secrets

import pytest

from tests.e2e.support import BrowserProblems, expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e

# accounts no other browser test scores, submits or approves (test_scoring.py uses presales5
# and clerk4); one per test, so the tests do not depend on each other's order
TO_RETURN, TO_APPROVE = "reception2", "clerk3"  # 许蕾 and 宋佳: draft sheets with one entry
LOCKED = "aftersales3"  # 何敏: a draft without entries; approved by the test's own setup
APPELLANT = "clerk"  # 陈打单: a draft with one penalty and no appeal
RACED = "presales8"  # 袁芳: submitted by the test's own setup; no other browser test uses them


def sign_out(page, t):
    page.get_by_role("button", name=t("Sign out"), exact=True).click()
    page.wait_for_url(re.compile(r"/login"))


def csrf_token(page) -> str:
    """The token htmx sends, as the page carries it on <body hx-headers>."""
    return json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]


def _sheet_of(username: str) -> dict:
    """This month's sheet of ``username`` (run inside portal_data)."""
    import sqlalchemy as sa

    from portal import clock
    from portal.auth.models import User
    from portal.extensions import db
    from portal.scoring.models import Appeal, ScoreEntry
    from portal.scoring.sheets import find_sheet

    today = clock.today()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    sheet = find_sheet(user.id, today.year, today.month)
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(ScoreEntry)
                                .where(ScoreEntry.sheet_id == sheet.id))
    appeals = list(db.session.scalars(sa.select(Appeal).where(Appeal.sheet_id == sheet.id)))
    return {"user_id": user.id, "name": user.display_name, "sheet_id": sheet.id,
            "year": today.year, "month": today.month, "status": sheet.status,
            "version": sheet.version, "return_comment": sheet.return_comment,
            "entries": entries, "open_appeals": sum(a.status == "open" for a in appeals),
            "appeals": [(a.status, a.comment) for a in appeals]}


@pytest.fixture
def sheet_of(portal_data):
    """``sheet_of(username)``: this month's sheet of the user as a dict, read from the live DB."""
    return lambda username: portal_data(lambda: _sheet_of(username))


def test_the_supervisor_submits_and_the_manager_returns_one_sheet_and_approves_another(
        page, t, sign_in, sheet_of, screenshot):
    to_return, to_approve = sheet_of(TO_RETURN), sheet_of(TO_APPROVE)
    for sheet in (to_return, to_approve):
        assert sheet["status"] == "draft" and sheet["open_appeals"] == 0, sheet

    # --- the supervisor submits both drafts, each in place ------------------------------------
    sign_in("supervisor")
    for username, sheet in ((TO_RETURN, to_return), (TO_APPROVE, to_approve)):
        page.goto(f"/scores/{sheet['year']}/{sheet['month']}/{sheet['user_id']}")
        keep_marker(page)
        actions = page.locator(f"#sheet-actions-{sheet['sheet_id']}")
        expect(actions.locator(".sheet-state")).to_have_text(t("Draft"))
        actions.get_by_role("button", name=t("Submit to the manager"), exact=True).click()
        expect(actions.get_by_role("status")).to_have_text(t("Sheet submitted to the manager."))
        expect(actions.locator(".sheet-state")).to_have_text(t("Submitted"))
        expect(actions.get_by_role("button", name=t("Submit to the manager"))).to_have_count(0)
        # the body follows: a submitted sheet offers no entry form any more
        expect(page.locator(f"#entry-form-{sheet['sheet_id']}")).to_have_count(0)
        assert marker_survived(page), "submitting reloaded the page"
        assert sheet_of(username)["status"] == "submitted"
    screenshot(page, "scoring-workflow-submitted")
    sign_out(page, t)

    # --- the manager returns one with a comment ------------------------------------------------
    comment = f"请补充 3 月 7 日看视频的截图再提交 {secrets.token_hex(3)}"
    sign_in("manager")
    page.goto(f"/scores/{to_return['year']}/{to_return['month']}/{to_return['user_id']}")
    keep_marker(page)
    actions = page.locator(f"#sheet-actions-{to_return['sheet_id']}")
    expect(actions.locator(".sheet-state")).to_have_text(t("Submitted"))
    # the approval area (issue 15, item 25): a banner that says what the state means, the
    # steps as buttons of normal size, the comment opened on request
    waiting = t("Submitted on %(at)s; waiting for the manager's decision.", at="@")
    expect(actions.locator(".sheet-banner")).to_contain_text(waiting.split("@")[1])
    approve = actions.get_by_role("button", name=t("Approve"), exact=True)
    assert approve.evaluate("b => getComputedStyle(b).fontSize") == page.locator(
        "body").evaluate("b => getComputedStyle(b).fontSize"), "a small button"
    assert "primary" in approve.get_attribute("class")
    comment_box = actions.get_by_label(t("Comment for the supervisor"))
    expect(comment_box).to_be_hidden()
    actions.locator("summary").filter(has_text=t("Return with comment")).click()
    expect(comment_box).to_be_visible()
    screenshot(page, "scoring-workflow-return-open")
    comment_box.fill(comment)
    actions.get_by_role("button", name=t("Return to the supervisor"), exact=True).click()
    expect(actions.get_by_role("status")).to_have_text(t("Sheet returned to the supervisor."))
    expect(actions.locator(".sheet-state")).to_have_text(t("Returned"))
    expect(actions).to_contain_text(t("Manager's comment: %(comment)s", comment=comment))
    expect(actions.get_by_role("button", name=t("Approve"), exact=True)).to_have_count(0)
    assert marker_survived(page), "returning reloaded the page"
    returned = sheet_of(TO_RETURN)
    assert (returned["status"], returned["return_comment"]) == ("returned", comment)

    # --- ... and approves the other --------------------------------------------------------------
    page.goto(f"/scores/{to_approve['year']}/{to_approve['month']}/{to_approve['user_id']}")
    keep_marker(page)
    actions = page.locator(f"#sheet-actions-{to_approve['sheet_id']}")
    expect(actions.locator(".sheet-state")).to_have_text(t("Submitted"))
    actions.get_by_role("button", name=t("Approve"), exact=True).click()
    expect(actions.get_by_role("status")).to_have_text(t("Sheet approved and locked."))
    expect(actions.locator(".sheet-state")).to_have_text(t("Approved"))
    expect(actions.locator("summary").filter(has_text=t("Return with comment"))).to_have_count(0)
    expect(actions.locator(".sheet-banner")).to_contain_text("王经理")  # who approved it
    # the reopen reason opens on request, not always
    reason = actions.get_by_label(t("Reason for reopening"))
    expect(reason).to_be_hidden()
    actions.locator("summary").filter(has_text=t("Reopen for a correction")).click()
    expect(reason).to_be_visible()
    expect(actions.get_by_role("button", name=t("Reopen the sheet"), exact=True)).to_be_visible()
    assert marker_survived(page), "approving reloaded the page"
    assert sheet_of(TO_APPROVE)["status"] == "approved"
    screenshot(page, "scoring-workflow-approved")


@pytest.fixture
def approved_sheet(portal_data):
    """LOCKED's sheet of this month with one entry, submitted and approved (the services)."""

    def setup():
        import sqlalchemy as sa

        from portal import clock
        from portal.auth.models import User
        from portal.extensions import db
        from portal.scoring import entries, workflow
        from portal.scoring.sheets import find_sheet

        def user(name):
            return db.session.scalar(sa.select(User).where(User.username == name))

        supervisor, manager, person = user("supervisor"), user("manager"), user(LOCKED)
        today = clock.today()
        sheet = find_sheet(person.id, today.year, today.month)
        assert sheet.status == "draft"
        entries.add_entry(supervisor, sheet, day=today, points=-2, reason="工单超时未回复",
                          evidence="客户等待 40 分钟")
        db.session.commit()
        workflow.submit(supervisor, sheet, sheet.version)
        workflow.approve(manager, sheet, sheet.version)
        db.session.commit()  # the steps flush; a request's runner commits
        return _sheet_of(LOCKED)

    sheet = portal_data(setup)
    assert sheet["status"] == "approved" and sheet["entries"] == 1
    return sheet


@pytest.fixture
def submitted_sheet(portal_data):
    """RACED's sheet of this month with one entry, submitted to the manager (the services)."""

    def setup():
        import sqlalchemy as sa

        from portal import clock
        from portal.auth.models import User
        from portal.extensions import db
        from portal.scoring import entries, workflow
        from portal.scoring.sheets import get_sheet

        def user(name):
            return db.session.scalar(sa.select(User).where(User.username == name))

        supervisor, person = user("supervisor"), user(RACED)
        today = clock.today()
        sheet = get_sheet(person, today.year, today.month)
        assert sheet.status == "draft"
        entries.add_entry(supervisor, sheet, day=today, points=-3, reason="离线未设置离开状态",
                          evidence="离线 25 分钟")
        workflow.submit(supervisor, sheet, sheet.version)
        db.session.commit()
        return _sheet_of(RACED)

    sheet = portal_data(setup)
    assert sheet["status"] == "submitted" and sheet["entries"] == 1
    return sheet


def test_a_return_after_the_approval_in_another_tab_shows_the_sheet_as_it_is_now(
        page, t, sign_in, submitted_sheet, sheet_of, screenshot):
    """Issue 15 item 4: the manager has the sheet open in two tabs, approves it in the first
    and, in the second (still showing it submitted), types a comment and returns it. The
    second tab says someone else changed the sheet first and shows it as it is now: approved
    in the state banner and the totals, the approval on the record, and the comment still
    there, in the reopen form, the way an approved sheet goes back to the supervisor."""
    sheet = submitted_sheet
    url = f"/scores/{sheet['year']}/{sheet['month']}/{sheet['user_id']}"
    sign_in("manager")
    page.goto(url)
    second = page.context.new_page()
    problems = BrowserProblems()
    second.on("console", problems.console)
    second.on("pageerror", problems.page_error)
    second.goto(url)
    keep_marker(second)
    late = second.locator(f"#sheet-actions-{sheet['sheet_id']}")
    expect(late.locator(".sheet-state")).to_have_text(t("Submitted"))

    # --- the first tab approves ------------------------------------------------------------------
    keep_marker(page)
    first = page.locator(f"#sheet-actions-{sheet['sheet_id']}")
    first.get_by_role("button", name=t("Approve"), exact=True).click()
    expect(first.get_by_role("status")).to_have_text(t("Sheet approved and locked."))
    assert sheet_of(RACED)["status"] == "approved"

    # --- the second tab, as it was, returns with a comment ----------------------------------------
    comment = f"第 3 条请补充截图 {secrets.token_hex(3)}"
    late.locator("summary").filter(has_text=t("Return with comment")).click()
    late.get_by_label(t("Comment for the supervisor")).fill(comment)
    late.get_by_role("button", name=t("Return to the supervisor"), exact=True).click()
    expect(late.get_by_role("alert")).to_have_text(t(
        "Someone else changed this sheet first. This is its current state; check it and try "
        "again."))
    expect(late.locator(".sheet-state")).to_have_text(t("Approved"))
    expect(late.locator("summary").filter(has_text=t("Return with comment"))).to_have_count(0)
    # the comment kept, in the reopen form, opened since it holds the typing
    expect(late.get_by_label(t("Reason for reopening"))).to_be_visible()
    expect(late.get_by_label(t("Reason for reopening"))).to_have_value(comment)
    body = second.locator(f"#sheet-body-{sheet['sheet_id']}")
    expect(body.locator(".sheet-totals .state")).to_have_text(t("Approved"))
    expect(body.locator(".sheet-total")).to_have_text(str(100 - 3))
    record = second.locator(f"#sheet-history-{sheet['sheet_id']}")
    expect(record.locator("li").filter(has_text=t("Approved"))).to_contain_text("王经理")
    assert marker_survived(second), "the conflict reloaded the page"
    screenshot(second, "scoring-workflow-return-conflict")
    after = sheet_of(RACED)
    assert (after["status"], after["return_comment"]) == ("approved", None)
    second.close()
    assert not problems.errors, "the second tab reported problems:\n" + "\n".join(
        problems.errors)


def test_an_approved_sheet_offers_no_change_and_refuses_a_crafted_post(
        page, t, sign_in, approved_sheet, sheet_of, portal_data):
    sheet = approved_sheet
    url = f"/scores/{sheet['year']}/{sheet['month']}/{sheet['user_id']}"
    sign_in("supervisor")
    page.goto(url)
    body = page.locator(f"#sheet-body-{sheet['sheet_id']}")
    expect(body.locator("tr.entry")).to_have_count(1)
    expect(body.locator(".state")).to_have_text(t("Approved"))
    expect(body.locator(".locked-note")).to_have_text(
        t("This sheet cannot change now (%(state)s).", state=t("Approved")))
    # no entry form, no correct/remove on the entry, no submit button: nothing to change
    expect(page.locator("form.entry-form")).to_have_count(0)
    expect(page.get_by_role("button", name=t("Record the entry"))).to_have_count(0)
    expect(page.get_by_text(t("Correct"), exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=t("Save the correction"))).to_have_count(0)
    expect(page.get_by_role("button", name=t("Remove"), exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=t("Submit to the manager"))).to_have_count(0)
    expect(page.locator(f'form[action="{url}/entries"]')).to_have_count(0)

    # a crafted POST with a valid session and CSRF token is refused, nothing written
    token = csrf_token(page)
    entry_id = portal_data(lambda: _entry_ids(sheet["sheet_id"]))[0]
    crafted = [
        (f"{url}/entries", {"csrf_token": token, "sheet_version": str(sheet["version"]),
                            "day": f"{sheet['year']}-{sheet['month']:02d}-01",
                            "points": "20", "reason": "偷偷加分", "rule": "", "evidence": "伪造",
                            "link": "", "in_overview": ""}),
        (f"/scores/entries/{entry_id}/edit", {"csrf_token": token, "version": "1",
                                              "day": f"{sheet['year']}-{sheet['month']:02d}-01",
                                              "points": "5", "reason": "改成加分",
                                              "evidence": "伪造", "in_overview": ""}),
        (f"/scores/entries/{entry_id}/remove", {"csrf_token": token, "version": "1",
                                                "in_overview": ""}),
    ]
    for target, form in crafted:
        for headers in ({"X-CSRFToken": token}, {"X-CSRFToken": token, "HX-Request": "true"}):
            response = page.request.post(target, form=form, headers=headers,
                                         max_redirects=0)
            assert 400 <= response.status < 500, (target, headers, response.status)
    after = sheet_of(LOCKED)
    assert after["entries"] == sheet["entries"]
    assert (after["status"], after["version"]) == ("approved", sheet["version"])
    assert portal_data(lambda: _entry_state(entry_id)) == (-2, "工单超时未回复", None)


def _entry_ids(sheet_id: int) -> list[int]:
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.scoring.models import ScoreEntry

    return list(db.session.scalars(sa.select(ScoreEntry.id).where(ScoreEntry.sheet_id == sheet_id)
                                   .order_by(ScoreEntry.id)))


def _entry_state(entry_id: int):
    from portal.extensions import db
    from portal.scoring.models import ScoreEntry

    entry = db.session.get(ScoreEntry, entry_id)
    return entry.points, entry.reason, entry.removed_at


def test_a_staff_member_sees_only_their_sheet_and_appeals_an_entry(
        page, t, sign_in, sheet_of, portal_data, screenshot):
    mine, other = sheet_of(APPELLANT), sheet_of("presales")
    assert mine["status"] == "draft" and mine["open_appeals"] == 0, mine
    assert mine["entries"] >= 1, "the demo gives the clerk a penalty this month"
    entry_id = portal_data(lambda: _entry_ids(mine["sheet_id"]))[0]
    comment = f"那天仓库系统故障,16:45 才能打印面单,不是我延误 {secrets.token_hex(3)}"

    sign_in(APPELLANT)
    page.locator("nav.sidenav").get_by_role("link", name=t("My score sheet")).click()
    expect(page).to_have_url("/scores/my")
    my_sheet = page.locator("#my-sheet")
    expect(my_sheet).to_contain_text(f"{mine['year']}-{mine['month']:02d}")
    expect(my_sheet.locator("tbody tr")).to_have_count(mine["entries"])
    expect(my_sheet).to_contain_text("未在截单时间前发货")
    # nothing of anybody else's: no other names, no link to the overview or other sheets
    expect(page.locator("main")).not_to_contain_text(other["name"])
    expect(page.locator(f'a[href^="/scores/{mine["year"]}/"]')).to_have_count(0)
    expect(page.locator("nav.sidenav").get_by_role("link", name=t("Score sheets"))) \
        .to_have_count(0)
    # ... and the addresses of other people's sheets are closed
    y, m = mine["year"], mine["month"]
    assert page.request.get(f"/scores/{y}/{m}", max_redirects=0).status == 403
    assert page.request.get(f"/scores/{y}/{m}/status", max_redirects=0).status == 403
    for address in (f"/scores/{y}/{m}/{other['user_id']}",
                    f"/scores/sheets/{other['sheet_id']}/workflow",
                    f"/scores/{y}/{m}/{other['user_id']}/print"):
        assert page.request.get(address, max_redirects=0).status in (403, 404), address

    # --- the appeal, in place ------------------------------------------------------------------
    keep_marker(page)
    cell = page.locator(f"#entry-appeal-{entry_id}")
    cell.get_by_text(t("Appeal this entry"), exact=True).click()
    cell.get_by_label(t("Why do you disagree?")).fill(comment)
    cell.get_by_role("button", name=t("Send appeal"), exact=True).click()
    expect(cell.get_by_role("status")).to_have_text(t("Your appeal went to the supervisor."))
    expect(cell.locator(".appeal-state")).to_have_text(f"{t('Appeal')}: {t('Open')}")
    expect(cell.locator("q")).to_have_text(comment)
    expect(cell.get_by_text(t("Appeal this entry"), exact=True)).to_have_count(0)
    assert marker_survived(page), "appealing reloaded the page"
    assert sheet_of(APPELLANT)["appeals"] == [("open", comment)]
    screenshot(page, "scoring-my-sheet-appealed")
    sign_out(page, t)

    # --- the supervisor finds it among the open appeals ------------------------------------------
    sign_in("supervisor")
    page.locator("nav.sidenav").get_by_role("link", name=t("Appeals")).click()
    expect(page).to_have_url("/scores/appeals")
    row = page.locator("#appeal-list tr").filter(has_text=comment)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(mine["name"])
    expect(row).to_contain_text("未在截单时间前发货")
    expect(row.locator(".appeal-state")).to_have_text(f"{t('Appeal')}: {t('Open')}")
    expect(row.get_by_role("button", name=t("Send answer"), exact=True)).to_be_visible()
    screenshot(page, "scoring-appeals")
