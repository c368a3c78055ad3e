"""Roster services without HTTP: the month grid and its checks, editing a cell, generating,
publishing, minimum staffing, cleaning duty, the Today card and the .xlsx export."""

from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.shifts import roster
from portal.shifts.models import CleaningDuty, RosterEntry, RosterMonth, StaffingMinimum
from portal.shifts.roster import RosterError
from tests.conftest import count_rows

NOV = (2026, 11)
NOV_DAYS = [date(2026, 11, d) for d in range(1, 31)]


@pytest.fixture(autouse=True)
def request_context(app):
    """Services translate their messages: they run inside a request (English here)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask import session

        session["locale"] = "en"
        yield


@pytest.fixture
def department(shift_types, create_user, freeze):
    """A supervisor, five pre-sales, four after-sales, two order clerks, a manager."""
    freeze("2026-11-22 09:30")
    people = {
        "supervisor": create_user("supervisor", display_name="李主管"),
        "manager": create_user("manager", display_name="王经理"),
        "presales": [create_user("presales", display_name=f"售前{i}") for i in range(5)],
        "aftersales": [create_user("aftersales", display_name=f"售后{i}") for i in range(4)],
        "clerks": [create_user("order_clerk", display_name=f"打单{i}") for i in range(2)],
    }
    people["types"] = shift_types
    people["everyone"] = [people["supervisor"], *people["presales"], *people["aftersales"],
                          *people["clerks"]]
    return people


def put(user, day, shift=None, *, fixed=False):
    """A cell written straight to the database (the month made if needed)."""
    record = roster._month_for_change(day.year, day.month)
    entry = RosterEntry(month_id=record.id, user_id=user.id, day=day,
                        shift_type_id=shift.id if shift is not None else None, fixed=fixed)
    db.session.add(entry)
    db.session.commit()
    return entry


def cells_of(user, year=2026, month=11):
    days = roster.month_days(year, month)
    rows = db.session.execute(sa.select(RosterEntry.day, RosterEntry.shift_type_id)
                              .where(RosterEntry.user_id == user.id,
                                     RosterEntry.day.between(days[0], days[-1])))
    return dict(rows.all())


def test_the_grid_groups_active_staff_by_role_and_keeps_a_deactivated_person_with_cells(
        department):
    gone = department["presales"][4]
    put(gone, NOV_DAYS[0], department["types"]["day"])
    gone.active = False
    db.session.commit()
    grid = roster.load_grid(*NOV)
    assert [g.role for g in grid.groups] == ["supervisor", "presales", "aftersales",
                                             "order_clerk"]
    names = [u.display_name for u in grid.people]
    assert "王经理" not in names and gone.display_name in names
    assert grid.inactive == [gone]
    assert grid.problem_count >= 1


def test_month_13_and_a_day_outside_the_month_are_refused(department):
    with pytest.raises(RosterError) as error:
        roster.load_grid(2026, 13)
    assert error.value.status == 404
    with pytest.raises(RosterError):
        roster.set_cell(department["supervisor"], 2026, 11, department["presales"][0],
                        date(2026, 12, 1), None, 0)
    assert count_rows(RosterEntry) == 0 and count_rows(RosterMonth) == 0


def test_setting_a_cell_by_hand_fixes_it_and_is_audited(department):
    person, day_type = department["presales"][0], department["types"]["day"]
    entry = roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[2],
                            day_type.id, 0)
    assert (entry.shift_type_id, entry.fixed, entry.version) == (day_type.id, True, 1)
    roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[2], None, 1)
    assert cells_of(person) == {NOV_DAYS[2]: None}
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "roster.cell_set").order_by(AuditEvent.id)).all()
    assert [e.changes["shift"] for e in events] == [[None, "白班"], ["白班", "rest"]]
    assert events[0].details == {"person": person.display_name, "day": "2026-11-03"}
    assert roster.get_month(*NOV).status == "draft"
    roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[2], roster.CLEAR, 2)
    assert cells_of(person) == {}


def test_the_roster_services_flush_and_leave_the_commit_to_the_runner(department):
    """A rollback after the services (as the runner does on an error) leaves nothing."""
    person, types = department["presales"][0], department["types"]
    roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[0], types["day"].id, 0)
    roster.generate(department["supervisor"], *NOV, everyone_ids(department),
                    roster.get_month(*NOV).version)
    roster.generate_cleaning(department["supervisor"], *NOV, 1, roster.get_month(*NOV).version)
    roster.publish(department["supervisor"], *NOV, roster.get_month(*NOV).version)
    db.session.rollback()
    assert count_rows(RosterEntry) == count_rows(RosterMonth) == count_rows(CleaningDuty) == 0
    assert count_rows(Notification) == count_rows(AuditEvent) == 0


def test_a_refusal_carries_an_untranslated_message_and_its_params(department):
    with pytest.raises(RosterError) as refused:
        roster.set_cell(department["supervisor"], *NOV, department["manager"], NOV_DAYS[0],
                        None, 0)
    assert refused.value.message == "%(name)s does not work shifts."
    assert refused.value.params == {"name": department["manager"].display_name}


def test_a_stale_cell_version_is_a_conflict_and_changes_nothing(department):
    person, types = department["presales"][0], department["types"]
    roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[0], types["day"].id, 0)
    db.session.commit()  # the first request's end (the runner commits)
    with pytest.raises(Conflict):  # the second supervisor still saw an empty cell
        roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[0],
                        types["night"].id, 0)
    db.session.rollback()
    assert cells_of(person) == {NOV_DAYS[0]: types["day"].id}


def test_unknown_shift_types_and_deactivated_people_are_refused(department):
    with pytest.raises(RosterError):
        roster.parse_choice("9999")
    with pytest.raises(RosterError):
        roster.parse_choice("night")
    assert roster.parse_choice("rest") is None and roster.parse_choice("") == roster.CLEAR
    gone = department["presales"][1]
    gone.active = False
    db.session.commit()
    with pytest.raises(RosterError):
        roster.set_cell(department["supervisor"], *NOV, gone, NOV_DAYS[0],
                        department["types"]["day"].id, 0)
    with pytest.raises(RosterError):  # a manager works no shifts
        roster.set_cell(department["supervisor"], *NOV, department["manager"], NOV_DAYS[0],
                        department["types"]["day"].id, 0)
    assert count_rows(RosterEntry) == 0


def everyone_ids(department):
    return [u.id for u in department["everyone"]]


def test_generate_fills_the_month_keeping_fixed_cells(department):
    types, person = department["types"], department["presales"][0]
    roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[9], types["night"].id, 0)
    roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[10], None, 0)
    version = roster.get_month(*NOV).version
    result = roster.generate(department["supervisor"], *NOV, everyone_ids(department), version)
    assert result.plan.feasible
    assert count_rows(RosterEntry) == len(department["everyone"]) * 30
    assert cells_of(person)[NOV_DAYS[9]] == types["night"].id
    assert cells_of(person)[NOV_DAYS[10]] is None
    fixed = db.session.scalars(sa.select(RosterEntry).where(RosterEntry.fixed.is_(True))).all()
    assert len(fixed) == 2
    grid = roster.load_grid(*NOV)
    assert grid.long_runs == [] and grid.shortfalls == []
    assert roster.get_month(*NOV).version > version
    assert db.session.scalar(sa.select(AuditEvent.details).where(
        AuditEvent.action == "roster.generated"))["people"] == len(department["everyone"])


def test_generate_continues_from_the_previous_month_without_a_seven_day_run(department):
    types, person = department["types"], department["presales"][0]
    for d in range(25, 32):  # works 25..31 October: six days ... and the 31st too
        put(person, date(2026, 10, d), types["day"])
    assert roster.carry_in(date(2026, 11, 1))[person.id] == 7
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    assert cells_of(person)[NOV_DAYS[0]] is None  # rests at once
    other = department["presales"][1]
    for d in range(27, 32):  # five days at the end of October
        put(other, date(2026, 10, d), types["day"])
    roster.generate(department["supervisor"], *NOV, everyone_ids(department),
                    roster.get_month(*NOV).version)
    first_rest = min(d for d, s in cells_of(other).items() if s is None)
    assert first_rest <= NOV_DAYS[1]


def test_generate_saves_nothing_and_names_the_shortfall_when_minimums_cannot_be_met(
        department):
    db.session.execute(sa.update(StaffingMinimum).where(StaffingMinimum.role == "aftersales")
                       .values(minimum=3))
    db.session.commit()
    with pytest.raises(roster.ShortStaffed) as refused:
        roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    short = refused.value.plan.shortfalls[0]
    assert short.role == "aftersales" and short.day == NOV_DAYS[0]
    assert count_rows(RosterEntry) == 0 and count_rows(RosterMonth) == 0


def test_people_left_out_lose_generated_cells_but_keep_fixed_ones(department):
    types = department["types"]
    left_out = department["presales"][4]
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    roster.set_cell(department["supervisor"], *NOV, left_out, NOV_DAYS[0], types["night"].id,
                    db.session.scalar(sa.select(RosterEntry.version).where(
                        RosterEntry.user_id == left_out.id, RosterEntry.day == NOV_DAYS[0])))
    ids = [i for i in everyone_ids(department) if i != left_out.id]
    roster.generate(department["supervisor"], *NOV, ids, roster.get_month(*NOV).version)
    assert cells_of(left_out) == {NOV_DAYS[0]: types["night"].id}


def test_generate_refuses_an_empty_choice_and_inactive_people(department):
    with pytest.raises(RosterError):
        roster.generate(department["supervisor"], *NOV, [], 0)
    with pytest.raises(RosterError):
        roster.generate(department["supervisor"], *NOV, [department["manager"].id], 0)
    with pytest.raises(Conflict):
        roster.generate(department["supervisor"], *NOV, everyone_ids(department), 5)


def test_publishing_notifies_each_rostered_person_once(department):
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    count = roster.publish(department["supervisor"], *NOV, roster.get_month(*NOV).version)
    assert count == len(department["everyone"])
    notes = db.session.scalars(sa.select(Notification)).all()
    assert sorted(n.user_id for n in notes) == sorted(everyone_ids(department))
    assert {n.link for n in notes} == {"/roster/2026/11"}
    assert notes[0].params == {"month": "2026-11"}
    record = roster.get_month(*NOV)
    assert record.is_published and record.published_by_id == department["supervisor"].id
    with pytest.raises(RosterError):
        roster.publish(department["supervisor"], *NOV, record.version)


def _force_long_run(department, person):
    """Generate the month, then give ``person`` eight working days in a row by hand."""
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    for day in NOV_DAYS[:8]:
        entry = db.session.scalar(sa.select(RosterEntry).where(
            RosterEntry.user_id == person.id, RosterEntry.day == day))
        entry.shift_type_id = department["types"]["night"].id
    db.session.commit()


def test_a_month_with_more_than_six_days_in_a_row_is_not_published(department):
    """Issue 15.1: R-S2 holds at publishing, whatever else is asked (even "anyway")."""
    person = department["presales"][0]
    _force_long_run(department, person)
    for anyway in (False, True):
        with pytest.raises(RosterError) as refused:
            roster.publish(department["supervisor"], *NOV, roster.get_month(*NOV).version,
                           anyway=anyway, reason="busy month")
        assert refused.value.params == {"names": person.display_name}
    assert roster.get_month(*NOV).status == "draft"
    assert count_rows(Notification) == 0


def test_a_shortfall_is_published_only_anyway_with_a_reason_on_the_audit_trail(department):
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    # after planning, the minimum of the day shift's pre-sales is raised past who is on it
    roster.set_minimums(department["supervisor"], {("presales", department["types"]["day"].id): 5})
    db.session.commit()
    short_days = len({s.day for s in roster.load_grid(*NOV).shortfalls})
    assert short_days == 30
    version = roster.get_month(*NOV).version
    with pytest.raises(RosterError) as refused:
        roster.publish(department["supervisor"], *NOV, version)
    assert refused.value.params == {"count": short_days}
    with pytest.raises(RosterError) as refused:
        roster.publish(department["supervisor"], *NOV, version, anyway=True, reason="  ")
    assert refused.value.field == "reason"
    assert roster.get_month(*NOV).status == "draft" and count_rows(Notification) == 0
    roster.publish(department["supervisor"], *NOV, version, anyway=True,
                   reason="两人病假，已找兼职")
    assert roster.get_month(*NOV).is_published
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "roster.published_short"))
    assert event.details["reason"] == "两人病假，已找兼职"
    assert event.details["short_days"] == short_days


def test_an_empty_month_cannot_be_published(department):
    with pytest.raises(RosterError):
        roster.publish(department["supervisor"], *NOV, 0)


def test_a_change_to_a_published_month_notifies_only_the_person_affected(department):
    types, person = department["types"], department["presales"][2]
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    roster.publish(department["supervisor"], *NOV, roster.get_month(*NOV).version)
    db.session.execute(sa.delete(Notification))
    entry = db.session.scalar(sa.select(RosterEntry).where(RosterEntry.user_id == person.id,
                                                           RosterEntry.day == NOV_DAYS[5]))
    new = types["night"].id if entry.shift_type_id != types["night"].id else types["day"].id
    roster.set_cell(department["supervisor"], *NOV, person, NOV_DAYS[5], new, entry.version)
    (note,) = db.session.scalars(sa.select(Notification)).all()
    assert note.user_id == person.id
    assert note.params["day"] == "2026-11-06"


def test_checks_find_long_runs_across_the_boundary_and_short_shifts(department):
    types, person = department["types"], department["presales"][0]
    for d in range(28, 32):
        put(person, date(2026, 10, d), types["day"])
    for day in NOV_DAYS[:3]:
        put(person, day, types["day"], fixed=True)
    grid = roster.load_grid(*NOV)
    (run,) = grid.long_runs
    assert (run.first_day, run.last_day, run.length) == (NOV_DAYS[0], NOV_DAYS[2], 7)
    # issue 15.1: "13 days, 2027-01-01 to 2027-01-11": the range starts where the run does
    assert run.start == date(2026, 10, 28)
    assert run.length == (run.last_day - run.start).days + 1
    assert grid.in_long_run(person, NOV_DAYS[1])
    # one pre-sales on the day shift where two are needed, nobody at night
    assert grid.is_short("presales", types["day"].id, NOV_DAYS[0])
    assert grid.total("presales", types["day"].id, NOV_DAYS[0]) == 1
    assert grid.row(person) == (3, 0)


def test_minimums_are_changed_audited_and_checked(department):
    types = department["types"]
    changed = roster.set_minimums(department["supervisor"],
                                  {("presales", types["night"].id): 2,
                                   ("order_clerk", types["day"].id): 1,
                                   ("presales", types["day"].id): 2})
    assert changed == 2
    assert roster.minimums_map()[("order_clerk", types["day"].id)] == 1
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "roster.minimums_set"))
    assert event.changes["presales/晚班"] == [1, 2]
    with pytest.raises(RosterError):
        roster.set_minimums(department["supervisor"], {("presales", types["day"].id): 100})
    with pytest.raises(RosterError):
        roster.set_minimums(department["supervisor"], {("manager", types["day"].id): 1})


def test_cleaning_duty_rotates_fairly_among_day_shift_staff(department):
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    made = roster.generate_cleaning(department["supervisor"], *NOV, per_day=1)
    assert made == 30
    duties = db.session.scalars(sa.select(CleaningDuty)).all()
    day_id = department["types"]["day"].id
    for duty in duties:
        entry = db.session.scalar(sa.select(RosterEntry).where(
            RosterEntry.user_id == duty.user_id, RosterEntry.day == duty.day))
        assert entry.shift_type_id == day_id
        assert duty.user.role != "supervisor"
    counts = {}
    for duty in duties:
        counts[duty.user_id] = counts.get(duty.user_id, 0) + 1
    eligible = [u for u in department["everyone"] if u.role != "supervisor"]
    assert len(counts) == len(eligible)
    assert max(counts.values()) - min(counts.values()) <= 2
    assert roster.generate_cleaning(department["supervisor"], *NOV, per_day=2) == 60
    with pytest.raises(RosterError):
        roster.generate_cleaning(department["supervisor"], *NOV, per_day=0)


def test_a_days_cleaning_duty_is_changed_with_a_conflict_check(department):
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    roster.generate_cleaning(department["supervisor"], *NOV)
    roster.publish(department["supervisor"], *NOV, roster.get_month(*NOV).version)
    db.session.execute(sa.delete(Notification))
    day = NOV_DAYS[3]
    grid = roster.load_grid(*NOV)
    (before,) = grid.cleaning[day]
    after = next(u for u in grid.cleaning_candidates(day) if u.id != before.id)
    roster.set_cleaning_day(department["supervisor"], *NOV, day, [after.id],
                            grid.cleaning_token(day))
    assert db.session.scalars(sa.select(CleaningDuty.user_id)
                              .where(CleaningDuty.day == day)).all() == [after.id]
    notes = {n.user_id: n.message for n in db.session.scalars(sa.select(Notification))}
    assert set(notes) == {before.id, after.id}
    with pytest.raises(Conflict):  # the token the first editor saw is stale now
        roster.set_cleaning_day(department["supervisor"], *NOV, day, [before.id],
                                grid.cleaning_token(day))


def test_the_supervisors_card_lists_drafts_and_this_weeks_shortfalls(department):
    person, types = department["presales"][0], department["types"]
    put(person, date(2026, 11, 23), types["day"])
    context = roster.card_context(department["supervisor"])
    assert [(m["label"], m["status"]) for m in context["months"]] == [("2026-11", "draft"),
                                                                     ("2026-12", "none")]
    short = {(s["day"], s["role"], s["shift"]) for s in context["shortfalls"]}
    assert (date(2026, 11, 23), "presales", "白班") in short
    assert (date(2026, 11, 23), "aftersales", "晚班") in short


def test_the_xlsx_export_has_names_shifts_totals_and_cleaning_duty(department):
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    roster.generate_cleaning(department["supervisor"], *NOV)
    grid = roster.load_grid(*NOV)
    book = load_workbook(BytesIO(roster.export_xlsx(grid)))
    sheet = book["2026-11"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].endswith("2026-11")
    assert rows[1][2].startswith("1 ") and len(rows[1]) == 2 + 30 + 2
    person = department["presales"][0]
    row = next(r for r in rows if r[0] == person.display_name)
    cells = cells_of(person)
    expected = ["白班" if cells[d] == department["types"]["day"].id else
                "晚班" if cells[d] else "Rest" for d in NOV_DAYS]
    assert list(row[2:32]) == expected
    assert row[32:34] == grid.row(person)
    cleaning = next(r for r in rows if r[0] == "Cleaning duty")
    assert cleaning[2] == grid.cleaning[NOV_DAYS[0]][0].display_name
    totals = next(r for r in rows if r[0] and "白班" in r[0] and r[1] == "Total")
    assert totals[2] == grid.total(department["supervisor"].role,
                                   department["types"]["day"].id, NOV_DAYS[0])


def test_the_xlsx_export_writes_names_as_text_never_formulas(department):
    """Issue 16 item 2: a staff name like ``=1+2`` is a name in the workbook, not a formula,
    and a control character in it does not break the export."""
    person = department["presales"][0]
    person.display_name = "=1+2\x01"
    roster.generate(department["supervisor"], *NOV, everyone_ids(department), 0)
    book = load_workbook(BytesIO(roster.export_xlsx(roster.load_grid(*NOV))))
    cells = [c for row in book["2026-11"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any(c.value == "=1+2" and c.data_type == "s" for c in cells)


def test_the_grid_draws_a_row_compactly_and_keeps_a_switched_off_shift_type(department):
    types, person = department["types"], department["presales"][0]
    put(person, NOV_DAYS[0], types["day"], fixed=True)
    put(person, NOV_DAYS[1], types["night"])
    put(person, NOV_DAYS[2])
    types["night"].active = False
    db.session.commit()
    grid = roster.load_grid(*NOV)
    assert types["night"] in grid.shift_types  # still on the roster, so still on the grid
    cells = str(grid.day_cells(person, focus=NOV_DAYS[2], message="<b>stale</b>"))
    assert cells.startswith(f'<td class="s{types["day"].id} f">白<td class=s{types["night"].id}>晚'
                            '<td class=r tabindex="0" autofocus>R')
    assert "&lt;b&gt;stale&lt;/b&gt;" in cells and cells.count("<td") == 30
    assert [grid.cell_name(grid.cell(person, d)) for d in NOV_DAYS[:4]] == \
        ["白班", "晚班", "Rest", ""]
    assert roster.day_ranges([9, 1, 2, 3, 5, 7, 8]) == "1–3, 5, 7–9"
