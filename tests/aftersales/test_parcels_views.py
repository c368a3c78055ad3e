"""The order clerks' returned-parcels page (R-A5): the cases waiting for a parcel, the
search by tracking number, "原包裹已收到" signed in place (name and date) with the agent
told, conflicts, the badge, the slip, who may use it, and its query count."""

from datetime import date

import pytest

from portal.aftersales.models import AfterSalesCase
from portal.extensions import db
from portal.notifications.models import Notification
from tests.aftersales.conftest import HX, html
from tests.conftest import count_rows


@pytest.fixture
def waiting(open_case, step):
    """``waiting(tracking="SF123", **fields)`` -> a return waiting for its parcel."""

    def _make(tracking="SF0000001", **fields):
        case = open_case("return_refund", **fields)
        step(case, "in_progress")
        step(case, "waiting_parcel", return_courier="顺丰", return_tracking_no=tracking)
        return case

    return _make


@pytest.fixture
def desk(client, sign_in, clerk, freeze):
    freeze("2026-11-22 14:00")
    sign_in(client, clerk)
    return client


def test_the_page_lists_the_parcels_being_waited_for(desk, waiting, open_case):
    case = waiting("YT5550001")
    other = open_case()  # not waiting: not listed
    page = desk.get("/aftersales/parcels")
    body = html(page)
    assert page.status_code == 200 and "<html" in body
    assert "YT5550001" in body and case.order_no in body and "Return and refund" in body
    assert "2026-11-22" in body and f"Case #{other.id}" not in body
    fragment = html(desk.get("/aftersales/parcels?q=YT555", headers=HX))
    assert fragment.lstrip().startswith('<section id="parcel-results"') and "YT5550001" in fragment
    assert "YT5550001" not in html(desk.get("/aftersales/parcels?q=ZT9", headers=HX))


def test_signing_the_receipt_in_place(desk, waiting, agent, clerk):
    case = waiting("SF7770001")
    response = desk.post(f"/aftersales/parcels/{case.id}/received", headers=HX,
                         data={"version": case.version})
    body = html(response)
    assert response.status_code == 200 and body.lstrip().startswith(f'<tr id="parcel-{case.id}"')
    assert "Original parcel received: 陈打单 2026-11-22" in body
    assert "aftersales-changed" in response.headers["HX-Trigger"]
    db.session.refresh(case)
    assert (case.state, case.parcel_received_by_id) == ("parcel_received", clerk.id)
    note = db.session.query(Notification).filter_by(user_id=agent.id).one()
    assert note.params == {"id": case.id, "tracking": "SF7770001", "name": "陈打单"}


def test_a_second_clerk_signing_gets_the_current_state(desk, waiting, app, sign_in,
                                                       create_user):
    case = waiting()
    seen = case.version
    assert desk.post(f"/aftersales/parcels/{case.id}/received", headers=HX,
                     data={"version": seen}).status_code == 200
    second = app.test_client()
    sign_in(second, create_user("order_clerk", display_name="梁强"))
    response = second.post(f"/aftersales/parcels/{case.id}/received", headers=HX,
                           data={"version": seen})
    assert response.status_code == 409
    assert "Original parcel received: 陈打单" in html(response)


def test_a_case_not_waiting_is_refused(desk, open_case):
    case = open_case()
    response = desk.post(f"/aftersales/parcels/{case.id}/received", headers=HX,
                         data={"version": case.version})
    assert response.status_code == 422 and "not waiting for a returned parcel" in html(response)
    db.session.refresh(case)
    assert case.state == "new"


def test_without_htmx_the_sign_goes_back_to_the_page(desk, waiting):
    case = waiting()
    response = desk.post(f"/aftersales/parcels/{case.id}/received",
                         data={"version": case.version})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/aftersales/parcels")


def test_the_badge_counts_the_parcels(desk, waiting):
    assert html(desk.get("/aftersales/parcels/badge")).strip() == ""
    waiting("A1")
    waiting("A2")
    assert html(desk.get("/aftersales/parcels/badge")).strip().startswith("2")
    assert 'hx-get="/aftersales/parcels/badge"' in html(desk.get("/aftersales/parcels"))


def test_the_clerk_prints_an_interceptions_slip(desk, open_case):
    case = open_case("interception", delivery_date=None)
    body = html(desk.get(f"/aftersales/parcels/{case.id}/slip"))
    assert case.return_tracking_no in body and "Part 2: for the courier" in body
    assert "Back to the case" not in body  # the clerk does not read cases


@pytest.mark.parametrize(("role", "status"), [
    ("order_clerk", 200), ("aftersales", 403), ("presales", 403), ("reception", 403),
    ("supervisor", 403), ("manager", 403)])
def test_who_uses_the_page(client, sign_in, create_user, waiting, role, status):
    case = waiting()
    sign_in(client, create_user(role))
    assert client.get("/aftersales/parcels").status_code == status
    response = client.post(f"/aftersales/parcels/{case.id}/received", headers=HX,
                           data={"version": case.version})
    assert response.status_code == (200 if status == 200 else 403)
    assert count_rows(AfterSalesCase, AfterSalesCase.state == "parcel_received") == \
        (1 if status == 200 else 0)


def test_the_page_costs_the_same_with_few_and_many_parcels(desk, waiting, count_queries):
    def queries():
        with count_queries() as counter:
            assert desk.get("/aftersales/parcels").status_code == 200
        return counter.count

    waiting("B1")
    few = queries()
    for n in range(15):
        waiting(f"C{n}", delivery_date=date(2026, 11, 21))
    many = queries()
    print(f"queries /aftersales/parcels: {few}")
    assert many == few and few <= 8
