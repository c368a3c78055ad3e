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
