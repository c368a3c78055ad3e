"""Roster pages over HTTP: every route as a page and as a fragment, the in-place cell edit
with its out-of-band totals, conflicts, bad input, drafts hidden from staff, the export, the
print view, the colour stylesheet, notifications, and queries that do not grow with staff."""

import re
from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.shifts import roster
from portal.shifts.models import CleaningDuty, RosterEntry, RosterMonth, StaffingMinimum
from tests.conftest import count_rows, today
from tests.shifts.conftest import grid_rows, person_days, person_sums

HX = {"HX-Request": "true"}
PLAN = "/roster/plan/2026/11"


@pytest.fixture
def team(shift_types, create_user, freeze, client, sign_in):
    """A signed-in supervisor and a small department; the clock in November 2026."""
    freeze("2026-11-22 09:30")
    supervisor = sign_in(client, create_user("supervisor", display_name="李主管"))
    presales = [create_user("presales", display_name=f"售前{i}") for i in range(5)]
    aftersales = [create_user("aftersales", display_name=f"售后{i}") for i in range(4)]
    return {"supervisor": supervisor, "presales": presales, "aftersales": aftersales,
            "everyone": [supervisor, *presales, *aftersales], "types": shift_types}


def generate(client, team, **extra):
    data = {"staff": [u.id for u in team["everyone"]], "version": _month_version()}
    data.update(extra)
    return client.post(f"{PLAN}/generate", data=data)


def _month_version():
    record = roster.get_month(2026, 11)
    db.session.expire_all()
    return record.version if record else 0


def entry_of(user, day):
    db.session.expire_all()
    return db.session.scalar(sa.select(RosterEntry).where(RosterEntry.user_id == user.id,
                                                          RosterEntry.day == day))


def fragment_ok(response, element_id):
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert f'id="{element_id}"' in html
    return html


# --- pages and fragments --------------------------------------------------------------------


def test_plan_redirects_to_the_current_month(client, team):
    response = client.get("/roster/plan")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(PLAN)


def test_plan_page_and_its_grid_fragment(client, team):
    assert generate(client, team).status_code == 303
    page = client.get(PLAN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert 'href="/roster/shift-types.css"' in html and "css/roster.css" in html
    assert 'id="roster-grid"' in html and 'id="roster-checks"' in html
    assert "js/roster.js" in html
    for person in team["everyone"]:  # every day planned: a shift's class and letter, or rest
        cells = person_days(html, person)
        assert len(cells) == 30
        assert all(text and ("r" in classes or any(re.fullmatch(r"s\d+", c) for c in classes))
                   for classes, text in cells)
    assert "style=" not in html and "<style" not in html
    fragment_ok(client.get(PLAN, headers=HX), "roster-grid")


def test_read_only_month_page_and_fragment_for_everyone_once_published(
        client, team, create_user, sign_in, app):
    generate(client, team)
    staff_client = app.test_client()
    sign_in(staff_client, team["presales"][0])
    draft = staff_client.get("/roster/").get_data(as_text=True)
    assert 'class="roster-grid' not in draft  # a draft is the planners' only
    assert "2026-11" in draft
    assert 'href="/roster/plan' not in draft
    assert client.get("/roster/").status_code == 200  # the planner sees the draft
    assert 'class="roster-grid' in client.get("/roster/2026/11").get_data(as_text=True)

    client.post(f"{PLAN}/publish", data={"version": _month_version()})
    page = staff_client.get("/roster/2026/11")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="roster-grid' in html
    assert "hx-get=" not in html.split('class="roster-grid', 1)[1]  # read-only
    assert team["aftersales"][0].display_name in html
    fragment_ok(staff_client.get("/roster/2026/11", headers=HX), "roster-grid")
    nav = today(staff_client).get_data(as_text=True)
    assert 'href="/roster/"' in nav


def test_staff_cannot_fetch_a_draft_as_xlsx_or_print(client, team, app, sign_in):
    generate(client, team)
    staff_client = app.test_client()
    sign_in(staff_client, team["presales"][0])
    assert staff_client.get("/roster/2026/11/roster.xlsx").status_code == 404
    assert staff_client.get("/roster/2026/11/print").status_code == 404
    assert staff_client.post(f"{PLAN}/publish", data={"version": 1}).status_code == 403
    assert not roster.get_month(2026, 11).is_published


def test_cell_editor_as_fragment_and_as_page(client, team):
    person = team["presales"][0]
    url = f"{PLAN}/cell/{person.id}/3"
    response = client.get(url, headers=HX)
    html = fragment_ok(response, f"c-{person.id}-3")
    assert '<select name="shift"' in html and 'value="rest"' in html
    assert 'name="version" value="0"' in html
    assert 'hx-post=' in html and 'hx-target="closest tr"' in html
    assert len(response.data) < 1500  # the editor is fetched per cell: small
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and f'id="c-{person.id}-3"' in page
    assert "hx-post=" not in page  # without JavaScript a plain form
    # closing the editor brings the person's row back
    view = fragment_ok(client.get(f"{url}?view=1", headers=HX), f"row-{person.id}")
    assert "<select" not in view and len(person_days(view, person)) == 30


def test_the_cell_editor_says_what_the_grid_only_marks(client, team):
    person, types = team["presales"][0], team["types"]
    client.post(f"{PLAN}/cell/{person.id}/3", headers=HX,
                data={"shift": str(types["day"].id), "version": "0"})
    html = client.get(f"{PLAN}/cell/{person.id}/3", headers=HX).get_data(as_text=True)
    assert "(set by hand)" in html
    assert f'<option value="{types["day"].id}" selected>' in html


def test_editing_a_cell_swaps_it_and_updates_the_totals_out_of_band(client, team):
    person, types = team["presales"][0], team["types"]
    response = client.post(f"{PLAN}/cell/{person.id}/3", headers=HX,
                           data={"shift": str(types["night"].id), "version": "0"})
    assert response.status_code == 200
    html = fragment_ok(response, f"row-{person.id}")
    main = html.split("</tr>", 1)[0]  # the person's row is what is swapped
    assert main.lstrip().startswith(f'<tr id="row-{person.id}"') and "hx-swap-oob" not in main
    classes, text = person_days(html, person)[2]
    assert classes == {f"s{types['night'].id}", "f"} and text == "晚"
    assert 'tabindex="0" autofocus' in main  # the edited cell keeps the focus
    assert person_sums(html, person) == (1, 0)
    assert len(response.data) < 5 * 1024
    # the day totals and the checks come by their own request, which the change announces
    assert "roster-changed" in response.headers["HX-Trigger"]
    page = client.get(PLAN).get_data(as_text=True)
    assert (f'hx-get="{PLAN}/summary" hx-trigger="roster-changed from:body" hx-swap="none"'
            in page)
    summary = client.get(f"{PLAN}/summary", headers=HX).get_data(as_text=True)
    assert "<html" not in summary and not summary.replace("\n", "").startswith("<tr>")
    rows = grid_rows(summary)
    assert re.search(rf'<tr class="totals" id="t-presales-{types["night"].id}" hx-swap-oob="true"',
                     summary)
    assert rows[f"t-presales-{types['night'].id}"][2][1] == "1"
    assert rows[f"t-presales-{types['day'].id}"][2][1] == "0"
    assert f't-aftersales-{types["day"].id}' in summary  # every role's totals
    assert 'id="roster-checks" class="roster-checks has-problems"' in summary
    assert 'hx-swap-oob="true"' in summary.split('id="roster-checks"', 1)[1].split(">", 1)[0]
    assert client.get(f"{PLAN}/summary").status_code == 303  # a page: the grid
    entry = entry_of(person, date(2026, 11, 3))
    assert (entry.shift_type_id, entry.fixed) == (types["night"].id, True)
    assert count_rows(AuditEvent, AuditEvent.action == "roster.cell_set") == 1


def test_a_seventh_day_in_a_row_marks_the_whole_run_and_the_checks(client, team):
    person, day_id = team["presales"][0], str(team["types"]["day"].id)
    for d in range(1, 7):
        client.post(f"{PLAN}/cell/{person.id}/{d}", headers=HX,
                    data={"shift": day_id, "version": "0"})
    response = client.post(f"{PLAN}/cell/{person.id}/7", headers=HX,
                           data={"shift": day_id, "version": "0"})
    html = fragment_ok(response, f"row-{person.id}")
    cells = person_days(html, person)
    assert all("lr" in classes for classes, _text in cells[:7])  # the whole run is marked
    assert "lr" not in cells[7][0]
    assert "7 working days in a row" in html  # the row badge, in words
    summary = client.get(f"{PLAN}/summary", headers=HX).get_data(as_text=True)
    assert "7 working days in a row" in summary and "has-problems" in summary
    # back to a rest day: the marks go again
    entry = entry_of(person, date(2026, 11, 7))
    html = client.post(f"{PLAN}/cell/{person.id}/7", headers=HX,
                       data={"shift": "rest", "version": str(entry.version)}
                       ).get_data(as_text=True)
    assert not any("lr" in classes for classes, _text in person_days(html, person))
    assert "working days in a row" not in html


def test_editing_a_cell_without_javascript_redirects_back(client, team):
    person = team["presales"][0]
    response = client.post(f"{PLAN}/cell/{person.id}/4", data={"shift": "rest", "version": "0"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{PLAN}/person/{person.id}")
    assert entry_of(person, date(2026, 11, 4)).shift_type_id is None


def test_without_javascript_a_persons_name_leads_to_their_month_day_by_day(client, team):
    person, types = team["presales"][0], team["types"]
    client.post(f"{PLAN}/cell/{person.id}/4", data={"shift": str(types["day"].id),
                                                   "version": "0"})
    grid = client.get(PLAN).get_data(as_text=True)
    assert f'<a href="{PLAN}/person/{person.id}">{person.display_name}</a>' in grid
    page = client.get(f"{PLAN}/person/{person.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and person.display_name in html
    for day in (1, 4, 30):  # every day leads to its editor
        assert f'href="{PLAN}/cell/{person.id}/{day}"' in html
    assert "白班" in html and "(set by hand)" in html and html.count("Empty") == 29
    assert client.get(f"{PLAN}/person/99999").status_code == 404


def test_the_second_supervisor_gets_a_conflict_with_the_current_cell(client, team):
    person, types = team["presales"][0], team["types"]
    url = f"{PLAN}/cell/{person.id}/5"
    client.post(url, headers=HX, data={"shift": str(types["day"].id), "version": "0"})
    response = client.post(url, headers=HX, data={"shift": str(types["night"].id),
                                                  "version": "0"})
    assert response.status_code == 409
    html = fragment_ok(response, f"row-{person.id}")
    assert f"s{types['day'].id}" in person_days(html, person)[4][0]
    assert "Someone else changed this cell first" in html  # read out in the cell
    assert "portal-toast" in response.headers["HX-Trigger"]
    assert entry_of(person, date(2026, 11, 5)).shift_type_id == types["day"].id


@pytest.mark.parametrize(("url", "data", "status"), [
    ("/roster/plan/2026/13/cell/{uid}/1", {"shift": "rest", "version": "0"}, 404),
    ("/roster/plan/2026/11/cell/{uid}/31", {"shift": "rest", "version": "0"}, 422),
    ("/roster/plan/2026/11/cell/{uid}/2", {"shift": "999", "version": "0"}, 422),
    ("/roster/plan/2026/11/cell/{uid}/2", {"shift": "night-ish", "version": "0"}, 422),
    # a missing or malformed version is a broken form, not the user's typing (the runner: 400)
    ("/roster/plan/2026/11/cell/{uid}/2", {"shift": "rest"}, 400),
    ("/roster/plan/2026/11/cell/{uid}/2", {"shift": "rest", "version": "-1"}, 400),
    ("/roster/plan/2026/11/cell/99999/2", {"shift": "rest", "version": "0"}, 404),
    ("/roster/plan/2026/0/generate", {"staff": ["{uid}"], "version": "0"}, 404),
    ("/roster/plan/1999/5/publish", {"version": "0"}, 404),
    ("/roster/plan/2026/11/cleaning/32", {"person": "{uid}", "token": "-"}, 422),
])
def test_bad_input_is_refused_with_a_message_and_changes_nothing(client, team, url, data,
                                                                  status):
    uid = team["presales"][0].id
    data = {k: ([v.format(uid=uid) for v in val] if isinstance(val, list)
                else val.format(uid=uid)) for k, val in data.items()}
    for headers in ({}, HX):
        response = client.post(url.format(uid=uid), data=data, headers=headers)
        assert response.status_code == status
        if headers:
            assert "portal-toast" in response.headers["HX-Trigger"]
        else:
            assert 'class="error-page"' in response.get_data(as_text=True) or \
                "error" in response.get_data(as_text=True)
    assert count_rows(RosterEntry) == 0 and count_rows(RosterMonth) == 0
    assert count_rows(CleaningDuty) == 0


def test_month_13_page_says_so(client, team):
    response = client.get("/roster/plan/2026/13")
    assert response.status_code == 404
    assert "2026-13" in response.get_data(as_text=True)
    assert client.get("/roster/2026/13").status_code == 404


def test_generate_then_publish_notifies_everyone(client, team):
    response = generate(client, team)
    assert response.status_code == 303
    assert count_rows(RosterEntry) == len(team["everyone"]) * 30
    response = client.post(f"{PLAN}/publish", data={"version": _month_version()})
    assert response.status_code == 303
    assert roster.get_month(2026, 11).is_published
    assert count_rows(Notification) == len(team["everyone"])
    page = client.get(PLAN).get_data(as_text=True)
    assert f'action="{PLAN}/publish"' not in page
    # publishing again (a stale second tab) is refused
    assert client.post(f"{PLAN}/publish", data={"version": 1}).status_code == 409


def test_publish_is_refused_while_someone_works_more_than_six_days_in_a_row(client, team):
    """Issue 15.1: the checks showed the run, yet Publish published and notified everyone."""
    generate(client, team)
    person = team["presales"][0]
    db.session.execute(sa.update(RosterEntry).where(  # eight days in a row, by hand
        RosterEntry.user_id == person.id, RosterEntry.day.between(date(2026, 11, 1),
                                                                  date(2026, 11, 8)))
        .values(shift_type_id=team["types"]["night"].id))
    db.session.commit()
    response = client.post(f"{PLAN}/publish", data={"version": _month_version()})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "售前0" in html and 'class="form-error" role="alert"' in html
    # the list of runs comes with the refusal, each range as long as its count
    (days, first, last), *_ = re.findall(
        r"售前0: (\d+) working days in a row, (\S+) to (\S+)</li>", html)
    assert first == "2026-11-01" and int(days) >= 8
    assert (date.fromisoformat(last) - date.fromisoformat(first)).days + 1 == int(days)
    assert not roster.get_month(2026, 11).is_published
    assert count_rows(Notification) == 0
    # "anyway" does not get past R-S2
    response = client.post(f"{PLAN}/publish", data={"version": _month_version(), "anyway": "y",
                                                    "reason": "忙"})
    assert response.status_code == 422 and not roster.get_month(2026, 11).is_published


def test_publish_below_the_minimum_needs_anyway_and_a_reason(client, team):
    generate(client, team)
    db.session.execute(sa.update(StaffingMinimum).where(StaffingMinimum.role == "presales")
                       .values(minimum=4))
    db.session.commit()
    page = client.get(PLAN).get_data(as_text=True)
    assert 'id="publish-anyway"' in page
    response = client.post(f"{PLAN}/publish", data={"version": _month_version()})
    assert response.status_code == 422
    assert 'id="publish-anyway"' in response.get_data(as_text=True)
    response = client.post(f"{PLAN}/publish", data={"version": _month_version(), "anyway": "y",
                                                    "reason": ""})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert count_rows(Notification) == 0
    response = client.post(f"{PLAN}/publish", data={"version": _month_version(), "anyway": "y",
                                                    "reason": "双十一前人手不足"})
    assert response.status_code == 303 and roster.get_month(2026, 11).is_published
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "roster.published_short"))
    assert event.details["reason"] == "双十一前人手不足"
    assert count_rows(Notification) == len(team["everyone"])


def test_generate_that_cannot_meet_the_minimums_saves_nothing_and_says_where(client, team):
    db.session.execute(sa.update(StaffingMinimum).where(StaffingMinimum.role == "presales")
                       .values(minimum=3))
    db.session.commit()
    response = generate(client, team)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="generate-panel" open' in html
    assert "2026-11-01 白班, " in html and " of 3</li>" in html
    assert count_rows(RosterEntry) == 0 and count_rows(RosterMonth) == 0


def test_generate_with_a_stale_month_version_is_a_conflict(client, team):
    generate(client, team)
    response = client.post(f"{PLAN}/generate", data={"staff": [team["presales"][0].id],
                                                     "version": "0"})
    assert response.status_code == 409
    assert count_rows(RosterEntry) == len(team["everyone"]) * 30


def test_a_stale_generate_shows_the_month_as_it_is_and_keeps_the_people_chosen(client, team):
    generate(client, team)
    chosen = team["presales"][1]
    response = client.post(f"{PLAN}/generate", data={"staff": [chosen.id], "version": "0"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this month first. Check it and generate again." in html
    assert 'id="generate-panel" open' in html and 'class="roster-grid' in html  # the month now
    assert f"name=staff value={chosen.id} checked>" in html  # the choice as sent
    assert html.count(" checked>") == 1
    assert f'name="version" type="hidden" value="{_month_version()}"' in html  # a second try
    assert count_rows(RosterEntry) == len(team["everyone"]) * 30


def test_a_stale_cleaning_duty_keeps_the_number_typed(client, team):
    generate(client, team)
    response = client.post(f"{PLAN}/cleaning", data={"per_day": "3", "version": "1"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="cleaning-panel" open' in html and 'class="roster-grid' in html
    assert 'name="per_day"' in html and 'value="3"' in html.split('name="per_day"', 1)[1][:80]
    assert count_rows(CleaningDuty) == 0


def test_the_generate_form_checks_all_rostered_active_staff(client, team, create_user):
    gone = create_user("presales", display_name="离职者", active=False)
    create_user("manager", display_name="王经理")
    panel = client.get(PLAN).get_data(as_text=True).split('id="generate-panel"', 1)[1]
    panel = panel.split("</details>", 1)[0]
    assert 'name=staff' not in panel  # the form comes when the panel is opened
    assert f'hx-get="{PLAN}/generate" hx-trigger="toggle once"' in panel
    assert f'<a href="{PLAN}/generate">' in panel  # without JavaScript: the page, panel open
    fragment = client.get(f"{PLAN}/generate", headers=HX)
    form = fragment_ok(fragment, "version")
    page = client.get(f"{PLAN}/generate").get_data(as_text=True)
    assert "<html" in page and 'id="generate-panel" open' in page
    for html in (form, page):
        for user in team["everyone"]:
            assert f"name=staff value={user.id} checked>" in html
        assert gone.display_name not in html.split('id="roster-grid"')[0]
        assert "王经理" not in html


def test_the_minimum_staffing_form_comes_when_its_panel_is_opened(client, team):
    html = client.get(PLAN).get_data(as_text=True)
    assert 'name="min_presales_' not in html
    assert f'hx-get="{PLAN}/minimums" hx-trigger="toggle once"' in html
    fragment = fragment_ok(client.get(f"{PLAN}/minimums", headers=HX),
                           f"min_presales_{team['types']['day'].id}")
    assert "<form" in fragment
    page = client.get(f"{PLAN}/minimums").get_data(as_text=True)
    assert 'id="minimums-panel" open' in page and 'name="min_presales_' in page


def test_minimum_staffing_form(client, team):
    types = team["types"]
    field = f"min_presales_{types['night'].id}"
    data = {f"min_{role}_{t.id}": "0" for role in ("supervisor", "presales", "aftersales",
                                                   "order_clerk", "reception")
            for t in types.values()}
    data[field] = "2"
    assert client.post(f"{PLAN}/minimums", data=data).status_code == 303
    assert roster.minimums_map()[("presales", types["night"].id)] == 2
    bad = dict(data, **{field: "-1"})
    response = client.post(f"{PLAN}/minimums", data=bad)
    assert response.status_code == 422
    assert 'id="minimums-panel" open' in response.get_data(as_text=True)
    assert roster.minimums_map()[("presales", types["night"].id)] == 2


def test_cleaning_duty_generate_and_edit_in_place(client, team):
    generate(client, team)
    response = client.post(f"{PLAN}/cleaning", data={"per_day": "1",
                                                     "version": _month_version()})
    assert response.status_code == 303
    assert count_rows(CleaningDuty) == 30
    assert client.post(f"{PLAN}/cleaning", data={"per_day": "9", "version": _month_version()}
                       ).status_code == 422

    grid = roster.load_grid(2026, 11)
    day = date(2026, 11, 7)
    (current,) = grid.cleaning[day]
    other = next(u for u in grid.cleaning_candidates(day) if u.id != current.id)
    editor = fragment_ok(client.get(f"{PLAN}/cleaning/7", headers=HX), "clean-7")
    assert '<select name="person"' in editor and f'value="{other.id}"' in editor
    assert "<html" in client.get(f"{PLAN}/cleaning/7").get_data(as_text=True)
    fragment_ok(client.get(f"{PLAN}/cleaning/7?view=1", headers=HX), "clean-7")
    token = grid.cleaning_token(day)
    response = client.post(f"{PLAN}/cleaning/7", headers=HX,
                           data={"person": str(other.id), "token": token})
    assert response.status_code == 200
    assert other.display_name in fragment_ok(response, "clean-7")
    stale = client.post(f"{PLAN}/cleaning/7", headers=HX,
                        data={"person": str(current.id), "token": token})
    assert stale.status_code == 409
    assert other.display_name in fragment_ok(stale, "clean-7")
    assert db.session.scalars(sa.select(CleaningDuty.user_id)
                              .where(CleaningDuty.day == day)).all() == [other.id]


def test_export_xlsx_opens_with_the_months_cells(client, team):
    generate(client, team)
    response = client.get("/roster/2026/11/roster.xlsx")
    assert response.status_code == 200
    assert "roster-2026-11.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    person = team["presales"][0]
    row = next(r for r in rows if r[0] == person.display_name)
    entry = entry_of(person, date(2026, 11, 1))
    assert row[2] == (entry.shift_type.name if entry.shift_type_id else "Rest") or \
        row[2] == "休"


def test_print_view_is_one_page_of_grid(client, team):
    generate(client, team)
    html = client.get("/roster/2026/11/print").get_data(as_text=True)
    assert 'class="roster-page roster-print"' in html and 'class="roster-grid' in html
    assert "css/roster.css" in html
    assert "hx-get=" not in html.split('class="roster-grid', 1)[1]


def test_roster_css_has_the_page_and_print_rules(app):
    from pathlib import Path

    css = (Path(app.static_folder) / "css" / "roster.css").read_text(encoding="utf-8")
    assert "@page" in css and "landscape" in css and "@media print" in css
    assert ".sidenav" in css.split("@media print", 1)[1]


def test_shift_type_colours_are_served_as_a_stylesheet(client, team):
    team["types"]["night"].colour = "red;}b{"  # 7 characters, as the column holds; never
    # reaches the CSS as written
    db.session.commit()
    response = client.get("/roster/shift-types.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    day_id = team["types"]["day"].id
    assert f".shift-{day_id}, .roster-grid .s{day_id} {{ background: #fde8a8; }}" in css
    assert "b{" not in css and "red" not in css


def test_the_supervisors_today_card(client, team):
    generate(client, team)
    html = today(client).get_data(as_text=True)
    assert 'id="card-roster"' in html and f'href="{PLAN}"' in html


def test_staff_do_not_get_the_planners_card(app, team, sign_in):
    staff_client = app.test_client()
    sign_in(staff_client, team["presales"][0])
    assert 'id="card-roster"' not in today(staff_client).get_data(as_text=True)


def test_plan_page_queries_do_not_grow_with_staff(client, team, create_user, count_queries):
    def queries():
        generate(client, team)
        with count_queries() as counter:
            assert client.get(PLAN).status_code == 200
        return counter.count

    few = queries()
    for i in range(25):
        team["everyone"].append(create_user("aftersales" if i % 2 else "presales"))
    many = queries()
    assert many == few, f"{few} queries with few staff, {many} with many"
    assert few <= 16


def test_roster_changes_read_well_in_the_audit_trail(client, team):
    person = team["presales"][0]
    client.post(f"{PLAN}/cell/{person.id}/3", data={"shift": "rest", "version": "0"})
    html = client.get("/audit/?action=roster.cell_set").get_data(as_text=True)
    table = html.split('id="audit-table"', 1)[1]
    assert "Roster cell set" in table or "值班表" in table
    assert "2026-11" in table and person.display_name in table
    change = re.search(r"<li>[^<]*: — → ([^<]*)</li>", table)
    assert change and change.group(1).strip() != "rest"  # the stored code shown as a label
