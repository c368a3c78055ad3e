"""Score sheets in the browser: the supervisor opens a draft sheet from the month overview,
records a penalty from the catalogue and a free-reason reward, and sees the new rows, the
total and the rank change each time without a reload."""

import re

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived, settled

pytestmark = pytest.mark.e2e

PERSON = "presales5"  # 孙浩: no entries in the demo; no other browser test scores them


@pytest.fixture
def person(portal_data):
    """(user id, display name, the penalty rule's id and description)."""

    def load():
        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.scoring.models import ScoreRule

        user = db.session.scalar(sa.select(User).where(User.username == PERSON))
        rule = db.session.scalar(sa.select(ScoreRule).where(
            ScoreRule.description == "离线未设置离开状态"))
        return user.id, user.display_name, rule.id, rule.description

    return portal_data(load)


def test_the_supervisor_adds_a_penalty_and_a_reward_without_a_reload(
        page, t, sign_in, person, screenshot):
    user_id, name, rule_id, rule_text = person
    sign_in("supervisor")
    page.locator("nav.sidenav").get_by_role("link", name=t("Score sheets")).click()
    expect(page.locator("#overview-table")).to_be_visible()
    screenshot(page, "scoring-overview")
    page.locator("#overview-table").get_by_role("link", name=name, exact=True).click()
    expect(page).to_have_url(f"/scores/{page.url.split('/scores/')[1].split('/')[0]}/"
                             f"{page.url.split('/scores/')[1].split('/')[1]}/{user_id}")
    keep_marker(page)
    total = page.locator(".sheet-total")
    rank = page.locator(".sheet-rank")
    expect(total).to_have_text("100")
    rank_before = rank.inner_text()

    # a penalty from the catalogue: choosing the item fills the reason and the points
    page.get_by_label(t("Catalogue item")).select_option(str(rule_id))
    expect(page.get_by_label(t("Reason"), exact=True)).to_have_value(rule_text)
    expect(page.get_by_label(t("Points (+ reward, − penalty)"))).to_have_value("-3")
    page.get_by_label(t("Evidence"), exact=True).fill("14:10 离线 25 分钟")
    page.get_by_role("button", name=t("Record the entry")).click()
    expect(total).to_have_text("97")
    expect(page.locator("tr.entry.penalty")).to_contain_text(rule_text)
    rank_after_penalty = rank.inner_text()
    assert rank_after_penalty != rank_before

    # a reward with a free reason
    form = page.locator("form.entry-form")
    form.get_by_label(t("Reason"), exact=True).fill("主动帮同事处理售后工单")
    form.get_by_label(t("Points (+ reward, − penalty)")).fill("15")
    form.get_by_label(t("Evidence"), exact=True).fill("售后工单 3 张")
    form.get_by_role("button", name=t("Record the entry")).click()
    expect(total).to_have_text("112")
    expect(page.locator("tr.entry.reward")).to_contain_text("主动帮同事处理售后工单")
    expect(rank).not_to_have_text(rank_after_penalty)
    expect(rank).to_have_text(t("%(rank)d of %(count)d", rank=1,
                                count=int(re.findall(r"\d+", rank_after_penalty)[-1])))
    assert marker_survived(page), "the page reloaded"
    screenshot(page, "scoring-sheet")


def test_a_row_of_the_overview_opens_its_sheet_in_place_and_follows_an_entry(
        page, t, sign_in, screenshot):
    sign_in("supervisor")
    page.goto("/scores/")
    keep_marker(page)
    row = page.locator("tr.overview-row").filter(has_text="唐杰")
    before = row.locator("td.total").inner_text()
    row.get_by_role("button", name=t("Open the sheet")).click()
    body = page.locator("tr.sheet-slot .sheet-body")
    expect(body).to_be_visible()
    form = body.locator("form.entry-form")
    form.get_by_label(t("Reason"), exact=True).fill("主动补班")
    form.get_by_label(t("Points (+ reward, − penalty)")).fill("4")
    form.get_by_label(t("Evidence"), exact=True).fill("值班表记录")
    form.get_by_role("button", name=t("Record the entry")).click()
    expect(body.locator(".sheet-total")).to_have_text(str(int(before) + 4))
    expect(page.locator("tr.overview-row").filter(has_text="唐杰").locator("td.total")) \
        .to_have_text(str(int(before) + 4))
    assert marker_survived(page)
    screenshot(page, "scoring-overview-open")


def open_fresh_sheet(page, sign_in, name: str, user_id: int):
    """The supervisor opens ``name``'s sheet (no entries yet) from the month overview; the
    page is marked to tell a reload. Returns the sheet's total."""
    sign_in("supervisor")
    page.goto("/scores/")
    page.locator("#overview-table").get_by_role("link", name=name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/scores/\d+/\d+/{user_id}$"))
    keep_marker(page)
    total = page.locator(".sheet-total")
    expect(total).to_have_text("100")
    return total


CORRECTED = "reception4"  # 邓琪: no entries in the demo; no other browser test scores them


def test_the_supervisor_corrects_and_removes_entries_in_their_rows_then_submits(
        page, t, sign_in, portal_data, screenshot):
    """The correction and removal forms open in the row on request; every change redraws the
    row and the totals only; the entry form empties itself after recording; and the sheet's
    version each answer brings along lets the submit button work without a reload."""
    import sqlalchemy as sa

    from portal.auth.models import User
    from portal.extensions import db

    user_id = portal_data(lambda: db.session.scalar(
        sa.select(User.id).where(User.username == CORRECTED)))
    total = open_fresh_sheet(page, sign_in, "邓琪", user_id)
    form = page.locator("form.entry-form")
    for reason, points in (("前台迟到 10 分钟", "-2"), ("主动整理展厅资料", "3")):
        form.get_by_label(t("Reason"), exact=True).fill(reason)
        form.get_by_label(t("Points (+ reward, − penalty)")).fill(points)
        form.get_by_label(t("Evidence"), exact=True).fill("主管巡查")
        form.get_by_role("button", name=t("Record the entry")).click()
        expect(page.locator("tr.entry").filter(has_text=reason)).to_have_count(1)
        expect(form.get_by_label(t("Reason"), exact=True)).to_have_value("")  # emptied
    expect(total).to_have_text("101")

    # correct the penalty: its forms are fetched into its row when "Correct" is clicked
    late = page.locator("tr.entry").filter(has_text="前台迟到 10 分钟")
    entry_id = late.get_attribute("id").removeprefix("entry-")
    row = page.locator(f"#entry-{entry_id}")
    expect(row.locator("form")).to_have_count(0)
    row.get_by_role("link", name=t("Correct"), exact=True).click()
    expect(row.locator("form.edit-entry")).to_be_visible()
    expect(row.get_by_label(t("Date"))).to_be_focused()
    settled(page)  # the entries just recorded included: nothing is still on its way
    row.get_by_label(t("Points")).fill("-4")
    row.get_by_role("button", name=t("Save the correction")).click()
    expect(row.locator("td.points")).to_have_text("-4")
    expect(row).to_contain_text(t("Corrections: %(count)d", count=1))
    expect(row.locator("form")).to_have_count(0)
    expect(total).to_have_text("99")
    # the sheet's record shows the earlier value
    expect(page.locator("section.sheet-history")).to_contain_text("前台迟到 10 分钟")

    # a refused correction keeps the form open with the message; "Cancel" closes it
    row.get_by_role("link", name=t("Correct"), exact=True).click()
    points = row.get_by_label(t("Points"))
    # htmx focuses the form's autofocus field once the swap settles: typing before that would
    # lose the keys to it (a person cannot be that quick; a test can)
    expect(row.get_by_label(t("Date"))).to_be_focused()
    points.fill("0")
    expect(points).to_have_value("0")
    row.get_by_role("button", name=t("Save the correction")).click()
    expect(row.locator(".field-error")).to_be_visible()
    expect(row.get_by_label(t("Points"))).to_have_value("0")
    row.get_by_role("link", name=t("Cancel"), exact=True).click()
    expect(row.locator("form")).to_have_count(0)
    expect(row.locator("td.points")).to_have_text("-4")

    # remove the reward: it stays, struck through
    reward = page.locator("tr.entry").filter(has_text="主动整理展厅资料")
    reward.get_by_role("link", name=t("Correct"), exact=True).click()
    page.once("dialog", lambda dialog: dialog.accept())
    reward.get_by_role("button", name=t("Remove"), exact=True).click()
    expect(page.locator("tr.entry.removed")).to_contain_text("主动整理展厅资料")
    expect(total).to_have_text("96")
    screenshot(page, "scoring-sheet-corrected")

    # every change moved the sheet's version on: the submit button carries the new one
    actions = page.locator(".sheet-actions")
    actions.get_by_role("button", name=t("Submit to the manager"), exact=True).click()
    expect(actions.locator(".sheet-state")).to_have_text(t("Submitted"))
    expect(page.locator("form.entry-form")).to_have_count(0)
    assert marker_survived(page), "the page reloaded"


CLEAN = "presales6"  # 黄静: no entries in the demo; no other browser test scores them


def test_the_entry_form_asks_for_evidence_and_comes_back_clean_after_a_catalogue_item(
        page, t, sign_in, portal_data, screenshot):
    """Issue 15, items 2 and 3: an entry without evidence is refused next to the evidence
    field; after an entry from the catalogue the form is empty again, and the free reason
    typed next is recorded as a free entry, not as the catalogue item."""
    import sqlalchemy as sa

    from portal.auth.models import User
    from portal.extensions import db
    from portal.scoring.models import ScoreEntry, ScoreRule

    def load():
        user = db.session.scalar(sa.select(User).where(User.username == CLEAN))
        rule = db.session.scalar(sa.select(ScoreRule).where(ScoreRule.description == "客户表扬"))
        return user.id, rule.id

    user_id, rule_id = portal_data(load)
    total = open_fresh_sheet(page, sign_in, "黄静", user_id)
    form = page.locator("form.entry-form")
    catalogue = form.get_by_label(t("Catalogue item"))
    reason = form.get_by_label(t("Reason"), exact=True)
    points = form.get_by_label(t("Points (+ reward, − penalty)"))
    evidence = form.get_by_label(t("Evidence"), exact=True)

    # +5 客户表扬 from the catalogue, first without evidence: refused at the evidence field
    catalogue.select_option(str(rule_id))
    expect(reason).to_have_value("客户表扬")
    form.get_by_role("button", name=t("Record the entry")).click()
    expect(form.locator("#evidence-error")).to_have_text(
        t("Write the evidence, or link the record it comes from."))
    expect(evidence).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_value("客户表扬")  # the typing is kept
    expect(page.locator("tr.entry")).to_have_count(0)
    expect(total).to_have_text("100")
    evidence.fill("客户在评价中点名表扬")
    form.get_by_role("button", name=t("Record the entry")).click()
    expect(total).to_have_text("105")
    expect(page.locator("tr.entry").filter(has_text="客户表扬").locator(".catalogue-mark")) \
        .to_have_count(1)

    # the form is clean again: no item chosen, nothing typed
    expect(catalogue).to_have_value("")
    expect(reason).to_have_value("")
    expect(points).to_have_value("")
    expect(evidence).to_have_value("")

    # a free reason with −3 is a free entry
    reason.fill("回复客户时语气生硬")
    points.fill("-3")
    evidence.fill("聊天记录 11:02")
    form.get_by_role("button", name=t("Record the entry")).click()
    expect(total).to_have_text("102")
    free = page.locator("tr.entry").filter(has_text="回复客户时语气生硬")
    expect(free.locator("td.points")).to_have_text("-3")
    expect(free.locator(".catalogue-mark")).to_have_count(0)
    expect(catalogue).to_have_value("")
    assert portal_data(lambda: db.session.scalar(
        sa.select(ScoreEntry.rule_id).where(ScoreEntry.reason == "回复客户时语气生硬"))) is None
    assert marker_survived(page), "the page reloaded"
    screenshot(page, "scoring-entry-form-clean")


def test_a_catalogue_item_named_in_english_reads_in_english(page, t, sign_in, portal_data,
                                                             browser, live_server):
    """Issue 15, item 17: the supervisor names a catalogue item in English on the catalogue
    page; a reader who reads English sees the entries from that item, and the item in the
    entry form, in English; the supervisor still reads Chinese."""
    import sqlalchemy as sa

    from portal import clock
    from portal.auth.models import User
    from portal.auth.passwords import hash_password
    from portal.extensions import db
    from portal.scoring.models import ScoreRule
    from tests.e2e.support import DEMO_PASSWORD, VIEWPORT

    def setup():
        rule = db.session.scalar(
            sa.select(ScoreRule).where(ScoreRule.description == "达成销售目标"))
        reader = db.session.scalar(sa.select(User).where(User.username == "supervisor_en"))
        if reader is None:
            db.session.add(User(username="supervisor_en", display_name="Sam Supervisor",
                                role="supervisor", locale="en",
                                password_hash=hash_password(DEMO_PASSWORD)))
        person = db.session.scalar(sa.select(User).where(User.username == "presales2"))
        db.session.commit()
        today = clock.today()
        return rule.id, f"/scores/{today.year}/{today.month}/{person.id}"

    rule_id, sheet_url = portal_data(setup)
    sign_in("supervisor")
    page.goto("/scores/rules")
    row = page.locator(f"#rule-{rule_id}")
    row.locator("summary").filter(has_text=t("Names per language")).click()
    row.get_by_label("English").fill("Sales target reached")
    row.get_by_label("繁體中文").fill("達成銷售目標")
    row.get_by_role("button", name=t("Save"), exact=True).click()
    expect(row.get_by_role("status")).to_have_text(t("Saved."))
    expect(row.get_by_label("English")).to_have_value("Sales target reached")
    # the supervisor reads Simplified Chinese: the item's own text
    page.goto(sheet_url)
    expect(page.locator("tr.entry").filter(has_text="达成销售目标")).to_have_count(1)

    other = browser.new_context(viewport=VIEWPORT, base_url=live_server)
    try:
        reader = other.new_page()
        reader.goto("/login")
        reader.locator("input[name=username]").fill("supervisor_en")
        reader.locator("input[name=password]").fill(DEMO_PASSWORD)
        reader.get_by_role("button", name=t("Sign in"), exact=True).click()
        reader.wait_for_url("/")
        reader.goto(sheet_url)
        expect(reader.locator("tr.entry").filter(has_text="Sales target reached")) \
            .to_have_count(1)
        expect(reader.locator("tr.entry").filter(has_text="达成销售目标")).to_have_count(0)
        option = reader.get_by_label(t("Catalogue item", "en")).locator(
            f'option[value="{rule_id}"]')
        expect(option).to_have_text(re.compile(r"\+\d+ Sales target reached"))
    finally:
        other.close()


LIVE_AT_THE_SWAP = """() => {
  window.__atSwap = null;
  document.body.addEventListener("htmx:afterSwap", function seen() {
    var form = document.querySelector("form.edit-entry");
    if (!form) { return; }  // another part of the page
    document.body.removeEventListener("htmx:afterSwap", seen);
    // a microtask runs once the answer's handling is over, before any timer
    queueMicrotask(function () {
      var data = form["htmx-internal-data"];
      window.__atSwap = {bound: !!(data && data.initHash),
                         focused: document.activeElement ? document.activeElement.id : ""};
    });
  });
}"""


def test_a_form_fetched_into_a_row_is_live_at_the_swap(page, t, sign_in, portal_data):
    """What a swap brings is bound (its form submits by htmx) and its autofocus field focused
    as the answer is swapped in, not a settle delay later (htmx's 20 ms by default, more on a
    busy office PC): an Enter or a click in between sent the form the plain way, a full page
    load, and keys typed in between went to the link just clicked."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.scoring.models import ScoreEntry, ScoreSheet

    def an_open_entry():
        return tuple(db.session.execute(
            sa.select(ScoreEntry.id, ScoreSheet.user_id, ScoreSheet.year, ScoreSheet.month)
            .join(ScoreSheet, ScoreEntry.sheet_id == ScoreSheet.id)
            .where(ScoreSheet.status == "draft", ScoreEntry.removed_at.is_(None))
            .order_by(ScoreEntry.id).limit(1)).one())

    entry_id, user_id, year, month = portal_data(an_open_entry)
    sign_in("supervisor")
    page.goto(f"/scores/{year}/{month}/{user_id}")
    keep_marker(page)
    settled(page)
    page.evaluate(LIVE_AT_THE_SWAP)
    row = page.locator(f"#entry-{entry_id}")
    row.get_by_role("link", name=t("Correct"), exact=True).click()
    page.wait_for_function("() => window.__atSwap !== null")
    assert page.evaluate("window.__atSwap") == {"bound": True, "focused": f"edit-day-{entry_id}"}
    row.get_by_role("link", name=t("Cancel"), exact=True).click()
    expect(row.locator("form")).to_have_count(0)
    assert marker_survived(page)
