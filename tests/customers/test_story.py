"""The story page (issue 17 item 4): every source newest first, one merged keyset-paged
list, the header's open items, links to the customer from orders, cases, visits and the
handover book; within the page budgets."""

import re

import pytest

from portal.customers import story
from portal.customers.models import Customer
from portal.extensions import db
from tests.customers.conftest import HX

ORDER = ["note", "return_visit", "visit", "wait", "transfer", "case", "cancel", "remark",
         "order", "order"]


def _kinds(html: str) -> list[str]:
    return re.findall(r'class="story-item story-([a-z_]+)"', html)


def test_the_page_shows_every_source_newest_first(client, login, full_story):
    customer, records = full_story
    login("supervisor")
    response = client.get(f"/customers/{customer.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _kinds(html) == ORDER
    assert "Ships today" in html and "Shipped 2026-11-22" in html  # the promise (R-O4)
    assert f"/aftersales/photos/{records['photo'].id}/thumb" in html
    assert "龙井茶 × 2" in html  # the drink served at the visit
    assert "Satisfaction 5 of 5" in html and "买家拍错了" in html and "喜欢紫砂壶" in html
    assert "An after-sales case is open" in html and "An order waits to ship" in html


def test_pages_across_sources_cover_everything_once_in_order(app, full_story):
    customer, _ = full_story
    with app.test_request_context():
        seen, cursor, pages = [], None, 0
        while True:
            page = story.page(customer, cursor, per_page=3)
            seen += [(row.kind, row.id) for row in page.items]
            pages += 1
            if not page.older:
                break
            cursor = page.older
    assert pages == 4
    assert [kind for kind, _ in seen] == ORDER
    assert len(set(seen)) == len(seen)


def test_ties_in_time_break_by_kind_and_id(app, full_story, presales):
    """Two items of one moment never fall between two pages, nor show twice."""
    from portal.customers.models import CustomerNote

    customer, records = full_story
    moment = records["note"].created_at
    db.session.add_all([CustomerNote(customer_id=customer.id, body=f"同一刻 {n}",
                                     author_id=presales.id, created_at=moment)
                        for n in range(3)])
    db.session.commit()
    with app.test_request_context():
        seen, cursor = [], None
        while True:
            page = story.page(customer, cursor, per_page=2)
            seen += [(row.kind, row.id) for row in page.items]
            if not page.older:
                break
            cursor = page.older
    assert len(seen) == len(set(seen)) == len(ORDER) + 3


def test_older_items_come_as_a_fragment(client, login, full_story, monkeypatch):
    customer, _ = full_story
    monkeypatch.setattr(story, "PER_PAGE", 4)
    monkeypatch.setattr(story.page, "__defaults__", (None, 4))
    login("presales")
    first = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert _kinds(first) == ORDER[:4]
    cursor = re.search(r'hx-get="/customers/\d+\?before=([^"]+)"', first).group(1)
    more = client.get(f"/customers/{customer.id}?before={cursor}", headers=HX)
    html = more.get_data(as_text=True)
    assert more.status_code == 200 and "<html" not in html
    assert _kinds(html) == ORDER[4:8] and 'class="more-row"' in html


@pytest.mark.parametrize("cursor", ["x", "bm90IGpzb24", "WyIyMDI2LTAxLTAxIiwibm90ZSIsMV0",
                                    "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwibm90ZSIsMV0",
                                    "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwibm90ZSIsOTk5OTk5OTk5OTk5XQ",
                                    "A" * 500])
def test_a_forged_cursor_shows_the_first_page(client, login, full_story, cursor):
    customer, _ = full_story
    login("presales")
    response = client.get(f"/customers/{customer.id}?before={cursor}")
    assert response.status_code == 200
    assert _kinds(response.get_data(as_text=True)) == ORDER


def test_an_unknown_or_huge_customer_id_is_404(client, login):
    login("presales")
    assert client.get("/customers/999999").status_code == 404
    assert client.get("/customers/99999999999999999999").status_code == 404


def test_the_page_keeps_its_budgets(client, login, full_story, count_queries, presales):
    from portal.customers.models import CustomerNote

    customer, _ = full_story
    customer_id, author_id = customer.id, presales.id
    login("supervisor")
    client.get(f"/customers/{customer_id}")  # warm the caches
    db.session.expunge_all()  # a request starts with an empty session, as in production
    with count_queries(like_bench=True) as few:
        response = client.get(f"/customers/{customer_id}")
    assert few.count <= 10, "\n".join(s[:150] for s in few.statements)
    assert len(response.get_data()) <= 60_000
    db.session.add_all([CustomerNote(customer_id=customer_id, body="备" * 1000,
                                     author_id=author_id) for _ in range(40)])
    db.session.commit()
    db.session.expunge_all()
    with count_queries(like_bench=True) as many:
        response = client.get(f"/customers/{customer_id}")
    assert many.count <= few.count
    assert len(response.get_data()) <= 60_000


def test_a_merged_customer_says_so_and_links_to_the_survivor(client, login, make_order):
    survivor = make_order(buyer_id="tb_keep", receiver_phone="13900001212").customer
    absorbed = make_order(buyer_id="tb_gone", receiver_phone="13900003434").customer
    absorbed.merged_into_id = survivor.id
    db.session.commit()
    login("presales")
    html = client.get(f"/customers/{absorbed.id}").get_data(as_text=True)
    assert "merged into another record" in html
    assert f'href="/customers/{survivor.id}"' in html
    # the survivor's story shows both histories
    assert len(_kinds(client.get(f"/customers/{survivor.id}").get_data(as_text=True))) == 2


def test_orders_cases_visits_and_handover_items_link_to_the_customer(client, login,
                                                                     full_story):
    customer, records = full_story
    login("supervisor")
    link = f'href="/customers/{customer.id}"'
    assert link in client.get(f"/orders/{records['order'].id}").get_data(as_text=True)
    assert link in client.get(f"/aftersales/{records['case'].id}").get_data(as_text=True)
    assert link in client.get(f"/showroom/visits/{records['visit'].id}").get_data(
        as_text=True)
    answer = client.get(f"/customers/for-order?order_no={records['order'].order_no}")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(
        f"/customers/{customer.id}")
    assert client.get("/customers/for-order?order_no=NOPE").status_code == 404


def test_a_reader_without_the_order_desk_sees_order_numbers_as_text(client, login,
                                                                   full_story):
    customer, records = full_story
    login("reception")
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert records["order"].order_no in html
    assert f'href="/orders/{records["order"].id}"' not in html
    assert "/thumb" not in html


def test_the_story_is_a_registry_another_area_adds_to(app, full_story):
    """A source registered later (the planned calls) shows in the same list."""
    import sqlalchemy as sa

    customer, _ = full_story

    def calls(ids):
        return sa.select(*story.story_columns(
            "zcall", at=Customer.created_at, id=Customer.id, text=sa.literal("回访电话"))) \
            .where(Customer.id.in_(ids))

    with app.test_request_context():
        story.register_source(app, story.StorySource("zcall", "Call", calls, "x.html"))
        try:
            page = story.page(customer, per_page=50)
        finally:
            app.extensions["customer_story"].pop("zcall")
    assert "zcall" in [row.kind for row in page.items]
