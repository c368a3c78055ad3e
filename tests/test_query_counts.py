"""List pages cost a fixed number of queries however many rows they show (no N+1)."""

import pytest

from portal import audit
from portal.extensions import db


def _queries(client, count_queries, path):
    with count_queries() as counter:
        assert client.get(path).status_code == 200
    return counter.count


@pytest.mark.parametrize("path", ["/staff/", "/audit/", "/notifications/", "/"])
def test_page_queries_do_not_grow_with_rows(client, sign_in, create_user, create_notification,
                                            count_queries, path):
    manager = sign_in(client, create_user("manager"))

    def add_rows(n):
        for _ in range(n):
            user = create_user("presales")
            audit.record("staff.created", user, actor=manager)
            create_notification(manager)
        db.session.commit()

    add_rows(2)
    few = _queries(client, count_queries, path)
    add_rows(20)
    many = _queries(client, count_queries, path)
    assert many == few, f"{path}: {few} queries with few rows, {many} with many"
    assert 2 <= few <= 12


@pytest.mark.parametrize("role", ["supervisor", "manager", "presales", "aftersales",
                                  "order_clerk", "reception"])
def test_today_reads_nothing_itself_and_each_card_little(client, sign_in, create_user,
                                                         count_queries, role):
    """The Today page is a frame whose cards each load by their own request: the frame costs
    the shell's queries only, and no card costs more than eight."""
    import re

    user = sign_in(client, create_user(role))
    frame = _queries(client, count_queries, "/")
    assert frame <= 6
    page = client.get("/").get_data(as_text=True)
    cards = re.findall(r'hx-get="(/today/[^"]+)"', page)
    assert cards, f"{role} has no Today card"
    for url in cards:
        with count_queries() as counter:
            response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
        assert counter.count <= 8, f"{user.role} {url}: {counter.count} queries"


def test_a_card_of_another_role_is_not_found(client, sign_in, create_user):
    sign_in(client, create_user("reception"))
    assert client.get("/today/orders-overdue").status_code == 404
    assert client.get("/today/no-such-card").status_code == 404
