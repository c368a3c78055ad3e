"""The supervisor plans a month in the browser: generate (its form comes when the panel is
opened), publish, then edit a cell in place (a click fetches its editor; the keyboard works
too) and see the row and column totals follow without a reload."""

import re

import pytest
import sqlalchemy as sa

from tests.e2e.support import expect, keep_marker, marker_survived, settled

pytestmark = pytest.mark.e2e


def test_supervisor_generates_publishes_and_edits_a_cell_in_place(
        page, t, sign_in, portal_data, screenshot):
    from portal import clock
    from portal.auth.models import User
    from portal.extensions import db
    from portal.shifts import roster
    from portal.shifts.models import ShiftType

    # a month no demo data and no other test touches: the one after next
    year, month = portal_data(lambda: roster.shift_month(clock.today().year,
                                                         clock.today().month, 2))
    person_id = portal_data(lambda: db.session.scalar(
        sa.select(User.id).where(User.username == "presales")))
    day_shift = portal_data(lambda: db.session.scalar(
        sa.select(ShiftType.id).where(ShiftType.code == "day")))
    plan_url = f"/roster/plan/{year}/{month}"

    sign_in("supervisor")
    page.locator("nav.sidenav").get_by_role("link", name=t("Duty roster")).click()
    expect(page).to_have_url("/roster/")
    page.get_by_role("link", name=t("Plan this month")).click()
    expect(page).to_have_url(re.compile(r"/roster/plan/\d+/\d+$"))
    page.goto(plan_url)

    page.locator("#generate-panel summary").click()
    page.get_by_role("button", name=t("Generate the month"), exact=True).click()
    expect(page.locator(".flash-success")).to_be_visible()
    # day 10 of the person's row: the row's heading is its first child
    cell = page.locator(f"#row-{person_id} > td:nth-child(11)")
    expect(cell).to_have_class(re.compile(r"\bs\d+\b|\br\b"))

    page.get_by_role("button", name=t("Publish"), exact=True).click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".roster-head .badge-ok")).to_have_text(t("Published"))
    screenshot(page, "roster-plan")

    worked = page.locator(f"#row-{person_id} > td.sum").first
    rest_days = page.locator(f"#row-{person_id} > td.sum").last
    day_total = page.locator(f"#t-presales-{day_shift} > td:nth-child(11)")
    was_rest = "r" in (cell.get_attribute("class") or "").split()
    was_day = f"s{day_shift}" in (cell.get_attribute("class") or "").split()
    worked_before, rest_before = int(worked.inner_text()), int(rest_days.inner_text())
    day_before = int(day_total.inner_text().split()[0] if day_total.inner_text() else 0)
    keep_marker(page)

    cell.click()
    select = page.locator(f"#c-{person_id}-10 select[name=shift]")
    expect(select).to_be_visible()
    expect(select).to_be_focused()
    select.select_option("rest" if not was_rest else str(day_shift))

    expect(cell).not_to_have_class(re.compile(r"\bediting\b"))
    if was_rest:
        expect(worked).to_have_text(str(worked_before + 1))
        expect(rest_days).to_have_text(str(rest_before - 1))
        expect(day_total).to_contain_text(str(day_before + 1))
    else:
        expect(worked).to_have_text(str(worked_before - 1))
        expect(rest_days).to_have_text(str(rest_before + 1))
        if was_day:
            expect(day_total).to_contain_text(str(day_before - 1))
    expect(cell).to_have_class(re.compile(r"\bf\b"))  # set by hand
    expect(cell).to_be_focused()  # the saved cell keeps the focus
    assert marker_survived(page), "the page was reloaded instead of the cell being swapped"
    screenshot(page, "roster-plan-edited")

    # the keyboard: arrows move through the grid, Enter opens the editor, Escape closes it
    page.keyboard.press("ArrowRight")
    next_cell = page.locator(f"#row-{person_id} > td:nth-child(12)")
    expect(next_cell).to_be_focused()
    page.keyboard.press("Enter")
    editor = page.locator(f"#c-{person_id}-11 select[name=shift]")
    expect(editor).to_be_focused()
    page.keyboard.press("Escape")
    expect(editor).to_have_count(0)
    expect(next_cell).not_to_have_class(re.compile(r"\bediting\b"))
    assert marker_survived(page)


def test_publish_refuses_a_long_run_and_a_shortfall_goes_out_only_anyway_with_a_reason(
        page, t, sign_in, portal_data):
    """Issue 15.1: the checks showed a run of more than six days, yet 发布 published; its
    label counted the previous month's days but its range started on the 1st."""
    from datetime import date, timedelta

    from portal import clock
    from portal.auth.models import User
    from portal.extensions import db
    from portal.shifts import roster
    from portal.shifts.models import RosterEntry, ShiftType, StaffingMinimum

    # months no demo data and no other test touches
    year, month = portal_data(lambda: roster.shift_month(clock.today().year,
                                                         clock.today().month, 4))
    first = date(year, month, 1)

    def setup():
        person = db.session.scalar(sa.select(User).where(User.username == "presales"))
        day = db.session.scalar(sa.select(ShiftType).where(ShiftType.code == "day"))
        before = roster._month_for_change((first - timedelta(days=1)).year,
                                          (first - timedelta(days=1)).month)
        this = roster._month_for_change(year, month)
        for n in range(3):  # the previous month's last three days ...
            db.session.add(RosterEntry(month_id=before.id, user_id=person.id,
                                       day=first - timedelta(days=n + 1), shift_type_id=day.id))
        for n in range(5):  # ... and the first five of this one, set by hand
            db.session.add(RosterEntry(month_id=this.id, user_id=person.id,
                                       day=first + timedelta(days=n), shift_type_id=day.id,
                                       fixed=True))
        db.session.commit()
        return person.id, person.display_name

    person_id, name = portal_data(setup)
    plan_url = f"/roster/plan/{year}/{month}"
    sign_in("supervisor")
    page.goto(plan_url)
    page.locator("#generate-panel summary").click()
    page.get_by_role("button", name=t("Generate the month"), exact=True).click()
    expect(page.locator(".flash-success")).to_be_visible()

    checks = page.locator("#roster-checks")
    line = checks.locator(".check-run").filter(has_text=name)
    start = (first - timedelta(days=3)).isoformat()
    expect(line).to_contain_text(t("%(name)s: %(days)d working days in a row, %(first)s to "
                                   "%(last)s", name=name, days=8, first=start,
                                   last=(first + timedelta(days=4)).isoformat()))

    page.get_by_role("button", name=t("Publish"), exact=True).click()
    refusal = page.locator(".publish-refusal .form-error")
    expect(refusal).to_contain_text(name)
    expect(page.locator(".roster-head .badge-warn")).to_have_text(t("Draft"))
    assert portal_data(lambda: roster.get_month(year, month).status) == "draft"

    # the supervisor gives the fourth day a rest: the run is gone
    cell = page.locator(f"#row-{person_id} > td:nth-child(5)")
    cell.click()
    editor = page.locator(f"#c-{person_id}-4 select[name=shift]")
    expect(editor).to_be_visible()
    # htmx binds the fetched editor's change trigger once it has settled
    settled(page)
    editor.select_option("rest")
    # that run is gone (the generator may still have made another run of theirs later in the
    # month around the fixed days; it is not this one, which began in the previous month)
    expect(line.filter(has_text=start)).to_have_count(0)

    # a shortfall (a minimum raised past who is planned) goes out only "anyway", with a reason
    def set_minimum(row_id, value):
        def change():
            db.session.execute(sa.update(StaffingMinimum).where(StaffingMinimum.id == row_id)
                               .values(minimum=value))
            db.session.commit()
        return change

    row_id, minimum = portal_data(lambda: tuple(db.session.execute(sa.select(
        StaffingMinimum.id, StaffingMinimum.minimum).where(
        StaffingMinimum.role == "presales").limit(1)).one()))
    portal_data(set_minimum(row_id, 99))
    try:
        page.goto(plan_url)
        page.get_by_role("button", name=t("Publish"), exact=True).click()
        expect(page.locator(".publish-refusal .form-error")).to_be_visible()
        expect(page.locator(".roster-head .badge-warn")).to_have_text(t("Draft"))
        anyway = page.locator("#publish-anyway")
        expect(anyway).to_have_attribute("open", "")
        anyway.get_by_label(t("Why publish below the minimum staffing")).fill("两人病假，已排兼职")
        anyway.get_by_role("button", name=t("Publish anyway"), exact=True).click()
        expect(page.locator(".flash-success")).to_be_visible()
        expect(page.locator(".roster-head .badge-ok")).to_have_text(t("Published"))
    finally:
        portal_data(set_minimum(row_id, minimum))


def test_the_today_page_shows_only_ones_own_shift_state(page, t, sign_in):
    """Issue 15.15: the manager's Today page listed seven "不在已发布的值班表上" lines."""
    sign_in("manager")
    expect(page.locator(".card").first).not_to_have_class(re.compile(r"\bcard-loading\b"))
    page.wait_for_load_state("networkidle")
    expect(page.locator("#card-my-week")).to_have_count(0)
    expect(page.get_by_text(t("Not on the published roster"))).to_have_count(0)
    page.get_by_role("button", name=t("Sign out"), exact=True).click()

    sign_in("supervisor")
    card = page.locator("#card-my-week")
    expect(card.locator(".department-today")).to_be_visible()
    expect(card.locator(".department-today")).to_have_count(1)
    assert card.get_by_text(t("Not on the published roster")).count() <= 1


def test_the_supervisor_names_a_shift_type_in_english_and_english_readers_see_it(
        page, t, sign_in, portal_data):
    """Issue 15.17: shift types are data, and their names stayed Chinese in English."""
    from portal.extensions import db
    from portal.shifts.models import ShiftType

    def reset():
        db.session.execute(sa.update(ShiftType).values(names=None))
        db.session.commit()

    sign_in("supervisor2")  # 冯主管: an account no other browser test switches languages
    try:
        page.goto("/roster/plan")
        page.get_by_role("link", name=t("Shift types"), exact=True).click()
        night = page.locator("section.shift-type").filter(has_text="16:00–24:00")
        night.get_by_label(t("Name (English)")).fill("Night shift")
        night.get_by_label(t("Name (繁體中文)")).fill("晚班")
        night.get_by_role("button", name=t("Save"), exact=True).click()
        expect(page.locator(".flash-success")).to_be_visible()

        page.locator("form.language-switch button[value=en]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.goto("/roster/")
        expect(page.locator(".roster-legend")).to_contain_text("Night shift 16:00–24:00")
        # a language left empty shows the default name
        expect(page.locator(".roster-legend")).to_contain_text("白班 08:00–16:00")
    finally:
        page.locator("form.language-switch button[value=zh_CN]").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        portal_data(reset)
