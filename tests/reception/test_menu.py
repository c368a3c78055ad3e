"""The showroom menu, kept by the supervisor and manager (reception.lists)."""

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.reception import menu as menu_svc
from portal.reception.models import MenuItem
from portal.reception.visitors import VisitError
from tests.conftest import count_rows
from tests.reception.conftest import HX


def test_add_rename_link_and_deactivate(receptionist, fridge_item):
    item = menu_svc.add_item(receptionist, name="咖啡", kind="drink")
    menu_svc.update_item(receptionist, item, version=item.version, name="美式咖啡", kind="drink",
                         stock_item_id=fridge_item.id)
    assert item.name == "美式咖啡" and item.stock_item_id == fridge_item.id
    menu_svc.update_item(receptionist, item, version=item.version, name="美式咖啡", kind="drink",
                         active=False)
    assert item not in menu_svc.active_menu() and item in menu_svc.all_items()
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.target_type == "menu_items")).all()
    assert actions == ["reception.menu_added", "reception.menu_changed",
                       "reception.menu_changed"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"), ({"name": "x" * 61}, "name"), ({"kind": "meal"}, "kind"),
    ({"name": "可乐"}, "name"), ({"stock_item_id": "999999"}, "stock_item_id")])
def test_bad_menu_items_are_refused(receptionist, menu, fields, field):
    before = count_rows(MenuItem)
    with pytest.raises(VisitError) as error:
        menu_svc.add_item(receptionist, **{"name": "咖啡", "kind": "drink", **fields})
    assert error.value.field == field
    db.session.rollback()
    assert count_rows(MenuItem) == before


def test_the_menu_page_for_the_supervisor(client, sign_in, create_user, menu, fridge_item):
    sign_in(client, create_user("supervisor"))
    page = client.get("/showroom/menu").get_data(as_text=True)
    assert "<html" in page and "矿泉水" in page and fridge_item.name in page
    fragment = client.get("/showroom/menu", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<table id="menu-list"')
    response = client.post("/showroom/menu", data={"name": "橙汁", "kind": "drink",
                                                   "stock_item_id": fridge_item.id}, headers=HX)
    assert response.status_code == 200 and "橙汁" in response.get_data(as_text=True)
    bad = client.post("/showroom/menu", data={"name": "", "kind": "drink"}, headers=HX)
    assert bad.status_code == 422 and "Enter the item" in bad.get_data(as_text=True)
    cola = menu["可乐"]
    renamed = client.post(f"/showroom/menu/{cola.id}", headers=HX, data={
        "name": "百事可乐", "kind": "drink", "active": "y", "version": cola.version})
    assert renamed.status_code == 200
    stale = client.post(f"/showroom/menu/{cola.id}", headers=HX, data={
        "name": "可口可乐", "kind": "drink", "active": "y", "version": 1})
    assert stale.status_code == 409
    db.session.refresh(cola)
    assert cola.name == "百事可乐"


def test_reception_cannot_keep_the_menu(client, sign_in, receptionist):
    sign_in(client, receptionist)
    assert client.get("/showroom/menu").status_code == 403
    assert client.post("/showroom/menu", data={"name": "x"}).status_code == 403
