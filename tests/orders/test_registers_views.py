"""The two registers over HTTP: pages and fragments, quick-add at the top without a reload,
the order picked by search, linking and marking in place (422 changes nothing, 409 shows the
current row), who may read and write, the Today cards, and query counts."""

import json
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.orders import registers as svc
from portal.orders import stock as stock_svc
from portal.orders.models import BankTransfer, StockWait
from tests.conftest import count_rows, today
from tests.orders.conftest import HX

TRANSFER = {"received_on": "2026-11-21", "payer": "杭州茶香贸易", "amount": "176.00",
            "bank": "工商银行", "reference": "HZ1121"}
WAIT = {"buyer": "王先生", "contact": "13800001111", "sku": "POT-03", "quantity": "2",
        "note": "要礼盒"}


def html(response) -> str:
    return response.get_data(as_text=True)


def opens_with(body: str, element_id: str) -> bool:
    return f'id="{element_id}"' in body.lstrip().split(">", 1)[0]


def triggered(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger") or "{}")


@pytest.fixture
def agent(client, sign_in, presales, stock, freeze):
    freeze("2026-11-22 09:30")
    sign_in(client, presales)
    return client


def enter(user, **fields):
    data = {"received_on": date(2026, 11, 21), "payer": "某公司", "amount": Decimal("176"),
            "bank": "建设银行", **fields}
    return svc.add_transfer(user, **data)[0]


# --- bank transfers: the page ----------------------------------------------------------------


def test_the_transfer_page_and_its_table_fragment(agent, presales):
    transfer = enter(presales, payer="张三公司")
    page = html(agent.get("/orders/transfers"))
    assert "<html" in page and 'id="transfer-add-form"' in page and 'id="transfer-table"' in page
    assert f'id="transfer-{transfer.id}"' in page and 'id="order-picker-new"' in page
    response = agent.get("/orders/transfers?unlinked=y&q=张三", headers=HX)
    body = html(response)
    assert response.status_code == 200 and opens_with(body, "transfer-table")
    assert "<html" not in body and "张三公司" in body


def test_bad_filter_dates_are_a_422_with_the_message(agent):
    response = agent.get("/orders/transfers?date_from=2026-11-22&date_to=2026-11-01",
                         headers=HX)
    assert response.status_code == 422
    assert "The end date is before the start date." in html(response)


def test_the_register_is_paged(agent, presales):
    for n in range(55):
        enter(presales, payer=f"付款人{n:02d}")
    first = html(agent.get("/orders/transfers", headers=HX))
    assert "付款人54" in first and "付款人04" not in first and "before=" in first
    cursor = first.split("before=", 1)[1].split('"', 1)[0]
    second = html(agent.get(f"/orders/transfers?before={cursor}", headers=HX))
    assert "付款人04" in second and "付款人00" in second and "付款人05" not in second


# --- bank transfers: the order picker --------------------------------------------------------


def test_the_picker_finds_orders_and_picks_one(agent, presales, make_order):
    order = make_order("awaiting_payment", payment="awaiting", order_no="T77001")
    linked = make_order("paid", order_no="T77002")
    enter(presales, order_id=linked.id)
    response = agent.get("/orders/transfers/pick?key=new&order_q=T770", headers=HX)
    body = html(response)
    assert response.status_code == 200 and opens_with(body, "order-picks-new")
    assert f"pick={order.id}" in body and f"pick={linked.id}" not in body
    assert "already linked to a transfer" in body
    picked = html(agent.get(f"/orders/transfers/pick?key=new&pick={order.id}", headers=HX))
    assert opens_with(picked, "order-picker-new")
    assert f'name="order_id" value="{order.id}"' in picked and "T77001" in picked
    empty = html(agent.get("/orders/transfers/pick?key=new&order_q=ZZZ", headers=HX))
    assert "No order matches." in empty
    assert agent.get("/orders/transfers/pick?key=<x>", headers=HX).status_code == 404


# --- bank transfers: entering one ------------------------------------------------------------


def test_a_transfer_linked_to_an_order_appears_on_top_and_pays_the_order(agent, make_order,
                                                                        freeze):
    order = make_order("awaiting_payment", payment="awaiting")
    freeze("2026-11-22 09:30")
    response = agent.post("/orders/transfers", headers=HX,
                          data={**TRANSFER, "order_id": str(order.id)})
    assert response.status_code == 200
    body = html(response)
    transfer = db.session.scalar(sa.select(BankTransfer))
    assert opens_with(body, "transfer-add-form")
    assert f"Order {order.order_no} was marked paid by this transfer." in body
    assert 'hx-swap-oob="afterbegin:#transfer-rows"' in body
    assert f'id="transfer-{transfer.id}"' in body
    assert "transfers-changed" in triggered(response)
    db.session.refresh(order)
    assert order.stage == "paid" and order.payment == "transfer"
    assert transfer.order_id == order.id and transfer.amount == Decimal("176.00")


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"received_on": "2026-11-23"}, "received_on", "The date received cannot be in the future."),
    ({"received_on": ""}, "received_on", "Enter the date the transfer was received."),
    ({"amount": "0"}, "amount", "The amount must be more than zero."),
    ({"amount": "abc"}, "amount", "Enter the amount as a number"),
    ({"payer": ""}, "payer", "Enter who paid."),
    ({"bank": ""}, "bank", "Enter the bank."),
    ({"order_id": "999999"}, "order-picker-new", "Choose the order from the search results."),
])
def test_a_bad_transfer_is_refused_and_nothing_changes(agent, data, field, message):
    response = agent.post("/orders/transfers", headers=HX, data={**TRANSFER, **data})
    assert response.status_code == 422
    body = html(response)
    assert opens_with(body, "transfer-add-form") and message in body
    assert f'id="{field}-error"' in body
    assert count_rows(BankTransfer) == 0


def test_an_order_already_linked_is_refused_with_the_order_kept(agent, presales, make_order):
    order = make_order("paid")
    enter(presales, order_id=order.id)
    response = agent.post("/orders/transfers", headers=HX,
                          data={**TRANSFER, "order_id": str(order.id)})
    assert response.status_code == 422
    body = html(response)
    assert f"Order {order.order_no} is already linked to the transfer from 某公司" in body
    assert f'name="order_id" value="{order.id}"' in body  # the pick is kept to change
    assert count_rows(BankTransfer) == 1


def test_without_htmx_an_entry_redirects(agent):
    response = agent.post("/orders/transfers", data=TRANSFER)
    assert response.status_code == 303 and count_rows(BankTransfer) == 1
    bad = agent.post("/orders/transfers", data={**TRANSFER, "amount": "-1"})
    assert bad.status_code == 422 and "<html" in html(bad)


# --- bank transfers: linking later -----------------------------------------------------------


def test_linking_later_in_place_marks_the_order_paid(agent, presales, make_order, freeze):
    order = make_order("awaiting_payment", payment="awaiting")
    freeze("2026-11-22 09:30")
    transfer = enter(presales)
    response = agent.post(f"/orders/transfers/{transfer.id}/link", headers=HX,
                          data={"version": transfer.version, "order_id": order.id})
    assert response.status_code == 200
    body = html(response)
    assert opens_with(body, f"transfer-{transfer.id}")
    assert f"Linked. Order {order.order_no} was marked paid by this transfer." in body
    assert "Link to order" not in body
    db.session.refresh(order)
    assert order.stage == "paid" and order.payment == "transfer"


def test_linking_an_order_linked_elsewhere_is_a_422(agent, presales, make_order):
    order = make_order("paid")
    enter(presales, order_id=order.id)
    transfer = enter(presales, payer="另一家")
    response = agent.post(f"/orders/transfers/{transfer.id}/link", headers=HX,
                          data={"version": transfer.version, "order_id": order.id})
    assert response.status_code == 422
    body = html(response)
    assert opens_with(body, f"transfer-{transfer.id}") and "is already linked" in body
    db.session.refresh(transfer)
    assert transfer.order_id is None


def test_linking_without_an_order_is_a_422(agent, presales):
    transfer = enter(presales)
    response = agent.post(f"/orders/transfers/{transfer.id}/link", headers=HX,
                          data={"version": transfer.version})
    assert response.status_code == 422
    assert "Choose the order from the search results." in html(response)


def test_a_second_agent_linking_sees_the_current_row(agent, app, sign_in, create_user,
                                                     presales, make_order):
    first, second = make_order("paid"), make_order("paid")
    transfer = enter(presales)
    seen = transfer.version
    assert agent.post(f"/orders/transfers/{transfer.id}/link", headers=HX,
                      data={"version": seen, "order_id": first.id}).status_code == 200
    other = app.test_client()
    sign_in(other, create_user("presales"))
    late = other.post(f"/orders/transfers/{transfer.id}/link", headers=HX,
                      data={"version": seen, "order_id": second.id})
    assert late.status_code == 409
    body = html(late)
    assert opens_with(body, f"transfer-{transfer.id}") and first.order_no in body
    assert "Someone else changed this entry first" in body
    db.session.refresh(transfer)
    assert transfer.order_id == first.id


# --- the out-of-stock register ---------------------------------------------------------------


def test_the_wait_page_and_its_fragment(agent, presales):
    wait = svc.add_wait(presales, buyer="李女士", contact="wx_li", sku="POT-03", quantity=1)
    page = html(agent.get("/orders/waits"))
    assert "<html" in page and 'id="wait-add-form"' in page and f'id="wait-{wait.id}"' in page
    assert "wx_li" in page and "紫砂壶" in page
    response = agent.get("/orders/waits?state=told", headers=HX)
    body = html(response)
    assert response.status_code == 200 and opens_with(body, "wait-table")
    assert "李女士" not in body and "No buyer in this list." in body
    assert agent.get("/orders/waits?state=nonsense", headers=HX).status_code == 422


def test_a_waiting_buyer_appears_on_top_without_a_reload(agent):
    response = agent.post("/orders/waits", headers=HX, data=WAIT)
    assert response.status_code == 200
    body = html(response)
    wait = db.session.scalar(sa.select(StockWait))
    assert opens_with(body, "wait-add-form")
    assert "王先生 is registered as waiting for POT-03." in body
    assert 'hx-swap-oob="afterbegin:#wait-rows"' in body and f'id="wait-{wait.id}"' in body
    assert (wait.quantity, wait.note, wait.state) == (2, "要礼盒", "waiting")


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"sku": "NOPE-9"}, "sku", "SKU NOPE-9 is not in the stock list."),
    ({"quantity": "0"}, "quantity", "From 1 to 9999."),
    ({"buyer": ""}, "buyer", "Enter the buyer."),
    ({"contact": ""}, "contact", "Enter how to reach the buyer."),
])
def test_a_bad_waiting_buyer_is_refused(agent, data, field, message):
    response = agent.post("/orders/waits", headers=HX, data={**WAIT, **data})
    assert response.status_code == 422
    body = html(response)
    assert opens_with(body, "wait-add-form") and message in body
    assert f'id="{field}-error"' in body
    assert count_rows(StockWait) == 0


def test_marking_a_row_in_place_and_the_second_click(agent, app, sign_in, create_user,
                                                     presales):
    wait = svc.add_wait(presales, buyer="王先生", contact="138", sku="POT-03", quantity=1)
    seen = wait.version
    response = agent.post(f"/orders/waits/{wait.id}/mark", headers=HX,
                          data={"version": seen, "outcome": "told"})
    assert response.status_code == 200
    body = html(response)
    assert opens_with(body, f"wait-{wait.id}") and "王先生: Told." in body
    assert 'value="bought"' in body and 'value="told"' not in body
    assert "waits-changed" in triggered(response)
    other = app.test_client()
    sign_in(other, create_user("presales"))
    late = other.post(f"/orders/waits/{wait.id}/mark", headers=HX,
                      data={"version": seen, "outcome": "gave_up"})
    assert late.status_code == 409
    assert "Someone else updated this buyer&#39;s entry first" in html(late) \
        or "Someone else updated this buyer's entry first" in html(late)
    db.session.refresh(wait)
    assert wait.state == "told"


def test_a_bad_outcome_changes_nothing(agent, presales):
    wait = svc.add_wait(presales, buyer="王先生", contact="138", sku="POT-03", quantity=1)
    response = agent.post(f"/orders/waits/{wait.id}/mark", headers=HX,
                          data={"version": wait.version, "outcome": "shouted"})
    assert response.status_code == 422 and "Choose told, bought or gave up." in html(response)
    db.session.refresh(wait)
    assert wait.state == "waiting"


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["aftersales", "reception"])
def test_roles_without_the_registers_cannot_read_them(client, sign_in, create_user, role):
    sign_in(client, create_user(role))
    assert client.get("/orders/transfers").status_code == 403
    assert client.get("/orders/waits").status_code == 403


@pytest.mark.parametrize("role", ["order_clerk", "supervisor", "manager"])
def test_readers_see_the_registers_without_forms(client, sign_in, create_user, presales,
                                                 stock, role):
    enter(presales)
    svc.add_wait(presales, buyer="王先生", contact="138", sku="POT-03", quantity=1)
    sign_in(client, create_user(role))
    transfers = html(client.get("/orders/transfers"))
    assert "某公司" in transfers and 'id="transfer-add-form"' not in transfers
    assert "Link to order" not in transfers
    waits = html(client.get("/orders/waits"))
    assert "138" in waits and 'id="wait-add-form"' not in waits and 'name="outcome"' not in waits


@pytest.mark.parametrize("role", ["aftersales", "reception", "order_clerk", "supervisor"])
def test_only_presales_write_the_registers(client, sign_in, create_user, presales, stock, role):
    transfer = enter(presales)
    wait = svc.add_wait(presales, buyer="王先生", contact="138", sku="POT-03", quantity=1)
    sign_in(client, create_user(role))
    for url, data in (("/orders/transfers", TRANSFER), ("/orders/waits", WAIT),
                      (f"/orders/transfers/{transfer.id}/link",
                       {"version": transfer.version, "order_id": "1"}),
                      (f"/orders/waits/{wait.id}/mark",
                       {"version": wait.version, "outcome": "told"})):
        assert client.post(url, data=data, headers=HX).status_code == 403, url
    assert client.get("/orders/transfers/pick?order_q=T", headers=HX).status_code == 403
    assert count_rows(BankTransfer) == 1 and count_rows(StockWait) == 1


# --- the Today cards -------------------------------------------------------------------------


def test_the_today_cards_of_presales(agent, presales, clerk, stock, freeze):
    freeze("2026-11-18 10:00")
    enter(presales, received_on=date(2026, 11, 17), payer="迟迟未关联")
    wait = svc.add_wait(presales, buyer="王先生", contact="13800001111", sku="POT-03",
                        quantity=1)
    freeze("2026-11-22 09:30")
    pot = stock["POT-03"]
    stock_svc.set_stock(clerk, pot, pot.version, 10, None)
    page = html(today(agent))
    assert 'id="card-orders-tell-buyers"' in page and 'id="card-orders-unlinked-transfers"' in page
    assert "Their item has arrived. Buyers to tell: 1." in page
    assert f'id="tell-{wait.id}"' in page and "13800001111" in page
    assert "Received over two days ago and not linked to an order: 1." in page
    assert "迟迟未关联" in page and "css/orders-registers.css" in page
    # marked told from the card: the line is swapped in place, without the buttons
    response = agent.post(f"/orders/waits/{wait.id}/mark", headers=HX,
                          data={"version": wait.version, "outcome": "told", "view": "card"})
    assert response.status_code == 200
    body = html(response)
    assert opens_with(body, f"tell-{wait.id}") and "王先生: Told." in body
    assert 'name="outcome"' not in body
    assert "No waiting buyer&#39;s item has arrived." in html(today(agent)) \
        or "No waiting buyer's item has arrived." in html(today(agent))


def test_the_cards_are_not_shown_to_clerks(client, sign_in, clerk):
    sign_in(client, clerk)
    page = html(today(client))
    assert "card-orders-tell-buyers" not in page and "card-orders-unlinked-transfers" not in page


def test_the_registers_histories_are_keyset_paged(agent, presales, count_queries,
                                                  monkeypatch):
    """"All", told, bought, gave up: newer/older pages by a cursor, never a COUNT over the
    register's years; the open lists (waiting, to tell) keep their order and numbered pages."""
    import re

    monkeypatch.setattr(svc, "WAITS_PER_PAGE", 4)
    waits = [svc.add_wait(presales, buyer=f"买家{i}", contact=f"1380000{i:04d}",
                          sku="POT-03", quantity=1) for i in range(10)]
    for wait in waits[:6]:
        svc.mark_wait(presales, wait, wait.version, "told")
    db.session.commit()  # the services only flush; counted below: the pages alone
    seen, before, statements = [], None, []
    for _page in range(3):
        with count_queries() as counted:
            body = html(agent.get("/orders/waits", headers=HX,
                                  query_string={"state": "all", "before": before} if before
                                  else {"state": "all"}))
        statements.append(counted.count)
        seen += [int(i) for i in re.findall(r'<tr id="wait-(\d+)"', body)]
        more = re.search(r'href="/orders/waits\?before=([^"&]+)&amp;state=all"', body)
        before = more.group(1) if more else None
        if before is None:
            break
    assert seen == [w.id for w in reversed(waits)]  # newest first, each once
    assert before is None and "Older" not in body and "Newer" in body
    assert len(set(statements)) == 1  # the same on every page
    # "Newer" from the last page leads back to the one before it
    newer = re.search(r'href="/orders/waits\?after=([^"&]+)&amp;state=all"', body).group(1)
    back = html(agent.get("/orders/waits", headers=HX,
                          query_string={"state": "all", "after": newer}))
    assert [int(i) for i in re.findall(r'<tr id="wait-(\d+)"', back)] == seen[4:8]
    # told: latest closed first, paged the same way
    told = html(agent.get("/orders/waits?state=told", headers=HX))
    assert len(re.findall(r'<tr id="wait-', told)) == 4 and "Older" in told
    # the open list stays a numbered page in its own order (first come, first served)
    waiting = html(agent.get("/orders/waits?state=waiting", headers=HX))
    assert [int(i) for i in re.findall(r'<tr id="wait-(\d+)"', waiting)] == \
        [w.id for w in waits[6:]]
    sql = []

    def keep(conn, cursor, statement, *args, **kwargs):
        sql.append(statement)

    engine = db.session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        agent.get("/orders/waits?state=all", headers=HX)
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    assert not any("count(" in statement.lower() for statement in sql)


# --- query counts ----------------------------------------------------------------------------


def _fill(presales, make_order, start, n):
    for i in range(start, start + n):
        order = make_order("paid") if i % 3 == 0 else None
        enter(presales, payer=f"付款人{i}", received_on=date(2026, 11, 15),
              order_id=order.id if order else None)
        svc.add_wait(presales, buyer=f"买家{i}", contact=f"1380000{i:04d}",
                     sku=("POT-03", "CUP-02", "TEA-01")[i % 3], quantity=1 + i % 7)


@pytest.mark.parametrize("url", ["/orders/transfers", "/orders/waits", "/orders/waits?state=all",
                                 "/"])
def test_the_lists_and_cards_cost_the_same_with_few_and_many_rows(agent, presales, make_order,
                                                                  freeze, count_queries, url):
    headers = {} if url == "/" else HX
    _fill(presales, make_order, 0, 4)
    freeze("2026-11-22 09:30")
    with count_queries() as few:
        assert agent.get(url, headers=headers).status_code == 200
    _fill(presales, make_order, 4, 40)
    freeze("2026-11-22 09:30")
    with count_queries() as many:
        assert agent.get(url, headers=headers).status_code == 200
    assert many.count == few.count, (url, few.count, many.count)
    print(url, few.count)


def test_a_short_transfer_shows_the_difference_and_the_cancellation_before_paying(
        agent, presales, make_order, freeze):
    """Issue 15 item 8: linking ¥157.00 to a ¥158.00 order with a cancellation asked does
    not mark it paid with no word: the row shows the difference and the cancellation and
    asks for a confirmation with a note; confirmed, the order is paid and the note shown."""
    from portal.orders import orders as order_svc

    order = make_order("awaiting_payment", payment="awaiting", lines=(("TEA-01", 1),))
    order.amount = Decimal("158.00")
    order_svc.request_cancel(presales, order, order.version, "买家说拍重了")
    freeze("2026-11-22 09:30")
    transfer = enter(presales, amount=Decimal("157.00"))
    db.session.commit()
    response = agent.post(f"/orders/transfers/{transfer.id}/link", headers=HX,
                          data={"version": transfer.version, "order_id": order.id})
    body = html(response)
    assert response.status_code == 422
    assert "The transfer of ¥157.00 is ¥1.00 short of the order's ¥158.00." in body
    assert "Pre-sales asked to cancel this order: 买家说拍重了" in body
    assert "Mark the order paid anyway" in body and 'name="paid_note"' in body
    db.session.refresh(order)
    assert order.stage == "awaiting_payment"
    token = svc.payment_check(Decimal("157.00"), order).token
    assert f'value="{token}"' in body
    no_note = agent.post(f"/orders/transfers/{transfer.id}/link", headers=HX, data={
        "version": transfer.version, "order_id": order.id, "confirm_paid": token})
    assert no_note.status_code == 422 and "Write why the order is marked paid anyway" in html(
        no_note)
    assert f'value="{token}" id="confirm-paid-t{transfer.id}" checked' in html(no_note)
    confirmed = agent.post(f"/orders/transfers/{transfer.id}/link", headers=HX, data={
        "version": transfer.version, "order_id": order.id, "confirm_paid": token,
        "paid_note": "少付 1 元,买家补付"})
    body = html(confirmed)
    assert confirmed.status_code == 200
    assert f"Order {order.order_no} was marked paid by this transfer." in body
    assert "Marked paid anyway: 少付 1 元,买家补付" in body
    db.session.refresh(order)
    assert order.stage == "paid"
    page = html(agent.get(f"/orders/{order.id}"))
    assert "Marked paid anyway: 少付 1 元,买家补付" in page


def test_entering_an_overpayment_asks_for_the_confirmation_in_the_form(agent, make_order,
                                                                       freeze):
    order = make_order("awaiting_payment", payment="awaiting")
    freeze("2026-11-22 09:30")
    data = {**TRANSFER, "amount": "200.00", "order_id": str(order.id)}
    response = agent.post("/orders/transfers", headers=HX, data=data)
    body = html(response)
    assert response.status_code == 422 and opens_with(body, "transfer-add-form")
    assert "The transfer of ¥200.00 is ¥24.00 more than the order's ¥176.00." in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankTransfer)) == 0
    token = svc.payment_check(Decimal("200.00"), order).token
    response = agent.post("/orders/transfers", headers=HX, data={
        **data, "confirm_paid": token, "paid_note": "多付 24 元,退回买家"})
    assert response.status_code == 200
    db.session.refresh(order)
    assert order.stage == "paid"


def test_the_sku_field_offers_skus_as_one_types(agent):
    """Issue 15 item 19: the register's SKU field has a list of SKUs filled as one types."""
    page = html(agent.get("/orders/waits"))
    assert 'list="sku-choices"' in page and '<datalist id="sku-choices">' in page
    assert 'data-hx-get="/orders/waits/skus"' in page
    response = agent.get("/orders/waits/skus", query_string={"sku": "cup"}, headers=HX)
    body = html(response)
    assert response.status_code == 200 and body.startswith('<datalist id="sku-choices">')
    assert '<option value="CUP-02">CUP-02 青瓷茶杯</option>' in body and "TEA-01" not in body
    assert agent.get("/orders/waits/skus?sku=cup").status_code in (302, 303)
    added = agent.post("/orders/waits", headers=HX, data={**WAIT, "sku": "pot-03"})
    assert added.status_code == 200 and "waiting for POT-03" in html(added)
