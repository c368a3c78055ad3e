"""Canned replies (issue 7 item 8, issue 15 item 13): the supervisor adds, edits, reorders
and deactivates them (version-checked); the defaults come from the department's rules;
agents copy them filled in with the case's facts (tests/aftersales/test_customer_replies.py
for the case page)."""

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.aftersales import replies as svc
from portal.aftersales.models import CannedReply
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.rules import RuleError
from tests.aftersales.fixtures_desk import *  # noqa: F403
from tests.aftersales.fixtures_desk import HX
from tests.conftest import count_rows

# --- services -------------------------------------------------------------------------------


def test_seed_defaults_puts_the_rules_in_the_customers_words():
    assert svc.seed_defaults() == 7
    texts = " ".join(r.text for r in svc.active())
    for words in ("换", "照片", "7 天", "运费", "卡片"):  # R-A6, R-A2, R-A1, R-A3, R-A4
        assert words in texts
    assert [r.sort_order for r in svc.active()] == [10, 20, 30, 40, 50, 60, 70]
    assert svc.seed_defaults() == 0  # once only


def test_add_puts_the_reply_last_and_audits_it(supervisor, make_reply):
    make_reply("A", "first", sort_order=10)
    reply = svc.add(supervisor, "  B  ", " second ")
    assert (reply.title, reply.text, reply.sort_order) == ("B", "second", 20)
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.reply_added") == 1


@pytest.mark.parametrize(("title", "text", "field"), [
    ("", "text", "title"), ("T", "   ", "text"), ("x" * 61, "text", "title"),
    ("T", "x" * 1001, "text"),
])
def test_add_refuses_empty_or_long_texts(supervisor, title, text, field):
    with pytest.raises(RuleError) as caught:
        svc.add(supervisor, title, text)
    assert caught.value.field == field
    assert count_rows(CannedReply) == 0


def test_update_is_version_checked(supervisor, make_reply):
    reply = make_reply()
    svc.update(supervisor, reply, reply.version, "新标题", "新内容")
    assert reply.version == 2
    with pytest.raises(Conflict):
        svc.update(supervisor, reply, 1, "又一次", "内容")
    with pytest.raises(RuleError):
        svc.update(supervisor, reply, reply.version, "新标题", "新内容")  # nothing changed


def test_move_swaps_with_the_neighbour_and_renumbers(supervisor, make_reply):
    a, b, c = make_reply("A", sort_order=5), make_reply("B", sort_order=7), \
        make_reply("C", sort_order=30)
    svc.move(supervisor, c, c.version, "up")
    assert [r.title for r in svc.active()] == ["A", "C", "B"]
    assert [r.sort_order for r in svc.active()] == [10, 20, 30]
    with pytest.raises(RuleError):
        svc.move(supervisor, a, a.version, "up")  # already at the top
    with pytest.raises(Conflict):
        svc.move(supervisor, b, b.version + 5, "down")  # a stale page


def test_deactivate_hides_the_reply_from_agents_and_keeps_it(supervisor, make_reply):
    a = make_reply("A", sort_order=10)
    make_reply("B", sort_order=20)
    svc.set_active(supervisor, a, a.version, False)
    assert [r.title for r in svc.active()] == ["B"]
    assert [r.title for r in svc.all_replies()] == ["B", "A"]
    with pytest.raises(Conflict):
        svc.set_active(supervisor, a, a.version - 1, True)  # a stale page
    svc.set_active(supervisor, a, a.version, True)
    assert [r.title for r in svc.active()] == ["B", "A"]  # back, last


# --- filled in with the case's facts (issue 15 item 13) --------------------------------------


FACTS = {"buyer": "jd_tea_lover", "order_no": "T00000042", "tracking_no": "SF0000000042",
         "return_tracking_no": None}


@pytest.mark.parametrize(("text", "filled", "missing"), [
    ("{买家} 您好，订单 {订单号} 的快递单号是 {快递单号}。",
     "jd_tea_lover 您好，订单 T00000042 的快递单号是 SF0000000042。", ()),
    ("Hi {buyer}, order {order_no}: {tracking_no}", "Hi jd_tea_lover, order T00000042: "
     "SF0000000042", ()),
    ("｛订单号｝ 全角括号", "T00000042 全角括号", ()),
    ("退货单号 {退货单号}，{退货单号}", "退货单号 {退货单号}，{退货单号}", ("{退货单号}",)),
    ("没有占位符 {别的}", "没有占位符 {别的}", ()),
])
def test_a_reply_is_filled_in_with_the_cases_facts(make_reply, text, filled, missing):
    result = svc.fill(make_reply("t", text), FACTS)
    assert (result.text, result.missing) == (filled, missing)


def test_a_fact_is_never_read_as_a_placeholder(make_reply):
    """A buyer ID that looks like a placeholder is put in as it is, once."""
    result = svc.fill(make_reply("t", "{买家} / {订单号}"), {**FACTS, "buyer": "{订单号}"})
    assert result.text == "{订单号} / T00000042"


def test_some_defaults_name_the_orders_facts():
    svc.seed_defaults()
    texts = " ".join(r.text for r in svc.active())
    for placeholder in ("{买家}", "{订单号}", "{快递单号}", "{退货单号}"):
        assert placeholder in texts


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def as_supervisor(client, sign_in, supervisor):
    sign_in(client, supervisor)
    return client


def test_the_page_lists_every_reply(as_supervisor, make_reply):
    make_reply("安抚", sort_order=10)
    make_reply("旧的", active=False)
    html = as_supervisor.get("/aftersales/replies").get_data(as_text=True)
    assert "<html" in html and "安抚" in html and "旧的" in html and "Deactivated" in html


def test_the_panel_is_a_fragment(as_supervisor, make_reply):
    make_reply("安抚")
    response = as_supervisor.get("/aftersales/replies", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="replies-panel"' in html


def test_adding_a_reply_answers_the_form_and_the_reply_out_of_band(as_supervisor):
    response = as_supervisor.post("/aftersales/replies", data={
        "title": "请提供照片", "text": "麻烦拍照"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="reply-add"') and "added" in html
    assert 'name="title" required type="text" value=""' in html  # emptied for the next
    reply = db.session.scalar(sa.select(CannedReply))
    assert '<div hx-swap-oob="afterbegin:#reply-list">' in html  # the first reply
    assert f'<li id="reply-{reply.id}" class="reply">' in html and "请提供照片" in html
    assert '<li id="reply-none" hx-swap-oob="delete">' in html
    assert '<span class="count">1</span>' in html
    assert count_rows(CannedReply) == 1


def test_a_reply_added_goes_after_the_last_active_one(as_supervisor, make_reply):
    first, last = make_reply("A", sort_order=10), make_reply("B", sort_order=20)
    make_reply("old", active=False, sort_order=30)
    html = as_supervisor.post("/aftersales/replies", data={"title": "C", "text": "c"},
                              headers=HX).get_data(as_text=True)
    assert f'<div hx-swap-oob="afterend:#reply-{last.id}">' in html
    # the former last one gets its "down" arrow back
    assert f'<li id="reply-{last.id}" class="reply" hx-swap-oob="true">' in html
    assert f'id="reply-{first.id}"' not in html and "reply-none" not in html
    assert '<span class="count">3</span>' in html and len(html.encode()) < 5 * 1024


def test_an_empty_reply_is_refused_with_422(as_supervisor):
    response = as_supervisor.post("/aftersales/replies", data={"title": "T", "text": " "},
                                  headers=HX)
    assert response.status_code == 422
    assert "Write the reply&#39;s text." in response.get_data(as_text=True)
    assert count_rows(CannedReply) == 0


def test_editing_with_a_stale_version_is_a_409(as_supervisor, make_reply):
    reply = make_reply("A", "old")
    prefix = f"reply-{reply.id}"
    ok = as_supervisor.post(f"/aftersales/replies/{reply.id}", data={
        f"{prefix}-version": reply.version, f"{prefix}-title": "A", f"{prefix}-text": "new"},
        headers=HX)
    assert ok.status_code == 200
    stale = as_supervisor.post(f"/aftersales/replies/{reply.id}", data={
        f"{prefix}-version": 1, f"{prefix}-title": "A", f"{prefix}-text": "newer"},
        headers=HX)
    assert stale.status_code == 409
    assert "Someone else changed this reply first" in stale.get_data(as_text=True)
    db.session.refresh(reply)
    assert reply.text == "new"


def test_editing_with_an_empty_title_is_a_422_with_the_form_open(as_supervisor, make_reply):
    reply = make_reply("A", "old")
    prefix = f"reply-{reply.id}"
    response = as_supervisor.post(f"/aftersales/replies/{reply.id}", data={
        f"{prefix}-version": reply.version, f"{prefix}-title": "", f"{prefix}-text": "x"},
        headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the reply a short title." in html and "<details class=\"reply-edit\" open>" in html
    assert html.lstrip().startswith(f'<li id="reply-{reply.id}"')
    db.session.refresh(reply)
    assert reply.title == "A"


def test_moving_and_deactivating_in_place(as_supervisor, make_reply):
    a, b = make_reply("A", sort_order=10), make_reply("B", sort_order=20)
    moved = as_supervisor.post(f"/aftersales/replies/{b.id}/move", data={
        "version": b.version, "direction": "up"}, headers=HX)
    html = moved.get_data(as_text=True)
    assert moved.status_code == 200
    assert [r.title for r in svc.active()] == ["B", "A"]
    # the two in their new order in place of the one moved; A's old place goes
    assert html.index(f'<li id="reply-{b.id}"') < html.index(f'<li id="reply-{a.id}" class')
    assert f'<li id="reply-{a.id}" hx-swap-oob="delete">' in html
    assert "Reply “B” moved." in html
    db.session.refresh(a)
    off = as_supervisor.post(f"/aftersales/replies/{a.id}/active", data={
        "version": a.version, "active": "0"}, headers=HX)
    body = off.get_data(as_text=True)
    assert off.status_code == 200 and "deactivated" in body
    assert body.lstrip().startswith(f'<li id="reply-{a.id}" class="reply inactive"')
    assert '<h2 id="reply-list-title" hx-swap-oob="true">' in body
    again = as_supervisor.post(f"/aftersales/replies/{a.id}/active", data={
        "version": a.version, "active": "0"}, headers=HX)  # the old page
    assert again.status_code == 409
    assert [r.title for r in svc.active()] == ["B"]


def test_a_plain_form_post_redirects_back(as_supervisor):
    response = as_supervisor.post("/aftersales/replies", data={"title": "T", "text": "x"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/aftersales/replies")


def test_the_page_costs_the_same_with_few_or_many_replies(as_supervisor, make_reply,
                                                         count_queries):
    make_reply("A")

    def measure():
        with count_queries() as counter:
            assert as_supervisor.get("/aftersales/replies").status_code == 200
        return counter.count

    few = measure()
    for n in range(25):
        make_reply(f"R{n}", sort_order=n)
    assert measure() == few


@pytest.mark.parametrize("role", ["aftersales", "presales", "order_clerk", "reception"])
def test_only_supervisor_and_manager_keep_the_replies(client, sign_in, create_user, role,
                                                      make_reply):
    reply = make_reply()
    sign_in(client, create_user(role))
    assert client.get("/aftersales/replies").status_code == 403
    assert client.post("/aftersales/replies", data={"title": "T", "text": "x"}) \
        .status_code == 403
    assert client.post(f"/aftersales/replies/{reply.id}/active",
                       data={"version": 1, "active": "0"}).status_code == 403
    assert count_rows(CannedReply) == 1


def test_the_manager_keeps_them_too(client, sign_in, create_user):
    sign_in(client, create_user("manager"))
    assert client.get("/aftersales/replies").status_code == 200
