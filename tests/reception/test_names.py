"""Names per language of the showroom's data (issue 15 item 17): a menu item and a checklist
item keep a name per language, edited where they are edited, and each reader sees their own
(the name itself where theirs was left empty)."""

from io import BytesIO

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.reception import menu as menu_svc
from portal.reception import visitors as svc
from portal.reception.models import ChecklistItem, MenuItem
from tests.reception.conftest import HX
from tests.reception.test_visitors_views import html


@pytest.fixture
def supervisor(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    return client


def test_the_supervisor_names_a_menu_item_in_each_language(supervisor):
    response = supervisor.post("/showroom/menu", headers=HX, data={
        "name": "可乐", "name_zh_TW": "可樂", "name_en": "Cola", "kind": "drink"})
    assert response.status_code == 200
    cola = db.session.scalar(sa.select(MenuItem).where(MenuItem.name == "可乐"))
    assert cola.names == {"zh_TW": "可樂", "en": "Cola"}
    page = html(supervisor.get("/showroom/menu"))
    assert 'name="name_en"' in page and 'value="Cola"' in page and 'value="可樂"' in page
    # an English name cleared: the name itself stands in for it
    saved = supervisor.post(f"/showroom/menu/{cola.id}", headers=HX, data={
        "name": "可乐", "name_zh_TW": "可樂", "name_en": " ", "kind": "drink", "active": "y",
        "version": cola.version})
    assert saved.status_code == 200
    db.session.refresh(cola)
    assert cola.names == {"zh_TW": "可樂"}
    too_long = supervisor.post(f"/showroom/menu/{cola.id}", headers=HX, data={
        "name": "可乐", "name_en": "x" * 61, "kind": "drink", "active": "y",
        "version": cola.version})
    assert too_long.status_code == 422 and "under 60 characters" in html(too_long)
    changes = db.session.scalars(sa.select(AuditEvent.changes).where(
        AuditEvent.action == "reception.menu_changed")).all()
    assert changes == [{"names": [{"zh_TW": "可樂", "en": "Cola"}, {"zh_TW": "可樂"}]}]


def test_saving_the_same_names_changes_nothing(receptionist):
    item = menu_svc.add_item(receptionist, name="咖啡", names={"en": "Coffee"})
    db.session.commit()
    version = item.version
    menu_svc.update_item(receptionist, item, version=version, name="咖啡", kind="drink",
                         names={"en": "Coffee", "zh_TW": ""})
    db.session.commit()
    assert item.version == version
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reception.menu_changed")) == 0


@pytest.mark.parametrize(("locale", "shown"), [("en", "Cola"), ("zh_TW", "可樂"),
                                               ("zh_CN", "可乐")])
def test_each_reader_sees_the_menu_in_their_language(client, sign_in, create_user, arrive,
                                                     receptionist, freeze, locale, shown):
    cola = menu_svc.add_item(receptionist, name="可乐", names={"zh_TW": "可樂", "en": "Cola"})
    tea = menu_svc.add_item(receptionist, name="绿茶", names={"zh_TW": "綠茶"})
    db.session.commit()
    visit = arrive(at="2026-11-22 09:00")
    freeze("2026-11-22 09:30")
    sign_in(client, create_user("reception", locale=locale))
    form = html(client.get(f"/showroom/visits/{visit.id}/serve", headers=HX))
    assert f">{shown}</label>" in form
    assert (">Green tea" not in form) and ">绿茶</label>" in form or locale == "zh_TW"
    served = html(client.post(f"/showroom/visits/{visit.id}/serve", headers=HX, data={
        f"item_{cola.id}": "2", f"item_{tea.id}": "0"}))
    assert f'<span class="serving">{shown} × 2</span>' in served
    assert f"{shown} × 2</li>" in html(client.get(f"/showroom/visits/{visit.id}"))
    summary = html(client.get("/showroom/summary?month=2026-11"))
    assert shown in summary

    from openpyxl import load_workbook

    sign_in(client, create_user("manager", locale=locale))
    book = load_workbook(BytesIO(client.get("/showroom/summary.xlsx?month=2026-11").data))
    assert (shown, 2) in list(book.worksheets[1].iter_rows(values_only=True))


def test_checklist_items_are_named_in_each_language(supervisor, client, sign_in, create_user,
                                                    freeze):
    freeze("2026-11-22 08:30")
    response = supervisor.post("/showroom/checklist/items", headers=HX, data={
        "name": "矿泉水", "name_zh_TW": "礦泉水", "name_en": "Still water", "group": "fridge",
        "counted": "y", "expected_count": "24", "restock_level": "6"})
    assert response.status_code == 200
    water = db.session.scalar(sa.select(ChecklistItem).where(ChecklistItem.name == "矿泉水"))
    assert water.names == {"zh_TW": "礦泉水", "en": "Still water"}
    assert "Still water" in html(supervisor.get("/showroom/checklist/items"))
    edited = supervisor.post(f"/showroom/checklist/items/{water.id}", headers=HX, data={
        "name": "矿泉水", "name_en": "Mineral water", "group": "fridge", "counted": "y",
        "expected_count": "24", "restock_level": "6", "version": water.version})
    assert edited.status_code == 200
    db.session.refresh(water)
    assert water.names == {"en": "Mineral water"}

    desk = client.application.test_client()
    sign_in(desk, create_user("reception", locale="en"))
    assert "Mineral water" in html(desk.get("/showroom/checklist"))
    taiwan = client.application.test_client()
    sign_in(taiwan, create_user("reception", locale="zh_TW"))
    page = html(taiwan.get("/showroom/checklist"))
    assert "矿泉水" in page and "Mineral water" not in page  # no zh_TW name now: the name


def test_the_fridge_refusal_names_the_drink_in_the_readers_language(desk, arrive, fridge_item,
                                                                    receptionist, monkeypatch):
    cola = menu_svc.add_item(receptionist, name="可乐", names={"en": "Cola"},
                             stock_item_id=fridge_item.id)
    db.session.commit()
    monkeypatch.setattr(svc, "_fridge_stock", lambda day: {fridge_item.id: 1})
    visit = arrive()
    response = desk.post(f"/showroom/visits/{visit.id}/serve", headers=HX,
                         data={f"item_{cola.id}": "2"})
    assert response.status_code == 422
    assert "Only 1 of Cola left in the fridge today." in html(response)
