"""Fixtures of the search tests: records of the four sources, written through the ORM (so
the index follows them as it does in the app)."""

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from portal.complaints.models import Complaint, ComplaintCategory
from portal.extensions import db
from portal.handover.models import HandoverItem
from portal.knowledge.models import Article
from portal.worklog.models import QuestionCategory, WorkLine

HX = {"HX-Request": "true"}
ROLES = ["supervisor", "manager", "presales", "aftersales", "order_clerk", "reception"]
_moments = count()


def _at():
    """Each record a second later than the one before (recency = the order written)."""
    return datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=next(_moments))


@pytest.fixture
def article():
    def _make(question, answer="", reply_text="", state="published", author=None, **fields):
        row = Article(question=question, answer=answer, reply_text=reply_text, state=state,
                      author_id=author.id if author else None, created_at=_at(), **fields)
        db.session.add(row)
        db.session.commit()
        return row

    return _make


@pytest.fixture
def work_line():
    def _make(user, question, answer=""):
        category = db.session.query(QuestionCategory).first()
        if category is None:
            category = QuestionCategory(name="产品")
            db.session.add(category)
            db.session.flush()
        row = WorkLine(user_id=user.id, day=date(2026, 11, 20), category_id=category.id,
                       question=question, answer=answer, created_at=_at())
        db.session.add(row)
        db.session.commit()
        return row

    return _make


@pytest.fixture
def complaint():
    def _make(user, said, asks="", answer=None):
        category = db.session.query(ComplaintCategory).first()
        if category is None:
            category = ComplaintCategory(name="产品质量")
            db.session.add(category)
            db.session.flush()
        row = Complaint(channel="phone", category_id=category.id, said=said, asks=asks,
                        answer=answer, created_by_id=user.id, received_at=_at())
        db.session.add(row)
        db.session.commit()
        return row

    return _make


@pytest.fixture
def handover_item(shift_types):
    def _make(user, text, book="desk", **fields):
        row = HandoverItem(book=book, shift_date=date(2026, 11, 20),
                           shift_type_id=next(iter(shift_types.values())).id,
                           author_id=user.id, category="other", text=text, created_at=_at(),
                           **fields)
        db.session.add(row)
        db.session.commit()
        return row

    return _make
