"""Overtime (R-S3): the actual end after a night shift, with the clock frozen in Asia/Shanghai."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.shifts import overtime as ot
from portal.shifts.models import OvertimeRecord
from tests.conftest import count_rows, today
from tests.shifts.conftest import HX, hx

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def agent(client, create_user, sign_in, roster):
    user = sign_in(client, create_user("presales", display_name="周婷", locale="en"))
    roster(user, {21: "day", 22: "night", 23: None, 30: "night"})
    roster(user, {1: "day", 31: "night"}, month=12)
    return user


def post(client, day="2026-11-22", end="00:40", note="顾客咨询退货", headers=None):
    return client.post("/roster/overtime/new", headers=headers or {},
                       data={"day": day, "end_time": end, "note": note})


def only_record() -> OvertimeRecord:
    return db.session.scalars(sa.select(OvertimeRecord)).one()


def test_00_40_after_the_night_shift_is_the_next_date_and_belongs_to_the_shift(client, agent,
                                                                              freeze):
    freeze("2026-11-23 01:05")
    response = post(client)
    assert response.status_code == 303
    record = only_record()
    assert record.day == date(2026, 11, 22)  # the shift's own date
    assert record.minutes == 40
    assert clock.local(record.actual_end_at) == datetime(2026, 11, 23, 0, 40, tzinfo=SHANGHAI)
    assert record.actual_end_at.astimezone(UTC) == datetime(2026, 11, 22, 16, 40, tzinfo=UTC)
    assert record.shift_type.code == "night" and record.note == "顾客咨询退货"
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "shifts.overtime_recorded"))
    assert event.changes["minutes"] == [None, 40]


@pytest.mark.parametrize(("now", "day", "end", "message"), [
    ("2026-11-23 01:05", "2026-11-22", "23:50", "ended at 24:00; 23:50 is not after its end"),
    ("2026-11-23 01:05", "2026-11-22", "00:00", "ended at 24:00; 00:00 is not after its end"),
    ("2026-11-23 01:05", "2026-11-22", "16:30", "ended at 24:00; 16:30 is not after its end"),
    ("2026-11-22 23:30", "2026-11-22", "00:40", "2026-11-23 00:40 is still to come"),
    ("2026-11-23 09:00", "2026-11-22", "07:30", "is more than 6 hours after the shift"),
    ("2026-11-23 01:05", "2026-11-23", "00:40", "You were not on a shift on 2026-11-23."),
    ("2026-11-23 01:05", "2026-11-20", "00:40", "You were not on a shift on 2026-11-20."),
    ("2026-11-23 01:05", "2026-11-24", "00:40", "the last 14 days"),
    ("2026-12-20 01:05", "2026-11-22", "00:40", "the last 14 days"),
    ("2026-11-23 01:05", "2026-11-22", "24:00", "Not a valid time value"),
    ("2026-11-23 01:05", "2026-11-22", "", "Enter the time you finished"),
    ("2026-11-23 01:05", "", "00:40", "Choose the shift."),
    ("2026-11-23 01:05", "yesterday", "00:40", "Choose the shift."),
])
def test_bad_end_times_are_refused_with_a_message_and_nothing_saved(client, agent, freeze, now,
                                                                   day, end, message):
    freeze(now)
    for headers in ({}, HX):
        response = post(client, day, end, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 422, body[:300]
        assert message in body
    assert count_rows(OvertimeRecord) == 0


def test_a_day_shift_overtime_is_on_the_same_date(client, agent, freeze):
    freeze("2026-11-21 17:00")
    assert post(client, "2026-11-21", "16:25").status_code == 303
    record = only_record()
    assert clock.local(record.actual_end_at) == datetime(2026, 11, 21, 16, 25, tzinfo=SHANGHAI)
    assert record.minutes == 25


def test_the_last_night_of_the_month_stays_in_that_month(client, agent, create_user, sign_in,
                                                         freeze):
    freeze("2026-12-01 00:45")
    assert post(client, "2026-11-30", "00:30").status_code == 303
    record = only_record()
    assert record.day == date(2026, 11, 30) and record.minutes == 30
    assert clock.local(record.actual_end_at).date() == date(2026, 12, 1)
    boss = client.application.test_client()
    sign_in(boss, create_user("supervisor"))
    november = boss.get("/roster/overtime?month=2026-11").get_data(as_text=True)
    december = boss.get("/roster/overtime?month=2026-12").get_data(as_text=True)
    assert "周婷" in november and "2026-12-01 00:30" in november
    assert "周婷" not in december.split('class="panel staff-overtime"')[0]  # the report part


def test_new_years_eve_night_belongs_to_the_old_year(client, agent, freeze):
    freeze("2027-01-01 01:00")
    assert post(client, "2026-12-31", "00:20").status_code == 303
    record = only_record()
    assert record.day == date(2026, 12, 31) and record.minutes == 20
    assert clock.local(record.actual_end_at) == datetime(2027, 1, 1, 0, 20, tzinfo=SHANGHAI)
    assert ot.records_of(agent, 2026, 12) == [record]
    assert ot.records_of(agent, 2027, 1) == []


def test_one_record_per_shift(client, agent, freeze):
    freeze("2026-11-23 01:05")
    assert post(client).status_code == 303
    again = post(client, end="00:50")
    assert again.status_code == 422 and "already recorded" in again.get_data(as_text=True)
    assert only_record().minutes == 40


def test_record_by_htmx_answers_with_the_overtime_block(client, agent, freeze):
    freeze("2026-11-23 01:05")
    response = post(client, headers=hx("my-overtime"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section id="my-overtime"')
    assert "Overtime recorded: 40 min after the 晚班 of 2026-11-22." in body
    assert "overtime-changed" in response.headers["HX-Trigger"]


def test_the_form_offers_my_recent_shifts_night_first(client, agent, freeze):
    freeze("2026-11-23 10:00")
    html = client.get("/roster/me").get_data(as_text=True)
    form = html.split('id="my-overtime"', 1)[1].split("</form>", 1)[0]
    assert '<option selected value="2026-11-22">2026-11-22 晚班 16:00–24:00</option>' in form
    assert 'value="2026-11-21"' in form and 'value="2026-11-23"' not in form


def test_the_author_edits_with_a_version_check(client, agent, freeze):
    freeze("2026-11-23 02:00")
    post(client)
    record = only_record()
    form = client.get(f"/roster/overtime/{record.id}/edit", headers=HX)
    body = form.get_data(as_text=True)
    assert form.status_code == 200 and body.lstrip().startswith(f'<tr id="overtime-{record.id}"')
    assert 'value="00:40"' in body and "<html" not in body
    version = record.version
    saved = client.post(f"/roster/overtime/{record.id}", headers=HX,
                        data={"version": version, "end_time": "01:15", "note": "改"})
    assert saved.status_code == 200 and "1 h 15 min" in saved.get_data(as_text=True)
    db.session.refresh(record)
    assert record.minutes == 75 and record.note == "改"
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "shifts.overtime_changed"))
    assert event.changes["minutes"] == [40, 75]
    stale = client.post(f"/roster/overtime/{record.id}", headers=HX,
                        data={"version": version, "end_time": "00:30", "note": ""})
    assert stale.status_code == 409
    assert "1 h 15 min" in stale.get_data(as_text=True)  # the current state
    db.session.refresh(record)
    assert record.minutes == 75
    bad = client.post(f"/roster/overtime/{record.id}", headers=HX,
                      data={"version": record.version, "end_time": "23:00"})
    assert bad.status_code == 422 and "not after its end" in bad.get_data(as_text=True)
    db.session.refresh(record)
    assert record.minutes == 75


def test_edit_without_htmx_redirects_back(client, agent, freeze):
    freeze("2026-11-23 02:00")
    post(client)
    record = only_record()
    page = client.get(f"/roster/overtime/{record.id}/edit")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    response = client.post(f"/roster/overtime/{record.id}",
                           data={"version": record.version, "end_time": "00:55"})
    assert response.status_code == 303 and "month=2026-11" in response.headers["Location"]


def test_only_the_author_edits(app, client, agent, create_user, sign_in, freeze):
    freeze("2026-11-23 02:00")
    post(client)
    record = only_record()
    other = app.test_client()
    sign_in(other, create_user("presales"))
    assert other.get(f"/roster/overtime/{record.id}/edit").status_code == 403
    assert other.post(f"/roster/overtime/{record.id}", data={
        "version": record.version, "end_time": "03:00"}).status_code == 403
    db.session.refresh(record)
    assert record.minutes == 40


def test_report_per_person_with_totals(app, client, agent, create_user, sign_in, roster,
                                       freeze):
    freeze("2026-11-23 02:00")
    post(client)
    colleague = create_user("presales", display_name="吴磊")
    roster(colleague, {22: "night"})
    with app.test_request_context():
        ot.record_overtime(colleague, date(2026, 11, 22), time(1, 30))
    boss = app.test_client()
    sign_in(boss, create_user("supervisor", locale="en"))
    full = boss.get("/roster/overtime?month=2026-11")
    html = full.get_data(as_text=True)
    assert full.status_code == 200 and "<html" in html and 'id="overtime-report"' in html
    rows = html.split("<tbody>", 1)[1]
    assert rows.index("吴磊") < rows.index("周婷")  # most overtime first
    assert "1 h 30 min" in rows and "40 min" in rows
    assert "2 h 10 min" in html.split("<tfoot>", 1)[1]
    fragment = boss.get("/roster/overtime?month=2026-10", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<section id="overtime-report"')
    assert "No overtime recorded in 2026-10." in fragment
    page = today(boss).get_data(as_text=True)
    card = page.split('id="card-overtime-month"', 1)[1].split("</section>", 1)[0]
    assert "2 h 10 min in 2 records by 2 people" in card


@pytest.mark.parametrize(("role", "status"), [
    ("supervisor", 200), ("manager", 200), ("presales", 403), ("reception", 403)])
def test_report_by_role(client, create_user, sign_in, role, status):
    sign_in(client, create_user(role))
    assert client.get("/roster/overtime").status_code == status
    assert client.get("/roster/overtime?month=2026-99").status_code == (
        400 if status == 200 else 403)


def test_the_manager_records_no_overtime(client, create_user, sign_in):
    sign_in(client, create_user("manager"))
    assert post(client).status_code == 403


def test_a_stale_correction_keeps_what_was_typed_and_shows_the_record_as_it_is(
        client, agent, freeze):
    freeze("2026-11-23 02:00")
    post(client)
    record = only_record()
    version = record.version
    client.post(f"/roster/overtime/{record.id}", headers=HX,
                data={"version": version, "end_time": "01:15", "note": "另一个窗口"})
    stale = client.post(f"/roster/overtime/{record.id}", headers=HX,
                        data={"version": version, "end_time": "00:30", "note": "这里打的字"})
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="overtime-{record.id}"')
    assert "You changed this record in another window first." in body
    assert "1 h 15 min" in body and "另一个窗口" in body  # the record as it is now
    assert 'value="00:30"' in body and 'value="这里打的字"' in body  # the typing kept
    db.session.refresh(record)
    assert f'name="version" value="{record.version}"' in body  # a deliberate second try
    assert (record.minutes, record.note) == (75, "另一个窗口")


def test_the_overtime_services_leave_the_commit_to_the_runner(agent, create_user, freeze):
    freeze("2026-11-23 02:00")
    record = ot.record_overtime(agent, date(2026, 11, 22), time(0, 40), "顾客咨询")
    db.session.commit()  # the request's end
    ot.update_overtime(agent, record, record.version, time(1, 10), "改")
    ot.record_overtime(agent, date(2026, 11, 21), time(16, 30))
    db.session.rollback()  # as the runner does on an error
    assert (only_record().minutes, only_record().note) == (40, "顾客咨询")
    assert count_rows(AuditEvent, AuditEvent.action == "shifts.overtime_changed") == 0


def test_another_persons_record_is_not_theirs_to_change(agent, create_user, freeze):
    from portal.actions import NotAllowed

    freeze("2026-11-23 02:00")
    record = ot.record_overtime(agent, date(2026, 11, 22), time(0, 40))
    with pytest.raises(NotAllowed) as refused:
        ot.update_overtime(create_user("presales"), record, record.version, time(1, 0))
    assert refused.value.permission == "shifts.overtime"
    with pytest.raises(ot.OvertimeError) as no_shift:
        ot.record_overtime(agent, None, time(1, 0))
    assert (no_shift.value.message, no_shift.value.field) == ("Choose the shift.", "day")


# --- the supervisor records and corrects an agent's overtime (issue 15.6) -------------------


def test_the_supervisor_records_an_agents_overtime_on_the_record(app, client, agent,
                                                                 create_user, sign_in, freeze):
    from portal.notifications.models import Notification

    freeze("2026-11-23 09:00")
    boss = app.test_client()
    supervisor = sign_in(boss, create_user("supervisor", display_name="李主管", locale="en"))
    page = boss.get("/roster/overtime?month=2026-11").get_data(as_text=True)
    assert 'action="/roster/overtime/staff"' in page and f'value="{agent.id}"' in page
    response = boss.post("/roster/overtime/staff", data={
        "person": agent.id, "day": "2026-11-22", "end_time": "00:50", "note": "客户咨询到深夜"})
    assert response.status_code == 303
    record = only_record()
    assert (record.user_id, record.minutes, record.note) == (agent.id, 50, "客户咨询到深夜")
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "shifts.overtime_recorded"))
    assert event.actor_id == supervisor.id and event.details == {"person": "周婷"}
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == agent.id))
    assert note.params == {"name": "李主管", "day": "2026-11-22"}
    # the report lists it with a link to correct it
    page = boss.get("/roster/overtime?month=2026-11").get_data(as_text=True)
    assert f'href="/roster/overtime/{record.id}/correct"' in page
    # a day the agent was not on a shift is refused next to the field, nothing saved
    refused = boss.post("/roster/overtime/staff", data={
        "person": agent.id, "day": "2026-11-23", "end_time": "00:50"})
    assert refused.status_code == 422
    assert "周婷 was not on a shift on 2026-11-23." in refused.get_data(as_text=True)
    assert count_rows(OvertimeRecord) == 1


def test_the_supervisor_corrects_an_agents_record_with_a_version_check(
        app, client, agent, create_user, sign_in, freeze):
    freeze("2026-11-23 09:00")
    post(client)
    record = only_record()
    boss = app.test_client()
    supervisor = sign_in(boss, create_user("supervisor", display_name="李主管", locale="en"))
    form = boss.get(f"/roster/overtime/{record.id}/correct")
    assert form.status_code == 200 and 'value="00:40"' in form.get_data(as_text=True)
    version = record.version
    response = boss.post(f"/roster/overtime/{record.id}/correct", data={
        "version": version, "end_time": "01:20", "note": "按监控更正"})
    assert response.status_code == 303
    db.session.refresh(record)
    assert (record.minutes, record.note) == (80, "按监控更正")
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "shifts.overtime_changed"))
    assert event.actor_id == supervisor.id and event.changes["minutes"] == [40, 80]
    stale = boss.post(f"/roster/overtime/{record.id}/correct", data={
        "version": version, "end_time": "02:00", "note": "旧页面"})
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "1 h 20 min" in body and 'value="02:00"' in body and 'value="旧页面"' in body


@pytest.mark.parametrize("role", ["manager", "presales", "aftersales", "order_clerk",
                                  "reception"])
def test_only_the_supervisor_records_or_corrects_someone_elses_overtime(
        app, client, agent, create_user, sign_in, freeze, role):
    freeze("2026-11-23 09:00")
    post(client)
    record = only_record()
    other = app.test_client()
    sign_in(other, create_user(role))
    assert other.post("/roster/overtime/staff", data={
        "person": agent.id, "day": "2026-11-22", "end_time": "01:00"}).status_code == 403
    assert other.get(f"/roster/overtime/{record.id}/correct").status_code == 403
    assert other.post(f"/roster/overtime/{record.id}/correct", data={
        "version": record.version, "end_time": "03:00"}).status_code == 403
    db.session.refresh(record)
    assert record.minutes == 40
