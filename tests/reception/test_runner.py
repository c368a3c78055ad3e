"""The showroom on the action runner: its services only flush (the runner commits once per
request), and every kind of answer says the same thing after a conflict — the record as it is
now, the version moved to the current one, and what the person typed still in the form."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.reception import checklist as csvc
from portal.reception import menu as menu_svc
from portal.reception import repairs as rsvc
from portal.reception import visitors as svc
from portal.reception.models import (
    ChecklistItem,
    ChecklistMark,
    MenuItem,
    RepairNote,
    RepairReport,
    Serving,
    Visit,
)
from tests.conftest import count_rows
from tests.reception import fixtures_checklist as fx
from tests.reception.conftest import HX
from tests.reception.fixtures_checklist import html

items = fx.items  # the shared fixtures, by name
mark = fx.mark
report = fx.report


def field_value(body: str, name: str) -> str | None:
    """The value of the input ``name`` in ``body`` (the first one)."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', body)
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


# --- the services do not commit ------------------------------------------------------------


def test_the_visitor_services_leave_the_commit_to_the_runner(freeze, receptionist, menu,
                                                            consultant):
    freeze("2026-11-22 09:30")
    visit = svc.arrive(receptionist, party_size=2, purpose="viewing", source="walk_in",
                       consultant_id=consultant.id)
    svc.serve(receptionist, visit, {menu["可乐"].id: 1})
    db.session.rollback()
    assert count_rows(Visit) == 0 and count_rows(Serving) == 0

    visit = svc.arrive(receptionist, party_size=2, purpose="viewing", source="walk_in")
    db.session.commit()
    freeze("2026-11-22 10:30")
    svc.depart(receptionist, visit, visit.version)
    db.session.rollback()
    assert visit.left_at is None and visit.version == 1
    svc.depart(receptionist, visit, visit.version)
    db.session.commit()
    svc.correct_departure(receptionist, visit, datetime(2026, 11, 22, 10, 0), visit.version)
    db.session.rollback()
    assert visit.left_at.minute == 30


def test_the_menu_services_leave_the_commit_to_the_runner(receptionist, menu):
    menu_svc.add_item(receptionist, name="橙汁", kind="drink")
    cola = menu["可乐"]
    menu_svc.update_item(receptionist, cola, version=cola.version, name="百事可乐", kind="drink")
    db.session.rollback()
    assert count_rows(MenuItem) == 3 and cola.name == "可乐" and cola.version == 1


def test_the_checklist_services_leave_the_commit_to_the_runner(create_user, freeze, items):
    freeze("2026-11-22 08:20")
    supervisor, user = create_user("supervisor"), create_user("reception")
    csvc.create_item(supervisor, name="伞架", group="other")
    chairs = items["椅子"]
    csvc.update_item(supervisor, chairs, chairs.version, name="椅子", group="furniture",
                     counted=True, expected_count=20, restock_level=None)
    csvc.set_item_active(supervisor, items["装饰摆件"], False, items["装饰摆件"].version)
    csvc.mark(user, items["音响设备"], status="damaged", note="杂音")
    db.session.rollback()
    assert count_rows(ChecklistItem) == 4 and count_rows(ChecklistMark) == 0
    assert chairs.expected_count == 12 and items["装饰摆件"].active


def test_the_repair_services_leave_the_commit_to_the_runner(create_user, report):
    reception, supervisor = create_user("reception"), create_user("supervisor")
    record = report()  # committed by the fixture
    rsvc.report(reception, place="门锁", problem="锁不上")
    rsvc.add_note(supervisor, record, "修好了", record.version, "fixed")
    db.session.rollback()
    assert count_rows(RepairReport) == 1 and count_rows(RepairNote) == 0
    assert record.status == "reported" and record.closed_at is None


# --- 409: the current state and the typing, per kind of answer ------------------------------


@pytest.fixture
def desk(client, sign_in, receptionist, freeze):
    freeze("2026-11-22 09:30")
    sign_in(client, receptionist)
    return client


def test_serving_a_party_someone_marked_as_left_is_409_with_its_row(desk, arrive, menu,
                                                                   receptionist, freeze):
    visit = arrive(at="2026-11-22 09:00")
    freeze("2026-11-22 09:40")
    svc.depart(receptionist, visit, visit.version)
    db.session.commit()
    for headers in (HX, {}):
        response = desk.post(f"/showroom/visits/{visit.id}/serve", headers=headers,
                             data={f"item_{menu['可乐'].id}": "2"})
        assert response.status_code == 409
        body = html(response)
        assert "This party already left at 09:40. This is its current state." in body
    assert 'class="left-at"' in html(desk.post(f"/showroom/visits/{visit.id}/serve", headers=HX,
                                               data={f"item_{menu['可乐'].id}": "2"}))
    assert count_rows(Serving) == 0


def test_a_stale_departure_correction_keeps_the_typed_time_and_shows_the_current_one(
        desk, arrive, receptionist, freeze, create_user):
    visit = arrive(at="2026-11-22 09:00")
    freeze("2026-11-22 11:00")
    svc.depart(receptionist, visit, visit.version)
    db.session.commit()
    seen = visit.version
    svc.correct_departure(create_user("reception"), visit, datetime(2026, 11, 22, 10, 15), seen)
    db.session.commit()
    response = desk.post(f"/showroom/visits/{visit.id}/departure", headers=HX,
                         data={"left_at": "2026-11-22T10:40", "version": seen})
    assert response.status_code == 409
    body = html(response)
    assert "Someone else changed this visit first. This is its current state." in body
    assert "2026-11-22 10:15" in body  # the facts: the departure as it is now
    assert field_value(body, "left_at") == "2026-11-22T10:40"  # as typed
    assert field_value(body, "version") == str(visit.version) != str(seen)
    db.session.refresh(visit)
    assert visit.left_at.minute == 15
    # sent again (a deliberate second try), it saves
    again = desk.post(f"/showroom/visits/{visit.id}/departure", headers=HX,
                      data={"left_at": "2026-11-22T10:40", "version": visit.version})
    assert again.status_code == 200


def test_a_stale_menu_change_keeps_the_typed_row_and_says_what_it_is_now(
        client, sign_in, create_user, menu, fridge_item):
    supervisor = create_user("supervisor")
    sign_in(client, supervisor)
    cola = menu["可乐"]
    seen = cola.version
    menu_svc.update_item(supervisor, cola, version=seen, name="百事可乐", kind="drink",
                         stock_item_id=fridge_item.id)
    db.session.commit()
    response = client.post(f"/showroom/menu/{cola.id}", headers=HX, data={
        "name": "可口可乐", "kind": "snack", "version": seen})
    assert response.status_code == 409
    body = html(response)
    row = re.search(rf'<tr id="menu-item-{cola.id}".*?</tr>', body, re.S).group(0)
    assert "Someone else changed this item first. This is its current state." in body
    assert 'value="可口可乐"' in row and '<option value="snack" selected>' in row
    assert 'aria-label="On the menu">' in row  # unticked, as sent
    assert f"Now: 百事可乐 · Drink · {fridge_item.name} · On the menu." in row
    assert f'name="version" value="{cola.version}"' in row and cola.version != seen
    db.session.refresh(cola)
    assert cola.name == "百事可乐" and cola.active


@pytest.fixture
def supervisor(client, sign_in, create_user):
    return sign_in(client, create_user("supervisor"))


def test_a_stale_mark_keeps_the_typed_count_and_note(client, sign_in, create_user, freeze,
                                                     items, mark):
    freeze("2026-11-22 08:20")
    sign_in(client, create_user("reception", display_name="赵前台"))
    chairs = items["椅子"]
    mark(create_user("reception", display_name="许蕾"), chairs, status="missing", quantity=10,
         note="少两把")
    response = client.post(f"/showroom/checklist/marks/{chairs.id}", headers=HX,
                           data={"status": "ok", "quantity": "12", "note": "都在",
                                 "version": 0})
    assert response.status_code == 409
    body = html(response)
    assert "许蕾 marked this item first, at 08:20." in body
    assert "status-missing" in body and "Counted: 10" in body and "少两把" in body
    assert field_value(body, "quantity") == "12" and field_value(body, "note") == "都在"
    assert field_value(body, "version") == str(csvc.current_mark(chairs).version)
    assert csvc.current_mark(chairs).quantity == 10


def test_a_stale_item_change_keeps_the_form_open_as_typed(client, supervisor, items):
    chairs = items["椅子"]
    seen = chairs.version
    csvc.update_item(supervisor, chairs, seen, name="椅子", group="furniture", counted=True,
                     expected_count=16, restock_level=None)
    db.session.commit()
    response = client.post(f"/showroom/checklist/items/{chairs.id}", headers=HX, data={
        "name": "餐椅", "group": "furniture", "counted": "y", "expected_count": "14",
        "sort_order": "35", "version": seen})
    assert response.status_code == 409
    body = html(response)
    assert "Someone else changed this item first" in body
    assert "<td>16</td>" in body  # the item as it is now
    assert "<details open>" in body and 'value="餐椅"' in body and 'value="14"' in body
    assert 'value="35"' in body
    assert f'name="version" value="{chairs.version}"' in body and chairs.version != seen
    db.session.refresh(chairs)
    assert chairs.name == "椅子" and chairs.expected_count == 16


def test_a_stale_follow_up_keeps_the_typed_note_and_shows_the_trail(client, sign_in,
                                                                    create_user, freeze,
                                                                    report):
    freeze("2026-11-22 08:30")
    sign_in(client, create_user("reception"))
    record = report()
    seen = record.version
    rsvc.add_note(create_user("supervisor", display_name="周主管"), record, "师傅明天来", seen,
                  "repairing")
    db.session.commit()
    for headers in (HX, {}):
        response = client.post(f"/showroom/repairs/{record.id}/notes", headers=headers,
                               data={"text": "已经修好了", "status_to": "fixed",
                                     "version": seen})
        assert response.status_code == 409
        body = html(response)
        row = re.search(rf'<li id="repair-{record.id}".*?</details>', body, re.S).group(0)
        assert "Someone else followed this repair up first" in row
        assert "Being repaired" in row and "师傅明天来" in row and "周主管" in row
        assert '<details class="repair-follow-up" open>' in row
        assert ">已经修好了</textarea>" in row and '<option value="fixed" selected>' in row
        assert f'name="version" value="{record.version}"' in row and record.version != seen
    assert count_rows(RepairNote) == 1


# --- without JavaScript: a refusal shows the page with the row's messages -------------------


def test_without_javascript_a_refused_mark_shows_the_checklist_with_the_message(
        client, sign_in, create_user, freeze, items):
    freeze("2026-11-22 08:20")
    sign_in(client, create_user("reception"))
    chairs = items["椅子"]
    response = client.post(f"/showroom/checklist/marks/{chairs.id}",
                           data={"status": "ok", "quantity": "", "note": "数过了",
                                 "version": 0})
    assert response.status_code == 422
    body = html(response)
    assert "<html" in body and 'id="checklist"' in body
    assert (f'<p class="field-error" id="quantity-{chairs.id}-error">Enter how many there are '
            "(0 when none).</p>") in body
    assert 'value="数过了"' in body
    assert count_rows(ChecklistMark) == 0


def test_without_javascript_a_refused_serving_shows_the_visit_page(desk, arrive, menu):
    visit = arrive()
    response = desk.post(f"/showroom/visits/{visit.id}/serve",
                         data={f"item_{menu['可乐'].id}": "0"})
    assert response.status_code == 422
    body = html(response)
    assert "<html" in body and 'id="visit-detail"' in body
    assert "Enter how many of at least one item." in body
    assert count_rows(Serving) == 0


def test_the_runner_commits_an_action_once(desk, arrive, menu):
    """An action's change survives the end of its request (the test session rolls back
    whatever a request left uncommitted)."""
    visit = arrive()
    desk.post(f"/showroom/visits/{visit.id}/serve", headers=HX,
              data={f"item_{menu['饼干'].id}": "2"})
    db.session.rollback()
    assert db.session.scalar(sa.select(Serving.quantity)) == 2


def test_two_first_marks_of_the_day_at_once_are_a_conflict_not_an_error(
        client, sign_in, create_user, freeze, items, mark, monkeypatch):
    """The second finds no checklist of the day when it reads, but the first has made it by
    the time it writes: the unique day refuses the second one, answered 409 with the row."""
    freeze("2026-11-22 08:20")
    sign_in(client, create_user("reception"))
    mark(create_user("reception"), items["装饰摆件"])  # the day's checklist exists now
    monkeypatch.setattr(csvc, "day_of", lambda day=None: None)  # read before it existed
    chairs = items["椅子"]
    response = client.post(f"/showroom/checklist/marks/{chairs.id}", headers=HX,
                           data={"status": "ok", "quantity": "11", "note": "少一把",
                                 "version": 0})
    assert response.status_code == 409
    body = html(response)
    assert "Someone else changed this first." in body and "Not checked yet" in body
    assert field_value(body, "quantity") == "11" and field_value(body, "note") == "少一把"
    monkeypatch.undo()
    assert csvc.current_mark(chairs) is None and count_rows(ChecklistMark) == 1
