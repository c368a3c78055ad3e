"""The register's rules: due times in working time, escalation at once and by the clock,
the steps, the follow-up call."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.actions import Conflict, NotAllowed
from portal.complaints import register as svc
from portal.complaints.models import Complaint, ComplaintEvent
from portal.customers.call_models import PlannedCall
from portal.customers.models import Customer
from portal.extensions import db
from portal.jobs import reminders
from portal.jobs.models import ReminderSetting
from portal.jobs.queue import job_context
from portal.notifications.models import Notification
from portal.rules import RuleError


def _notes(user):
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id).order_by(Notification.id)))


def _local(text):
    return datetime.fromisoformat(text).replace(tzinfo=clock.get_clock().tz)


def test_due_time_is_the_severitys_working_hours(make_complaint):
    normal = make_complaint("normal")
    crisis = make_complaint("crisis")
    # no shift types: the whole day is working time
    assert clock.local(normal.due_at) == _local("2026-11-25 02:00")
    assert clock.local(crisis.due_at) == _local("2026-11-24 12:00")


def test_due_time_follows_the_shift_hours(make_complaint, shift_types):
    complaint = make_complaint("serious", at="2026-11-24 20:00")
    # 08:00-24:00 working: 4 hours today, 4 more from 08:00 tomorrow
    assert clock.local(complaint.due_at) == _local("2026-11-25 12:00")


def test_normal_goes_to_nobody_serious_to_the_supervisor_crisis_to_both(make_complaint,
                                                                         people):
    make_complaint("normal")
    assert _notes(people["supervisor"]) == [] and _notes(people["manager"]) == []
    serious = make_complaint("serious")
    assert serious.state == "escalated" and serious.level == 1
    assert len(_notes(people["supervisor"])) == 1 and _notes(people["manager"]) == []
    crisis = make_complaint("crisis")
    assert crisis.level == 2
    told = _notes(people["manager"])
    assert len(told) == 1 and told[0].link == f"/complaints/{crisis.id}"
    assert told[0].params["number"] == crisis.id
    assert told[0].params["severity"] == {"msgid": "Crisis"}
    assert len(_notes(people["supervisor"])) == 2
    assert _notes(people["agent"]) == []


def test_the_whole_way_with_a_follow_up_call(make_complaint, people, freeze):
    customer = Customer(name="陈女士", kind="member")
    db.session.add(customer)
    db.session.commit()
    agent = people["agent"]
    complaint = make_complaint(customer_id=customer.id)
    svc.start(agent, complaint, complaint.version)
    with pytest.raises(RuleError):
        svc.close(agent, complaint, None, "satisfied")  # unanswered
    with pytest.raises(RuleError):
        svc.answer(agent, complaint, None, "   ")  # no text
    from portal.customers.calls import plan_follow_up
    svc.answer(agent, complaint, None, "已补发新壶盖，顺丰单号 SF123", follow_up=plan_follow_up)
    db.session.commit()
    call = db.session.scalar(sa.select(PlannedCall).where(PlannedCall.customer_id == customer.id))
    assert call is not None and call.assignee_id == agent.id and call.state == "due"
    assert clock.local(call.due_at).date() == clock.today() + timedelta(days=1)
    with pytest.raises(RuleError):
        svc.close(agent, complaint, None, "happy")  # not in the list
    svc.close(agent, complaint, None, "satisfied")
    db.session.commit()
    kinds = [e.kind for e in svc.events(complaint)]
    assert kinds == ["received", "state", "answered", "follow_up", "closed"]
    assert complaint.state == "closed" and complaint.satisfaction == "satisfied"
    svc.reopen(agent, complaint, None, "客户又来电，新壶盖也有问题")
    assert complaint.state == "investigating" and complaint.satisfaction is None


def test_a_second_answer_keeps_one_open_follow_up_call(make_complaint, people):
    customer = Customer(name="周先生", kind="member")
    db.session.add(customer)
    db.session.commit()
    from portal.customers.calls import plan_follow_up
    for _ in range(2):
        complaint = make_complaint(customer_id=customer.id)
        svc.answer(people["agent"], complaint, None, "已处理", follow_up=plan_follow_up)
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlannedCall)) == 1


def test_only_the_owner_or_the_overseers_work_it(make_complaint, people):
    complaint = make_complaint()
    with pytest.raises(NotAllowed):
        svc.start(people["other"], complaint, None)
    with pytest.raises(NotAllowed):
        svc.answer(people["other"], complaint, None, "x")
    with pytest.raises(NotAllowed):
        svc.decide(people["agent"], complaint, None, "x")
    with pytest.raises(NotAllowed):
        svc.reassign(people["agent"], complaint, None, people["other"].id)
    svc.start(people["supervisor"], complaint, None)  # the supervisor may
    svc.reassign(people["supervisor"], complaint, None, people["other"].id)
    assert complaint.owner_id == people["other"].id


def test_a_stale_version_is_a_conflict(make_complaint, people):
    complaint = make_complaint()
    with pytest.raises(Conflict):
        svc.start(people["agent"], complaint, complaint.version + 1)


@pytest.mark.parametrize(("fields", "field"), [
    ({"severity": "huge"}, "severity"),
    ({"channel": "fax"}, "channel"),
    ({"category_id": 999999}, "category"),
    ({"said": ""}, "said"),
    ({"order_no": "NO-SUCH"}, "order_no"),
    ({"case_id": 2147483647}, "case"),
    ({"customer_id": 2147483647}, "customer"),
])
def test_bad_input_is_refused(categories, people, fields, field):
    values = {"channel": "chat", "category_id": categories[0].id, "severity": "normal",
              "said": "有问题", "received_at": None}
    values.update(fields)
    with pytest.raises(RuleError) as refused:
        svc.create(people["agent"], **values)
    assert refused.value.field == field


def test_an_inactive_category_is_refused(categories, people):
    with pytest.raises(RuleError):
        svc.create(people["agent"], received_at=None, channel="chat", severity="normal",
                   category_id=categories[-1].id, said="x")


def test_escalation_by_the_person(make_complaint, people):
    complaint = make_complaint()
    with pytest.raises(RuleError):
        svc.escalate(people["agent"], complaint, None, "")
    svc.escalate(people["agent"], complaint, None, "客户说要投诉到平台")
    assert complaint.level == 1 and complaint.state == "escalated"
    svc.decide(people["supervisor"], complaint, None, "同意全额退款")
    assert complaint.state == "investigating"
    assert [e.kind for e in svc.events(complaint)][-1] == "decision"
    svc.escalate(people["agent"], complaint, None, "客户不接受")
    assert complaint.level == 2
    with pytest.raises(RuleError):
        svc.escalate(people["agent"], complaint, None, "再升级")
    # with the manager now: the supervisor (told too) does not decide for them
    assert not svc.decides(people["supervisor"], complaint)
    with pytest.raises(RuleError, match="manager"):
        svc.decide(people["supervisor"], complaint, None, "我来定")
    assert complaint.state == "escalated"
    assert svc.decides(people["manager"], complaint)
    svc.decide(people["manager"], complaint, None, "全额退款并致歉")
    assert complaint.state == "investigating"


# --- by the clock ----------------------------------------------------------------------------


def _check(app, freeze, moment):
    freeze(moment)
    with job_context(app):
        return reminders.check()["complaints_overdue"]


def test_past_due_escalates_one_level_exactly_once(app, freeze, make_complaint, people):
    complaint = make_complaint("crisis")  # due at 12:00, at level 2 already
    normal = make_complaint("normal", at="2026-11-24 09:00")  # due 2026-11-25 01:00
    assert _check(app, freeze, "2026-11-25 00:59") == 0
    assert _check(app, freeze, "2026-11-25 01:00") == 1
    db.session.expire_all()
    normal = db.session.get(Complaint, normal.id)
    assert normal.level == 1 and normal.state == "escalated"
    events = [e for e in svc.events(normal) if e.kind == "overdue"]
    assert len(events) == 1 and events[0].user_id is None
    sup = [n for n in _notes(people["supervisor"]) if "past its due" in n.message]
    assert len(sup) == 1 and sup[0].link == f"/complaints/{normal.id}"
    assert len([n for n in _notes(people["agent"]) if "past its due" in n.message]) == 1
    assert [n for n in _notes(people["manager"]) if "past its due" in n.message] == []
    # the same moment again, a minute later: nothing more
    assert _check(app, freeze, "2026-11-25 01:00") == 0
    assert _check(app, freeze, "2026-11-25 01:01") == 0
    assert len([e for e in svc.events(normal) if e.kind == "overdue"]) == 1
    # the crisis complaint, past due too, was with the manager already: not escalated again
    assert db.session.get(Complaint, complaint.id).level == 2
    # still unanswered at its new due time: the manager too
    new_due = clock.local(db.session.get(Complaint, normal.id).due_at)
    assert _check(app, freeze, new_due.strftime("%Y-%m-%d %H:%M")) == 1
    db.session.expire_all()
    assert db.session.get(Complaint, normal.id).level == 2
    assert len([n for n in _notes(people["manager"]) if "past its due" in n.message]) == 1


def test_an_answered_complaint_is_not_escalated(app, freeze, make_complaint, people):
    complaint = make_complaint("normal")
    svc.answer(people["agent"], complaint, None, "已回复")
    db.session.commit()
    assert _check(app, freeze, "2026-11-25 09:00") == 0
    assert db.session.get(Complaint, complaint.id).level == 0


def test_switched_off_escalates_nothing(app, freeze, make_complaint, people):
    complaint = make_complaint("normal")
    db.session.add(ReminderSetting(kind="complaints_overdue", enabled=False))
    db.session.commit()
    assert _check(app, freeze, "2026-11-25 09:00") == 0
    assert db.session.get(Complaint, complaint.id).level == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ComplaintEvent)
                             .where(ComplaintEvent.kind == "overdue")) == 0


def test_open_by_severity(make_complaint, people):
    make_complaint("crisis")
    make_complaint("normal", at="2026-11-24 08:00")
    make_complaint("normal", at="2026-11-24 09:00")
    rows = {r["severity"]: r for r in svc.open_by_severity()}
    assert rows["normal"]["count"] == 2 and rows["crisis"]["count"] == 1
    assert rows["serious"]["count"] == 0
    assert clock.local(rows["normal"]["oldest"]) == _local("2026-11-24 08:00")
