"""The stock page over HTTP: the list and its fragments, a row edited in place (422 bad
input changes nothing, 409 when another clerk saved first), a new SKU at the top without a
reload, who may read and write, and the list's query count."""

import json

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import Notification
from portal.orders import registers
from portal.orders.models import StockItem
from tests.conftest import count_rows
from tests.orders.conftest import HX


def html(response) -> str:
    return response.get_data(as_text=True)


def opens_with(body: str, element_id: str) -> bool:
    return f'id="{element_id}"' in body.lstrip().split(">", 1)[0]


@pytest.fixture
def desk(client, sign_in, clerk, stock, freeze):
    freeze("2026-11-22 09:30")
    sign_in(client, clerk)
    return client


# --- the list --------------------------------------------------------------------------------


def test_the_page_and_its_table_fragment(desk, stock):
    page = html(desk.get("/orders/stock"))
    assert "<html" in page and 'id="stock-add-form"' in page and 'id="stock-table"' in page
    for sku in stock:
        assert f'id="stock-{stock[sku].id}"' in page
    assert "css/orders-registers.css" in page
    response = desk.get("/orders/stock?q=CUP", headers=HX)
    body = html(response)
    assert response.status_code == 200 and "<html" not in body and opens_with(body, "stock-table")
    assert "HX-Request" in response.headers["Vary"]
    assert "CUP-02" in body and "TEA-01" not in body


def test_out_of_stock_only_and_the_name_prefix(desk, stock):
    body = html(desk.get("/orders/stock?out=y", headers=HX))
    assert "POT-03" in body and "CUP-02" not in body and "Out of stock" in body
    body = html(desk.get("/orders/stock?q=青瓷", headers=HX))
    assert "CUP-02" in body and "POT-03" not in body


def test_the_list_is_paged_by_fifty(desk, clerk):
    db.session.add_all(StockItem(sku=f"SKU-{n:03d}", name=f"商品{n}", on_hand=1)
                       for n in range(60))
    db.session.commit()
    first = html(desk.get("/orders/stock?q=SKU-", headers=HX))
    assert "SKU-049" in first and "SKU-050" not in first and "page=2" in first
    second = html(desk.get("/orders/stock?q=SKU-&page=2", headers=HX))
    assert "SKU-050" in second and "SKU-049" not in second


def test_waiting_buyers_show_on_the_row(desk, presales, stock):
    registers.add_wait(presales, buyer="王先生", contact="138", sku="POT-03", quantity=1)
    body = html(desk.get(f"/orders/stock/{stock['POT-03'].id}", headers=HX))
    assert opens_with(body, f"stock-{stock['POT-03'].id}")
    assert "/orders/waits?q=POT-03" in body


# --- editing a row in place ------------------------------------------------------------------


def test_edit_turns_the_row_into_a_form(desk, stock):
    pot = stock["POT-03"]
    body = html(desk.get(f"/orders/stock/{pot.id}/edit", headers=HX))
    assert opens_with(body, f"stock-{pot.id}") and "<html" not in body
    assert 'name="on_hand"' in body and 'value="2026-11-28"' in body
    assert f'name="version" value="{pot.version}"' in body
    page = html(desk.get(f"/orders/stock/{pot.id}/edit"))
    assert "<html" in page and 'name="on_hand"' in page


def test_raising_a_zero_stock_tells_how_many_buyers_wait(desk, presales, stock):
    pot = stock["POT-03"]
    registers.add_wait(presales, buyer="王先生", contact="138", sku="POT-03", quantity=1)
    response = desk.post(f"/orders/stock/{pot.id}", headers=HX,
                         data={"version": pot.version, "on_hand": "10", "expected_on": ""})
    assert response.status_code == 200
    body = html(response)
    assert opens_with(body, f"stock-{pot.id}") and 'name="on_hand"' not in body
    assert "Buyers to tell now: 1; pre-sales were notified." in body
    assert "stock-changed" in json.loads(response.headers["HX-Trigger"])
    db.session.refresh(pot)
    assert pot.on_hand == 10 and pot.expected_on is None
    assert count_rows(Notification, Notification.user_id == presales.id,
                      Notification.message.like("%back in stock%")) == 1


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"on_hand": "-1"}, "on-hand", "From 0 to 999999."),
    ({"on_hand": ""}, "on-hand", "Enter how many are on hand (0 or more)."),
    ({"on_hand": "3", "expected_on": "2026-11-01"}, "expected-on",
     "The expected arrival cannot be in the past."),
    ({"on_hand": "3", "expected_on": "next week"}, "expected-on",
     "Enter the date as YYYY-MM-DD."),
])
def test_bad_input_is_refused_next_to_the_field_and_changes_nothing(desk, stock, data, field,
                                                                    message):
    cup = stock["CUP-02"]
    version = cup.version
    response = desk.post(f"/orders/stock/{cup.id}", headers=HX,
                         data={"version": version, "expected_on": "", **data})
    assert response.status_code == 422
    body = html(response)
    assert opens_with(body, f"stock-{cup.id}") and message in body
    assert f'id="{field}-{cup.id}-error"' in body
    db.session.refresh(cup)
    assert (cup.on_hand, cup.expected_on, cup.version) == (5, None, version)


def test_a_second_clerk_saving_the_same_row_sees_the_current_one(desk, app, sign_in,
                                                                create_user, stock):
    cup = stock["CUP-02"]
    seen = cup.version
    assert desk.post(f"/orders/stock/{cup.id}", headers=HX,
                     data={"version": seen, "on_hand": "7"}).status_code == 200
    other = app.test_client()
    sign_in(other, create_user("order_clerk"))
    late = other.post(f"/orders/stock/{cup.id}", headers=HX, data={"version": seen,
                                                                   "on_hand": "2"})
    assert late.status_code == 409
    body = html(late)
    assert opens_with(body, f"stock-{cup.id}") and "Another clerk changed this SKU first" in body
    assert '<p class="stock-now">On hand: 7' in body  # the count as it is now
    assert f'id="on-hand-{cup.id}"' in body and 'value="2"' in body  # the typing kept
    assert f'name="version" value="{seen + 1}"' in body  # saving again is a second try
    db.session.refresh(cup)
    assert cup.on_hand == 7


def test_saving_without_htmx_redirects_to_the_sku(desk, stock):
    cup = stock["CUP-02"]
    response = desk.post(f"/orders/stock/{cup.id}", data={"version": cup.version,
                                                          "on_hand": "8"})
    assert response.status_code == 303 and "q=CUP-02" in response.headers["Location"]
    bad = desk.post(f"/orders/stock/{cup.id}", data={"version": cup.version, "on_hand": "-8"})
    assert bad.status_code == 422 and "<html" in html(bad) and 'name="on_hand"' in html(bad)


def test_a_missing_version_is_a_bad_request(desk, stock):
    assert desk.post(f"/orders/stock/{stock['CUP-02'].id}", headers=HX,
                     data={"on_hand": "8"}).status_code == 400


# --- a new SKU -------------------------------------------------------------------------------


def test_a_new_sku_appears_at_the_top_without_a_reload(desk):
    response = desk.post("/orders/stock", headers=HX,
                         data={"sku": "MUG-09", "name": "马克杯", "on_hand": "0",
                               "expected_on": "2026-11-30"})
    assert response.status_code == 200
    body = html(response)
    item = db.session.scalar(sa.select(StockItem).where(StockItem.sku == "MUG-09"))
    assert opens_with(body, "stock-add-form") and "SKU MUG-09 was added." in body
    assert 'hx-swap-oob="afterbegin:#stock-rows"' in body and f'id="stock-{item.id}"' in body
    assert item.expected_on.isoformat() == "2026-11-30"


@pytest.mark.parametrize(("data", "message"), [
    ({"sku": "TEA-01"}, "SKU TEA-01 is already in the stock list."),
    ({"sku": ""}, "Enter the SKU."),
    ({"name": ""}, "s name."),
    ({"on_hand": "-2"}, "From 0 to 999999."),
])
def test_a_bad_new_sku_is_refused(desk, data, message):
    response = desk.post("/orders/stock", headers=HX,
                         data={"sku": "NEW-1", "name": "新品", "on_hand": "1", **data})
    assert response.status_code == 422
    body = html(response)
    assert opens_with(body, "stock-add-form") and message in body
    assert count_rows(StockItem) == 3


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["presales", "aftersales", "supervisor", "manager"])
def test_readers_see_the_list_without_edit_buttons(client, sign_in, create_user, stock, role):
    sign_in(client, create_user(role))
    body = html(client.get("/orders/stock"))
    assert "POT-03" in body and 'id="stock-add-form"' not in body
    assert "/edit" not in body


@pytest.mark.parametrize("role", ["presales", "aftersales", "reception", "supervisor"])
def test_only_clerks_write(client, sign_in, create_user, stock, role):
    sign_in(client, create_user(role))
    cup = stock["CUP-02"]
    assert client.post(f"/orders/stock/{cup.id}", headers=HX,
                       data={"version": cup.version, "on_hand": "1"}).status_code == 403
    assert client.get(f"/orders/stock/{cup.id}/edit", headers=HX).status_code == 403
    assert client.post("/orders/stock", data={"sku": "X", "name": "Y"}).status_code == 403
    db.session.refresh(cup)
    assert cup.on_hand == 5 and count_rows(StockItem) == 3


def test_reception_cannot_read_stock(client, sign_in, create_user, stock):
    sign_in(client, create_user("reception"))
    assert client.get("/orders/stock").status_code == 403
    assert client.get(f"/orders/stock/{stock['CUP-02'].id}").status_code == 403


# --- query counts ----------------------------------------------------------------------------


def test_the_list_costs_the_same_with_few_and_many_skus(desk, presales, count_queries):
    def add(start, n):
        db.session.add_all(StockItem(sku=f"Q-{i:04d}", name=f"商品{i}", on_hand=i % 3)
                           for i in range(start, start + n))
        db.session.commit()
        for i in range(start, start + n, 4):
            registers.add_wait(presales, buyer=f"买家{i}", contact="1", sku=f"Q-{i:04d}",
                               quantity=5)

    add(0, 5)
    with count_queries() as few:
        assert desk.get("/orders/stock", headers=HX).status_code == 200
    add(5, 80)
    with count_queries() as many:
        assert desk.get("/orders/stock", headers=HX).status_code == 200
    assert many.count == few.count, (few.count, many.count)
    with count_queries() as page:
        assert desk.get("/orders/stock").status_code == 200
    print("stock list fragment", few.count, "full page", page.count)
