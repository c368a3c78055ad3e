"""Fixtures of the handover tests: a department with both shifts and people of both books."""

import pytest

from portal.extensions import db
from portal.handover import services as svc

HX = {"HX-Request": "true"}


@pytest.fixture
def write(freeze, shift_types):
    """``write(user, at="2026-11-22 10:00", book="desk", **fields)`` -> a new item."""

    def _write(user, at="2026-11-22 10:00", book="desk", **fields):
        freeze(at)
        fields.setdefault("category", "order_problem")
        if fields["category"] in svc.PROBLEM_CATEGORIES:  # R-H4
            fields.setdefault("order_no", "TB20261122")
        fields.setdefault("text", "客户要求修改地址")
        item = svc.write(user, book, **fields)
        db.session.commit()  # the request's end: services flush, the runner commits
        return item

    return _write


@pytest.fixture
def statements(count_queries):
    """``with statements() as seen: ...`` then ``len(seen)``: the SQL the block sent, counted
    as the bench counts it (without transaction control: the test's savepoints are not the
    request's)."""
    from contextlib import contextmanager

    @contextmanager
    def _seen():
        with count_queries(like_bench=True) as counter:
            yield counter.statements

    return _seen
