"""The visitor board over HTTP: full pages and fragments, arrivals, serving and departures
in place, conflicts, bad input, privacy, returning visitors, history and query counts."""

import json
import re

import pytest
import sqlalchemy as sa

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


@pytest.fixture
def desk(client, sign_in, receptionist, freeze):
    freeze("2026-11-22 09:30")
    sign_in(client, receptionist)
    return client


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
                   f'id="visit-{visit.id}"', 'hx-trigger="every 15s, visitors-changed from:body"',
                   "css/reception.css", "矿泉水", "30 min"):
        assert needle in page, needle


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
    assert "visitors-changed" in triggered(response)
    body = html(response)
    assert body.lstrip().startswith('<section id="arrival-form"') and "Logged: 3 people" in body
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


def test_a_bad_arrival_without_htmx_shows_the_page(desk):
    response = desk.post("/showroom/visits", data={**ARRIVAL, "party_size": "0"})
    assert response.status_code == 422 and "<html" in html(response)


# --- serving ---------------------------------------------------------------------------------


def test_serving_swaps_the_row_and_tells_the_stock_widget(desk, arrive, menu):
    visit = arrive()
    response = desk.post(f"/showroom/visits/{visit.id}/serve",
                         data={"menu_item_id": menu["可乐"].id, "quantity": "2"}, headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith(f'<li id="visit-{visit.id}"') and "可乐 × 2" in body
    assert "stock-changed" in triggered(response)
    assert count_rows(Serving) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"menu_item_id": "999999", "quantity": "1"}, "Choose an item from the menu."),
    ({"menu_item_id": "", "quantity": "1"}, "Choose an item from the menu."),
    ({"quantity": "0"}, "Enter how many, from 1 to 20."),
])
def test_bad_servings_are_refused(desk, arrive, menu, data, message):
    visit = arrive()
    data = {"menu_item_id": menu["可乐"].id, **data}
    response = desk.post(f"/showroom/visits/{visit.id}/serve", data=data, headers=HX)
    assert response.status_code == 422 and message in html(response)
    assert count_rows(Serving) == 0


def test_a_drink_beyond_the_fridge_count_is_refused(desk, arrive, menu, fridge_item,
                                                    monkeypatch):
    cola = menu["可乐"]
    cola.stock_item_id = fridge_item.id
    db.session.commit()
    monkeypatch.setattr(svc, "_fridge_stock", lambda day: {fridge_item.id: 1})
    visit = arrive()
    response = desk.post(f"/showroom/visits/{visit.id}/serve",
                         data={"menu_item_id": cola.id, "quantity": "2"}, headers=HX)
    assert response.status_code == 422
    assert "Only 1 of 可乐 left in the fridge today." in html(response)
    assert count_rows(Serving) == 0


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
                                                               receptionist):
    earlier = arrive(at="2026-10-05 14:00", phone="13900001111",
                     consultant_id=create_user("presales", display_name="周婷").id)
    svc.depart(receptionist, earlier, earlier.version)
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
