"""The distributors' pages: role × endpoint matrix, the account's actions in place (payment,
adjustment, hold, terms with a 409), bad input, the statement (print and xlsx), budgets."""

from decimal import Decimal
from io import BytesIO

import pytest

from portal.distributors import ledger
from portal.distributors.models import DistributorAccount, LedgerEntry
from portal.extensions import db
from tests.conftest import count_rows
from tests.distributors.conftest import HX, pay

ROLES = ("manager", "supervisor", "presales", "aftersales", "order_clerk", "reception")

ENDPOINTS = [
    ("GET", "/distributors/", "distributors.view"),
    ("GET", "/distributors/{a}", "distributors.view"),
    ("GET", "/distributors/{a}/statement", "distributors.view"),
    ("GET", "/distributors/review", "distributors.view"),
    ("GET", "/distributors/review/{o}", "distributors.view"),
    ("GET", "/distributors/dispatch", "distributors.view"),
    ("POST", "/distributors/new", "distributors.manage"),
    ("POST", "/distributors/{a}/payment", "distributors.payments"),
    ("POST", "/distributors/{a}/adjust", "distributors.manage"),
    ("POST", "/distributors/{a}/terms", "distributors.manage"),
    ("POST", "/distributors/{a}/hold", "distributors.manage"),
    ("POST", "/distributors/review/{o}/issue", "distributors.work"),
    ("POST", "/distributors/review/{o}/reduce", "distributors.work"),
    ("POST", "/distributors/review/{o}/ask", "distributors.work"),
    ("POST", "/distributors/issues/new", "distributors.work"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "permission"), ENDPOINTS)
def test_role_matrix(client, sign_in, create_user, account, dist_order, role, method, url,
                     permission):
    from portal.auth.permissions import role_can

    order = dist_order()
    sign_in(client, create_user(role))
    response = client.open(url.format(a=account.id, o=order.id), method=method, data={})
    if role_can(role, permission):
        assert response.status_code in (200, 303, 400, 422), (role, url, response.status_code)
    else:
        assert response.status_code == 403, (role, url)


def test_anonymous_goes_to_sign_in(client):
    assert client.get("/distributors/").status_code in (302, 303)


def test_clerk_books_a_payment_in_place(client, sign_in, clerk, account):
    sign_in(client, clerk)
    response = client.post(f"/distributors/{account.id}/payment",
                           data={"amount": "1,200.50".replace(",", "")}, headers=HX)
    assert response.status_code == 200
    assert "ledger-changed" in response.headers["HX-Trigger"]
    assert "¥1,200.50" in response.get_data(as_text=True)
    assert len(response.get_data()) < 5 * 1024


@pytest.mark.parametrize("amount", ["0", "-100", "abc", "1e400", "\x00", ""])
def test_bad_payments_are_refused(client, sign_in, clerk, account, amount):
    sign_in(client, clerk)
    response = client.post(f"/distributors/{account.id}/payment", data={"amount": amount},
                           headers=HX)
    assert response.status_code in (400, 422)
    assert count_rows(LedgerEntry) == 0


def test_adjustment_without_reason_is_refused(client, sign_in, supervisor, account):
    sign_in(client, supervisor)
    response = client.post(f"/distributors/{account.id}/adjust",
                           data={"kind": "adjustment", "amount": "-50", "reason": ""}, headers=HX)
    assert response.status_code == 422
    response = client.post(f"/distributors/{account.id}/adjust",
                           data={"kind": "adjustment", "amount": "-50", "reason": "对账差异"},
                           headers=HX)
    assert response.status_code == 200
    assert ledger.balance(account.id) == Decimal("-50.00")


def test_terms_409_keeps_typing(client, sign_in, supervisor, account):
    sign_in(client, supervisor)
    response = client.post(f"/distributors/{account.id}/terms", data={
        "version": account.version + 1, "name": "新名字", "market": "华东",
        "credit_line": "8000", "terms_days": "45", "mode": "loose"}, headers=HX)
    assert response.status_code == 409
    assert "8000" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DistributorAccount, account.id).credit_line == Decimal("5000.00")


def test_hold_needs_a_reason(client, sign_in, supervisor, account):
    sign_in(client, supervisor)
    response = client.post(f"/distributors/{account.id}/hold", data={
        "version": account.version, "action": "hold", "reason": ""}, headers=HX)
    assert response.status_code == 422
    response = client.post(f"/distributors/{account.id}/hold", data={
        "version": account.version, "action": "hold", "reason": "对账中"}, headers=HX)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(DistributorAccount, account.id).state == "hold"


def test_new_account_and_duplicate_code(client, sign_in, supervisor, account):
    sign_in(client, supervisor)
    data = {"name": "成都蜀茶", "code": "fx_cd", "market": "西南", "credit_line": "0",
            "terms_days": "30", "mode": "strict"}
    assert client.post("/distributors/new", data=data).status_code == 303
    data["name"] = "别的"
    assert client.post("/distributors/new", data=data, headers=HX).status_code == 422
    data.update(code="fx_x", mode="nonsense")
    assert client.post("/distributors/new", data=data, headers=HX).status_code == 422


def test_list_filters_and_figures(client, sign_in, clerk, account):
    pay(clerk, account, "1234")
    sign_in(client, clerk)
    text = client.get("/distributors/?market=华东").get_data(as_text=True)
    assert "杭州茶源商贸" in text and "¥1,234.00" in text
    assert "杭州茶源商贸" not in client.get("/distributors/?market=西南").get_data(as_text=True)
    assert client.get("/distributors/?state=nonsense").status_code == 422


def test_statement_print_and_xlsx(client, sign_in, clerk, account, freeze):
    freeze("2026-11-10 10:00")
    pay(clerk, account, "=1+1".replace("=1+1", "700"), note="=HYPERLINK(\"x\")")
    freeze("2026-11-22 10:00")
    sign_in(client, clerk)
    text = client.get(f"/distributors/{account.id}/statement?date_from=2026-11-01"
                      "&date_to=2026-11-30").get_data(as_text=True)
    assert "¥700.00" in text
    response = client.get(f"/distributors/{account.id}/statement?date_from=2026-11-01"
                          "&date_to=2026-11-30&format=xlsx")
    assert response.status_code == 200
    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(response.data)).active
    values = [cell.value for row in ws.iter_rows() for cell in row]
    assert Decimal(str(values[values.index("Closing balance") + 1])) == Decimal("700")
    assert '=HYPERLINK("x")' in values  # text, not a formula
    bad = client.get(f"/distributors/{account.id}/statement?date_from=2026-11-30"
                     "&date_to=2026-11-01")
    assert bad.status_code == 422
    assert client.get(f"/distributors/{account.id}/statement?date_from=nope").status_code == 422


def test_query_budgets(client, sign_in, clerk, account, dist_order, count_queries):
    from portal.distributors import review

    for _ in range(15):
        pay(clerk, account, "100")
    issued = dist_order()
    review.issue(clerk, issued, issued.version, review.check(issued, account).seen)
    db.session.commit()
    order = dist_order()
    sign_in(client, clerk)
    assert issued.order_no in client.get(f"/distributors/{account.id}").get_data(as_text=True)
    assert issued.order_no in client.get(f"/distributors/{account.id}/statement").get_data(
        as_text=True)
    for url in ("/distributors/", f"/distributors/{account.id}", "/distributors/review",
                f"/distributors/review/{order.id}", "/distributors/dispatch",
                f"/distributors/{account.id}/statement"):
        with count_queries(like_bench=True) as n:
            response = client.get(url)
        assert response.status_code == 200, url
        assert n.count <= 10, (url, n.count, n.statements)
        assert len(response.get_data()) < 60 * 1024, url
