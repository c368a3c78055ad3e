"""The allocation pages: role × endpoint matrix, a cell adjusted in place (totals and the
run's version out of band), refusals with a message, the second clerk's 409, the rules and
markets the supervisor keeps, bad input, budgets."""

from decimal import Decimal

import pytest

from portal.distributors import allocation
from portal.distributors.allocation_models import AllocationRun
from portal.extensions import db
from tests.conftest import count_rows
from tests.distributors.conftest import HX, pay

ROLES = ("manager", "supervisor", "presales", "aftersales", "order_clerk", "reception")

ENDPOINTS = [
    ("GET", "/distributors/allocation", "distributors.view"),
    ("GET", "/distributors/allocation/{r}", "distributors.view"),
    ("POST", "/distributors/allocation/new", "distributors.work"),
    ("POST", "/distributors/allocation/{r}/issue", "distributors.work"),
    ("POST", "/distributors/allocation/{r}/cells/{c}", "distributors.work"),
    ("POST", "/distributors/allocation/rules/{rule}", "distributors.manage"),
    ("POST", "/distributors/allocation/markets", "distributors.manage"),
]


@pytest.fixture
def run(account, dist_order, clerk, supervisor):
    from portal.distributors import ledger

    other = ledger.create_account(supervisor, name="成都蜀味商行", code="fx_cd", market="西南",
                                  credit_line=Decimal("0"), terms_days=30, mode="strict")
    db.session.commit()
    pay(clerk, account, "5000")
    pay(clerk, other, "5000")
    first = dist_order([("CUP-02", 4, "80.00")], at="2026-11-22 09:00")
    later = dist_order([("CUP-02", 4, "80.00")], code="fx_cd", at="2026-11-22 10:00")
    found = allocation.make_run(clerk)
    db.session.commit()
    cells = {c.order_id: c for c in allocation.cells_of(found)}
    return found, cells[first.id], cells[later.id]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "permission"), ENDPOINTS)
def test_role_matrix(client, sign_in, create_user, run, role, method, url, permission):
    from portal.auth.permissions import role_can

    found, cell, _later = run
    rule = allocation.rules()[0]
    db.session.commit()
    sign_in(client, create_user(role))
    response = client.open(url.format(r=found.id, c=cell.id, rule=rule.id), method=method,
                           data={})
    if role_can(role, permission):
        assert response.status_code in (200, 303, 400, 422), (role, url, response.status_code)
    else:
        assert response.status_code == 403, (role, url)


def test_the_page_shows_why(client, sign_in, clerk, run):
    sign_in(client, clerk)
    response = client.get("/distributors/allocation")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Served in full: ahead in line" in text and "First come, first served" in text
    assert len(response.data) < 60_000


def test_a_cell_adjusted_in_place(client, sign_in, clerk, run):
    found, first, later = run
    version = found.version
    sign_in(client, clerk)
    response = client.post(f"/distributors/allocation/{found.id}/cells/{first.id}",
                           data={"quantity": "2", "version": version}, headers=HX)
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    assert f'id="cell-{first.id}"' in text and 'hx-swap-oob="true"' in text
    assert f'value="{version + 1}"' in text  # the run's version moved on
    assert "left 2" in text  # 5 in stock, 2 + 1 proposed
    assert len(response.data) < 5_000


@pytest.mark.parametrize(("value", "words"), [("-3", "at least one"), ("9", "asked for 4"),
                                              ("4", "at most 1"), ("abc", "whole numbers"),
                                              ("1\x00", ""), ("99999999999999", "whole")])
def test_bad_cells_are_refused_with_a_message(client, sign_in, clerk, run, value, words):
    found, first, later = run
    sign_in(client, clerk)
    response = client.post(f"/distributors/allocation/{found.id}/cells/{later.id}",
                           data={"quantity": value, "version": found.version}, headers=HX)
    assert response.status_code in (400, 422)
    assert words in response.get_data(as_text=True).lower()
    db.session.refresh(later)
    assert later.proposed == 1


def test_second_clerk_gets_a_conflict(client, sign_in, clerk, create_user, run):
    found, first, later = run
    version = found.version
    sign_in(client, clerk)
    response = client.post(f"/distributors/allocation/{found.id}/issue",
                           data={"version": version}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/distributors/allocation/{found.id}"
    assert "Issued 2 orders" in client.get(response.headers["HX-Redirect"]).get_data(
        as_text=True)
    sign_in(client, create_user("order_clerk"))
    response = client.post(f"/distributors/allocation/{found.id}/issue",
                           data={"version": version}, headers=HX)
    assert response.status_code == 409
    assert count_rows(AllocationRun) == 1


def test_stale_cell_is_a_conflict(client, sign_in, clerk, run):
    found, first, later = run
    version = found.version
    sign_in(client, clerk)
    client.post(f"/distributors/allocation/{found.id}/cells/{first.id}",
                data={"quantity": "3", "version": version}, headers=HX)
    response = client.post(f"/distributors/allocation/{found.id}/cells/{later.id}",
                           data={"quantity": "2", "version": version},
                           headers=HX)
    assert response.status_code == 409


def test_huge_ids_are_404(client, sign_in, clerk, run):
    sign_in(client, clerk)
    assert client.get("/distributors/allocation/99999999999999999999").status_code == 404
    assert client.post("/distributors/allocation/1/cells/99999999999", data={},
                       headers=HX).status_code in (400, 404)


def test_supervisor_keeps_rules_and_markets(client, sign_in, supervisor, run):
    sign_in(client, supervisor)
    rule = next(r for r in allocation.rules() if r.key == "market")
    db.session.commit()
    version = rule.version
    response = client.post(f"/distributors/allocation/rules/{rule.id}",
                           data={"position": "1", "weight": "2", "version": version},
                           headers=HX)
    assert response.status_code == 200
    assert [r.key for r in allocation.rules()][0] == "market"
    response = client.post(f"/distributors/allocation/rules/{rule.id}",
                           data={"position": "1", "weight": "2", "version": version},
                           headers=HX)
    assert response.status_code == 409
    response = client.post("/distributors/allocation/markets",
                           data={"market": "西南", "sku": "CUP-02", "priority": "4"}, headers=HX)
    assert response.status_code == 200 and "西南" in response.get_data(as_text=True)
    response = client.post("/distributors/allocation/markets",
                           data={"market": "西南", "sku": "CUP-02", "priority": "10"},
                           headers=HX)
    assert response.status_code == 422


def test_a_long_run_is_paged(client, sign_in, clerk, run, monkeypatch):
    from portal.distributors import allocation_views

    monkeypatch.setattr(allocation_views, "SHOWN", 1)
    found, first, later = run
    sign_in(client, clerk)
    text = client.get(f"/distributors/allocation/{found.id}").get_data(as_text=True)
    assert f'id="cell-{first.id}"' in text and f'id="cell-{later.id}"' not in text
    text = client.get(f"/distributors/allocation/{found.id}?start=1").get_data(as_text=True)
    assert f'id="cell-{later.id}"' in text and f'id="cell-{first.id}"' not in text
    assert client.get(f"/distributors/allocation/{found.id}?start=abc").status_code == 200
    assert client.get(f"/distributors/allocation/{found.id}?start=x%00").status_code == 400


def test_the_run_page_within_budget(client, sign_in, clerk, run, count_queries):
    sign_in(client, clerk)
    found = run[0]
    with count_queries(like_bench=True) as counted:
        response = client.get(f"/distributors/allocation/{found.id}")
    assert response.status_code == 200
    assert counted.count <= 10, counted.statements
