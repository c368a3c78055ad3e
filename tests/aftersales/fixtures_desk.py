"""Fixtures of the desk tests (SLA, canned replies, the refund/dispute queue, return visits,
the weekly report): cases made directly (the SLA clock started as the workflow does),
visits, replies and the signed-in staff.

Test modules import them with ``from tests.aftersales.fixtures_desk import *``.
"""

from datetime import datetime
from itertools import count

import pytest

import portal.orders.models  # noqa: F401 - AfterSalesCase.order needs Order mapped first
from portal import clock
from portal.aftersales import replies, sla
from portal.aftersales.models import AfterSalesCase, CaseEvent, ReturnVisit
from portal.extensions import db

__all__ = ["HX", "make_case", "make_reply", "make_visit", "supervisor"]

HX = {"HX-Request": "true"}
_numbers = count(1)


@pytest.fixture
def supervisor(create_user):
    """The supervisor who oversees the desk."""
    return create_user("supervisor", display_name="李主管")


@pytest.fixture
def make_case(agent):
    """``make_case(at="2026-11-22 09:30", **fields)`` -> a committed case opened at ``at``
    (department time) with its SLA clock started; ``platform_since`` adds the event that
    set the platform status."""

    def _make(at: str | datetime = "2026-11-22 09:30", platform_since=None, **fields):
        moment = datetime.fromisoformat(at) if isinstance(at, str) else at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=clock.get_clock().tz)
        fields.setdefault("type", "return_refund")
        fields.setdefault("order_no", f"AS{next(_numbers):08d}")
        fields.setdefault("problem", "包装破损")
        fields.setdefault("created_by_id", agent.id)
        fields.setdefault("assignee_id", agent.id)
        case = AfterSalesCase(created_at=moment, **fields)
        sla.start(case, moment)
        db.session.add(case)
        db.session.flush()
        if platform_since is not None:
            since = datetime.fromisoformat(platform_since).replace(
                tzinfo=clock.get_clock().tz)
            db.session.add(CaseEvent(case_id=case.id, kind="platform", text=case.platform_status,
                                     actor_id=case.created_by_id, at=since))
        db.session.commit()
        return case

    return _make


@pytest.fixture
def make_visit(make_case):
    """``make_visit(due_on=date, case=None, **fields)`` -> a committed return visit."""

    def _make(due_on, case=None, **fields):
        case = case or make_case(state="closed", sla_state="stopped")
        visit = ReturnVisit(case_id=case.id, due_on=due_on, **fields)
        db.session.add(visit)
        db.session.commit()
        return visit

    return _make


@pytest.fixture
def make_reply():
    """``make_reply(title, text, sort_order=10, active=True)`` -> a committed canned reply: a
    published article of the knowledge base with that reply text (retired when not active;
    replies are offered in the order they were made, ``sort_order`` is ignored)."""
    from portal.knowledge.models import Article

    def _make(title="安抚", text="您好，非常抱歉给您带来不便。", sort_order=10, active=True):
        article = Article(question=title, answer=text, reply_text=text,
                          state="published" if active else "retired")
        db.session.add(article)
        db.session.commit()
        return replies.Reply.of(article)

    return _make
