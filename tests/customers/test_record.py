"""The record (issue 17 item 1): the header edited in place with its version (409 keeps the
typing), owners, tags from the shared set, contacts and notes added by hand, the tag list,
a customer entered by hand; bad input refused with a message."""

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.customers.models import Customer, CustomerNote, CustomerTag
from portal.extensions import db
from tests.conftest import count_rows
from tests.customers.conftest import HX


@pytest.fixture
def customer(make_order):
    return make_order(buyer_id="tb_rec", receiver_name="周先生",
                      receiver_phone="13955556666").customer


@pytest.fixture
def tags():
    made = [CustomerTag(name="茶友"), CustomerTag(name="批发"),
            CustomerTag(name="旧标签", active=False)]
    db.session.add_all(made)
    db.session.commit()
    return made


def _edit(customer, **changes):
    data = {"name": customer.name, "kind": customer.kind, "owner_id": "",
            "need_notes": "", "version": customer.version}
    data.update(changes)
    return data


def test_the_edit_form_comes_in_place(client, login, customer, tags):
    login("presales")
    response = client.get(f"/customers/{customer.id}/edit", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="customer-header"' in html and "茶友" in html and "旧标签" not in html
    assert client.get(f"/customers/{customer.id}/edit").get_data(as_text=True).startswith(
        "<!doctype html>")


def test_an_edit_saves_in_place_and_is_audited(client, login, customer, tags):
    login("presales")
    response = client.post(f"/customers/{customer.id}/edit", headers=HX, data=_edit(
        customer, name="周建国", kind="member", marketing_consent="y",
        need_notes="想要定制茶礼", tags=[str(tags[0].id), str(tags[1].id)]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "周建国" in html and "茶友" in html and "想要定制茶礼" in html
    db.session.expire_all()
    saved = db.session.get(Customer, customer.id)
    assert saved.kind == "member" and saved.marketing_consent
    assert sorted(t.name for t in saved.tags) == ["批发", "茶友"]
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "customers.edited"))
    assert event.changes["name"] == ["周先生", "周建国"] and "tags" in event.changes


def test_changing_only_tags_moves_the_version(client, login, customer, tags):
    login("presales")
    before = customer.version
    response = client.post(f"/customers/{customer.id}/edit", headers=HX,
                           data=_edit(customer, tags=[str(tags[0].id)]))
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).version == before + 1


def test_a_stale_edit_is_a_409_with_the_typing_kept(client, login, customer, tags):
    login("presales")
    stale = _edit(customer, name="我输入的名字", need_notes="我的备注")
    customer.name = "别人改的"
    db.session.commit()
    response = client.post(f"/customers/{customer.id}/edit", headers=HX, data=stale)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'value="我输入的名字"' in html and "我的备注" in html  # the typing
    assert "别人改的" in html  # the record as it is now
    assert f'name="version" type="hidden" value="{customer.version}"' in html or \
        f'value="{customer.version}"' in html


@pytest.mark.parametrize("changes, message", [
    ({"name": "   "}, "name"),
    ({"name": "名\x00字"}, "control characters"),
    ({"name": "长" * 61}, "under"),
    ({"kind": "vip"}, "Not a valid choice"),
    ({"tags": ["99999999999999"]}, "tags"),
    ({"tags": ["abc"]}, ""),
    ({"owner_id": "99999999999999"}, "owner"),
    ({"need_notes": "x" * 1001}, "under"),
])
def test_bad_input_is_refused_with_a_message(client, login, customer, tags, changes, message):
    login("presales")
    response = client.post(f"/customers/{customer.id}/edit", headers=HX,
                           data=_edit(customer, **changes))
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True) or \
        "form-error" in response.get_data(as_text=True)


def test_a_deactivated_tag_cannot_be_put_on(client, login, customer, tags):
    login("presales")
    response = client.post(f"/customers/{customer.id}/edit", headers=HX,
                           data=_edit(customer, tags=[str(tags[2].id)]))
    assert response.status_code == 422 and "Choose tags from the list" in response.get_data(
        as_text=True)


def test_an_agent_takes_an_unowned_customer_but_assigns_no_one(client, login, customer,
                                                               create_user):
    other = create_user("aftersales")
    agent = login("presales")
    refused = client.post(f"/customers/{customer.id}/edit", headers=HX,
                          data=_edit(customer, owner_id=str(other.id)))
    assert refused.status_code == 422
    taken = client.post(f"/customers/{customer.id}/take", headers=HX,
                        data={"version": customer.version})
    assert taken.status_code == 200 and agent.display_name in taken.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).owner_id == agent.id
    again = client.post(f"/customers/{customer.id}/take", headers=HX,
                        data={"version": db.session.get(Customer, customer.id).version})
    assert again.status_code == 422


def test_the_supervisor_assigns_an_active_agent(client, login, customer, create_user):
    agent = create_user("aftersales")
    clerk = create_user("order_clerk")
    login("supervisor")
    assert client.post(f"/customers/{customer.id}/edit", headers=HX, data=_edit(
        customer, owner_id=str(clerk.id))).status_code == 422  # a clerk keeps no customers
    assert client.post(f"/customers/{customer.id}/edit", headers=HX, data=_edit(
        customer, owner_id=str(agent.id))).status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).owner_id == agent.id


@pytest.mark.parametrize("kind, value, stored", [
    ("phone", "139-0000-1234", "13900001234"),
    ("phone", "0571 8888 6666", "0571-88886666"),
    ("wechat", "wx_zhou88", "wx_zhou88"),
])
def test_a_contact_added_by_hand(client, login, customer, kind, value, stored):
    login("presales")
    response = client.post(f"/customers/{customer.id}/contacts", headers=HX,
                           data={"kind": kind, "value": value})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert stored in [c.value for c in db.session.get(Customer, customer.id).contacts]


@pytest.mark.parametrize("kind, value", [("phone", "12345"), ("phone", "138abcd1234"),
                                         ("wechat", "has space"), ("phone", "13955556666"),
                                         ("email", "a@b.c"), ("phone", "1\x00")])
def test_a_bad_contact_is_refused(client, login, customer, kind, value):
    login("presales")
    response = client.post(f"/customers/{customer.id}/contacts", headers=HX,
                           data={"kind": kind, "value": value})
    assert response.status_code == 422
    if value == "12345":
        assert "11 digits" in response.get_data(as_text=True)


def test_a_note_is_appended_on_top_of_the_story(client, login, customer):
    login("presales")
    response = client.post(f"/customers/{customer.id}/notes", headers=HX,
                           data={"body": "客户说下月再买"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'hx-swap-oob="afterbegin:#story-items"' in html and "客户说下月再买" in html
    assert count_rows(CustomerNote, CustomerNote.customer_id == customer.id) == 1
    assert client.post(f"/customers/{customer.id}/notes", headers=HX,
                       data={"body": "  "}).status_code == 422
    assert count_rows(CustomerNote) == 1


def test_a_customer_entered_by_hand(client, login):
    agent = login("presales")
    response = client.post("/customers/new", data={
        "name": "吴女士", "kind": "prospect", "phone": "13711112222", "wechat": "wu_tea"})
    assert response.status_code == 303
    made = db.session.scalar(sa.select(Customer).where(Customer.name == "吴女士"))
    assert made.source == "manual" and made.owner_id == agent.id
    assert sorted(c.value for c in made.contacts) == ["13711112222", "wu_tea"]
    bad = client.post("/customers/new", data={"name": "吴", "kind": "retail", "phone": "123"})
    assert bad.status_code == 422


def test_the_tag_list(client, login):
    login("supervisor")
    assert client.get("/customers/tags").status_code == 200
    made = client.post("/customers/tags", headers=HX, data={
        "name": "老客户", "name_zh_TW": "老客戶", "name_en": "Regular"})
    assert made.status_code == 200 and "老客户" in made.get_data(as_text=True)
    tag = db.session.scalar(sa.select(CustomerTag).where(CustomerTag.name == "老客户"))
    assert tag.names == {"zh_TW": "老客戶", "en": "Regular"}
    assert client.post("/customers/tags", headers=HX,
                       data={"name": "老客户"}).status_code == 422  # taken
    renamed = client.post(f"/customers/tags/{tag.id}", headers=HX, data={
        f"tag{tag.id}-name": "常客", f"tag{tag.id}-version": tag.version})
    assert renamed.status_code == 200
    stale = client.post(f"/customers/tags/{tag.id}", headers=HX, data={
        f"tag{tag.id}-name": "又改", f"tag{tag.id}-version": 1})
    assert stale.status_code == 409
    db.session.expire_all()
    off = client.post(f"/customers/tags/{tag.id}/active", headers=HX,
                      data={"version": db.session.get(CustomerTag, tag.id).version,
                            "active": "0"})
    assert off.status_code == 200
    db.session.expire_all()
    assert db.session.get(CustomerTag, tag.id).active is False
    assert db.session.get(CustomerTag, tag.id).name == "常客"


def test_a_merged_customer_is_not_edited(client, login, make_order, customer):
    other = make_order(buyer_id="tb_other", receiver_phone="13900005656").customer
    customer.merged_into_id = other.id
    db.session.commit()
    login("presales")
    response = client.post(f"/customers/{customer.id}/edit", headers=HX, data=_edit(customer))
    assert response.status_code == 422
