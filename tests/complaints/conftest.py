"""Fixtures of the complaint tests: the category list, people of each role, a complaint."""

import pytest

from portal.complaints import register as svc
from portal.complaints.models import ComplaintCategory, ComplaintDueRule
from portal.extensions import db
from tests.live.conftest import broker  # noqa: F401 - the recording broker

HX = {"HX-Request": "true"}


@pytest.fixture
def categories():
    """The seeded list (the migration's), and one switched off."""
    made = [ComplaintCategory(name=name, names={"en": en}, position=n * 10, active=True)
            for n, (name, en) in enumerate([("产品质量", "Product quality"), ("物流", "Logistics"),
                                            ("其他", "Other")], start=1)]
    made.append(ComplaintCategory(name="旧分类", position=99, active=False))
    db.session.add_all(made)
    db.session.add_all([ComplaintDueRule(severity="normal", hours=16),
                        ComplaintDueRule(severity="serious", hours=8),
                        ComplaintDueRule(severity="crisis", hours=2)])
    db.session.commit()
    return made


@pytest.fixture
def people(create_user):
    """An agent, a second agent, the supervisor and the manager."""
    return {"agent": create_user("presales", display_name="李客服"),
            "other": create_user("aftersales", display_name="王售后"),
            "supervisor": create_user("supervisor", display_name="赵主管"),
            "manager": create_user("manager", display_name="钱经理")}


@pytest.fixture
def make_complaint(categories, people, freeze):
    """``make_complaint(severity="normal", **fields)`` -> a committed complaint of the agent,
    received at 2026-11-24 10:00 (frozen)."""

    def _make(severity="normal", by=None, **fields):
        freeze(fields.pop("at", "2026-11-24 10:00"))
        fields.setdefault("channel", "chat")
        fields.setdefault("category_id", categories[0].id)
        fields.setdefault("said", "收到的茶壶盖子有裂缝，要求换货")
        complaint = svc.create(by or people["agent"], received_at=None, severity=severity,
                               **fields)
        db.session.commit()
        return complaint

    return _make
