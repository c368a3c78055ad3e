"""Possible duplicates, merge and undo (issue 17 item 2b/2c) and the supervisor's card (9)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.aftersales.models import AfterSalesCase
from portal.customers import merge as svc
from portal.customers.merge_models import CustomerMerge
from portal.customers.models import Customer, CustomerNote, CustomerTag
from portal.extensions import db
from portal.orders.models import BankTransfer
from portal.rules import RuleError
from tests.conftest import today
from tests.customers.conftest import HX


@pytest.fixture
def two(make_order, presales):
    """Two customers with one phone (the second came by another buyer ID before the phone
    was known to the first), each with an order, and more linked to the second."""
    first = make_order(buyer_id="tb_first", receiver_phone="13811112222")
    second = make_order(platform="jd", buyer_id="jd_second", receiver_phone="13933334444")
    b = second.customer
    from portal.customers.attach import add_contact

    add_contact(b, "phone", "13811112222")
    case = AfterSalesCase(type="quality", order=second, order_no=second.order_no, problem="坏了",
                          created_by_id=presales.id)
    transfer = BankTransfer(received_on=date(2026, 11, 22), payer="王", amount=Decimal("10"),
                            bank="工行", order=second, registered_by_id=presales.id)
    tag_both, tag_b = CustomerTag(name="老客户"), CustomerTag(name="爱喝茶")
    first.customer.tags.append(tag_both)
    b.tags.extend([tag_both, tag_b])
    db.session.add_all([case, transfer, CustomerNote(customer_id=b.id, body="喜欢绿茶",
                                                     author_id=presales.id)])
    db.session.commit()
    return first.customer, b


def test_the_same_phone_under_two_customers_is_a_pair(two):
    a, b = two
    pairs, more = svc.duplicate_page()
    assert [(p.low.id, p.high.id) for p in pairs] == [(a.id, b.id)]
    assert pairs[0].phones == ["13811112222"] and more is None
    assert svc.duplicate_count() == 1


def test_the_same_name_and_address_is_a_pair(make_order):
    a = make_order(buyer_id="x1", receiver_phone="13700000001", receiver_name="林",
                   receiver_address="上海市长宁区 9 号")
    b = make_order(platform="jd", buyer_id="x2", receiver_phone="13700000002",
                   receiver_name="林", receiver_address="上海市长宁区 9 号")
    c = make_order(platform="vip", buyer_id="x3", receiver_phone="13700000003",
                   receiver_name="周", receiver_address="上海市长宁区 9 号")
    pairs, _ = svc.duplicate_page()
    assert [(p.low.id, p.high.id) for p in pairs] == [(a.customer_id, b.customer_id)]
    assert pairs[0].addresses == ["上海市长宁区 9 号"] and c.customer_id not in {
        pairs[0].low.id, pairs[0].high.id}


def test_a_dismissed_pair_is_kept_and_not_listed_again(two, presales):
    a, b = two
    svc.dismiss(presales, svc.find_pair(b.id, a.id))
    db.session.flush()
    assert svc.duplicate_page()[0] == [] and svc.duplicate_count() == 0
    with pytest.raises(Conflict):
        svc.dismiss(presales, svc.find_pair(a.id, b.id))


def test_merge_moves_every_link_and_undo_moves_exactly_those_back(two, presales):
    a, b = two
    before_a, before_b = svc.links_of(a.id), svc.links_of(b.id)
    assert {"orders.customer_id", "aftersales_cases.customer_id",
            "bank_transfers.customer_id", "customer_contacts.customer_id",
            "customer_notes.customer_id", "customer_tag_links.customer_id"} <= before_b.keys()
    record = svc.merge(presales, a, b, a.version, b.version)
    db.session.commit()
    after_a, after_b = svc.links_of(a.id), svc.links_of(b.id)
    # everything of b is a's now, but the link rows a had already (the same tag, the same
    # name gram) stay with b
    link_tables = {f"{t.name}.{c.name}" for t, c in svc.linked_columns() if c.primary_key}
    kept = {key: rows & before_a.get(key, set()) for key, rows in before_b.items()
            if key in link_tables and rows & before_a.get(key, set())}
    assert "customer_tag_links.customer_id" in kept
    assert after_b == kept
    for key, rows in before_b.items():
        expected = before_a.get(key, set()) | (rows - kept.get(key, set()))
        assert after_a[key] == expected, key
    assert db.session.get(Customer, b.id).merged_into_id == a.id
    assert record.counts()["orders"] == 1
    # every linked record still resolves to a live customer
    for name in ("orders", "aftersales_cases", "bank_transfers"):
        table = db.metadata.tables[name]
        linked = sa.select(sa.func.count()).select_from(table).where(
            table.c.customer_id.is_not(None))
        live = linked.join(Customer, Customer.id == table.c.customer_id).where(
            Customer.merged_into_id.is_(None))
        assert db.session.scalar(live) == db.session.scalar(linked), name
    svc.undo(presales, record, record.version)
    db.session.commit()
    assert svc.links_of(a.id) == before_a and svc.links_of(b.id) == before_b
    assert db.session.get(Customer, b.id).merged_into_id is None
    assert record.state == "undone"
    with pytest.raises(RuleError):
        svc.undo(presales, record, record.version)


def test_merges_the_rules_refuse(two, make_order, presales):
    a, b = two
    with pytest.raises(RuleError, match="itself"):
        svc.merge(presales, a, a, a.version, a.version)
    third = make_order(platform="vip", buyer_id="vip3", receiver_phone="13655556666").customer
    svc.merge(presales, a, b, a.version, b.version)
    db.session.flush()
    with pytest.raises(RuleError, match="already"):
        svc.merge(presales, third, b, third.version, b.version)  # from a merged one
    with pytest.raises(RuleError, match="already"):
        svc.merge(presales, b, third, b.version, third.version)  # into a merged one
    with pytest.raises(RuleError, match="undo that merge first"):
        svc.merge(presales, third, a, third.version, a.version)  # a's merge is pending
    with pytest.raises(Conflict):
        svc.merge(presales, a, third, a.version - 1, third.version)
    svc.merge(presales, a, third, a.version, third.version)  # a may absorb another


def test_a_link_table_added_later_is_moved_too(two, presales):
    """Tables other areas add (calls, complaints) are found from the metadata."""
    names = {f"{t.name}.{c.name}" for t, c in svc.linked_columns()}
    assert {"visits.customer_id", "stock_waits.customer_id",
            "aftersales_visits.customer_id"} <= names
    assert "customers.merged_into_id" not in names
    assert not any(n.startswith(("customer_merges.", "customer_pair_dismissals.")) for n in names)


# --- pages ------------------------------------------------------------------------------------


def test_the_page_shows_pairs_side_by_side_masked_for_pre_sales(client, login, two):
    login("presales")
    page = client.get("/customers/duplicates").get_data(as_text=True)
    assert "<html" in page and 'id="pair-' in page and "138****2222" in page
    assert "13811112222" not in page
    fragment = client.get("/customers/duplicates", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert 'id="duplicates"' in fragment.get_data(as_text=True)


def test_merge_in_place_then_undo(client, login, two):
    a, b = two
    login("aftersales")
    seen = {"survivor_id": a.id, "absorbed_id": b.id, "survivor_version": a.version,
            "absorbed_version": b.version}  # as the page showed them
    response = client.post("/customers/merge", headers=HX, data=seen)
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    assert f'id="pair-{a.id}-{b.id}"' in text and 'hx-swap-oob="true"' in text
    record = db.session.scalar(sa.select(CustomerMerge))
    assert record.absorbed_id == b.id
    again = client.post("/customers/merge", headers=HX, data=seen)  # a second person
    assert again.status_code == 409
    assert "Someone else changed" in again.get_data(as_text=True)
    fresh = client.post("/customers/merge", headers=HX, data=dict(
        seen, survivor_version=a.version, absorbed_version=b.version))
    assert fresh.status_code == 422 and "already" in fresh.get_data(as_text=True)
    version = record.version
    undone = client.post(f"/customers/merges/{record.id}/undo", headers=HX,
                         data={"version": record.version})
    assert undone.status_code == 200 and "Undone" in undone.get_data(as_text=True)
    stale = client.post(f"/customers/merges/{record.id}/undo", headers=HX,
                        data={"version": version})
    assert stale.status_code == 409


def test_merge_into_itself_is_refused_with_a_message(client, login, two):
    a, b = two
    login("supervisor")
    response = client.post("/customers/merge", headers=HX, data={
        "survivor_id": a.id, "absorbed_id": a.id, "survivor_version": a.version,
        "absorbed_version": a.version})
    assert response.status_code == 422
    assert "cannot be merged into itself" in response.get_data(as_text=True)


def test_dismiss_in_place(client, login, two):
    a, b = two
    login("presales")
    response = client.post("/customers/duplicates/dismiss", headers=HX,
                           data={"low_id": b.id, "high_id": a.id})
    assert response.status_code == 200
    assert "will not be listed again" in response.get_data(as_text=True)
    assert client.post("/customers/duplicates/dismiss", headers=HX,
                       data={"low_id": a.id, "high_id": b.id}).status_code == 409


@pytest.mark.parametrize("data", [
    {"survivor_id": "x", "absorbed_id": "1", "survivor_version": "1", "absorbed_version": "1"},
    {"survivor_id": "99999999999999", "absorbed_id": "1", "survivor_version": "1",
     "absorbed_version": "1"},
    {"survivor_id": "1\x00", "absorbed_id": "2"},
    {},
])
def test_bad_merge_input_is_a_4xx(client, login, two, data):
    login("supervisor")
    response = client.post("/customers/merge", headers=HX, data=data)
    assert 400 <= response.status_code < 500


def test_bad_undo_and_cursor_input(client, login, two):
    login("supervisor")
    assert client.post("/customers/merges/99999999999/undo", data={"version": "1"}) \
        .status_code == 404
    assert client.get("/customers/duplicates?after=%00bad").status_code in (200, 400)
    assert client.get("/customers/duplicates?after=W1sidiIsIDk5OTk5OTk5OTk5OTldXQ").status_code \
        == 200


@pytest.mark.parametrize("role, allowed", [
    ("presales", True), ("aftersales", True), ("supervisor", True),
    ("manager", False), ("order_clerk", False), ("reception", False),
])
def test_role_matrix(client, login, role, allowed):
    login(role)
    assert (client.get("/customers/duplicates").status_code == 200) is allowed
    for url in ("/customers/merge", "/customers/duplicates/dismiss",
                "/customers/merges/1/undo"):
        status = client.post(url, data={}).status_code
        assert (status != 403) is allowed, (url, status)


def test_the_supervisor_s_card_counts_pairs(client, login, two):
    login("supervisor")
    page = today(client).get_data(as_text=True)
    assert "Possible duplicate customers" in page and "1 pairs to look at" in page


def test_the_card_is_the_supervisor_s(client, login, two):
    login("presales")
    assert "pairs to look at" not in today(client).get_data(as_text=True)


def test_the_page_reads_few_queries(client, login, two, count_queries):
    login("supervisor")
    client.get("/customers/duplicates")
    with count_queries(like_bench=True) as n:
        assert client.get("/customers/duplicates").status_code == 200
    assert n.count <= 10, n.statements


# --- finding pairs through the match keys (issue 17 item 2, fast at scale) ----------------------


def _key_of(customer_id, kind):
    from portal.customers.models import CustomerContact

    return db.session.scalars(sa.select(CustomerContact.match_key).where(
        CustomerContact.customer_id == customer_id, CustomerContact.kind == kind)).all()


def test_every_writer_keeps_the_match_key(make_order, presales):
    from portal.customers import records
    from portal.customers.models import match_key

    o = make_order(buyer_id="k1", receiver_phone="13700000009", receiver_name=" 林 ",
                   receiver_address="上海市长宁区　９ 号")
    assert _key_of(o.customer_id, "phone") == ["13700000009"]
    assert _key_of(o.customer_id, "address") == ["林|上海市长宁区9号"]
    assert _key_of(o.customer_id, "buyer") == [None]
    assert match_key("address", "某路 1 号", "") is None  # an address without a name
    customer = db.session.get(Customer, o.customer_id)
    records.add_hand_contact(presales, customer, "phone", "13700000010")
    db.session.flush()
    assert sorted(_key_of(o.customer_id, "phone")) == ["13700000009", "13700000010"]
    records.anonymise(presales, customer, customer.version, "the customer asked")
    assert not any(k and k.startswith("137") for k in _key_of(o.customer_id, "phone"))
    assert _key_of(o.customer_id, "address") == [None]


def test_the_same_receiver_and_address_written_differently_is_a_pair(make_order):
    a = make_order(buyer_id="n1", receiver_phone="13700000011", receiver_name="Lin",
                   receiver_address="上海市长宁区 9 号")
    b = make_order(platform="jd", buyer_id="n2", receiver_phone="13700000012",
                   receiver_name="lin", receiver_address="上海市长宁区９号")
    pairs, _ = svc.duplicate_page()
    assert [(p.low.id, p.high.id) for p in pairs] == [(a.customer_id, b.customer_id)]
    assert pairs[0].addresses == ["上海市长宁区 9 号"] and pairs[0].phones == []


def test_a_pair_sharing_a_phone_and_an_address_is_listed_once_and_paged(make_order):
    made = [make_order(platform=p, buyer_id=f"p{i}", receiver_phone="13700000020",
                       receiver_name="周", receiver_address="杭州 1 号")
            for i, p in enumerate(("tmall", "jd", "vip"))]
    ids = sorted({o.customer_id for o in made})
    assert len(ids) == 1  # the phone found the first customer: attach by phone
    from portal.customers.attach import add_contact

    others = [make_order(platform="jd", buyer_id=f"q{i}", receiver_phone=f"1370000003{i}",
                         receiver_name="周", receiver_address="杭州 1 号") for i in range(3)]
    for o in others:
        add_contact(o.customer, "phone", "13700000020")
    db.session.flush()
    everyone = sorted({ids[0], *(o.customer_id for o in others)})
    expected = [(x, y) for i, x in enumerate(everyone) for y in everyone[i + 1:]]
    pairs, more = svc.duplicate_page(per_page=4)
    rest, last = svc.duplicate_page(more, per_page=4)
    assert [(p.low.id, p.high.id) for p in pairs + rest] == expected and last is None
    assert svc.duplicate_count() == 6 and svc.duplicate_count(bound=2) == 3


def test_pairs_are_read_through_the_match_index(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan's wording is SQLite's")
    from sqlalchemy.dialects import sqlite

    sql = str(sa.select(svc._pairs()).compile(dialect=sqlite.dialect(),
                                              compile_kwargs={"literal_binds": True}))
    plan = [str(r[-1]) for r in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql))]
    contacts = [step for step in plan if "customer_contacts" in step]
    # the GROUP BY reads the covering index once; every other step is a lookup by key
    assert contacts and all("COVERING INDEX ix_customer_contacts_match" in s
                            for s in contacts), plan
    assert sum(s.startswith("SCAN customer_contacts") for s in contacts) == 1, plan


def test_the_card_reads_the_stored_count_and_a_merge_counts_again(app, two, presales):
    """In production the card reads one stored row; the job queue's task counts (when the
    figure is older than the period, and after a merge, an undo or a dismissal)."""
    from portal.customers.merge_models import DuplicateCount
    from portal.ui import tasks

    a, b = two
    app.config["CUSTOMER_DUPLICATES_RECOUNT_MINUTES"] = 10
    try:
        assert svc.recount_is_pending() and svc.card_count() == 1  # none stored: counted
        assert tasks()[svc.RECOUNT_TASK].run() == 1 and not svc.recount_is_pending()
        db.session.execute(sa.text("DELETE FROM customer_contacts WHERE kind = 'phone'"))
        assert svc.card_count() == 1  # the stored figure: the index is not read again
        db.session.rollback()
        db.session.info.pop("portal_tasks", None)
        svc.merge(presales, a, b, a.version, b.version)
        assert svc.RECOUNT_TASK in db.session.info.get("portal_tasks", set())
        svc.recount()
        assert svc.duplicate_count() == 0 and svc.card_count() == 0
        row = db.session.get(DuplicateCount, 1)
        row.counted_at -= timedelta(minutes=11)
        assert svc.recount_is_pending()  # the worker's check each minute counts again
    finally:
        app.config.pop("CUSTOMER_DUPLICATES_RECOUNT_MINUTES")


def test_what_moved_leaves_the_name_index_out_of_the_words(app):
    from portal.customers.merge_views import moved_words

    record = CustomerMerge(moved={"orders.customer_id": [1, 2],
                                  "customer_name_grams.customer_id": [["王", 3]]})
    with app.test_request_context():
        from flask_babel import gettext

        assert moved_words(record) == f"2 {gettext('orders')}"


def test_a_phone_both_customers_had_shows_once_on_the_survivor(client, login, make_order):
    """The merge moves the absorbed customer's contacts as they are (undo moves them back);
    the page lists a shared phone once."""
    from portal.customers import merge as merging
    from portal.customers.models import Customer
    from portal.extensions import db as _db

    first = make_order(buyer_id="tb_same_phone_a", receiver_phone="13966661234")
    second = make_order(platform="jd", buyer_id="jd_same_phone_b", receiver_phone="13955554321")
    second.customer.contacts[1].value = "13966661234"  # the same phone, as a duplicate has
    _db.session.commit()
    supervisor = login("supervisor")
    survivor = _db.session.get(Customer, first.customer_id)
    absorbed = _db.session.get(Customer, second.customer_id)
    merging.merge(supervisor, survivor, absorbed, survivor.version, absorbed.version)
    _db.session.commit()
    page = client.get(f"/customers/{first.customer_id}").get_data(as_text=True)
    assert page.count("139****1234") == 1
