"""The opening checklist over HTTP: the page and its fragments, marking rows in place, bad
counts, conflicts, the fridge-stock widget, the items list, roles, the Today card."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.reception import checklist as svc
from portal.reception.models import ChecklistItem, ChecklistMark
from tests.conftest import count_rows, today
from tests.reception import fixtures_checklist as fx
from tests.reception.fixtures_checklist import HX, html, triggered

items = fx.items  # the shared fixtures, by name
many_items = fx.many_items
mark = fx.mark


@pytest.fixture
def receptionist(client, sign_in, create_user, freeze):
    freeze("2026-11-22 08:20")
    return sign_in(client, create_user("reception", display_name="赵前台"))


# --- the page ------------------------------------------------------------------------------------


def test_the_checklist_page_and_its_fragment(client, receptionist, items):
    page = html(client.get("/showroom/checklist"))
    assert "<html" in page and 'id="checklist"' in page and 'id="fridge-stock"' in page
    assert "css/reception.css" in page and "0 of 4 items checked" in page
    for item in items.values():
        assert f'id="check-item-{item.id}"' in page
    fragment = client.get("/showroom/checklist", headers=HX)
    body = html(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in body and body.lstrip().startswith('<div id="checklist"')


def test_marking_ok_swaps_the_row_and_updates_the_progress_out_of_band(client, receptionist,
                                                                        items):
    item = items["装饰摆件"]
    response = client.post(f"/showroom/checklist/marks/{item.id}",
                           data={"status": "ok", "version": 0}, headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and body.lstrip().startswith(f'<li id="check-item-{item.id}"')
    assert "status-ok" in body and "赵前台" in body
    assert 'id="checklist-progress"' in body and 'hx-swap-oob="true"' in body
    assert "1 of 4 items checked" in body
    assert "checklist-changed" in triggered(response)
    assert "stock-changed" not in triggered(response)
    assert svc.current_mark(item).status == "ok"


def test_a_counted_item_sends_stock_changed(client, receptionist, items):
    water = items["矿泉水"]
    response = client.post(f"/showroom/checklist/marks/{water.id}",
                           data={"status": "ok", "quantity": "20", "version": 0}, headers=HX)
    assert response.status_code == 200 and "Counted: 20" in html(response)
    assert "stock-changed" in triggered(response)
    stock = html(client.get("/showroom/checklist/stock", headers=HX))
    assert stock.lstrip().startswith('<section id="fridge-stock"') and "<html" not in stock
    assert "矿泉水" in stock and "<td>20</td>" in stock


@pytest.mark.parametrize(("quantity", "message"), [
    ("-1", "The count cannot be below zero."),
    ("", "Enter how many there are (0 when none)."),
    ("abc", "Enter a whole number."),
])
def test_a_bad_count_gets_a_message_next_to_the_field_and_changes_nothing(
        client, receptionist, items, quantity, message):
    chairs = items["椅子"]
    response = client.post(f"/showroom/checklist/marks/{chairs.id}",
                           data={"status": "ok", "quantity": quantity, "version": 0}, headers=HX)
    assert response.status_code == 422
    body = html(response)
    assert f'<p class="field-error" id="quantity-{chairs.id}-error">{message}</p>' in body
    assert f'aria-describedby="quantity-{chairs.id}-error"' in body
    assert count_rows(ChecklistMark) == 0


def test_without_javascript_a_mark_redirects_back_to_the_checklist(client, receptionist, items):
    item = items["装饰摆件"]
    response = client.post(f"/showroom/checklist/marks/{item.id}",
                           data={"status": "missing", "version": 0})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/showroom/checklist")
    assert svc.current_mark(item).status == "missing"


def test_the_second_receptionist_gets_409_with_the_current_row(client, receptionist, items,
                                                               create_user, mark):
    item = items["音响设备"]
    mark(create_user("reception", display_name="许蕾"), item, status="damaged", note="杂音")
    response = client.post(f"/showroom/checklist/marks/{item.id}",
                           data={"status": "ok", "version": 0}, headers=HX)
    assert response.status_code == 409
    body = html(response)
    assert "许蕾 marked this item first" in body and "status-damaged" in body
    assert f'name="version" value="{svc.current_mark(item).version}"' in body
    assert svc.current_mark(item).status == "damaged"


def test_a_damaged_item_offers_a_prefilled_repair_report(client, receptionist, items):
    item = items["音响设备"]
    body = html(client.post(f"/showroom/checklist/marks/{item.id}",
                            data={"status": "damaged", "note": "左音箱有杂音", "version": 0},
                            headers=HX))
    link = f'/showroom/repairs?item={item.id}#repair-form'
    assert link in body and "Report a repair" in body
    form = html(client.get(f"/showroom/repairs?item={item.id}"))
    assert f'name="item_id" type="hidden" value="{item.id}"' in form
    assert 'value="音响设备"' in form and "Damaged: 左音箱有杂音" in form


def test_the_last_item_completes_the_checklist_and_the_today_card_says_so(client, receptionist,
                                                                          items, mark):
    card = html(today(client))
    assert "The checklist is not yet done today." in card
    for name in ("装饰摆件", "音响设备"):
        mark(receptionist, items[name])
    mark(receptionist, items["椅子"], quantity=12)
    water = items["矿泉水"]
    response = client.post(f"/showroom/checklist/marks/{water.id}",
                           data={"status": "ok", "quantity": "3", "version": 0}, headers=HX)
    assert "The checklist is done for today." in html(response)
    card = html(today(client))
    assert "The checklist is done for today." in card and "Restock: 矿泉水" in card


# --- roles ---------------------------------------------------------------------------------------


READ_ROUTES = ["/showroom/checklist", "/showroom/checklist/stock", "/showroom/repairs",
               "/showroom/repairs/badge"]


@pytest.mark.parametrize("role", ["presales", "aftersales", "order_clerk"])
def test_other_roles_are_refused_every_page(client, sign_in, create_user, items, role):
    sign_in(client, create_user(role))
    for url in READ_ROUTES + ["/showroom/checklist/items"]:
        assert client.get(url).status_code == 403, url
    item = items["装饰摆件"]
    assert client.post(f"/showroom/checklist/marks/{item.id}",
                       data={"status": "ok", "version": 0}).status_code == 403
    assert count_rows(ChecklistMark) == 0


@pytest.mark.parametrize("role", ["manager", "supervisor"])
def test_manager_and_supervisor_read_but_do_not_mark(client, sign_in, create_user, items, role):
    sign_in(client, create_user(role))
    for url in READ_ROUTES + ["/showroom/checklist/items"]:
        assert client.get(url).status_code == 200, url
    page = html(client.get("/showroom/checklist"))
    assert "/showroom/checklist/marks/" not in page
    item = items["装饰摆件"]
    assert client.post(f"/showroom/checklist/marks/{item.id}",
                       data={"status": "ok", "version": 0}).status_code == 403


def test_reception_does_not_keep_the_items_list(client, receptionist):
    assert client.get("/showroom/checklist/items").status_code == 403
    assert client.post("/showroom/checklist/items", data={"name": "x", "group": "other"}
                       ).status_code == 403


def test_anonymous_htmx_requests_are_sent_to_sign_in(client, items):
    response = client.get("/showroom/checklist", headers=HX)
    assert response.status_code in (401, 302, 303)


# --- the items list ------------------------------------------------------------------------------


@pytest.fixture
def supervisor(client, sign_in, create_user):
    return sign_in(client, create_user("supervisor"))


def test_the_items_list_page_and_fragment(client, supervisor, items):
    page = html(client.get("/showroom/checklist/items"))
    assert "<html" in page and 'id="item-list"' in page and "矿泉水" in page
    body = html(client.get("/showroom/checklist/items", headers=HX))
    assert "<html" not in body and body.lstrip().startswith('<div id="item-list"')


def test_adding_an_item(client, supervisor, items):
    response = client.post("/showroom/checklist/items", headers=HX, data={
        "name": "可乐", "group": "fridge", "counted": "y", "expected_count": "12",
        "restock_level": "4"})
    assert response.status_code == 200 and "可乐" in html(response)
    item = db.session.scalar(sa.select(ChecklistItem).where(ChecklistItem.name == "可乐"))
    assert item.counted and item.expected_count == 12 and item.restock_level == 4


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": ""}, "name", "Give the item a name."),
    ({"expected_count": "-3"}, "expected_count", "A count cannot be below zero."),
    ({"group": "garden"}, "group", "Choose a group from the list."),
])
def test_a_bad_item_is_refused_next_to_the_field(client, supervisor, data, field, message):
    form = {"name": "可乐", "group": "fridge", "counted": "y", "expected_count": "12", **data}
    for headers in (HX, {}):
        response = client.post("/showroom/checklist/items", data=form, headers=headers)
        assert response.status_code == 422
        assert f'<p class="field-error" id="{field}-error">{message}</p>' in html(response)
    assert count_rows(ChecklistItem) == 0


def test_editing_and_deactivating_an_item_in_place(client, supervisor, items):
    chairs = items["椅子"]
    response = client.post(f"/showroom/checklist/items/{chairs.id}", headers=HX, data={
        "name": "椅子", "group": "furniture", "counted": "y", "expected_count": "14",
        "version": chairs.version, "sort_order": "30"})
    assert response.status_code == 200
    assert html(response).lstrip().startswith(f'<tbody id="item-{chairs.id}"')
    assert chairs.expected_count == 14
    stale = client.post(f"/showroom/checklist/items/{chairs.id}/active", headers=HX,
                        data={"active": "0", "version": chairs.version - 1})
    assert stale.status_code == 409 and "Someone else changed this item first" in html(stale)
    done = client.post(f"/showroom/checklist/items/{chairs.id}/active", headers=HX,
                       data={"active": "0", "version": chairs.version})
    assert done.status_code == 200 and "deactivated" in html(done) and not chairs.active


def test_a_bad_edit_is_422_in_the_row(client, supervisor, items):
    chairs = items["椅子"]
    response = client.post(f"/showroom/checklist/items/{chairs.id}", headers=HX, data={
        "name": "椅子", "group": "furniture", "counted": "y", "expected_count": "-1",
        "version": chairs.version})
    assert response.status_code == 422
    assert f'id="expected_count-{chairs.id}-error"' in html(response)
    assert chairs.expected_count == 12


# --- queries -------------------------------------------------------------------------------------


def test_the_page_and_a_mark_take_the_same_queries_with_more_items(client, receptionist, items,
                                                                   many_items, mark,
                                                                   count_queries):
    def measure():
        for item in svc.active_items()[:3]:
            if not svc.current_mark(item):
                mark(receptionist, item, quantity=1)
        target = svc.active_items()[-1].id
        with count_queries() as page:
            assert client.get("/showroom/checklist").status_code == 200
        with count_queries() as fragment:
            client.post(f"/showroom/checklist/marks/{target}",
                        data={"status": "ok", "version": 0}, headers=HX)
        db.session.execute(sa.delete(ChecklistMark).where(ChecklistMark.item_id == target))
        db.session.commit()
        return page.count, fragment.count

    many_items(5)
    measure()  # warm-up: the first request of a test loads what later ones reuse
    small = measure()
    many_items(40)
    large = measure()
    assert large == small, (small, large)
