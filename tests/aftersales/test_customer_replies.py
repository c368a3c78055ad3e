"""Replies to the customer (issue 15 item 13): canned replies were inserted into the internal
note, which the customer never sees. On a case, each canned reply is offered filled in with
the order's facts (buyer, order number, tracking number) to copy in one click; what was sent
is recorded on the history as "replied to the customer", apart from the internal notes, and
answers the first-response clock. Without JavaScript a reply's link shows it selectable."""

import re

import pytest
import sqlalchemy as sa

from portal.aftersales.models import AfterSalesCase, CaseEvent
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.knowledge.models import Article
from tests.aftersales.conftest import HX, html
from tests.aftersales.fixtures_desk import make_reply  # noqa: F401
from tests.conftest import count_rows

TRACKING_TEXT = "{买家} 您好，您的订单 {订单号} 已发出，快递单号 {快递单号}。"
RETURN_TEXT = "退货单号 {退货单号} 已登记。"


@pytest.fixture
def shipped_case(open_case, make_order, make_reply):  # noqa: F811
    """A case on a shipped order of buyer ``tb_buyer``, and two canned replies."""
    make_reply("物流查询", TRACKING_TEXT, sort_order=10)
    make_reply("退货登记", RETURN_TEXT, sort_order=20)
    make_reply("旧的", "不再用 {订单号}", sort_order=30, active=False)
    order = make_order(stage="shipped")
    return open_case("logistics", order_id=order.id, logistics_problem="lost"), order


def _note_form(page: str) -> str:
    return re.search(r'<form[^>]*action="/aftersales/\d+/notes".*?</form>', page, re.S).group(0)


def test_the_replies_are_offered_filled_in_to_copy_not_inside_the_note(desk, shipped_case):
    case, order = shipped_case
    page = html(desk.get(f"/aftersales/{case.id}"))
    filled = f"tb_buyer 您好，您的订单 {order.order_no} 已发出，快递单号 {order.tracking_no}。"
    assert f'data-copy-reply data-text="{filled}"' in page
    assert "Copy a canned reply:" in page and "旧的" not in page
    note = _note_form(page)
    assert "data-copy-reply" not in note and "canned" not in note  # the note stays internal
    assert 'id="case-reply"' in page and "Record: replied to the customer" in page
    # the case has no return parcel yet: that placeholder stays, and the agent is told
    assert 'data-text="退货单号 {退货单号} 已登记。"' in page
    assert "Copied. Fill in {退货单号} before you send it." in page
    assert (f"Filled in from this case: buyer tb_buyer, order {order.order_no}, tracking "
            f"number {order.tracking_no}, return tracking number —.") in page
    # the Copy button exists only for the script (shown when it runs); no inline script
    assert re.search(r"<button type=\"button\" data-copy-reply-text hidden>", page)
    assert "onclick" not in page


def test_a_case_on_a_typed_order_number_keeps_the_unknown_facts_visible(desk, open_case,
                                                                       make_reply):  # noqa: F811
    make_reply("物流查询", TRACKING_TEXT)
    case = open_case("quality", order_no="TYPED-001")
    page = html(desk.get(f"/aftersales/{case.id}"))
    assert 'data-text="{买家} 您好，您的订单 TYPED-001 已发出，快递单号 {快递单号}。"' in page
    assert "Copied. Fill in {买家} {快递单号} before you send it." in page


def test_without_javascript_a_replys_link_shows_it_selectable(desk, shipped_case):
    case, order = shipped_case
    reply_id = db.session.scalar(sa.select(Article.id).where(Article.question == "物流查询"))
    page = html(desk.get(f"/aftersales/{case.id}?reply={reply_id}"))
    field = re.search(r'<textarea[^>]*name="reply-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert field and f"订单 {order.order_no} 已发出" in field.group(1)
    assert f'href="/aftersales/{case.id}?reply={reply_id}#case-reply"' in page
    for other in ("999999999999999999999", "abc", "0"):
        assert desk.get(f"/aftersales/{case.id}?reply={other}").status_code == 200


def test_sending_is_recorded_as_a_reply_apart_from_the_notes(desk, shipped_case):
    case, order = shipped_case
    text = f"tb_buyer 您好，您的订单 {order.order_no} 已发出。"
    assert case.first_response_at is None
    response = desk.post(f"/aftersales/{case.id}/replied", data={"reply-text": text},
                         headers=HX)
    body = html(response)
    assert response.status_code == 200
    assert "Recorded: replied to the customer." in body
    assert 'class="as-event as-event-reply"' in body and "Replied to the customer" in body
    assert re.search(r'<textarea[^>]*name="reply-text"[^>]*>\s*</textarea>', body)  # clean
    assert 'id="case-head"' in body  # the first response answered: the clock moved on
    event = db.session.scalar(sa.select(CaseEvent).where(CaseEvent.kind == "reply"))
    assert event.text == text
    assert count_rows(CaseEvent, CaseEvent.kind == "note") == 0
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.replied") == 1
    db.session.expire_all()
    assert db.session.get(AfterSalesCase, case.id).first_response_at is not None
    page = html(desk.get(f"/aftersales/{case.id}"))
    assert '<li class="as-event as-event-reply">' in page and text in page


def test_an_empty_reply_is_refused_next_to_its_field(desk, shipped_case):
    case, _order = shipped_case
    response = desk.post(f"/aftersales/{case.id}/replied", data={"reply-text": "  "},
                         headers=HX)
    assert response.status_code == 422
    assert html(response).lstrip().startswith('<div id="case-reply-fields">')
    assert "Write or choose the reply you sent." in html(response)
    assert count_rows(CaseEvent, CaseEvent.kind == "reply") == 0


def test_a_reply_with_control_characters_is_refused(desk, shipped_case):
    case, _order = shipped_case
    response = desk.post(f"/aftersales/{case.id}/replied", data={"reply-text": "亲\x00"},
                         headers=HX)
    assert response.status_code == 422
    assert count_rows(CaseEvent, CaseEvent.kind == "reply") == 0


def test_without_javascript_recording_goes_back_to_the_case(desk, shipped_case):
    case, _order = shipped_case
    response = desk.post(f"/aftersales/{case.id}/replied", data={"reply-text": "好的"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/aftersales/{case.id}")


def test_a_closed_case_takes_no_reply(desk, open_case):
    case = open_case()
    case.state = "closed"
    db.session.commit()
    page = html(desk.get(f"/aftersales/{case.id}"))
    assert "Record: replied to the customer" not in page
    response = desk.post(f"/aftersales/{case.id}/replied", data={"reply-text": "好的"},
                         headers=HX)
    assert response.status_code == 422 and "The case is closed." in html(response)


@pytest.mark.parametrize("role", ["reception", "order_clerk", "presales", "supervisor",
                                  "manager"])
def test_only_agents_record_a_reply(client, sign_in, create_user, open_case, role):
    case = open_case()
    sign_in(client, create_user(role))
    response = client.post(f"/aftersales/{case.id}/replied", data={"reply-text": "x"},
                           headers=HX)
    assert response.status_code == 403
    assert count_rows(CaseEvent, CaseEvent.kind == "reply") == 0
