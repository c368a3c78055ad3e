"""Personal data (issue 17 item 8, R-C8): contacts masked for all but the owner, full on
request for after-sales, the supervisor and the manager (audited unless the owner looks);
a customer's data exported and anonymised on request by the supervisor, audited."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.audit.models import AuditEvent
from portal.customers.models import Customer
from portal.extensions import db
from portal.orders.models import Order
from tests.conftest import count_rows
from tests.customers.conftest import HX

PHONE, MASKED = "13912345678", "139****5678"
ADDRESS = "浙江省杭州市西湖区文三路 1 号"


def _viewed(customer) -> int:
    return count_rows(AuditEvent, AuditEvent.action == "customers.contacts_viewed",
                      AuditEvent.target_id == str(customer.id))


@pytest.mark.parametrize("role", ["presales", "aftersales", "order_clerk", "reception",
                                  "supervisor", "manager"])
def test_the_page_masks_phones_and_addresses_for_everyone_but_the_owner(client, login,
                                                                         full_story, role):
    customer, _ = full_story
    login(role)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert MASKED in html and PHONE not in html and ADDRESS not in html
    assert _viewed(customer) == 0
    may_reveal = role in ("aftersales", "supervisor", "manager")
    assert ("Show in full" in html) is may_reveal


def test_the_owner_sees_them_in_full_unaudited(client, login, full_story):
    customer, _ = full_story
    owner = login("presales")
    customer.owner_id = owner.id
    db.session.commit()
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert PHONE in html and ADDRESS in html
    assert client.get(f"/customers/{customer.id}/contacts", headers=HX).status_code == 200
    assert _viewed(customer) == 0


@pytest.mark.parametrize("role", ["aftersales", "supervisor", "manager"])
def test_a_full_view_by_someone_else_is_audited(client, login, full_story, role):
    customer, _ = full_story
    viewer = login(role)
    response = client.get(f"/customers/{customer.id}/contacts", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert PHONE in html and ADDRESS in html
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "customers.contacts_viewed"))
    assert event.actor_id == viewer.id and event.target_id == str(customer.id)


@pytest.mark.parametrize("role", ["presales", "order_clerk", "reception"])
def test_others_are_refused_the_full_view(client, login, full_story, role):
    customer, _ = full_story
    login(role)
    response = client.get(f"/customers/{customer.id}/contacts", headers=HX)
    assert response.status_code == 403
    assert PHONE not in response.get_data(as_text=True)
    assert _viewed(customer) == 0


def _request(customer, prefix, **fields):
    data = {f"{prefix}-version": customer.version, f"{prefix}-reason": "客户来电要求",
            f"{prefix}-confirm": "y"}
    data.update({f"{prefix}-{k}": v for k, v in fields.items()})
    return {k: v for k, v in data.items() if v is not None}


def test_the_supervisor_exports_a_customer_s_data(client, login, full_story):
    customer, records = full_story
    login("supervisor")
    assert client.get(f"/customers/{customer.id}/data").status_code == 200
    response = client.post(f"/customers/{customer.id}/export",
                           data=_request(customer, "export"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.data))
    assert {"Customer", "Contacts", "Orders", "After-sales cases", "Notes"} <= set(
        book.sheetnames)
    orders = [row for row in book["Orders"].iter_rows(values_only=True)]
    assert any(records["order"].order_no in row for row in orders)
    assert any(PHONE in row for row in book["Contacts"].iter_rows(values_only=True))
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "customers.exported"))
    assert event.details["reason"] == "客户来电要求"


@pytest.mark.parametrize("fields", [{"reason": None}, {"confirm": None},
                                    {"reason": "   "}, {"reason": "为\x00何"}])
def test_an_export_needs_a_reason_and_a_confirmation(client, login, full_story, fields):
    customer, _ = full_story
    login("supervisor")
    response = client.post(f"/customers/{customer.id}/export",
                           data=_request(customer, "export", **fields))
    assert response.status_code == 422
    assert count_rows(AuditEvent, AuditEvent.action == "customers.exported") == 0


def test_anonymising_replaces_names_and_contacts_and_keeps_the_history(client, login,
                                                                       full_story):
    customer, records = full_story
    login("supervisor")
    response = client.post(f"/customers/{customer.id}/anonymise",
                           data=_request(customer, "anonymise"))
    assert response.status_code == 303
    db.session.expire_all()
    done = db.session.get(Customer, customer.id)
    assert done.anonymised_at is not None and done.name == "***"
    assert all(PHONE not in c.value and "tb_story" not in c.value for c in done.contacts)
    orders = list(db.session.scalars(sa.select(Order).where(Order.customer_id == customer.id)))
    assert len(orders) == 2
    assert all(o.receiver_name == "***" and o.receiver_phone == "" and
               o.receiver_address == "***" for o in orders)
    assert count_rows(AuditEvent, AuditEvent.action == "customers.anonymised") == 1
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Anonymised customer" in html and records["order"].order_no in html
    assert "陈女士" not in html


def test_anonymising_needs_the_confirmation_and_a_fresh_version(client, login, full_story):
    customer, _ = full_story
    login("supervisor")
    assert client.post(f"/customers/{customer.id}/anonymise", data=_request(
        customer, "anonymise", confirm=None)).status_code == 422
    stale = _request(customer, "anonymise")
    customer.need_notes = "别人刚改"
    db.session.commit()
    response = client.post(f"/customers/{customer.id}/anonymise", data=stale)
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).anonymised_at is None


ENDPOINTS = [
    ("GET", "/customers/{id}", "customers.view"),
    ("GET", "/customers/{id}/edit", "customers.edit"),
    ("POST", "/customers/{id}/edit", "customers.edit"),
    ("POST", "/customers/{id}/take", "customers.edit"),
    ("POST", "/customers/{id}/contacts", "customers.edit"),
    ("POST", "/customers/{id}/notes", "customers.edit"),
    ("GET", "/customers/new", "customers.edit"),
    ("GET", "/customers/tags", "customers.manage"),
    ("POST", "/customers/tags", "customers.manage"),
    ("POST", "/customers/tags/1", "customers.manage"),
    ("POST", "/customers/tags/1/active", "customers.manage"),
    ("GET", "/customers/{id}/data", "customers.manage"),
    ("POST", "/customers/{id}/export", "customers.manage"),
    ("POST", "/customers/{id}/anonymise", "customers.manage"),
]
ROLES = ["presales", "aftersales", "order_clerk", "reception", "supervisor", "manager"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, permission", ENDPOINTS)
def test_role_by_endpoint(client, login, make_order, role, method, path, permission):
    from portal.auth.permissions import role_can

    customer = make_order(buyer_id="tb_matrix", receiver_phone="13900007878").customer
    login(role)
    response = client.open(path.format(id=customer.id), method=method, data={})
    if role_can(role, permission):
        assert response.status_code != 403, (role, path)
    else:
        assert response.status_code == 403, (role, path)


def test_anonymous_is_sent_to_sign_in(client, make_order):
    customer = make_order(buyer_id="tb_anon", receiver_phone="13900009898").customer
    response = client.get(f"/customers/{customer.id}")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
