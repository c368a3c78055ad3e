"""Fixtures of the daily work record: the seeded question categories, lines."""

import pytest

from portal.extensions import db
from portal.worklog.models import QuestionCategory, WorkLine

SEEDED = [("产品咨询", "產品諮詢", "Product"), ("订单与付款", "訂單與付款", "Orders and payment"),
          ("物流配送", "物流配送", "Delivery"), ("售后退换", "售後退換", "Returns and repairs"),
          ("活动与价格", "活動與價格", "Promotions and prices"), ("其他", "其他", "Other")]


@pytest.fixture
def categories():
    """The question categories as the migration seeds them: {English name: category}."""
    made = {}
    for n, (name, tw, en) in enumerate(SEEDED, start=1):
        category = QuestionCategory(name=name, names={"zh_TW": tw, "en": en}, position=n * 10)
        db.session.add(category)
        made[en] = category
    db.session.commit()
    return made


@pytest.fixture
def make_line(categories):
    """``make_line(user, day, question=..., **fields)`` -> a committed WorkLine."""

    def _make(user, day, question="沙发什么时候发货?", **fields):
        fields.setdefault("category_id", categories["Delivery"].id)
        fields.setdefault("answer", "付款后 7 天内发货。")
        fields.setdefault("resolved", True)
        line = WorkLine(user_id=user.id, day=day, question=question, **fields)
        db.session.add(line)
        db.session.commit()
        return line

    return _make
