"""Repair reports (R-R3): reporting notifies the supervisor; notes move the status along the
documented moves; closed reports reopen only explicitly; pages, fragments, conflicts, badge."""

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.reception import repairs as rsvc
from portal.reception.checklist import ReceptionError
from portal.reception.models import RepairNote, RepairReport
from tests.conftest import count_rows, today
from tests.reception import fixtures_checklist as fx
from tests.reception.fixtures_checklist import HX, html, triggered

items = fx.items  # the shared fixtures, by name
report = fx.report


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# --- services ------------------------------------------------------------------------------------


def test_a_report_notifies_every_active_supervisor(create_user, freeze, items):
    freeze("2026-11-22 08:30")
    boss, other, gone = (create_user("supervisor"), create_user("supervisor"),
                         create_user("supervisor", active=False))
    user = create_user("reception", display_name="赵前台")
    record = rsvc.report(user, place="", problem=" 左音箱有杂音 ", item=items["音响设备"])
    assert record.place == "音响设备" and record.problem == "左音箱有杂音"
    assert record.status == "reported" and record.item_id == items["音响设备"].id
    notified = db.session.scalars(sa.select(Notification.user_id)).all()
    assert sorted(notified) == sorted([boss.id, other.id]) and gone.id not in notified
    note = db.session.scalar(sa.select(Notification))
    assert note.params["name"] == "赵前台" and note.link.endswith(f"#repair-{record.id}")
    assert actions() == ["repair.reported"]


@pytest.mark.parametrize(("place", "problem", "field"), [
    ("", "坏了", "place"), ("窗帘", "  ", "problem"), ("窗帘", "x" * 501, "problem")])
def test_a_bad_report_is_refused(create_user, place, problem, field):
    with pytest.raises(ReceptionError) as error:
        rsvc.report(create_user("reception"), place=place, problem=problem)
    assert error.value.field == field
    assert count_rows(RepairReport) == 0 and count_rows(Notification) == 0


def test_notes_move_the_status_and_closing_sets_closed_at(create_user, freeze, report):
    freeze("2026-11-22 08:30")
    supervisor = create_user("supervisor")
    record = report()
    rsvc.add_note(supervisor, record, "已联系物业", record.version, "repairing")
    assert record.status == "repairing" and record.closed_at is None
    rsvc.add_note(supervisor, record, "师傅明天来", record.version)  # a plain note
    assert record.status == "repairing"
    freeze("2026-11-23 15:00")
    rsvc.add_note(supervisor, record, "已修好", record.version, "fixed")
    assert record.status == "fixed" and record.closed_at is not None
    assert [n.status_to for n in record.notes] == ["repairing", None, "fixed"]
    assert actions()[-3:] == ["repair.status_changed", "repair.noted", "repair.status_changed"]
    # the reporter hears that it was closed
    assert db.session.scalar(sa.select(Notification).where(
        Notification.user_id == record.reported_by_id)) is not None


@pytest.mark.parametrize(("start", "to"), [
    ("repairing", "reported"), ("fixed", "repairing"), ("cannot_fix", "fixed"),
    ("reported", "unknown")])
def test_moves_outside_the_rules_are_refused(create_user, report, start, to):
    record = report()
    record.status = start
    db.session.commit()
    with pytest.raises(ReceptionError) as error:
        rsvc.add_note(create_user("supervisor"), record, "…", record.version, to)
    assert error.value.field == "status_to"
    assert count_rows(RepairNote) == 0


def test_a_closed_report_is_reopened_explicitly(create_user, freeze, report):
    freeze("2026-11-22 08:30")
    user = create_user("reception")
    record = report(user)
    rsvc.add_note(user, record, "无法维修,需更换", record.version, "cannot_fix")
    rsvc.add_note(user, record, "新配件到了,重新报修", record.version, "reported")
    assert record.status == "reported" and record.closed_at is None
    assert actions()[-1] == "repair.reopened"


def test_a_stale_version_is_a_conflict(create_user, report):
    record = report()
    supervisor = create_user("supervisor")
    seen = record.version
    rsvc.add_note(supervisor, record, "在修", seen, "repairing")
    with pytest.raises(Conflict):
        rsvc.add_note(supervisor, record, "修好了", seen, "fixed")


def test_open_and_recently_closed_lists_and_age(create_user, freeze, report):
    freeze("2026-11-18 09:00")
    old = report(place="门锁")
    freeze("2026-11-22 09:00")
    new = report(place="筒灯")
    done = report(place="窗帘")
    rsvc.add_note(create_user("supervisor"), done, "好了", done.version, "fixed")
    assert [r.place for r in rsvc.open_reports()] == ["门锁", "筒灯"]
    assert [r.place for r in rsvc.recently_closed()] == ["窗帘"]
    assert rsvc.open_count() == 2
    assert rsvc.age_days(old) == 4 and rsvc.age_days(new) == 0
    freeze("2027-01-10 09:00")
    assert rsvc.recently_closed() == []


# --- HTTP ----------------------------------------------------------------------------------------


@pytest.fixture
def receptionist(client, sign_in, create_user, freeze):
    freeze("2026-11-22 08:30")
    return sign_in(client, create_user("reception", display_name="赵前台"))


def test_the_repairs_page_and_its_fragment(client, receptionist, report):
    record = report(place="投影仪")
    page = html(client.get("/showroom/repairs"))
    assert "<html" in page and 'id="repair-form"' in page and 'id="repairs-lists"' in page
    assert f'id="repair-{record.id}"' in page and "reported today" in page
    body = html(client.get("/showroom/repairs", headers=HX))
    assert "<html" not in body and body.lstrip().startswith('<div id="repairs-lists"')


def test_reporting_in_place_returns_a_fresh_form_and_the_new_row(client, receptionist,
                                                                 create_user):
    create_user("supervisor")
    response = client.post("/showroom/repairs", headers=HX,
                           data={"place": "窗帘", "problem": "只能打开一半"})
    assert response.status_code == 200
    body = html(response)
    record = db.session.scalar(sa.select(RepairReport))
    assert body.lstrip().startswith('<section id="repair-form"')
    assert 'hx-swap-oob="afterbegin:#repairs-open"' in body and f'id="repair-{record.id}"' in body
    assert "repairs-changed" in triggered(response)
    assert count_rows(Notification) == 1


def test_a_bad_report_is_422_next_to_the_field(client, receptionist):
    for headers in (HX, {}):
        response = client.post("/showroom/repairs", headers=headers,
                               data={"place": "窗帘", "problem": ""})
        assert response.status_code == 422
        assert '<p class="field-error" id="problem-error">Describe what is wrong.</p>' in \
            html(response)
    assert count_rows(RepairReport) == 0


def test_a_note_swaps_the_row_and_a_stale_one_gets_409(client, receptionist, report):
    record = report()
    seen = record.version
    response = client.post(f"/showroom/repairs/{record.id}/notes", headers=HX,
                           data={"text": "已联系物业", "status_to": "repairing", "version": seen})
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith(f'<li id="repair-{record.id}"') and "已联系物业" in body
    assert "status-repairing" in body and "repairs-changed" in triggered(response)
    stale = client.post(f"/showroom/repairs/{record.id}/notes", headers=HX,
                        data={"text": "修好了", "status_to": "fixed", "version": seen})
    assert stale.status_code == 409
    assert "Someone else followed this repair up first" in html(stale)
    assert "Being repaired" in html(stale) and record.status == "repairing"


def test_a_bad_note_is_422_in_the_row(client, receptionist, report):
    record = report()
    response = client.post(f"/showroom/repairs/{record.id}/notes", headers=HX,
                           data={"text": "", "version": record.version})
    assert response.status_code == 422
    assert f'id="note-{record.id}-error">Write what happened.</p>' in html(response)
    moved = client.post(f"/showroom/repairs/{record.id}/notes", headers=HX,
                        data={"text": "x", "status_to": "teleported", "version": record.version})
    assert moved.status_code == 422 and f'id="status-to-{record.id}-error"' in html(moved)
    assert count_rows(RepairNote) == 0


def test_the_badge_counts_open_repairs(client, receptionist, report):
    assert html(client.get("/showroom/repairs/badge")).strip() == ""
    report()
    report()
    assert html(client.get("/showroom/repairs/badge")).startswith("2<span")


def test_the_today_card_shows_open_repairs_with_their_age(client, receptionist, report, freeze):
    freeze("2026-11-19 08:30")
    report(place="门锁")
    freeze("2026-11-22 08:30")
    card = html(today(client))
    assert 'id="card-reception-repairs"' in card and "门锁" in card and "3 days open" in card


def test_the_manager_reads_repairs_but_cannot_report_or_follow_up(client, sign_in, create_user,
                                                                  report):
    record = report()
    sign_in(client, create_user("manager"))
    page = html(client.get("/showroom/repairs"))
    assert 'id="repair-form"' not in page and "/notes" not in page
    assert client.post("/showroom/repairs", data={"place": "x", "problem": "y"}).status_code == 403
    assert client.post(f"/showroom/repairs/{record.id}/notes",
                       data={"text": "x", "version": record.version}).status_code == 403
    assert 'id="card-reception-repairs"' not in html(today(client))


def test_the_supervisor_follows_up(client, sign_in, create_user, report):
    record = report()
    sign_in(client, create_user("supervisor"))
    response = client.post(f"/showroom/repairs/{record.id}/notes", headers=HX,
                           data={"text": "明天修", "status_to": "repairing",
                                 "version": record.version})
    assert response.status_code == 200 and record.status == "repairing"


def test_the_repairs_page_takes_the_same_queries_with_more_reports(client, receptionist, report,
                                                                   count_queries):
    def measure():
        with count_queries() as n:
            assert client.get("/showroom/repairs").status_code == 200
        return n.count

    for _ in range(2):
        record = report()
        rsvc.add_note(receptionist, record, "跟进", record.version)
    db.session.commit()
    measure()
    small = measure()
    for _ in range(20):
        record = report()
        rsvc.add_note(receptionist, record, "跟进", record.version)
    db.session.commit()
    assert measure() == small
