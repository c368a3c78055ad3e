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
        fields.setdefault("text", "客户要求修改地址")
        item = svc.write(user, book, **fields)
        db.session.refresh(item)
        return item

    return _write
