"""The visitor board over HTTP: full pages and fragments, arrivals, serving and departures
in place, conflicts, bad input, privacy, returning visitors, history and query counts."""

import json
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.reception import visitors as svc
from portal.reception.models import Serving, Visit
from tests.conftest import count_rows, today
from tests.reception.conftest import HX

ARRIVAL = {"arrived_at": "2026-11-22T09:25", "party_size": "3", "purpose": "viewing",
           "source": "walk_in", "consultant_name": "外援小李", "visitor_name": "王先生",
           "phone": "138 1234 1234", "note": ""}


def html(response) -> str:
    return response.get_data(as_text=True)


def triggered(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger") or "{}")


# --- pages and fragments ---------------------------------------------------------------------


@pytest.mark.parametrize(("url", "block_id"), [
    ("/showroom/", None), ("/showroom/board", "showroom-board"),
    ("/showroom/today", "today-visits"), ("/showroom/history", "history-table"),
    ("/showroom/summary?month=2026-11", "month-summary"),
    ("/showroom/returning?phone=13812341234", "returning-visits"),
])
def test_pages_and_their_fragments(desk, arrive, menu, url, block_id):
    arrive(at="2026-11-22 09:00", phone="13812341234")
    page = desk.get(url)
    assert page.status_code == 200 and "<html" in html(page) or block_id == "returning-visits"
    if block_id:
        fragment = desk.get(url, headers=HX)
        body = html(fragment)
        assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
        assert "<html" not in body and f'id="{block_id}"' in body.split(">", 1)[0]


def test_the_board_page(desk, arrive, menu, freeze):
    visit = arrive(at="2026-11-22 09:00")
    freeze("2026-11-22 09:30")
    page = html(desk.get("/showroom/"))
    for needle in ('id="arrival-form"', 'id="showroom-board"', 'id="today-visits"',
                   f'id="visit-{visit.id}"',
                   'hx-trigger="every 15s, visitors-changed from:body, sse:visitors-changed"',
                   "css/reception.css", "30 min",
                   f'hx-get="/showroom/visits/{visit.id}/serve"',
                   f'hx-post="/showroom/visits/{visit.id}/depart" hx-vals=\'{{"version": 1}}\''):
        assert needle in page, needle
    assert "矿泉水" not in page  # the serve form (with the menu) comes on request


def test_the_serve_form_comes_on_request(desk, arrive, menu):
    visit = arrive()
    response = desk.get(f"/showroom/visits/{visit.id}/serve", headers=HX)
    body = html(response)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<li id="visit-{visit.id}"')
    assert "<details class=\"serve\" open>" in body and "矿泉水" in body and "饼干" in body
    assert f'action="/showroom/visits/{visit.id}/serve"' in body
    # without JavaScript: the visit's page, with the serve and departure forms
    plain = desk.get(f"/showroom/visits/{visit.id}/serve")
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"/showroom/visits/{visit.id}")
    page = html(desk.get(f"/showroom/visits/{visit.id}"))
    assert f'action="/showroom/visits/{visit.id}/serve"' in page and "矿泉水" in page
    assert f'action="/showroom/visits/{visit.id}/depart"' in page
    served = desk.post(f"/showroom/visits/{visit.id}/serve",
                       data={f"item_{menu['饼干'].id}": "1"})
    assert served.status_code == 303 and count_rows(Serving) == 1
    departed = desk.post(f"/showroom/visits/{visit.id}/depart", data={"version": visit.version})
    assert departed.status_code == 303
    assert f'action="/showroom/visits/{visit.id}/serve"' not in html(
        desk.get(f"/showroom/visits/{visit.id}"))


def test_a_visit_page_and_its_fragment(desk, arrive):
    visit = arrive()
    assert "<html" in html(desk.get(f"/showroom/visits/{visit.id}"))
    body = html(desk.get(f"/showroom/visits/{visit.id}", headers=HX))
    assert "<html" not in body and body.lstrip().startswith('<section id="visit-detail"')
    assert desk.get("/showroom/visits/999999").status_code == 404


def test_long_stays_are_highlighted(desk, arrive, app, monkeypatch, freeze):
    monkeypatch.setitem(app.config, "SHOWROOM_LONG_STAY_MINUTES", 20)
    long = arrive(at="2026-11-22 09:00")
    short = arrive(at="2026-11-22 09:25")
    freeze("2026-11-22 09:30")
    body = html(desk.get("/showroom/board", headers=HX))
    def row_tag(visit):
        return re.search(rf'<li id="visit-{visit.id}"[^>]*>', body).group(0)

    assert "long-stay" in row_tag(long)
    assert "In the showroom longer than 20 minutes." in body
    assert "long-stay" not in row_tag(short)


# --- arrival ---------------------------------------------------------------------------------


def test_an_arrival_refreshes_the_board_without_reload(desk):
    response = desk.post("/showroom/visits", data=ARRIVAL, headers=HX)
    assert response.status_code == 200
    events = triggered(response)
    assert "visitors-changed" in events
    # only the form's status line comes back; the form starts again from these values
    body = html(response)
    assert body.startswith('<span id="arrival-saved"') and "Logged: 3 people" in body
    assert response.headers["HX-Retarget"] == "#arrival-saved"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert events["arrival-logged"] == {
        "arrived_at": "2026-11-22T09:30", "party_size": "1", "purpose": "viewing",
        "source": "walk_in", "consultant_id": "", "consultant_name": "", "visitor_name": "",
        "phone": "", "note": ""}
    assert len(response.get_data()) < 300
    visit = db.session.scalar(sa.select(Visit))
    assert visit.phone == "13812341234" and visit.consultant_name == "外援小李"
    assert f'id="visit-{visit.id}"' in html(desk.get("/showroom/board", headers=HX))


def test_an_arrival_without_htmx_redirects(desk):
    response = desk.post("/showroom/visits", data=ARRIVAL)
    assert response.status_code == 303 and count_rows(Visit) == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("party_size", "0", "A party has from 1 to 50 people."),
    ("party_size", "", "Enter how many people came (at least 1)."),
    ("phone", "12345", "Enter a mobile number"),
    ("purpose", "shopping", "Choose a purpose from the list."),
    ("arrived_at", "yesterday", "Enter the date and time as YYYY-MM-DD HH:MM."),
    ("arrived_at", "2026-11-22T11:00", "The arrival time cannot be in the future."),
])
def test_bad_arrivals_are_refused_next_to_the_field(desk, field, value, message):
    response = desk.post("/showroom/visits", data={**ARRIVAL, field: value}, headers=HX)
    assert response.status_code == 422
    body = html(response)
    assert f'id="{field}-error"' in body and message in body
    assert count_rows(Visit) == 0


def test_a_refused_arrival_leaves_the_consultant_list_in_the_page(desk, consultant):
    response = desk.post("/showroom/visits", headers=HX,
                         data={**ARRIVAL, "party_size": "0", "consultant_id": consultant.id})
    body = html(response)
    assert response.status_code == 422
    # htmx keeps the page's select (hx-preserve): the answer carries it without options
    assert re.search(r'<select data-hx-preserve="true" id="consultant_id" '
                     r'name="consultant_id"></select>', body)
    assert "张小红" not in body and len(response.get_data()) < 5000
    page = html(desk.post("/showroom/visits", data={**ARRIVAL, "party_size": "0"}))
    assert 'data-hx-preserve="true"' in page and "张小红" in page


def test_a_bad_arrival_without_htmx_shows_the_page(desk):
    response = desk.post("/showroom/visits", data={**ARRIVAL, "party_size": "0"})
    assert response.status_code == 422 and "<html" in html(response)


# --- serving ---------------------------------------------------------------------------------


def test_serving_swaps_the_row_and_tells_the_stock_widget(desk, arrive, menu):
    visit = arrive()
    response = desk.post(f"/showroom/visits/{visit.id}/serve",
                         data={f"item_{menu['可乐'].id}": "2"}, headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith(f'<li id="visit-{visit.id}"') and "可乐 × 2" in body
    assert "stock-changed" in triggered(response)
    assert count_rows(Serving) == 1


@pytest.mark.parametrize(("quantities", "message"), [
    ({"可乐": "0"}, "Enter how many of at least one item."),
    ({"可乐": ""}, "Enter how many of at least one item."),
    ({"可乐": "21", "饼干": "1"}, "Enter how many, from 0 to 20."),
    ({"可乐": "-1"}, "Enter how many, from 0 to 20."),
])
def test_bad_servings_are_refused(desk, arrive, menu, quantities, message):
    visit = arrive()
    data = {f"item_{menu[name].id}": value for name, value in quantities.items()}
    response = desk.post(f"/showroom/visits/{visit.id}/serve", data=data, headers=HX)
    assert response.status_code == 422 and message in html(response)
    assert count_rows(Serving) == 0


def test_a_whole_order_is_served_in_one_submit(desk, arrive, menu):
    """Issue 15 item 14: the serve form asks how many of each item; one submit serves the
    party's whole order, and the row says so."""
    visit = arrive(party_size=4)
    form = html(desk.get(f"/showroom/visits/{visit.id}/serve", headers=HX))
    for name in ("矿泉水", "可乐", "饼干"):
        fid = f"serve-{visit.id}-{menu[name].id}"
        assert re.search(rf'<label for="{fid}">{name}</label>\s*<input id="{fid}" '
                         rf'name="item_{menu[name].id}" type="number" min="0" max="20" '
                         rf'class="qty" value="0"', form), name
    response = desk.post(f"/showroom/visits/{visit.id}/serve", headers=HX, data={
        f"item_{menu['矿泉水'].id}": "2", f"item_{menu['可乐'].id}": "1",
        f"item_{menu['饼干'].id}": "0"})
    body = html(response)
    assert response.status_code == 200 and "Served: 矿泉水 × 2 · 可乐 × 1." in body
    assert "饼干 ×" not in body and count_rows(Serving) == 2
    assert len(response.get_data()) <= 5000


def test_a_refused_order_keeps_every_quantity_typed(desk, arrive, menu):
    visit = arrive()
    response = desk.post(f"/showroom/visits/{visit.id}/serve", headers=HX, data={
        f"item_{menu['矿泉水'].id}": "2", f"item_{menu['可乐'].id}": "30"})
    body = html(response)
    assert response.status_code == 422
    assert re.search(rf'id="serve-{visit.id}-{menu["矿泉水"].id}"[^>]*value="2"', body)
    assert re.search(rf'id="serve-{visit.id}-{menu["可乐"].id}"[^>]*value="30" '
                     rf'aria-invalid="true"', body)
    assert "Enter how many, from 0 to 20." in body and count_rows(Serving) == 0


def test_a_drink_beyond_the_fridge_count_is_refused(desk, arrive, menu, fridge_item,
                                                    monkeypatch):
    cola = menu["可乐"]
    cola.stock_item_id = fridge_item.id
    db.session.commit()
    monkeypatch.setattr(svc, "_fridge_stock", lambda day: {fridge_item.id: 1})
    visit = arrive()
    response = desk.post(f"/showroom/visits/{visit.id}/serve",
                         data={f"item_{cola.id}": "2"}, headers=HX)
    assert response.status_code == 422
    assert "Only 1 of 可乐 left in the fridge today." in html(response)
    assert count_rows(Serving) == 0


def test_a_refusal_reads_the_menu_again_in_one_query(desk, arrive, menu, fridge_item,
                                                     monkeypatch, count_queries):
    """The refusal rolls back, which expires what the request read: the row is drawn again
    from one read of the menu, not a query per item of the menu."""
    cola = menu["可乐"]
    cola.stock_item_id = fridge_item.id
    db.session.commit()
    visit = arrive()
    assert len(menu) >= 3
    monkeypatch.setattr(svc, "_fridge_stock", lambda day: {fridge_item.id: 0})
    def expire_as_a_real_rollback(session, previous_transaction):
        # here the request's transaction is a savepoint, whose rollback expires only what it
        # changed; a real one expires everything the request read
        session.expire_all()

    sa.event.listen(Session, "after_soft_rollback", expire_as_a_real_rollback)
    try:
        with count_queries(like_bench=True) as refused:
            response = desk.post(f"/showroom/visits/{visit.id}/serve",
                                 data={f"item_{cola.id}": "1"}, headers=HX)
    finally:
        sa.event.remove(Session, "after_soft_rollback", expire_as_a_real_rollback)
    assert response.status_code == 422
    for item in menu.values():  # the serve form again, every item of the menu in it
        assert f'name="item_{item.id}"' in html(response)
    # after the rollback (the user read again): the menu in one query, not one per item
    statements = [" ".join(sql.split()) for sql in refused.statements]
    again = next(n for n, sql in enumerate(statements) if sql.startswith("SELECT users."))
    menu_reads = [sql for sql in statements[again:] if sql.startswith("SELECT menu_items.")]
    assert len(menu_reads) == 1, statements


# --- departures ------------------------------------------------------------------------------


def test_one_click_departure_and_the_second_click_sees_it_left(desk, arrive, client, app,
                                                              sign_in, create_user, freeze):
    visit = arrive()
    version = visit.version
    freeze("2026-11-22 10:05")
    response = desk.post(f"/showroom/visits/{visit.id}/depart", data={"version": version},
                         headers=HX)
    assert response.status_code == 200 and html(response) == ""
    assert "visitors-changed" in triggered(response)
    db.session.refresh(visit)
    first = visit.left_at
    assert first is not None
    # a colleague on another screen, who still saw the party, clicks too
    other = app.test_client()
    sign_in(other, create_user("reception"))
    freeze("2026-11-22 10:06")
    late = other.post(f"/showroom/visits/{visit.id}/depart", data={"version": version},
                      headers=HX)
    assert late.status_code == 409
    body = html(late)
    assert "This party already left at 10:05." in body and f'id="visit-{visit.id}"' in body
    db.session.refresh(visit)
    assert visit.left_at == first
    assert f'id="visit-{visit.id}"' not in html(desk.get("/showroom/board", headers=HX))


def test_the_departure_can_be_corrected(desk, arrive, receptionist, freeze):
    visit = arrive(at="2026-11-22 09:00")
    freeze("2026-11-22 11:00")
    svc.depart(receptionist, visit, visit.version)
    db.session.commit()
    response = desk.post(f"/showroom/visits/{visit.id}/departure", headers=HX,
                         data={"left_at": "2026-11-22T08:30", "version": visit.version})
    assert response.status_code == 422
    assert "The departure cannot be before the arrival (09:00)." in html(response)
    response = desk.post(f"/showroom/visits/{visit.id}/departure", headers=HX,
                         data={"left_at": "2026-11-22T10:30", "version": visit.version})
    assert response.status_code == 200 and "The departure time was corrected." in html(response)
    db.session.refresh(visit)
    assert svc.minutes_in_showroom(visit) == 90
    stale = desk.post(f"/showroom/visits/{visit.id}/departure", headers=HX,
                      data={"left_at": "2026-11-22T10:40", "version": 1})
    assert stale.status_code == 409


# --- privacy and returning visitors ----------------------------------------------------------


def test_phones_are_masked_without_the_personal_permission(client, sign_in, create_user, arrive,
                                                           monkeypatch):
    arrive(phone="13812341234", visitor_name="王先生")
    sign_in(client, create_user("supervisor"))
    assert "13812341234" in html(client.get("/showroom/"))
    from portal.auth import permissions

    monkeypatch.setitem(permissions.PERMISSIONS, "supervisor",
                        permissions.PERMISSIONS["supervisor"] - {"reception.personal"})
    page = html(client.get("/showroom/history"))
    assert "13812341234" not in page and "138****1234" in page and "王先生" not in page


def test_a_returning_phone_shows_earlier_visits_and_consultants(desk, arrive, create_user,
                                                               receptionist, mark_consultant):
    earlier = arrive(at="2026-10-05 14:00", phone="13900001111", consultant_id=mark_consultant(
        create_user("presales", display_name="周婷")).id)
    svc.depart(receptionist, earlier, earlier.version)
    db.session.commit()
    body = html(desk.get("/showroom/returning?phone=139-0000-1111", headers=HX))
    assert "2026-10-05 14:00" in body and "周婷" in body
    assert "No earlier visit" in html(desk.get("/showroom/returning?phone=13700001111",
                                               headers=HX))
    assert "周婷" not in html(desk.get("/showroom/returning?phone=1390", headers=HX))


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/showroom/", "/showroom/board", "/showroom/today",
                                 "/showroom/history", "/showroom/summary",
                                 "/showroom/summary.xlsx", "/showroom/returning?phone=1"])
def test_presales_is_refused_the_showroom(client, sign_in, create_user, url):
    sign_in(client, create_user("presales"))
    assert client.get(url).status_code == 403


def test_readers_see_the_board_without_the_forms(client, sign_in, create_user, arrive, menu):
    arrive()
    sign_in(client, create_user("manager"))
    page = html(client.get("/showroom/"))
    assert 'id="showroom-board"' in page and 'id="arrival-form"' not in page
    assert "/serve" not in page and "/depart" not in page
    visit = db.session.scalar(sa.select(Visit))
    assert client.post(f"/showroom/visits/{visit.id}/depart",
                       data={"version": visit.version}).status_code == 403


def test_the_navigation_badge_and_today_cards(desk, arrive, client, sign_in, create_user,
                                              freeze):
    arrive()
    assert html(desk.get("/showroom/badge")).startswith("1")
    home = html(today(desk))
    assert 'id="card-showroom-now"' in home and "1 parties in the showroom now" in home
    sup = create_user("supervisor")
    sign_in(client, sup)
    freeze("2026-11-29 09:00")
    assert "Showroom month summary ready" in html(today(client))
    freeze("2026-11-15 09:00")
    assert "Showroom month summary ready" not in html(today(client))


# --- speed -----------------------------------------------------------------------------------


def _many_visits(n, receptionist, consultant, menu):
    from datetime import UTC, date, datetime, timedelta

    start = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    visits = []
    for i in range(n):
        at = start - timedelta(minutes=7 * i)
        visits.append(Visit(day=date(2026, 11, 22) if i < n // 2 else date(2026, 11, 21),
                            arrived_at=at, left_at=None if i % 3 else at + timedelta(minutes=40),
                            party_size=2, purpose="viewing", source="walk_in",
                            consultant_id=consultant.id if i % 2 else None,
                            consultant_name=None if i % 2 else f"外援{i}",
                            created_by_id=receptionist.id))
    db.session.add_all(visits)
    db.session.flush()
    db.session.add_all(Serving(visit_id=v.id, menu_item_id=menu["可乐"].id, quantity=1,
                               day=v.day, served_by_id=receptionist.id) for v in visits)
    db.session.commit()


@pytest.mark.parametrize("url", ["/showroom/board", "/showroom/today", "/showroom/history",
                                 "/showroom/summary?month=2026-11"])
def test_query_counts_do_not_grow_with_rows(desk, receptionist, consultant, menu,
                                            count_queries, url):
    _many_visits(6, receptionist, consultant, menu)
    with count_queries() as few:
        assert desk.get(url, headers=HX).status_code == 200
    _many_visits(60, receptionist, consultant, menu)
    with count_queries() as many:
        assert desk.get(url, headers=HX).status_code == 200
    assert many.count == few.count, (few.count, many.count)
    print(url, few.count)


LONG_NOTE = "客户带了两个孩子，需要儿童座椅和一些零食" * 3


def _crowd(n, receptionist, consultant, menu, *, note=LONG_NOTE):
    """``n`` parties of today still in the showroom, each with a long note, a visitor's name
    and phone and two servings: the biggest rows a board shows."""
    from datetime import UTC, date, datetime, timedelta

    start = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    visits = [Visit(day=date(2026, 11, 22), arrived_at=start - timedelta(minutes=3 * i),
                    party_size=4, purpose="aftersales", source="advertising",
                    consultant_id=consultant.id, visitor_name="欧阳先生", phone="13812345678",
                    note=note, created_by_id=receptionist.id) for i in range(n)]
    db.session.add_all(visits)
    db.session.flush()
    db.session.add_all(Serving(visit_id=v.id, menu_item_id=menu[name].id, quantity=2,
                               day=v.day, served_by_id=receptionist.id)
                       for v in visits for name in ("矿泉水", "饼干"))
    db.session.commit()
    return visits


def test_a_crowded_board_is_paged_and_small(desk, receptionist, consultant, menu, freeze):
    visits = _crowd(24, receptionist, consultant, menu)
    freeze("2026-11-22 11:00")  # every party a long stay: the biggest rows
    response = desk.get("/showroom/board", headers=HX)
    body = html(response)
    assert len(response.get_data()) <= 5000, len(response.get_data())
    shown = re.findall(r'<li id="visit-(\d+)"', body)
    assert shown == [str(v.id) for v in visits[:svc.BOARD_ROWS]]
    assert '<span class="count">24</span>' in body  # the count is of every party
    assert "客户带了两个孩子" in body and visits[0].note not in body  # a long note is cut
    older = re.search(r'href="/showroom/\?before=([^"]+)"', body).group(1)
    seen = set(shown)
    while older:
        response = desk.get(f"/showroom/board?before={older}", headers=HX)
        body = html(response)
        assert len(response.get_data()) <= 5000
        # the poll refreshes the page being read, not the first one
        assert f'hx-get="/showroom/board?before={older}"' in body
        page = re.findall(r'<li id="visit-(\d+)"', body)
        assert page and not seen & set(page)
        seen |= set(page)
        more = re.search(r'href="/showroom/\?before=([^"]+)"', body)
        older = more.group(1) if more else None
    assert seen == {str(v.id) for v in visits}
    # the whole page with a crowd stays well under a page's budget
    assert len(desk.get("/showroom/").get_data()) <= 30_000


def test_todays_list_sums_up_a_busy_day_and_lists_the_latest(desk, receptionist, consultant,
                                                             menu):
    visits = _crowd(80, receptionist, consultant, menu)
    response = desk.get("/showroom/today", headers=HX)
    body = html(response)
    assert len(response.get_data()) <= 5000, len(response.get_data())
    assert "80 parties, 320 people" in body
    rows = re.findall(r'href="/showroom/visits/(\d+)"', body)
    assert rows == [str(v.id) for v in visits[:svc.TODAY_ROWS]]
    assert ('href="/showroom/history?date_from=2026-11-22&amp;date_to=2026-11-22"' in body
            and "All 80 of today's visitors in the history" in body)
    # by purpose and by source count every party of the day, not the listed ones
    assert re.search(r"After-sales</th><td class=\"num\">80<", body)
    assert re.search(r"Advertising</th><td class=\"num\">80<", body)


def test_the_actions_stay_within_their_query_budget(desk, arrive, menu, consultant,
                                                    count_queries):
    """Each action answers from what it just wrote (no re-read of the visit, its servings or
    the signed-in user). Counted as the bench counts (no transaction control)."""
    chosen = consultant.id  # read before counting (the test shares the requests' session)
    with count_queries(like_bench=True) as logged:
        response = desk.post("/showroom/visits", headers=HX,
                             data={**ARRIVAL, "consultant_name": "", "consultant_id": chosen})
    # the user, the consultant, the visit, the audit event, the change counters (docs/live.md);
    # and the visitor's phone finds (or here makes) their customer: the phone lookup, the
    # customer, the contact; the customer's name grams (the customer search's index)
    assert response.status_code == 200 and logged.count <= 9, logged.count
    visit = db.session.scalar(sa.select(Visit))
    with count_queries(like_bench=True) as opened:
        assert desk.get(f"/showroom/visits/{visit.id}/serve", headers=HX).status_code == 200
    assert opened.count <= 4, opened.count
    with count_queries(like_bench=True) as served:
        response = desk.post(f"/showroom/visits/{visit.id}/serve", headers=HX,
                             data={f"item_{menu['可乐'].id}": "1"})
    assert response.status_code == 200 and "可乐 × 1" in html(response)
    # the user, the visit and its servings, the menu, the serving, the audit event, the
    # change counters (docs/live.md)
    assert served.count <= 7, served.count
    assert len(response.get_data()) <= 5000
    with count_queries(like_bench=True) as departed:
        response = desk.post(f"/showroom/visits/{visit.id}/depart", headers=HX,
                             data={"version": visit.version})
    assert response.status_code == 200 and departed.count <= 5, departed.count  # + counters
