"""The handover pages over HTTP: full pages and htmx fragments, actions swapped in place,
conflicts, bad input, the navigation count and the Today cards."""

import json
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.handover import services as svc
from portal.handover.models import HandoverAck, HandoverItem, HandoverRevision
from tests.conftest import count_rows, today
from tests.handover.conftest import HX

ITEM = {"category": "order_problem", "priority": "normal", "text": "客户要求修改地址",
        "order_no": "TB20261122"}


def html(response) -> str:
    return response.get_data(as_text=True)


def triggered(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger") or "{}")


@pytest.fixture
def handed_over(create_user, write, freeze):
    """An item written on the day shift; the clock then on the night shift."""
    item = write(create_user("presales", display_name="白班小王"), at="2026-11-22 15:30")
    freeze("2026-11-22 16:10")
    return item


# --- the book page ---------------------------------------------------------------------------


def test_the_book_page_and_its_fragment(client, sign_in, create_user, handed_over):
    sign_in(client, create_user("presales"))
    page = html(client.get("/handover/desk/"))
    assert "<html" in page and 'id="item-form"' in page and 'id="handover-lists"' in page
    assert handed_over.text in page and 'class="handover-item unsigned"' in page
    assert "css/handover.css" in page
    fragment = client.get("/handover/desk/", headers=HX)
    assert "HX-Request" in fragment.headers["Vary"]
    body = html(fragment)
    assert "<html" not in body and body.lstrip().startswith('<div id="handover-lists"')
    assert f'id="handover-item-{handed_over.id}"' in body


def test_the_writing_shift_sees_its_own_items_without_sign_buttons(client, sign_in, create_user,
                                                                  write):
    item = write(create_user("presales"), at="2026-11-22 10:00")
    sign_in(client, create_user("presales"))
    page = html(client.get("/handover/desk/"))
    written = page.split('id="handover-written"', 1)[1]
    assert f'id="handover-item-{item.id}"' in written
    assert "/sign" not in written.split("</ol>", 1)[0]
    assert 'class="handover-item unsigned"' not in page


def test_without_shift_types_the_page_says_so(client, sign_in, create_user):
    sign_in(client, create_user("presales"))
    response = client.get("/handover/desk/")
    assert response.status_code == 200 and 'id="item-form"' not in html(response)


# --- writing ---------------------------------------------------------------------------------


def test_quick_add_returns_a_fresh_form_and_the_item_for_the_top_of_the_list(
        client, sign_in, create_user, freeze, shift_types):
    freeze("2026-11-22 15:30")
    sign_in(client, create_user("presales"))
    response = client.post("/handover/desk/items", data=ITEM, headers=HX)
    assert response.status_code == 200
    body = html(response)
    item = db.session.scalar(sa.select(HandoverItem))
    assert "<html" not in body and body.lstrip().startswith('<section id="item-form"')
    assert 'hx-swap-oob="afterbegin:#handover-written"' in body
    assert f'id="handover-item-{item.id}"' in body
    assert "handover-changed" in triggered(response)
    form_part = body.split("</section>", 1)[0]
    assert "客户要求修改地址" not in form_part  # the form is empty again


def test_writing_without_javascript_redirects_to_the_book(client, sign_in, create_user, freeze,
                                                         shift_types):
    freeze("2026-11-22 15:30")
    sign_in(client, create_user("presales"))
    response = client.post("/handover/desk/items", data=ITEM)
    assert response.status_code == 303 and response.headers["Location"] == "/handover/desk/"
    assert count_rows(HandoverItem) == 1


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"text": ""}, "text", "Write what the next shift needs to know."),
    ({"category": "gossip"}, "category", "Choose a category from the list."),
    ({"purchase_date": "2026-11-23"}, "purchase_date",
     "The purchase date cannot be in the future."),
    ({"purchase_date": "23/11/2026"}, "purchase_date", "Enter the date as YYYY-MM-DD."),
])
def test_bad_input_shows_the_message_next_to_the_field(client, sign_in, create_user, freeze,
                                                       shift_types, change, field, message):
    freeze("2026-11-22 15:30")
    sign_in(client, create_user("presales"))
    for headers in (HX, {}):
        response = client.post("/handover/desk/items", data={**ITEM, **change}, headers=headers)
        assert response.status_code == 422
        body = html(response)
        assert f'<p class="field-error" id="{field}-error">{message}</p>' in body
        assert f'aria-describedby="{field}-error"' in body
        assert ("<html" in body) == (not headers)
    assert count_rows(HandoverItem) == 0


def test_messages_are_translated(client, sign_in, create_user, freeze, shift_types):
    freeze("2026-11-22 15:30")
    user = create_user("presales", locale="en")
    sign_in(client, user)
    from flask_babel import force_locale, gettext

    body = html(client.post("/handover/desk/items", data={**ITEM, "text": ""}, headers=HX))
    with client.application.test_request_context(), force_locale("en"):
        assert gettext("Write what the next shift needs to know.") in body


# --- reading: sign, take over, close -------------------------------------------------------


def test_signing_swaps_the_item_in_place(client, sign_in, create_user, handed_over):
    reader = sign_in(client, create_user("presales", display_name="晚班小李"))
    response = client.post(f"/handover/desk/items/{handed_over.id}/sign", headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and body.startswith(f'<li id="handover-item-{handed_over.id}"')
    assert "unsigned" not in body.split(">", 1)[0]
    assert "晚班小李 16:10" in body and "/sign" not in body
    assert "handover-changed" in triggered(response)
    assert count_rows(HandoverAck, HandoverAck.user_id == reader.id) == 1


def test_taking_over_swaps_the_item_in_place(client, sign_in, create_user, handed_over):
    sign_in(client, create_user("aftersales", display_name="晚班小赵"))
    response = client.post(f"/handover/desk/items/{handed_over.id}/take-over",
                           data={"version": handed_over.version}, headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert "晚班小赵" in body and "/take-over" not in body and "/close" in body
    db.session.refresh(handed_over)
    assert handed_over.owner.display_name == "晚班小赵"


def test_the_second_taker_is_told_who_was_first(app, client, sign_in, create_user, handed_over):
    stale = handed_over.version
    first = app.test_client()
    sign_in(first, create_user("aftersales", display_name="先到的人"))
    sign_in(client, create_user("presales"))
    url = f"/handover/desk/items/{handed_over.id}/take-over"
    assert first.post(url, data={"version": stale}, headers=HX).status_code == 200
    response = client.post(url, data={"version": stale}, headers=HX)
    assert response.status_code == 409
    body = html(response)
    assert "先到的人" in body and "16:10" in body and 'role="alert"' in body
    assert body.startswith(f'<li id="handover-item-{handed_over.id}"')
    db.session.refresh(handed_over)
    assert handed_over.owner.display_name == "先到的人"


def test_closing_needs_a_resolution_and_swaps_in_place(client, sign_in, create_user,
                                                      handed_over):
    owner = sign_in(client, create_user("aftersales"))
    svc.take_over(owner, handed_over, handed_over.version)
    db.session.commit()  # the request's end (the runner commits)
    url = f"/handover/desk/items/{handed_over.id}/close"
    refused = client.post(url, data={"version": handed_over.version, "resolution": ""},
                          headers=HX)
    assert refused.status_code == 422
    assert "Write how the item was resolved." in html(refused) and " open>" in html(refused)
    done = client.post(url, data={"version": handed_over.version, "resolution": "已补发"},
                       headers=HX)
    assert done.status_code == 200 and "已补发" in html(done) and "closed" in html(done)
    db.session.refresh(handed_over)
    assert handed_over.status == "closed"


def test_a_supervisor_closes_through_the_supervisor_endpoint(client, sign_in, create_user,
                                                            handed_over):
    sign_in(client, create_user("supervisor"))
    page = html(client.get("/handover/desk/"))
    # the book links to the close form (fetched on request), which posts to the
    # supervisor's endpoint
    close_url = f"/handover/desk/items/{handed_over.id}/close"
    assert f'hx-get="{close_url}"' in page and "/supervisor-close" not in page
    assert f"/handover/desk/items/{handed_over.id}/take-over" in page  # issue 15.6
    card = client.get(close_url, headers=HX)
    assert card.status_code == 200 and "handover-changed" not in triggered(card)
    body = html(card)
    assert body.startswith(f'<li id="handover-item-{handed_over.id}"') and " open>" in body
    assert f'hx-post="/handover/desk/items/{handed_over.id}/supervisor-close"' in body
    without_js = client.get(close_url)  # the item's page has the form
    assert without_js.status_code == 303
    assert without_js.headers["Location"] == f"/handover/desk/items/{handed_over.id}"
    item_page = html(client.get(without_js.headers["Location"]))
    assert f'action="/handover/desk/items/{handed_over.id}/supervisor-close"' in item_page
    response = client.post(f"/handover/desk/items/{handed_over.id}/supervisor-close",
                           data={"version": handed_over.version, "resolution": "主管处理"},
                           headers=HX)
    assert response.status_code == 200
    db.session.refresh(handed_over)
    assert handed_over.status == "closed"


def test_a_colleague_who_does_not_own_the_item_cannot_close_it(client, sign_in, create_user,
                                                              handed_over):
    sign_in(client, create_user("presales"))
    response = client.post(f"/handover/desk/items/{handed_over.id}/close",
                           data={"version": handed_over.version, "resolution": "x"}, headers=HX)
    assert response.status_code == 422
    db.session.refresh(handed_over)
    assert handed_over.status == "open"


def test_actions_without_javascript_redirect_back_or_show_the_item_with_the_message(
        client, sign_in, create_user, handed_over):
    owner = sign_in(client, create_user("presales"))
    response = client.post(f"/handover/desk/items/{handed_over.id}/sign")
    assert response.status_code == 303 and response.headers["Location"] == "/handover/desk/"
    assert "Signed as read." in html(client.get("/handover/desk/"))
    svc.take_over(owner, handed_over, handed_over.version)
    db.session.commit()
    # refused: the item's page, the message next to the resolution, nothing changed
    refused = client.post(f"/handover/desk/items/{handed_over.id}/close",
                          data={"version": handed_over.version, "resolution": ""})
    assert refused.status_code == 422
    body = html(refused)
    assert "<html" in body and 'id="item-detail"' in body
    assert "Write how the item was resolved." in body
    # a rule's refusal (not the owner): the message on the item's page
    sign_in(client, create_user("presales"))
    refused = client.post(f"/handover/desk/items/{handed_over.id}/close",
                          data={"version": handed_over.version, "resolution": "我来关"})
    assert refused.status_code == 422
    assert "Only the item&#39;s owner or a supervisor closes it" in html(refused)
    db.session.refresh(handed_over)
    assert handed_over.status == "open"


# --- an item's page: history and corrections -------------------------------------------------


def test_the_item_page_and_its_fragment_show_the_history(client, sign_in, create_user,
                                                         handed_over):
    sign_in(client, create_user("manager"))
    url = f"/handover/desk/items/{handed_over.id}"
    page = html(client.get(url))
    assert "<html" in page and 'id="item-detail"' in page and handed_over.text in page
    body = html(client.get(url, headers=HX))
    assert "<html" not in body and body.lstrip().startswith('<div id="item-detail"')


def test_the_author_corrects_and_the_earlier_text_stays_visible(client, sign_in, create_user,
                                                                 write):
    author = create_user("presales")
    item = write(author, text="原来的文字")
    sign_in(client, author)
    url = f"/handover/desk/items/{item.id}/edit"
    assert client.post(url, data={"version": item.version, "text": ""},
                       headers=HX).status_code == 422
    response = client.post(url, data={"version": item.version, "text": "改正后的文字"},
                           headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert "改正后的文字" in body and "原来的文字" in body  # R-H6: both, in the history
    assert count_rows(HandoverRevision) == 1
    stale = client.post(url, data={"version": 1, "text": "又改"}, headers=HX)
    assert stale.status_code == 409 and "改正后的文字" in html(stale)


def test_another_book_through_this_books_url_is_not_found(client, sign_in, create_user, write):
    item = write(create_user("reception"), book="showroom")
    sign_in(client, create_user("presales"))
    assert client.get(f"/handover/desk/items/{item.id}").status_code == 404
    assert client.post(f"/handover/desk/items/{item.id}/sign").status_code == 404


# --- history ---------------------------------------------------------------------------------


def test_history_page_fragment_search_and_book_switch(client, sign_in, create_user, write):
    write(create_user("presales"), text="投影仪遥控器没电", order_no="TB9")
    write(create_user("presales"), text="另一条")
    sign_in(client, create_user("supervisor"))
    page = html(client.get("/handover/desk/history"))
    assert "<html" in page and 'id="history-table"' in page and "另一条" in page
    body = html(client.get("/handover/desk/history?q=TB9", headers=HX))
    assert "<html" not in body and body.lstrip().startswith('<div id="history-table"')
    assert "投影仪遥控器没电" in body and "另一条" not in body
    switch = client.get("/handover/desk/history?book=showroom&q=x")
    assert switch.status_code == 303
    assert switch.headers["Location"] == "/handover/showroom/history?q=x"


def test_history_with_bad_filters_answers_422_not_500(client, sign_in, create_user,
                                                      shift_types):
    sign_in(client, create_user("presales"))
    response = client.get("/handover/desk/history?date_from=yesterday&author=x&before=zz")
    assert response.status_code == 422 and "Enter the date as YYYY-MM-DD." in html(response)


def test_a_problem_case_needs_its_order_number_and_opens_its_details(client, sign_in,
                                                                     create_user, freeze,
                                                                     shift_types):
    """Issue 15.18, R-H4: 售后问题 folded away the order fields and saved without them."""
    freeze("2026-11-22 10:00")
    sign_in(client, create_user("presales"))
    for category in svc.PROBLEM_CATEGORIES:
        data = {**ITEM, "category": category, "order_no": "  "}
        response = client.post("/handover/desk/items", data=data, headers=HX)
        assert response.status_code == 422
        body = html(response)
        assert 'id="order_no-error"' in body and "A problem case names its order number." in body
        assert '<details class="case-details" open>' in body
    assert count_rows(HandoverItem) == 0
    # other categories need none; the form starts folded for them
    response = client.post("/handover/desk/items", headers=HX, data={
        **ITEM, "category": "customer_follow_up", "order_no": ""})
    assert response.status_code == 200 and count_rows(HandoverItem) == 1
    assert '<details class="case-details">' in html(response)
    page = html(client.get("/handover/desk/"))
    assert 'data-problem-categories="order_problem aftersales_case"' in page
    assert "js/handover.js" in page


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "desk", "showroom"), [
    ("presales", 200, 403), ("aftersales", 200, 403), ("order_clerk", 200, 403),
    ("reception", 403, 200), ("supervisor", 200, 200), ("manager", 200, 200),
])
def test_who_reads_which_book(client, sign_in, create_user, shift_types, role, desk, showroom):
    sign_in(client, create_user(role))
    assert client.get("/handover/desk/").status_code == desk
    assert client.get("/handover/showroom/").status_code == showroom
    assert client.get("/handover/desk/history").status_code == desk
    assert client.get("/handover/showroom/badge").status_code == showroom


@pytest.mark.parametrize(("role", "book", "allowed"), [
    ("presales", "desk", True), ("presales", "showroom", False),
    ("reception", "showroom", True), ("reception", "desk", False),
    ("manager", "desk", False), ("manager", "showroom", False),
    ("supervisor", "desk", True), ("supervisor", "showroom", True),  # issue 15.6
])
def test_who_writes_which_book(client, sign_in, create_user, freeze, shift_types, role, book,
                               allowed):
    freeze("2026-11-22 10:00")
    sign_in(client, create_user(role))
    response = client.post(f"/handover/{book}/items", data=ITEM)
    assert response.status_code == (303 if allowed else 403)
    assert count_rows(HandoverItem) == (1 if allowed else 0)


def test_a_supervisor_writes_signs_and_takes_over_in_both_books_on_the_record(
        client, sign_in, create_user, write, freeze):
    """Issue 15.6: the supervisor could read the books but not act in them; an escalation
    (taking over an item of the running shift) must be recordable."""
    from portal.audit.models import AuditEvent

    earlier = write(create_user("presales", display_name="白班小王"), at="2026-11-22 15:30")
    shown = write(create_user("reception", display_name="前台小李"), at="2026-11-22 15:40",
                  book="showroom")
    freeze("2026-11-22 16:10")
    running = write(create_user("presales", display_name="晚班小张"), at="2026-11-22 16:05",
                    text="客户投诉升级，要求主管回电")
    supervisor = sign_in(client, create_user("supervisor", display_name="李主管"))
    page = html(client.get("/handover/desk/"))
    assert 'id="item-form"' in page
    assert f"/handover/desk/items/{earlier.id}/sign" in page
    # the running shift's item: no signing (the next shift signs), but an escalation
    assert f"/handover/desk/items/{running.id}/sign" not in page
    assert f"/handover/desk/items/{running.id}/take-over" in page
    for book, item in (("desk", earlier), ("showroom", shown)):
        assert client.post(f"/handover/{book}/items/{item.id}/sign", headers=HX).status_code \
            == 200
    response = client.post(f"/handover/desk/items/{running.id}/take-over",
                           data={"version": running.version}, headers=HX)
    assert response.status_code == 200
    assert "Followed up by 李主管" in html(response)
    response = client.post("/handover/showroom/items", data={**ITEM, "category": "showroom",
                                                             "text": "投影仪坏了，已报修"})
    assert response.status_code == 303
    db.session.expire_all()
    assert running.owner_id == supervisor.id
    events = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.actor_id == supervisor.id).order_by(AuditEvent.id)).all()
    assert events == ["handover.signed", "handover.signed", "handover.taken_over",
                      "handover.created"]
    # the author is told who took the escalation over
    from portal.notifications.models import Notification

    assert db.session.scalar(sa.select(Notification.params).where(
        Notification.user_id == running.author_id))["name"] == "李主管"


def test_an_agent_still_cannot_take_over_an_item_of_their_own_shift(client, sign_in,
                                                                   create_user, write):
    item = write(create_user("presales"), at="2026-11-22 10:00")
    sign_in(client, create_user("presales"))
    response = client.post(f"/handover/desk/items/{item.id}/take-over",
                           data={"version": item.version}, headers=HX)
    assert response.status_code == 422 and count_rows(HandoverAck) == 0


def test_the_manager_reads_but_cannot_sign_or_take_over(client, sign_in, create_user,
                                                        handed_over):
    sign_in(client, create_user("manager"))
    page = html(client.get("/handover/desk/"))
    assert handed_over.text in page and "/sign" not in page and 'id="item-form"' not in page
    for action in ("sign", "take-over", "close", "supervisor-close", "edit"):
        response = client.post(f"/handover/desk/items/{handed_over.id}/{action}",
                               data={"version": 1, "resolution": "x", "text": "x"})
        assert response.status_code == 403, action
    assert count_rows(HandoverAck) == 0


# --- navigation count and Today cards --------------------------------------------------------


def test_the_navigation_count_follows_the_actions(client, sign_in, create_user, write, freeze):
    author = create_user("presales")
    first = write(author, at="2026-11-22 15:00")
    write(author, at="2026-11-22 15:10")
    freeze("2026-11-22 16:10")
    sign_in(client, create_user("presales"))
    page = html(client.get("/handover/desk/"))
    assert 'hx-get="/handover/desk/badge"' in page and "handover-changed from:body" in page
    assert html(client.get("/handover/desk/badge", headers=HX)).startswith("2<span")
    response = client.post(f"/handover/desk/items/{first.id}/sign", headers=HX)
    assert "handover-changed" in triggered(response)
    assert html(client.get("/handover/desk/badge", headers=HX)).startswith("1<span")
    freeze("2026-11-23 09:00")  # the next shift inherits both (R-H3)
    assert html(client.get("/handover/desk/badge", headers=HX)).startswith("2<span")


def test_the_badge_is_empty_when_nothing_waits(client, sign_in, create_user, shift_types):
    sign_in(client, create_user("reception"))
    assert html(client.get("/handover/showroom/badge", headers=HX)) == ""


def test_today_cards_for_desk_reception_and_supervisor(client, sign_in, create_user, write,
                                                       freeze):
    write(create_user("presales"), at="2026-11-18 10:00", text="四天前的事")
    write(create_user("reception"), at="2026-11-22 10:00", book="showroom", text="咖啡机除垢")
    freeze("2026-11-22 17:00")
    sign_in(client, create_user("presales"))
    home = html(today(client))
    assert 'id="card-handover-desk"' in home and "四天前的事" in home
    assert 'id="card-handover-showroom"' not in home
    sign_in(client, create_user("reception"))
    home = html(today(client))
    assert 'id="card-handover-showroom"' in home and "咖啡机除垢" in home
    sign_in(client, create_user("supervisor"))
    home = html(today(client))
    assert 'id="card-handover-attention"' in home and "四天前的事" in home
    # the supervisor works shifts in both books too (issue 15.6)
    assert 'id="card-handover-desk"' in home and 'id="card-handover-showroom"' in home
    sign_in(client, create_user("manager"))
    assert 'id="card-handover' not in html(today(client))


def test_the_book_page_queries_do_not_grow_with_items(client, sign_in, create_user, write,
                                                      freeze):
    authors = [create_user("presales"), create_user("aftersales")]

    def add(n, day):
        for i in range(n):
            item = write(authors[i % 2], at=f"2026-11-{day} 1{i % 6}:00",
                         priority="urgent" if i % 3 == 0 else "normal", order_no=f"TB{i}")
            freeze(f"2026-11-{day} 17:00")
            svc.sign(authors[(i + 1) % 2], item)
            if i % 2:
                svc.take_over(authors[(i + 1) % 2], item, item.version)
                svc.edit(item.author, item, item.text + "(改)", item.version)
        db.session.commit()  # the requests' end (the runner commits)

    add(2, 20)
    freeze("2026-11-22 10:00")
    sign_in(client, create_user("order_clerk"))

    def queries(path):
        """SELECTs the page runs (the test's savepoints are not the page's)."""
        selects = []
        engine = db.session.get_bind().engine

        def before(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT"):
                selects.append(statement)

        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
        return len(selects)

    few = {p: queries(p) for p in ("/handover/desk/", "/handover/desk/history", "/")}
    add(20, 21)
    freeze("2026-11-22 10:00")
    many = {p: queries(p) for p in few}
    assert many == few
    assert few["/handover/desk/"] <= 10, few
    assert few["/handover/desk/history"] <= 8, few


# --- what a 409 answers; the card after a take-over -------------------------------------------


def test_a_take_over_names_the_new_owner_in_the_answer_as_after_a_reload(
        client, sign_in, create_user, write, freeze):
    """Issue 15 item 5: reception takes over a showroom item another receptionist followed;
    the card answered names the one who took it over now, as the page does after a reload."""
    item = write(create_user("reception"), at="2026-11-22 10:00", book="showroom",
                 text="投影仪不亮")
    freeze("2026-11-22 16:05")
    first = sign_in(client, create_user("reception", display_name="晚班前台"))
    assert client.post(f"/handover/showroom/items/{item.id}/take-over",
                       data={"version": item.version}, headers=HX).status_code == 200
    freeze("2026-11-23 08:02")
    sign_in(client, create_user("reception", display_name="早班前台"))
    db.session.refresh(item)
    response = client.post(f"/handover/showroom/items/{item.id}/take-over",
                           data={"version": item.version}, headers=HX)
    assert response.status_code == 200
    owner_line = re.search(r'<p class="owner">([^<]*)</p>', html(response)).group(1)
    assert "早班前台" in owner_line and first.display_name not in owner_line
    assert "08:02" in owner_line
    page = html(client.get("/handover/showroom/"))
    assert re.search(r'<p class="owner">([^<]*)</p>', page).group(1) == owner_line


def test_a_stale_close_keeps_the_typed_resolution_and_shows_the_item_as_it_is_now(
        client, sign_in, create_user, handed_over):
    stale = handed_over.version
    svc.edit(handed_over.author, handed_over, "客户改了地址,已通知仓库", stale)
    db.session.commit()  # the author's correction came first
    sign_in(client, create_user("supervisor"))
    for headers in (HX, {}):
        response = client.post(f"/handover/desk/items/{handed_over.id}/supervisor-close",
                               data={"version": stale, "resolution": "主管已电话确认"},
                               headers=headers)
        assert response.status_code == 409
        body = html(response)
        assert "客户改了地址,已通知仓库" in body  # the current text
        assert ">主管已电话确认</textarea>" in body  # the typing kept
        assert f'name="version" value="{handed_over.version}"' in body  # now a second try
        assert "Someone else changed this item first." in body
        assert ("<html" in body) == (not headers)
    db.session.refresh(handed_over)
    assert handed_over.status == "open"


def test_a_stale_correction_keeps_the_typed_text_and_shows_the_current_one(
        client, sign_in, create_user, write, freeze):
    author = create_user("presales")
    item = write(author, text="原来的文字", at="2026-11-22 15:00")
    stale = item.version
    svc.edit(author, item, "另一个窗口改的", stale)
    freeze("2026-11-22 16:20")
    svc.take_over(create_user("aftersales", display_name="晚班接手人"), item, item.version)
    db.session.commit()
    sign_in(client, author)
    response = client.post(f"/handover/desk/items/{item.id}/edit",
                           data={"version": stale, "text": "这个窗口打的字"}, headers=HX)
    assert response.status_code == 409
    body = html(response)
    assert '<p class="item-text">另一个窗口改的</p>' in body  # the card as it is now
    assert "这个窗口打的字</textarea>" in body and "原来的文字" in body  # typing, history
    assert f'name="version" value="{item.version}"' in body
    assert "took this item over first" in body
    assert count_rows(HandoverRevision) == 1
    # the signatures and take-overs (outside the detail) follow out of band
    acks = body.split('<section id="item-acks"', 1)[1]
    assert acks.startswith(' class="panel wide-panel" aria-labelledby="acks-title" '
                           'hx-swap-oob="true">')
    assert "晚班接手人" in acks
