"""The order queue over HTTP: the page and its fragments, each row action in place (flag,
pack, ship, void), bad input (422), two clerks at once (409), printing a selection, the
slips page, tasks done, the cut-off banner, the Today cards, who may do what, and query
counts."""

import json
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import Notification
from portal.orders import orders as svc
from portal.orders import remarks as remark_svc
from portal.orders.models import Order, OrderTask, StockItem
from tests.conftest import ROOT, today
from tests.orders.conftest import HX

NOW = "2026-11-22 14:00"


def html(response) -> str:
    return response.get_data(as_text=True)


def triggered(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger") or "{}")


def starts_with_row(body: str, order) -> bool:
    return body.lstrip().startswith(f'<tr id="order-{order.id}"')


@pytest.fixture
def desk(client, sign_in, clerk, freeze):
    """The clerk signed in; the clock at 14:00 once the orders exist (call ``desk()``)."""

    def _desk():
        freeze(NOW)
        sign_in(client, clerk)
        return client

    return _desk


def post(client, url, order=None, **data):
    if order is not None:
        data.setdefault("version", order.version)
    return client.post(url, data=data, headers=HX)


# --- the page and its fragments -------------------------------------------------------------


@pytest.mark.parametrize(("url", "block_id"), [
    ("/orders/queue", "queue-table"), ("/orders/queue/tasks", "task-panel"),
    ("/orders/queue/cutoff", "cutoff-banner"), ("/orders/queue/overdue", "overdue-section"),
    ("/orders/queue?sort=large&flag=none&platform=tmall", "queue-table"),
])
def test_the_page_and_its_fragments(desk, make_order, url, block_id):
    make_order("paid")
    client = desk()
    page = client.get(url)
    assert page.status_code == 200 and "<html" in html(page)
    fragment = client.get(url, headers=HX)
    body = html(fragment)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in body and f'id="{block_id}"' in body.split(">", 1)[0]


def test_a_row_fragment(desk, make_order):
    order = make_order("paid")
    client = desk()
    body = html(client.get(f"/orders/queue/{order.id}/row", headers=HX))
    assert starts_with_row(body, order)
    assert f'hx-trigger="order-{order.id}-changed from:body, sse:order-{order.id}-changed"' in body
    assert client.get("/orders/queue/999999/row", headers=HX).status_code == 404
    assert client.get(f"/orders/queue/{order.id}/row").status_code == 303  # plain: the queue


def test_the_page_shows_rows_with_their_actions(desk, make_order, presales, freeze):
    paid = make_order("paid", order_no="PAID-1", receiver_name="李四")
    printed = make_order("printed", order_no="PRINTED-1")
    packed = make_order("packed", order_no="PACKED-1")
    freeze("2026-11-22 12:00")
    remark_svc.add(presales, paid, paid.version, "card", "生日快乐")
    body = html(desk().get("/orders/queue"))
    rows = {o.order_no: re.search(rf'<tr id="order-{o.id}".*?</tr>', body, re.S).group(0)
            for o in (paid, printed, packed)}
    assert "李四" in rows["PAID-1"] and "TEA-01" in rows["PAID-1"] and "¥176.00" in rows["PAID-1"]
    assert "1 remarks" in rows["PAID-1"] and "Greeting-card text: 生日快乐" in rows["PAID-1"]
    assert 'name="ids"' in rows["PAID-1"] and "Mark packed" not in rows["PAID-1"]
    assert "Mark packed" in rows["PRINTED-1"] and "Mark shipped" not in rows["PRINTED-1"]
    assert "/row?edit=ship" in rows["PACKED-1"] and "/row?edit=ship" not in rows["PRINTED-1"]
    assert "/row?edit=flag" in rows["PAID-1"] and 'list="courier-list"' not in rows["PACKED-1"]
    assert "Ships today" in rows["PAID-1"] and f"/orders/{paid.id}" in rows["PAID-1"]
    assert 'id="courier-list"' in body and "顺丰" in body


def test_twenty_rows_a_page(desk, make_order):
    for n in range(21):
        make_order("paid", paid=f"2026-11-22 09:{n:02d}")
    client = desk()
    first = html(client.get("/orders/queue"))
    assert first.count('class="queue-row') == 20 and "Page 1 of 2" in first
    assert html(client.get("/orders/queue?page=2")).count('class="queue-row') == 1


# --- flags (R-O6) ---------------------------------------------------------------------------


def test_flag_yellow_in_place(desk, make_order):
    order = make_order("paid")
    response = post(desk(), f"/orders/queue/{order.id}/flag", order, flag="yellow")
    assert response.status_code == 200 and starts_with_row(html(response), order)
    assert "Flagged yellow: checked." in html(response) and "orders-changed" in triggered(response)
    assert db.session.get(Order, order.id).flag == "yellow"


def test_flag_red_tells_presales(desk, make_order, presales):
    order = make_order("paid", lines=(("TEA-01", 1), ("CUP-02", 2)))
    response = post(desk(), f"/orders/queue/{order.id}/flag", order, flag="red", sku="CUP-02",
                    arrival="2026-11-25")
    assert response.status_code == 200, html(response)
    assert "CUP-02 → 2026-11-25" in html(response)
    note = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == presales.id, Notification.message.contains("out of stock")))
    assert note is not None and note.params["sku"] == "CUP-02"


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"sku": "TEA-01"}, "arrival", "Enter the expected arrival date."),
    ({"arrival": "2026-11-25"}, "sku", "Enter the SKU that is out of stock."),
    ({"sku": "POT-03", "arrival": "2026-11-25"}, "sku", "SKU POT-03 is not on this order."),
    ({"sku": "TEA-01", "arrival": "25/11"}, "arrival", "Enter the date as YYYY-MM-DD."),
    ({"sku": "TEA-01", "arrival": "2026-11-01"}, "arrival", "cannot be in the past"),
])
def test_flag_red_needs_sku_and_arrival(desk, make_order, presales, data, field, message):
    order = make_order("paid")
    response = post(desk(), f"/orders/queue/{order.id}/flag", order, flag="red", **data)
    body = html(response)
    assert response.status_code == 422 and starts_with_row(body, order)
    assert f'id="flag-{field}-{order.id}-error"' in body and message in body
    assert '<div class="flag-red-box">' in body
    db.session.expire_all()
    assert db.session.get(Order, order.id).flag is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.user_id == presales.id,
                                    Notification.message.contains("out of stock"))) == 0


def test_clear_a_flag(desk, make_order, clerk):
    order = make_order("paid")
    svc.set_flag(clerk, order, order.version, "yellow")
    response = post(desk(), f"/orders/queue/{order.id}/flag", order, flag="none")
    assert response.status_code == 200 and db.session.get(Order, order.id).flag is None


# --- pack, ship, void -----------------------------------------------------------------------


def test_pack_in_place(desk, make_order):
    order = make_order("printed")
    response = post(desk(), f"/orders/queue/{order.id}/pack", order)
    assert response.status_code == 200 and starts_with_row(html(response), order)
    assert db.session.get(Order, order.id).stage == "packed" and "/row?edit=ship" in html(response)


def test_packing_a_paid_order_is_refused(desk, make_order):
    order = make_order("paid")
    response = post(desk(), f"/orders/queue/{order.id}/pack", order)
    assert response.status_code == 422
    assert "Only a printed order can be packed (this one is Paid)." in html(response)
    assert db.session.get(Order, order.id).stage == "paid"


def test_ship_in_place(desk, make_order):
    order = make_order("packed", lines=(("CUP-02", 2),))
    response = post(desk(), f"/orders/queue/{order.id}/ship", order, courier="顺丰",
                    tracking_no="SF1234567890")
    body = html(response)
    assert response.status_code == 200 and "Shipped: 顺丰 SF1234567890" in body
    db.session.expire_all()
    shipped = db.session.get(Order, order.id)
    assert (shipped.stage, shipped.flag) == ("shipped", "yellow")
    assert db.session.scalar(sa.select(StockItem.on_hand).where(StockItem.sku == "CUP-02")) == 3


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"courier": "顺丰", "tracking_no": "  "}, "tracking", "Enter the tracking number."),
    ({"courier": "", "tracking_no": "SF1"}, "courier", "Enter the courier."),
])
def test_ship_needs_courier_and_tracking_number(desk, make_order, data, field, message):
    order = make_order("packed")
    response = post(desk(), f"/orders/queue/{order.id}/ship", order, **data)
    body = html(response)
    assert response.status_code == 422 and f'id="ship-{field}-{order.id}-error"' in body
    assert message in body and '<div class="ship-box">' in body
    db.session.expire_all()
    assert db.session.get(Order, order.id).stage == "packed"


def test_void_an_unprinted_cancellation(desk, make_order, presales):
    order = make_order("paid")
    svc.request_cancel(presales, order, order.version, "买家不要了")
    client = desk()
    row = html(client.get(f"/orders/queue/{order.id}/row", headers=HX))
    assert "Cancellation asked" in row and "Void" in row and 'name="ids"' not in row
    response = post(client, f"/orders/queue/{order.id}/void", order)
    assert response.status_code == 200 and "Voided." in html(response)
    assert db.session.get(Order, order.id).stage == "cancelled"


def test_void_waits_for_the_slip_to_come_back(desk, make_order, presales):
    order = make_order("printed")
    svc.request_cancel(presales, order, order.version, "买家不要了")
    client = desk()
    row = html(client.get(f"/orders/queue/{order.id}/row", headers=HX))
    assert "Take the slip/parcel back from the warehouse first" in row
    assert "/void" not in row and "Mark packed" not in row
    response = post(client, f"/orders/queue/{order.id}/void", order)
    assert response.status_code == 422 and "Take the slip/parcel back" in html(response)
    task = db.session.scalar(sa.select(OrderTask).where(OrderTask.order_id == order.id))
    done = client.post(f"/orders/queue/tasks/{task.id}/done", data={"version": task.version},
                       headers=HX)
    assert done.status_code == 200 and f"order-{order.id}-changed" in triggered(done)
    assert "Void" in html(client.get(f"/orders/queue/{order.id}/row", headers=HX))
    db.session.expire_all()
    response = post(client, f"/orders/queue/{order.id}/void", db.session.get(Order, order.id))
    assert response.status_code == 200 and db.session.get(Order, order.id).stage == "cancelled"


def test_voiding_without_a_cancellation_is_refused(desk, make_order):
    order = make_order("paid")
    response = post(desk(), f"/orders/queue/{order.id}/void", order)
    assert response.status_code == 422 and "Nobody asked to cancel this order." in html(response)


def test_plain_posts_redirect_to_the_queue(desk, make_order):
    order = make_order("printed")
    response = desk().post(f"/orders/queue/{order.id}/pack", data={"version": order.version})
    assert response.status_code == 303 and response.headers["Location"].endswith("/orders/queue")


def test_a_post_without_version_is_a_bad_request(desk, make_order):
    order = make_order("printed")
    assert desk().post(f"/orders/queue/{order.id}/pack", data={}, headers=HX).status_code == 400


# --- two clerks at once ---------------------------------------------------------------------


def test_two_clerks_ship_the_same_order(desk, make_order, create_user, app, sign_in):
    order = make_order("packed")
    seen = order.version
    first = desk()
    other = app.test_client()
    sign_in(other, create_user("order_clerk"))
    assert post(first, f"/orders/queue/{order.id}/ship", courier="顺丰", tracking_no="SF1",
                version=seen).status_code == 200
    late = post(other, f"/orders/queue/{order.id}/ship", courier="中通", tracking_no="ZT2",
                version=seen)
    body = html(late)
    assert late.status_code == 409 and starts_with_row(body, order)
    assert "Someone else changed this order first" in body and "Shipped: 顺丰 SF1" in body
    db.session.expire_all()
    assert db.session.get(Order, order.id).tracking_no == "SF1"


def test_one_voids_while_the_other_prints(desk, make_order, presales, clerk, create_user, app,
                                          sign_in):
    order = make_order("paid")
    other = make_order("paid")
    seen = order.version  # the second clerk's page was drawn before the cancellation
    svc.request_cancel(presales, order, order.version, "买家不要了")
    svc.void(clerk, order, order.version)
    printer = app.test_client()
    sign_in(printer, create_user("order_clerk"))
    desk()  # sets the clock
    response = printer.post("/orders/queue/print", headers=HX, data={
        "ids": [str(other.id), str(order.id)], f"version-{other.id}": other.version,
        f"version-{order.id}": seen})
    body = html(response)
    assert response.status_code == 409 and body.lstrip().startswith('<section id="queue-table"')
    assert f"Someone else changed these orders first: {order.order_no}." in body
    assert f'id="order-{order.id}"' not in body  # voided: it left the queue
    assert f'id="order-{other.id}"' in body and "orders-print" not in triggered(response)
    db.session.expire_all()
    assert db.session.get(Order, other.id).stage == "paid"  # nothing printed


# --- printing slips -------------------------------------------------------------------------


def test_print_a_selection(desk, make_order):
    a, b = make_order("paid"), make_order("packed")
    response = desk().post("/orders/queue/print", headers=HX, data={
        "ids": [str(a.id), str(b.id)], f"version-{a.id}": a.version, f"version-{b.id}": b.version})
    body = html(response)
    assert response.status_code == 200 and body.lstrip().startswith('<section id="queue-table"')
    url = f"/orders/slips?ids={a.id},{b.id}"
    events = triggered(response)
    assert events["orders-print"] == {"url": url} and "orders-changed" in events
    assert "2 slips printed." in body and "Open the slips" in body and url in body
    rows = {o.id: re.search(rf'<tr id="order-{o.id}".*?</tr>', body, re.S).group(0)
            for o in (a, b)}
    assert "Printed" in rows[a.id] and "Mark packed" in rows[a.id]
    db.session.expire_all()
    assert [db.session.get(Order, o.id).stage for o in (a, b)] == ["printed", "packed"]


def test_printing_a_cancellation_is_refused(desk, make_order, presales):
    a, b = make_order("paid", order_no="OK-1"), make_order("paid", order_no="CANCEL-1")
    svc.request_cancel(presales, b, b.version, "买家不要了")
    response = desk().post("/orders/queue/print", headers=HX, data={
        "ids": [str(a.id), str(b.id)], f"version-{a.id}": a.version, f"version-{b.id}": b.version})
    assert response.status_code == 422
    assert "These orders cannot be printed now: CANCEL-1." in html(response)
    db.session.expire_all()
    assert db.session.get(Order, a.id).stage == "paid"


def test_printing_nothing_is_refused(desk):
    response = desk().post("/orders/queue/print", headers=HX, data={})
    assert response.status_code == 422 and "Select the orders" in html(response)


def test_print_without_javascript_answers_the_slips(desk, make_order):
    """Without JavaScript the print leads to the slips page (a reload there prints nothing
    again)."""
    order = make_order("paid", order_no="NOJS-1")
    clerk = desk()
    response = clerk.post("/orders/queue/print", data={
        "ids": str(order.id), f"version-{order.id}": order.version})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/slips?ids={order.id}")
    slips = clerk.get(response.headers["Location"])
    assert slips.status_code == 200 and 'class="slip"' in html(slips)
    assert "NOJS-1" in html(slips)
    db.session.refresh(order)
    assert order.stage == "printed"


def test_the_slips_page(desk, make_order, presales, freeze):
    order = make_order("printed", order_no="SLIP-1", receiver_name="王先生",
                       receiver_phone="13800001111", lines=(("TEA-01", 2), ("CUP-02", 1)))
    other = make_order("paid", order_no="SLIP-2")
    freeze("2026-11-22 12:00")
    remark_svc.add(presales, order, order.version, "card", "生日快乐")
    body = html(desk().get(f"/orders/slips?ids={order.id},{other.id}"))
    slip = re.search(rf'<article class="slip" id="slip-{order.id}".*?</article>', body,
                     re.S).group(0)
    for needle in ("SLIP-1", "Tmall", "2026-11-22 10:00", "王先生", "13800001111",
                   "浙江省杭州市西湖区文三路 1 号", "TEA-01", "龙井茶 250g", "标准", "CUP-02",
                   "Greeting-card text: 生日快乐 ---2026.11.22 张小红"):
        assert needle in slip, needle
    assert body.count('<article class="slip"') == 2 and "data-print" in body
    assert "<script>" not in body and "onclick" not in body and "style=" not in body
    assert "@page" in (ROOT / "static/css/orders-queue.css").read_text()


def test_slips_of_nothing(desk):
    assert "No orders selected" in html(desk().get("/orders/slips?ids=abc"))


# --- tasks ----------------------------------------------------------------------------------


def test_tasks_on_top_with_their_remark(desk, make_order, presales, freeze):
    plain = make_order("paid", order_no="PLAIN", paid="2026-11-22 08:00")
    order = make_order("printed", order_no="TASKED")
    freeze("2026-11-22 11:00")
    remark_svc.add(presales, order, order.version, "address", receiver_address="上海市 新地址 8 号")
    body = html(desk().get("/orders/queue"))
    panel = re.search(r'<section id="task-panel".*?</section>', body, re.S).group(0)
    assert "TASKED" in panel and "Take back and correct the slip" in panel
    assert "上海市 新地址 8 号" in panel and "---2026.11.22 张小红" in panel and "Done" in panel
    assert body.index(f'id="order-{order.id}"') < body.index(f'id="order-{plain.id}"')


def test_a_task_done_twice(desk, make_order, presales, create_user, app, sign_in):
    order = make_order("printed")
    remark_svc.add(presales, order, order.version, "card", "生日快乐")
    task = db.session.scalar(sa.select(OrderTask))
    client = desk()
    other = app.test_client()
    sign_in(other, create_user("order_clerk"))
    first = client.post(f"/orders/queue/tasks/{task.id}/done", data={"version": 1}, headers=HX)
    assert first.status_code == 200 and "No open tasks." in html(first)
    assert "Done: Take back and correct the slip" in html(first)
    assert html(first).lstrip().startswith('<section id="task-panel"')
    late = other.post(f"/orders/queue/tasks/{task.id}/done", data={"version": 1}, headers=HX)
    assert late.status_code == 409 and "Someone else finished this task first." in html(late)
    assert db.session.get(Order, order.id).open_tasks == 0


def test_the_badge_counts_open_tasks(desk, make_order, presales):
    order = make_order("printed")
    client = desk()
    assert html(client.get("/orders/queue/badge", headers=HX)).strip() == ""
    remark_svc.add(presales, order, order.version, "card", "生日快乐")
    assert html(client.get("/orders/queue/badge", headers=HX)).startswith("1")


def test_the_nav_entry(desk, client):
    body = html(today(desk()))
    assert 'href="/orders/queue"' in body and 'hx-get="/orders/queue/badge"' in body
    assert "orders-changed from:body" in body


# --- cut-off and overdue --------------------------------------------------------------------


def test_cutoff_banner_counts_down(desk, freeze):
    client = desk()
    freeze("2026-11-22 15:18")
    body = html(client.get("/orders/queue/cutoff", headers=HX))
    assert "Cut-off 16:30: 1 h 12 min left" in body
    assert 'data-deadline="2026-11-22T16:30:00+08:00"' in body
    assert 'data-msg-hours="Cut-off 16:30: {h} h {m} min left"' in body
    freeze("2026-11-22 16:20")
    assert "Cut-off 16:30: 10 min left" in html(client.get("/orders/queue/cutoff", headers=HX))


def test_after_the_cutoff_the_missed_list(desk, make_order, freeze):
    missed = make_order("packed", order_no="MISSED-1", paid="2026-11-22 10:00")
    make_order("paid", order_no="AFTER-4", paid="2026-11-22 16:05")
    client = desk()
    freeze("2026-11-22 16:45")
    body = html(client.get("/orders/queue/cutoff", headers=HX))
    assert "Cut-off 16:30 passed." in body and "data-deadline" not in body
    assert "MISSED-1" in body and "AFTER-4" not in body
    assert f'href="/orders/{missed.id}"' in body


def test_overdue_section(desk, make_order):
    make_order("paid", order_no="OLD-1", paid="2026-11-18 09:00")
    make_order("paid", order_no="NEW-1", paid="2026-11-21 09:00")
    body = html(desk().get("/orders/queue/overdue", headers=HX))
    section = re.search(r'<section id="overdue-section".*?</section>', body, re.S).group(0)
    assert "OLD-1" in section and "NEW-1" not in section and ">4</td>" in section


# --- Today cards ----------------------------------------------------------------------------


def test_the_clerks_today_card(desk, make_order, presales, freeze):
    order = make_order("printed", paid="2026-11-18 09:00")
    remark_svc.add(presales, order, order.version, "card", "生日快乐")
    body = html(today(desk()))
    card = re.search(r'<section class="card" id="card-orders-clerk".*?</section>', body,
                     re.S).group(0)
    assert "Open tasks: 1" in card and "Overdue orders (paid over 3 days ago): 1" in card
    assert "Cut-off 16:30: 2 h 30 min left" in card and "css/orders-queue.css" in body
    assert "card-orders-overdue" not in body


def test_the_supervisors_today_card(client, sign_in, create_user, make_order, freeze):
    for n, day in enumerate(("14", "15", "16", "17", "18", "19", "21")):
        make_order("paid", order_no=f"OLD-{n}", paid=f"2026-11-{day} 09:00")
    freeze(NOW)
    sign_in(client, create_user("supervisor"))
    body = html(today(client))
    card = re.search(r'<section class="card" id="card-orders-overdue".*?</section>', body,
                     re.S).group(0)
    assert "6 orders paid more than 3 days ago are not shipped." in card
    assert card.count("<li>") == 5 and "OLD-0" in card and "8 days" in card and "OLD-5" not in card
    assert "card-orders-clerk" not in body


# --- who may ---------------------------------------------------------------------------------

POSTS = ["/orders/queue/{id}/flag", "/orders/queue/{id}/pack", "/orders/queue/{id}/ship",
         "/orders/queue/{id}/void", "/orders/queue/print", "/orders/queue/tasks/{task}/done"]


@pytest.mark.parametrize("role", ["presales", "aftersales", "reception", "supervisor", "manager"])
def test_only_order_clerks_work_the_queue(client, sign_in, create_user, make_order, presales,
                                          role):
    order = make_order("printed")
    remark_svc.add(presales, order, order.version, "card", "生日快乐")
    task = db.session.scalar(sa.select(OrderTask))
    sign_in(client, create_user(role))
    for url in POSTS:
        url = url.format(id=order.id, task=task.id)
        response = client.post(url, data={"version": order.version, "flag": "yellow",
                                          "ids": str(order.id)}, headers=HX)
        assert response.status_code == 403, (role, url)
    for url in ("/orders/queue", f"/orders/slips?ids={order.id}", "/orders/queue/badge"):
        assert client.get(url).status_code == 403, (role, url)
    db.session.expire_all()
    assert db.session.get(Order, order.id).stage == "printed"


# --- query counts ---------------------------------------------------------------------------


def _fill(make_order, presales, freeze, n):
    """``n`` orders in every stage of the queue; every fifth printed with a remark (a task);
    paid today (missed after the cut-off), four days ago (overdue) or yesterday."""
    for i in range(n):
        stage = "printed" if i % 5 == 0 else ("paid", "printed", "packed")[i % 3]
        order = make_order(stage, paid=f"2026-11-{(22, 18, 21)[i % 3]} 09:{i % 60:02d}",
                           lines=(("TEA-01", 1), ("CUP-02", 1)))
        if i % 5 == 0:
            freeze("2026-11-22 11:00")
            remark_svc.add(presales, order, order.version, "card", f"卡片 {i}")


def _count(client, count_queries, url):
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


@pytest.mark.parametrize("url", ["/orders/queue", "/", "/orders/queue?sort=large",
                                 "/orders/slips?ids=ALL"])
def test_queries_do_not_grow_with_orders(desk, make_order, presales, freeze, count_queries,
                                         url):
    def measure(n):
        _fill(make_order, presales, freeze, n)
        client = desk()
        freeze("2026-11-22 17:00")  # after the cut-off: the missed list is read too
        ids = ",".join(str(i) for i in db.session.scalars(sa.select(Order.id)))
        return _count(client, count_queries, url.replace("ALL", ids))

    few = measure(3)
    many = measure(12)
    assert few == many, f"{url}: {few} queries with 3 orders, {many} with 15"
    assert few <= 20, few


def test_printing_keeps_the_filters_and_page(desk, make_order):
    a = make_order("paid", platform="jd")
    make_order("paid", platform="tmall", order_no="TMALL-1")
    client = desk()
    page = html(client.get("/orders/queue?platform=jd&sort=large", headers=HX))
    action = re.search(r'hx-post="/orders/queue/print\?([^"]*)"', page).group(1)
    assert sorted(action.split("&amp;")) == ["platform=jd", "sort=large"]
    response = client.post("/orders/queue/print?sort=large&platform=jd", headers=HX, data={
        "ids": str(a.id), f"version-{a.id}": a.version})
    assert response.status_code == 200 and "TMALL-1" not in html(response)


def test_the_supervisors_today_page_queries_do_not_grow(client, sign_in, create_user,
                                                        make_order, presales, freeze,
                                                        count_queries):
    supervisor = create_user("supervisor")

    def measure(n):
        _fill(make_order, presales, freeze, n)
        freeze(NOW)
        sign_in(client, supervisor)
        return _count(client, count_queries, "/")

    assert measure(3) == measure(27)


def test_a_row_opens_its_ship_form_only_when_asked(desk, make_order):
    """The red-flag and ship forms come with the row only on request (in place with htmx; a
    page of their own without JavaScript)."""
    order = make_order("packed")
    client = desk()
    fragment = client.get(f"/orders/queue/{order.id}/row?edit=ship", headers=HX)
    assert fragment.status_code == 200 and '<div class="ship-box">' in html(fragment)
    assert "<html" not in html(fragment)
    page = client.get(f"/orders/queue/{order.id}/row?edit=flag")
    assert page.status_code == 200 and "<html" in html(page)
    assert '<div class="flag-red-box">' in html(page)
    plain = client.get(f"/orders/queue/{order.id}/row", headers=HX)
    assert "ship-box" not in html(plain) and "flag-red-box" not in html(plain)
