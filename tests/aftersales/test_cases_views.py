"""The case pages over HTTP: the lists and their filters, the new-case form (picked or typed
order), the case card and its actions in place (200 / 422 / 409), who may do what, and the
number of queries the lists and the case page cost."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.aftersales import cases as svc
from portal.aftersales.models import AfterSalesCase, CaseEvent
from portal.extensions import db
from tests.aftersales.conftest import HX, html
from tests.conftest import count_rows


def post(client, url, data, **kwargs):
    return client.post(url, data=data, headers=HX, **kwargs)


# --- pages and fragments ---------------------------------------------------------------------


def test_the_lists_full_page_and_fragment(desk, open_case, agent):
    case = open_case("quality")
    page = desk.get("/aftersales/")
    body = html(page)
    assert page.status_code == 200 and "<html" in body and f"#{case.id}" in body
    assert 'aria-current="page">My cases' in body and "css/aftersales.css" in body
    fragment = desk.get("/aftersales/?view=all&type=quality", headers=HX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in html(fragment)
    assert html(fragment).lstrip().startswith('<section id="case-results"')


def test_the_case_page_and_its_card(desk, open_case):
    case = open_case("quality")
    body = html(desk.get(f"/aftersales/{case.id}"))
    for needle in ("<html", 'id="case-card"', "Quality complaint", "Within 7 days of delivery",
                   "The customer pays the return leg.", "Start working on it",
                   'hx-encoding="multipart/form-data"', "Case opened", "First response:",
                   'class="sla-clock sla-'):
        assert needle in body, needle
    fragment = html(desk.get(f"/aftersales/{case.id}", headers=HX))
    assert "<html" not in fragment and fragment.lstrip().startswith('<section id="case-card"')
    assert desk.get("/aftersales/999999").status_code == 404


def test_filters_narrow_the_list(desk, open_case, other_agent):
    mine = open_case("quality", order_no="TB1001")
    theirs = open_case("exchange", order_no="TB2002", assignee_id=other_agent.id)
    body = html(desk.get("/aftersales/?view=all&order_no=TB2", headers=HX))
    assert f'href="/aftersales/{theirs.id}"' in body and f'href="/aftersales/{mine.id}"' not in body
    body = html(desk.get("/aftersales/", headers=HX))  # my cases by default
    assert f'href="/aftersales/{mine.id}"' in body and f'href="/aftersales/{theirs.id}"' not in body
    body = html(desk.get(f"/aftersales/?view=all&assignee={other_agent.id}", headers=HX))
    assert f'href="/aftersales/{theirs.id}"' in body and f'href="/aftersales/{mine.id}"' not in body
    bad = desk.get("/aftersales/?view=all&date_from=2026-11-30&date_to=2026-11-01", headers=HX)
    assert bad.status_code == 422 and "The end date is before the start date." in html(bad)


def test_the_supervisor_sees_all_cases_by_default_and_reads_only(client, sign_in, open_case,
                                                                 create_user):
    case = open_case()
    sign_in(client, create_user("supervisor"))
    body = html(client.get("/aftersales/"))
    assert f"#{case.id}" in body and "My cases" not in body
    page = html(client.get(f"/aftersales/{case.id}"))
    assert "Start working on it" not in page and "Upload the photo" not in page


# --- a new case ------------------------------------------------------------------------------


def test_a_new_case_from_an_order_link(desk, make_order, freeze):
    order = make_order(stage="shipped")
    freeze("2026-11-22 09:30")
    body = html(desk.get(f"/aftersales/new?order={order.id}"))
    assert order.order_no in body and f'value="{order.id}"' in body
    assert '<option selected value="interception">' in body  # a shipped order: interception offered
    assert desk.get("/aftersales/new?order=999999").status_code == 404


def test_the_order_search_of_the_new_form(desk, make_order, freeze):
    order = make_order(stage="completed")
    freeze("2026-11-22 09:30")
    body = html(desk.get(f"/aftersales/new/orders?q={order.order_no}", headers=HX))
    assert body.lstrip().startswith('<div id="order-matches"')
    assert f"/aftersales/new?order={order.id}" in body
    assert "No order found" in html(desk.get("/aftersales/new/orders?q=nothing", headers=HX))


def test_opening_a_case_redirects_to_it(desk, make_order, agent, freeze):
    order = make_order()
    freeze("2026-11-22 09:30")
    response = post(desk, "/aftersales/new", {
        "order_id": str(order.id), "type": "quality", "problem": "杯子裂了",
        "delivery_date": "2026-11-20", "assignee_id": str(agent.id)})
    case = db.session.scalar(sa.select(AfterSalesCase))
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/aftersales/{case.id}"
    assert (case.order_id, case.purchase_date) == (order.id, date(2026, 11, 18))


def test_a_bad_new_case_is_422_and_changes_nothing(desk):
    response = post(desk, "/aftersales/new", {"type": "return_refund", "problem": "坏了",
                                              "order_no": ""})
    assert response.status_code == 422
    assert "Pick the order, or type its number." in html(response)
    assert html(response).lstrip().startswith('<section id="case-form"')
    response = post(desk, "/aftersales/new", {"type": "return_refund", "problem": "",
                                              "order_no": "X1"})
    assert response.status_code == 422 and "Describe what is wrong." in html(response)
    assert count_rows(AfterSalesCase) == 0


def test_presales_opens_a_case_and_goes_back_to_the_order(client, sign_in, presales, make_order,
                                                          agent, freeze):
    order = make_order()
    freeze("2026-11-22 09:30")
    sign_in(client, presales)
    assert "Agent" not in html(client.get(f"/aftersales/new?order={order.id}")).split(
        'id="case-form"')[1]
    response = client.post("/aftersales/new", data={
        "order_id": str(order.id), "type": "exchange", "problem": "颜色不对",
        "assignee_id": str(agent.id)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.id}")
    case = db.session.scalar(sa.select(AfterSalesCase))
    assert case.assignee_id is None  # pre-sales cannot choose the agent
    assert client.get(f"/aftersales/{case.id}").status_code == 403


# --- actions in place ------------------------------------------------------------------------


def test_a_step_in_place(desk, open_case):
    case = open_case()
    response = post(desk, f"/aftersales/{case.id}/state",
                    {"version": case.version, "state": "in_progress"})
    body = html(response)
    assert response.status_code == 200 and body.lstrip().startswith('<section id="case-workflow"')
    assert "Now: In progress." in body and "aftersales-changed" in response.headers["HX-Trigger"]
    assert '<header id="case-head" class="as-head" hx-swap-oob="true">' in body
    assert 'data-state="in_progress"' in body
    db.session.refresh(case)
    assert case.state == "in_progress"


def test_a_skipped_step_is_422_and_changes_nothing(desk, open_case):
    case = open_case()
    version = case.version
    response = post(desk, f"/aftersales/{case.id}/state",
                    {"version": version, "state": "refunded", "refund_amount": "10"})
    assert response.status_code == 422
    assert "cannot go from “New” to “Refunded”" in html(response)
    db.session.refresh(case)
    assert (case.state, case.version, case.refund_amount) == ("new", version, None)


def test_a_quality_decision_without_photos_is_refused_with_the_message(desk, open_case, step):
    case = open_case("quality")
    step(case, "in_progress")
    response = post(desk, f"/aftersales/{case.id}/state",
                    {"version": case.version, "state": "waiting_parcel"})
    assert response.status_code == 422
    assert "needs at least one photo before it is decided" in html(response)


def test_outside_the_window_the_reason_field_shows_and_is_required(desk, open_case, step):
    case = open_case("return_refund", delivery_date=date(2026, 11, 1))
    step(case, "in_progress")
    page = html(desk.get(f"/aftersales/{case.id}"))
    assert "21 days after delivery: outside the 7 days." in page
    assert 'name="window_override"' in page
    refused = post(desk, f"/aftersales/{case.id}/state",
                   {"version": case.version, "state": "waiting_parcel"})
    assert refused.status_code == 422 and "write why the return is accepted anyway" in html(refused)
    done = post(desk, f"/aftersales/{case.id}/state",
                {"version": case.version, "state": "waiting_parcel",
                 "window_override": "主管同意", "return_tracking_no": "SF0001"})
    assert done.status_code == 200 and "Accepted anyway: 主管同意" in html(done)


def test_a_refund_above_the_order_is_refused(desk, open_case, make_order, step, freeze):
    order = make_order(quantity=1)  # 88.00
    case = open_case("refund_only", order_id=order.id)
    step(case, "in_progress")
    response = post(desk, f"/aftersales/{case.id}/state",
                    {"version": case.version, "state": "refunded", "refund_amount": "100"})
    assert response.status_code == 422
    assert "The refund ¥100.00 is more than the order&#39;s amount ¥88.00." in html(response)
    db.session.refresh(case)
    assert case.refund_amount is None and case.state == "in_progress"


def test_a_stale_version_is_409_with_the_current_state(desk, open_case, step):
    case = open_case()
    seen = case.version
    step(case, "in_progress")  # someone else moved it on
    response = post(desk, f"/aftersales/{case.id}/state", {"version": seen, "state": "in_progress"})
    body = html(response)
    assert response.status_code == 409 and "Someone else changed this case first." in body
    assert 'data-state="in_progress"' in body
    response = post(desk, f"/aftersales/{case.id}/assign", {"version": seen, "assignee_id": ""})
    assert response.status_code == 409


def test_a_missing_version_is_a_bad_request(desk, open_case):
    case = open_case()
    assert post(desk, f"/aftersales/{case.id}/state", {"state": "in_progress"}).status_code == 400


def test_assign_note_details_in_place(desk, open_case, other_agent):
    case = open_case()
    response = post(desk, f"/aftersales/{case.id}/assign",
                    {"version": case.version, "assignee_id": str(other_agent.id)})
    assert response.status_code == 200 and "何敏" in html(response)
    response = post(desk, f"/aftersales/{case.id}/notes", {"text": "已电话联系客户"})
    assert response.status_code == 200 and "已电话联系客户" in html(response)
    assert post(desk, f"/aftersales/{case.id}/notes", {"text": " "}).status_code == 422
    db.session.refresh(case)
    response = post(desk, f"/aftersales/{case.id}/details", {
        "version": case.version, "problem": case.problem, "platform_status": "refunding",
        "category": "logistics", "delivery_date": "2026-11-21"})
    assert response.status_code == 200
    db.session.refresh(case)
    assert (case.platform_status, case.category) == ("refunding", "logistics")
    response = post(desk, f"/aftersales/{case.id}/details", {
        "version": case.version, "problem": case.problem, "delivery_date": "2026-12-30"})
    assert response.status_code == 422 and "cannot be in the future" in html(response)


def test_the_freight_rule_in_place(desk, open_case, add_photo):
    case = open_case("quality")
    add_photo(case)
    response = post(desk, f"/aftersales/{case.id}/confirm",
                    {"version": case.version, "confirms": "yes"})
    body = html(response)
    assert response.status_code == 200 and "company pays both ways" in body
    db.session.refresh(case)
    response = post(desk, f"/aftersales/{case.id}/freight",
                    {"version": case.version, "amount": "12.50"})
    assert "Owed to the customer: ¥12.50, not yet refunded." in html(response)
    db.session.refresh(case)
    response = post(desk, f"/aftersales/{case.id}/freight-refunded", {"version": case.version})
    assert "Return freight of ¥12.50 refunded on 2026-11-22." in html(response)


def test_the_interception_in_place_and_its_slip(desk, open_case, make_order, freeze):
    order = make_order(stage="shipped")
    freeze("2026-11-22 09:30")
    case = open_case("interception", order_id=order.id)
    slip = html(desk.get(f"/aftersales/{case.id}/slip"))
    assert slip.count(order.tracking_no) == 2 and "Part 1: signed by the courier" in slip
    assert "Part 2: for the courier" in slip and "Cut here" in slip
    response = post(desk, f"/aftersales/{case.id}/interception",
                    {"version": case.version, "outcome": "failed"})
    assert response.status_code == 200 and "continues as a return" in html(response)
    db.session.refresh(case)
    assert case.type == "return_refund"


# --- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    ("reception", 403), ("order_clerk", 403), ("presales", 403),
    ("supervisor", 200), ("manager", 200), ("aftersales", 200),
])
def test_who_reads_a_case(client, sign_in, create_user, open_case, role, status):
    case = open_case()
    sign_in(client, create_user(role))
    assert client.get(f"/aftersales/{case.id}").status_code == status
    assert client.get("/aftersales/").status_code == status


@pytest.mark.parametrize("role", ["reception", "order_clerk", "presales", "supervisor",
                                  "manager"])
def test_only_agents_act_on_a_case(client, sign_in, create_user, open_case, role):
    case = open_case()
    sign_in(client, create_user(role))
    for path, data in ((f"/aftersales/{case.id}/state", {"version": 1, "state": "in_progress"}),
                       (f"/aftersales/{case.id}/notes", {"text": "x"}),
                       (f"/aftersales/{case.id}/assign", {"version": 1}),
                       (f"/aftersales/{case.id}/photos", {})):
        assert client.post(path, data=data, headers=HX).status_code == 403, path
    assert count_rows(CaseEvent, CaseEvent.kind == "note") == 0


@pytest.mark.parametrize(("role", "status"), [
    ("presales", 200), ("aftersales", 200), ("reception", 403), ("order_clerk", 403),
    ("supervisor", 403),
])
def test_who_opens_a_case(client, sign_in, create_user, role, status):
    sign_in(client, create_user(role))
    assert client.get("/aftersales/new").status_code == status


# --- query counts ----------------------------------------------------------------------------


def _queries(client, count_queries, path) -> int:
    with count_queries() as counter:
        assert client.get(path).status_code == 200
    return counter.count


@pytest.mark.parametrize("path", ["/aftersales/", "/aftersales/?view=all",
                                  "/aftersales/?view=unassigned&type=quality",
                                  "/aftersales/?view=all&sla=breached"])
def test_the_lists_cost_the_same_with_few_and_many_cases(desk, open_case, count_queries,
                                                         other_agent, path, freeze):
    def add(n):
        for i in range(n):
            open_case("quality", assignee_id=None if i % 2 else other_agent.id)
            open_case("return_refund")
        freeze("2026-11-30 09:30")

    add(2)
    few = _queries(desk, count_queries, path)
    add(20)
    many = _queries(desk, count_queries, path)
    print(f"queries {path}: {few}")
    assert many == few, f"{path}: {few} queries with few, {many} with many"
    assert few <= 8


def test_the_case_page_costs_the_same_with_few_and_many_events(desk, open_case, add_photo,
                                                               count_queries, agent, make_order):
    order = make_order()
    case = open_case("quality", order_id=order.id)
    add_photo(case)
    few = _queries(desk, count_queries, f"/aftersales/{case.id}")
    for i in range(15):
        svc.add_note(agent, case, f"记录 {i}")
        add_photo(case)
    svc.change_state(agent, case, case.version, "in_progress")
    db.session.commit()  # the test's own changes (and their change counters) are not the page's
    many = _queries(desk, count_queries, f"/aftersales/{case.id}")
    print(f"queries case page: {few}")
    assert many == few, f"{few} queries with few events, {many} with many"
    assert few <= 10
    assert Decimal  # amounts above are money
