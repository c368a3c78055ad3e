"""Score sheets in the browser: the supervisor opens a draft sheet from the month overview,
records a penalty from the catalogue and a free-reason reward, and sees the new rows, the
total and the rank change each time without a reload."""

import re

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

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
    form.get_by_role("button", name=t("Record the entry")).click()
    expect(body.locator(".sheet-total")).to_have_text(str(int(before) + 4))
    expect(page.locator("tr.overview-row").filter(has_text="唐杰").locator("td.total")) \
        .to_have_text(str(int(before) + 4))
    assert marker_survived(page)
    screenshot(page, "scoring-overview-open")
