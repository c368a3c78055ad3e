"""The order desk on the action runner: services change and flush but never commit; voiding a
paid order tells after-sales through a signal inside the same transaction; and every kind of
answer, when someone else was first (409), shows the record as it is now with the user's
typing kept and the form's version moved to the current one."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal import signals
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.orders import importer, registers
from portal.orders import orders as svc
from portal.orders import remarks as remark_svc
from portal.orders import stock as stock_svc
from portal.orders.models import BankTransfer, Order, OrderRemark, StockItem, StockWait
from portal.rules import RuleError
from tests.conftest import count_rows
from tests.orders.conftest import HX
from tests.orders.test_import_parsing import line, make_csv


def html(response) -> str:
    return response.get_data(as_text=True)


def fresh(record):
    db.session.expire_all()
    return db.session.get(type(record), record.id)


@pytest.fixture
def clerk_client(client, sign_in, clerk, freeze):
    """The order clerk signed in, the clock at 14:00 (call it once the orders exist)."""

    def _signed_in():
        freeze("2026-11-22 14:00")
        sign_in(client, clerk)
        return client

    return _signed_in


def second(app, sign_in, user):
    other = app.test_client()
    sign_in(other, user)
    return other


# --- services never commit ------------------------------------------------------------------


def _print(order, clerk, presales):
    svc.print_slips(clerk, [order])


def _remark(order, clerk, presales):
    remark_svc.add(presales, order, order.version, "card", "生日快乐")


def _cancel(order, clerk, presales):
    svc.request_cancel(presales, order, order.version, "买家不要了")


@pytest.mark.parametrize("change", [_print, _remark, _cancel])
def test_an_order_service_changes_nothing_until_the_runner_commits(make_order, clerk, presales,
                                                                   change):
    order = make_order("paid")
    version = order.version
    change(order, clerk, presales)
    assert order.version > version  # flushed: the version check has run
    db.session.rollback()
    order = fresh(order)
    assert (order.stage, order.version, order.cancel_requested_at) == ("paid", version, None)
    assert count_rows(OrderRemark) == 0
    assert count_rows(AuditEvent, AuditEvent.action.in_(
        ("orders.printed", "orders.remarked", "orders.cancel_requested"))) == 0


def test_the_registers_stock_and_import_services_do_not_commit(presales, clerk, stock, freeze):
    freeze("2026-11-22 09:30")
    cup = stock["CUP-02"]
    stock_svc.set_stock(clerk, cup, cup.version, 9, None)
    stock_svc.add_item(clerk, "MUG-09", "马克杯", 3)
    registers.add_wait(presales, buyer="王先生", contact="138", sku="POT-03", quantity=1)
    registers.add_transfer(presales, received_on=date(2026, 11, 21), payer="某公司",
                           amount=88, bank="建设银行")
    importer.preview(presales, "tmall", "orders.csv", make_csv([line("TB1")]))
    db.session.rollback()
    assert fresh(cup).on_hand == 5
    assert count_rows(StockItem) == 3 and count_rows(StockWait) == 0
    assert count_rows(BankTransfer) == 0 and count_rows(AuditEvent) == 0


# --- voiding a paid order: one transaction with after-sales ----------------------------------


def _cancel_asked(make_order, presales, stage="paid"):
    order = make_order(stage)
    svc.request_cancel(presales, order, order.version, "买家拍错了")
    db.session.commit()
    return order


def voided_events(order) -> int:
    return count_rows(AuditEvent, AuditEvent.action == "orders.voided",
                      AuditEvent.target_id == str(order.id))


def test_voiding_a_paid_order_tells_after_sales_in_the_same_transaction(
        clerk_client, make_order, presales, clerk):
    order = _cancel_asked(make_order, presales)
    heard = []

    def receiver(sender, user):
        # what a receiver sees: the order already voided (flushed), in the same session
        heard.append((sender.id, sender.stage, user.id,
                      db.session.scalar(sa.select(Order.stage).where(Order.id == sender.id))))

    with signals.order_voided_while_paid.connected_to(receiver):
        response = clerk_client().post(f"/orders/queue/{order.id}/void", headers=HX,
                                       data={"version": order.version})
    assert response.status_code == 200 and "Voided." in html(response)
    assert heard == [(order.id, "cancelled", clerk.id, "cancelled")]
    assert fresh(order).stage == "cancelled" and voided_events(order) == 1


def test_an_unpaid_order_voided_tells_nobody(clerk_client, make_order, presales):
    order = _cancel_asked(make_order, presales, "awaiting_payment")
    heard = []
    with signals.order_voided_while_paid.connected_to(lambda sender, user: heard.append(1)):
        response = clerk_client().post(f"/orders/queue/{order.id}/void", headers=HX,
                                       data={"version": order.version})
    assert response.status_code == 200 and heard == []
    assert fresh(order).stage == "cancelled"


def test_a_receiver_refusing_leaves_the_order_as_it_was(clerk_client, make_order, presales):
    order = _cancel_asked(make_order, presales)

    def refuse(sender, user):
        raise RuleError("After-sales cannot take the refund now.")

    with signals.order_voided_while_paid.connected_to(refuse):
        response = clerk_client().post(f"/orders/queue/{order.id}/void", headers=HX,
                                       data={"version": order.version})
    body = html(response)
    assert response.status_code == 422 and "After-sales cannot take the refund now." in body
    assert body.lstrip().startswith(f'<tr id="order-{order.id}"')
    order = fresh(order)
    assert order.stage == "paid" and order.closed_at is None and voided_events(order) == 0


def test_a_receiver_failing_leaves_the_order_as_it_was(clerk_client, make_order, presales):
    order = _cancel_asked(make_order, presales)

    def broken(sender, user):
        raise RuntimeError("after-sales is down")

    client = clerk_client()
    with signals.order_voided_while_paid.connected_to(broken):
        response = client.post(f"/orders/queue/{order.id}/void", headers=HX,
                               data={"version": order.version})
    assert response.status_code == 500
    order = fresh(order)
    assert order.stage == "paid" and order.closed_at is None and voided_events(order) == 0
    # without the failing receiver the same click voids it
    response = client.post(f"/orders/queue/{order.id}/void", headers=HX,
                           data={"version": order.version})
    assert response.status_code == 200 and fresh(order).stage == "cancelled"
    assert voided_events(order) == 1


# --- 409: the current state, the typing kept -------------------------------------------------


def test_a_late_cancellation_keeps_the_reason_and_shows_the_card_now(
        client, login, presales, clerk, make_order):
    order = make_order("paid")
    seen = order.version
    svc.print_slips(clerk, [order])  # the clerk printed it meanwhile
    login(user=presales)
    response = client.post(f"/orders/{order.id}/cancel", headers=HX,
                           data={"version": seen, "reason": "买家改主意了 typed"})
    body = html(response)
    assert response.status_code == 409 and body.lstrip().startswith('<section id="order-card"')
    assert "Someone else changed this order first" in body
    assert '<span class="stage stage-printed">Printed</span>' in body  # the card as it is now
    assert 'value="买家改主意了 typed"' in body and '<details class="cancel-box" open>' in body
    order = fresh(order)
    assert order.version > seen and (f'id="order-version-cancel-{order.id}" name="version" '
                                     f'type="hidden" value="{order.version}"') in body
    assert order.cancel_requested_at is None


def test_a_late_remark_keeps_what_was_typed(client, login, presales, clerk, make_order):
    order = make_order("paid")
    seen = order.version
    svc.set_flag(clerk, order, order.version, "yellow")
    login(user=presales)
    response = client.post(f"/orders/{order.id}/remarks", headers=HX, data={
        "version": seen, "remarks_shown": "0", "kind": "delivery",
        "details": "周六上午送货 typed"})
    body = html(response)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#order-card"
    assert "Someone else changed this order first" in body
    assert '<span class="flag flag-yellow"' in body  # the card as it is now
    assert "周六上午送货 typed" in body and '<option selected value="delivery">' in body
    now = fresh(order).version
    assert now > seen and (f'id="order-version-remark-{order.id}" name="version" '
                           f'type="hidden" value="{now}"') in body
    assert count_rows(OrderRemark) == 0


def test_a_late_shipment_keeps_the_tracking_number_and_shows_the_row_now(
        clerk_client, app, sign_in, create_user, make_order):
    order = make_order("packed")
    seen = order.version
    first = clerk_client()
    flagged = second(app, sign_in, create_user("order_clerk")).post(
        f"/orders/queue/{order.id}/flag", headers=HX, data={"version": seen, "flag": "yellow"})
    assert flagged.status_code == 200
    late = first.post(f"/orders/queue/{order.id}/ship", headers=HX, data={
        "version": seen, "courier": "中通", "tracking_no": "ZT778899"})
    body = html(late)
    assert late.status_code == 409 and body.lstrip().startswith(f'<tr id="order-{order.id}"')
    assert "Someone else changed this order first" in body
    assert 'class="flag flag-yellow"' in body  # the row as it is now
    assert 'value="ZT778899"' in body and 'value="中通"' in body  # the typing kept
    order = fresh(order)
    assert order.version > seen and f'name="version" value="{order.version}"' in body
    assert order.stage == "packed"


def test_a_late_red_flag_keeps_the_sku_and_date(clerk_client, app, sign_in, create_user,
                                                make_order):
    order = make_order("paid", lines=(("TEA-01", 1), ("CUP-02", 1)))
    seen = order.version
    first = clerk_client()
    second(app, sign_in, create_user("order_clerk")).post(
        f"/orders/queue/{order.id}/flag", headers=HX, data={"version": seen, "flag": "yellow"})
    late = first.post(f"/orders/queue/{order.id}/flag", headers=HX, data={
        "version": seen, "flag": "red", "sku": "CUP-02", "arrival": "2026-11-30"})
    body = html(late)
    assert late.status_code == 409 and 'class="flag flag-yellow"' in body
    assert '<option value="CUP-02" selected>' in body and 'value="2026-11-30"' in body
    assert fresh(order).flag == "yellow"


def test_a_late_link_shows_the_entry_linked_by_someone_else(
        client, sign_in, app, presales, create_user, make_order, freeze):
    order = make_order("awaiting_payment", payment="awaiting")
    other_order = make_order("paid")
    freeze("2026-11-22 09:30")
    transfer, _paid = registers.add_transfer(presales, received_on=date(2026, 11, 21),
                                             payer="某公司", amount=176, bank="建设银行")
    db.session.commit()
    seen = transfer.version
    sign_in(client, presales)
    assert second(app, sign_in, create_user("presales")).post(
        f"/orders/transfers/{transfer.id}/link", headers=HX,
        data={"version": seen, "order_id": order.id}).status_code == 200
    late = client.post(f"/orders/transfers/{transfer.id}/link", headers=HX,
                       data={"version": seen, "order_id": other_order.id})
    body = html(late)
    assert late.status_code == 409 and body.lstrip().startswith(f'<tr id="transfer-{transfer.id}"')
    assert "Someone else changed this entry first" in body
    assert order.order_no in body and "Link to order" not in body  # linked: no form any more
    assert fresh(transfer).order_id == order.id


def test_a_late_mark_shows_the_buyer_as_marked(client, sign_in, app, presales, create_user,
                                               stock, freeze):
    freeze("2026-11-22 09:30")
    wait = registers.add_wait(presales, buyer="王先生", contact="138", sku="POT-03",
                              quantity=1)
    db.session.commit()
    seen = wait.version
    sign_in(client, presales)
    second(app, sign_in, create_user("presales")).post(
        f"/orders/waits/{wait.id}/mark", headers=HX, data={"version": seen, "outcome": "told"})
    late = client.post(f"/orders/waits/{wait.id}/mark", headers=HX,
                       data={"version": seen, "outcome": "gave_up"})
    body = html(late)
    assert late.status_code == 409 and body.lstrip().startswith(f'<tr id="wait-{wait.id}"')
    assert "Someone else updated this buyer&#39;s entry first" in body and "Told" in body
    wait = fresh(wait)
    assert wait.version > seen and f'name="version" value="{wait.version}"' in body
    assert wait.state == "told"


def test_an_order_number_taken_this_very_moment_keeps_the_typed_order(
        client, login, stock, monkeypatch, make_order):
    taken = make_order("paid", order_no="PHONE-1", platform="phone")
    login("presales")
    monkeypatch.setattr(svc, "find", lambda platform, order_no: None)  # not seen yet: a race
    response = client.post("/orders/new", data={
        "platform": "phone", "order_no": "PHONE-1", "buyer_id": "buyer typed",
        "receiver_name": "赵女士", "receiver_phone": "13700001234",
        "receiver_address": "江苏省南京市 typed 路 5 号", "payment": "online",
        "lines-0-sku": "TEA-01", "lines-0-quantity": "2", "lines-0-unit_price": "88.00"})
    body = html(response)
    assert response.status_code == 409 and "<html" in body
    assert "Order PHONE-1 already exists on this platform." in body
    assert 'value="buyer typed"' in body and "江苏省南京市 typed 路 5 号" in body
    assert count_rows(Order, Order.order_no == "PHONE-1") == 1 and taken.id


# --- without JavaScript: a refusal or a conflict is a page with why, never a bare redirect --


def test_without_javascript_a_refused_row_action_is_the_row_page(clerk_client, make_order):
    order = make_order("paid")
    response = clerk_client().post(f"/orders/queue/{order.id}/pack",
                                   data={"version": order.version})
    body = html(response)
    assert response.status_code == 422 and "<html" in body
    assert "Only a printed order can be packed (this one is Paid)." in body
    assert f'<tr id="order-{order.id}"' in body


def test_without_javascript_a_late_stock_count_is_the_page_with_the_typing(
        clerk_client, stock):
    cup = stock["CUP-02"]
    seen = cup.version
    client = clerk_client()
    assert client.post(f"/orders/stock/{cup.id}", data={"version": seen, "on_hand": "7"}) \
        .status_code == 303
    late = client.post(f"/orders/stock/{cup.id}", data={"version": seen, "on_hand": "2"})
    body = html(late)
    assert late.status_code == 409 and "<html" in body
    assert "Another clerk changed this SKU first" in body and 'value="2"' in body
    assert '<p class="stock-now">On hand: 7' in body


def test_without_javascript_a_late_mark_and_a_late_task_are_pages(
        client, app, sign_in, presales, clerk, make_order, stock, freeze):
    from portal.orders.models import OrderTask

    freeze("2026-11-22 09:30")
    wait = registers.add_wait(presales, buyer="王先生", contact="138", sku="POT-03",
                              quantity=1)
    order = make_order("printed")
    remark_svc.add(presales, order, order.version, "card", "生日快乐")  # a task for the clerks
    db.session.commit()
    task = db.session.scalar(sa.select(OrderTask))
    seen_wait, seen_task = wait.version, task.version
    sign_in(client, presales)
    assert client.post(f"/orders/waits/{wait.id}/mark",
                       data={"version": seen_wait, "outcome": "told"}).status_code == 303
    late = client.post(f"/orders/waits/{wait.id}/mark",
                       data={"version": seen_wait, "outcome": "bought"})
    assert late.status_code == 409 and "<html" in html(late)
    assert "Someone else updated this buyer&#39;s entry first" in html(late)
    desk = second(app, sign_in, clerk)
    assert desk.post(f"/orders/queue/tasks/{task.id}/done",
                     data={"version": seen_task}).status_code == 303
    late = desk.post(f"/orders/queue/tasks/{task.id}/done", data={"version": seen_task})
    assert late.status_code == 409 and "<html" in html(late)
    assert "Someone else finished this task first." in html(late)


def test_without_javascript_a_refused_link_and_print_are_pages(client, sign_in, presales,
                                                               clerk_client, freeze):
    freeze("2026-11-22 09:30")
    transfer, _paid = registers.add_transfer(presales, received_on=date(2026, 11, 21),
                                             payer="某公司", amount=88, bank="建设银行")
    db.session.commit()
    sign_in(client, presales)
    refused = client.post(f"/orders/transfers/{transfer.id}/link",
                          data={"version": transfer.version})
    assert refused.status_code == 422 and "<html" in html(refused)
    assert "Choose the order from the search results." in html(refused)
    nothing = clerk_client().post("/orders/queue/print", data={})
    assert nothing.status_code == 422 and "<html" in html(nothing)
    assert "Select the orders whose slips to print." in html(nothing)
