"""The case services without HTTP: opening, the workflow table (each step allowed or
refused), the return window (R-A1), evidence before a quality decision (R-A2), the freight
rule (R-A3), interception (R-A5), refunds, the clerk's receipt, conflicts, audit, events."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from portal.actions import Conflict
from portal.aftersales import cases as svc
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.rules import RuleError
from tests.conftest import count_rows


def audit_actions(case) -> list[str]:
    return list(db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.target_type == "aftersales_cases",
                                           AuditEvent.target_id == str(case.id))
        .order_by(AuditEvent.id)))


def state_events(case) -> list[tuple]:
    return [(e.from_state, e.to_state, e.actor_id) for e in svc.events(case) if e.kind == "state"]


# --- opening ---------------------------------------------------------------------------------


def test_a_case_on_a_picked_order_copies_its_number_platform_and_purchase_date(
        open_case, make_order, agent):
    order = make_order(stage="completed", paid="2026-11-18 10:00", platform="jd")
    case = open_case("quality", order_id=order.id)
    assert (case.order_no, case.platform, case.order_id) == (order.order_no, "jd", order.id)
    assert case.purchase_date == date(2026, 11, 18)
    assert case.state == "new" and case.category == "quality"
    assert case.first_response_due_at is not None and case.resolve_due_at is not None
    assert state_events(case) == [(None, "new", agent.id)]
    assert audit_actions(case) == ["aftersales.case_opened"]


def test_a_case_on_a_typed_order_number(open_case):
    case = open_case("refund_only", order_no=" 88990011 ", platform="taobao")
    assert (case.order_id, case.order_no, case.platform) == (None, "88990011", "taobao")


@pytest.mark.parametrize(("fields", "field"), [
    ({"type": "nonsense"}, "type"),
    ({"type": "logistics", "logistics_problem": None}, "logistics_problem"),
    ({"problem": "  "}, "problem"),
    ({"order_no": ""}, "order_no"),
    ({"delivery_date": date(2026, 12, 30)}, "delivery_date"),
    ({"purchase_date": date(2026, 11, 21), "delivery_date": date(2026, 11, 20)},
     "delivery_date"),
    ({"category": "other"}, "category"),
])
def test_opening_refuses_bad_input_and_changes_nothing(open_case, fields, field):
    type_ = fields.pop("type", "return_refund")
    with pytest.raises(RuleError) as refused:
        if type_ == "logistics":
            open_case(type_, **fields)
        else:
            open_case(type_, **fields)
    assert refused.value.field == field
    db.session.rollback()
    assert count_rows(AfterSalesCase) == 0


def test_assigning_to_someone_not_an_agent_is_refused(open_case, presales):
    with pytest.raises(RuleError) as refused:
        open_case(assignee_id=presales.id)
    assert refused.value.field == "assignee_id"


def test_presales_opening_an_unassigned_case_tells_the_agents(open_case, presales, agent,
                                                              make_order):
    order = make_order()
    case = open_case(order_id=order.id, by=presales, assignee_id=None)
    assert case.assignee_id is None and case.created_by_id == presales.id
    assert count_rows(Notification, Notification.user_id == agent.id) == 1


# --- the workflow table ----------------------------------------------------------------------

ALWAYS = [("new", "in_progress"), ("in_progress", "waiting_customer"),
          ("waiting_customer", "in_progress"), ("in_progress", "resolved"),
          ("resolved", "closed")]


def walk(case, step, path, **kwargs):
    for new in path:
        step(case, new, **kwargs.get(new, {}))


@pytest.mark.parametrize("type_", list(svc.TYPES))
def test_every_type_has_the_common_steps(open_case, step, add_photo, agent, type_):
    case = open_case(type_)
    if type_ == "quality":
        add_photo(case)
        svc.confirm_photos(agent, case, case.version, False)
    walk(case, step, ["in_progress", "waiting_customer", "in_progress", "resolved", "closed"])
    assert case.state == "closed" and case.closed_at is not None


@pytest.mark.parametrize(("type_", "old", "new"), [
    ("return_refund", "new", "waiting_parcel"),        # in progress skipped
    ("return_refund", "new", "closed"),
    ("return_refund", "in_progress", "refunded"),      # no refund before the parcel is back
    ("exchange", "in_progress", "exchange_shipped"),
    ("quality", "in_progress", "refunded"),
    ("return_refund", "waiting_customer", "waiting_parcel"),
    ("return_refund", "in_progress", "closed"),        # closed only after an outcome
    ("refund_only", "in_progress", "waiting_parcel"),
    ("interception", "in_progress", "waiting_parcel"),  # only once intercepted
])
def test_skipped_steps_are_refused(open_case, step, type_, old, new):
    case = open_case(type_)
    if old != "new":
        walk(case, step, ["in_progress"] + (["waiting_customer"] if old == "waiting_customer"
                                             else []))
    version = case.version
    with pytest.raises(RuleError) as refused:
        step(case, new, refund_amount=Decimal("10"))
    assert refused.value.field == "state" and refused.value.params["from_state"] == old
    db.session.rollback()
    db.session.refresh(case)
    assert (case.state, case.version) == (old, version)


def test_parcel_received_is_only_signed_by_a_clerk(open_case, step):
    case = open_case("return_refund")
    walk(case, step, ["in_progress", "waiting_parcel"])
    with pytest.raises(RuleError) as refused:
        step(case, "parcel_received")
    assert "order clerk" in refused.value.message


def test_a_refund_only_case_refunds_without_a_parcel(open_case, step):
    case = open_case("refund_only")
    walk(case, step, ["in_progress", "refunded", "closed"],
         refunded={"refund_amount": Decimal("30")})
    assert case.refund_amount == Decimal("30.00")


def test_a_return_is_refunded_after_the_clerk_signs(open_case, step, clerk, agent):
    case = open_case("return_refund")
    walk(case, step, ["in_progress", "waiting_parcel"],
         waiting_parcel={"return_courier": "中通", "return_tracking_no": "ZT123"})
    assert (case.return_courier, case.return_tracking_no) == ("中通", "ZT123")
    svc.sign_parcel(clerk, case, case.version)
    assert case.state == "parcel_received" and case.parcel_received_by_id == clerk.id
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == agent.id))
    assert note.params["tracking"] == "ZT123" and note.params["name"] == "陈打单"
    step(case, "refunded", refund_amount=Decimal("50"))
    step(case, "closed")
    assert [e[1] for e in state_events(case)] == [
        "new", "in_progress", "waiting_parcel", "parcel_received", "refunded", "closed"]
    assert state_events(case)[3][2] == clerk.id


def test_a_refund_needs_an_amount_no_larger_than_the_order(open_case, make_order, step):
    order = make_order(quantity=2)  # 176.00
    case = open_case("refund_only", order_id=order.id)
    step(case, "in_progress")
    for amount, field in ((None, "refund_amount"), (Decimal("0"), "refund_amount"),
                          (Decimal("176.01"), "refund_amount")):
        with pytest.raises(RuleError) as refused:
            step(case, "refunded", refund_amount=amount)
        assert refused.value.field == field
        db.session.rollback()
    db.session.refresh(case)
    assert case.state == "in_progress" and case.refund_amount is None
    step(case, "refunded", refund_amount=Decimal("176.00"))
    assert case.refund_amount == Decimal("176.00")


def test_closing_schedules_the_return_visit_three_days_later(open_case, step, freeze):
    case = open_case("refund_only")
    walk(case, step, ["in_progress", "refunded"], refunded={"refund_amount": Decimal("5")})
    freeze("2026-11-23 15:00")
    step(case, "closed")
    visit = db.session.scalar(sa.select(ReturnVisit).where(ReturnVisit.case_id == case.id))
    assert visit.due_on == date(2026, 11, 26)


def test_waiting_for_the_customer_pauses_the_sla_and_answering_resumes_it(open_case, step,
                                                                          freeze):
    case = open_case("return_refund")
    step(case, "in_progress")
    step(case, "waiting_customer")
    assert case.sla_state == "paused" and case.resolve_due_at is None
    freeze("2026-11-24 09:30")
    step(case, "in_progress")
    assert case.sla_state == "running" and case.resolve_due_at is not None


def test_every_change_is_audited(open_case, step, agent, other_agent):
    case = open_case("refund_only")
    svc.assign(agent, case, case.version, other_agent.id)
    svc.add_note(agent, case, "已联系客户")
    step(case, "in_progress")
    assert audit_actions(case) == ["aftersales.case_opened", "aftersales.case_assigned",
                                   "aftersales.note_added", "aftersales.state_changed"]


# --- R-A2: evidence before a quality decision ------------------------------------------------


def test_a_quality_claim_needs_a_photo_and_its_check_before_a_decision(open_case, step,
                                                                       add_photo, agent):
    case = open_case("quality")
    step(case, "in_progress")
    with pytest.raises(RuleError) as refused:
        step(case, "waiting_parcel")
    assert refused.value.field == "photos"
    db.session.rollback()
    with pytest.raises(RuleError):
        svc.confirm_photos(agent, case, case.version, True)  # nothing to check yet
    db.session.rollback()
    add_photo(case)
    with pytest.raises(RuleError) as refused:
        step(case, "resolved")
    assert refused.value.field == "photos_confirm"
    db.session.rollback()
    svc.confirm_photos(agent, case, case.version, False)
    step(case, "resolved")
    assert case.state == "resolved"


def test_a_hidden_photo_does_not_count(open_case, step, add_photo, agent):
    from portal.aftersales import evidence

    case = open_case("quality")
    step(case, "in_progress")
    photo = add_photo(case)
    svc.confirm_photos(agent, case, case.version, True)
    evidence.hide(agent, photo, "拍错了")
    with pytest.raises(RuleError) as refused:
        step(case, "waiting_parcel")
    assert refused.value.field == "photos"


# --- R-A1: the return window -----------------------------------------------------------------


def test_the_return_window(open_case):
    assert svc.window(open_case(delivery_date=date(2026, 11, 15))) == svc.Window("within", 7)
    assert svc.window(open_case(delivery_date=date(2026, 11, 14))) == svc.Window("outside", 8)
    assert svc.window(open_case(delivery_date=None)).kind == "unknown"


def test_outside_the_window_a_no_reason_return_needs_a_written_reason(open_case, step):
    case = open_case("return_refund", delivery_date=date(2026, 11, 10))
    step(case, "in_progress")
    with pytest.raises(RuleError) as refused:
        step(case, "waiting_parcel")
    assert refused.value.field == "window_override" and refused.value.params["days"] == 12
    db.session.rollback()
    db.session.refresh(case)
    step(case, "waiting_parcel", window_override="老客户,主管同意")
    assert case.window_override == "老客户,主管同意" and case.state == "waiting_parcel"


def test_an_unknown_delivery_date_also_needs_the_reason(open_case, step):
    case = open_case("exchange", delivery_date=None)
    step(case, "in_progress")
    with pytest.raises(RuleError) as refused:
        step(case, "waiting_parcel")
    assert "not known" in refused.value.message


def test_a_confirmed_quality_problem_is_not_held_to_the_window(open_case, step, add_photo,
                                                                agent):
    case = open_case("quality", delivery_date=date(2026, 10, 1))
    step(case, "in_progress")
    add_photo(case)
    svc.confirm_photos(agent, case, case.version, True)
    step(case, "waiting_parcel")
    assert case.state == "waiting_parcel" and case.window_override is None


# --- R-A3: freight ---------------------------------------------------------------------------


def test_freight_the_customer_pays_the_return_leg_unless_a_quality_problem_is_confirmed(
        open_case, add_photo, agent):
    plain = open_case("return_refund")
    assert svc.freight(plain) == svc.Freight(False)
    with pytest.raises(RuleError):
        svc.set_freight_owed(agent, plain, plain.version, Decimal("12"))
    db.session.rollback()
    quality = open_case("quality")
    add_photo(quality)
    svc.confirm_photos(agent, quality, quality.version, False)
    assert not svc.freight(quality).company_both
    svc.confirm_photos(agent, quality, quality.version, True)
    assert svc.freight(quality).company_both and not svc.freight(quality).outstanding


def test_freight_owed_is_tracked_until_refunded(open_case, add_photo, agent, freeze):
    case = open_case("quality")
    add_photo(case)
    svc.confirm_photos(agent, case, case.version, True)
    db.session.commit()  # as its request would
    with pytest.raises(RuleError):
        svc.freight_refunded(agent, case, case.version)  # nothing owed yet
    db.session.rollback()
    svc.set_freight_owed(agent, case, case.version, Decimal("15.00"))
    assert svc.freight(case).outstanding
    freeze("2026-11-25 10:00")
    svc.freight_refunded(agent, case, case.version)
    owed = svc.freight(case)
    assert not owed.outstanding and owed.refunded_at is not None
    with pytest.raises(RuleError):
        svc.freight_refunded(agent, case, case.version)


# --- R-A5: interception ----------------------------------------------------------------------


def test_an_interception_takes_the_shipped_orders_courier_and_number(open_case, make_order):
    order = make_order(stage="shipped")
    case = open_case("interception", order_id=order.id)
    assert (case.return_courier, case.return_tracking_no) == ("顺丰", order.tracking_no)
    assert case.interception_state == "requested"


def test_only_a_shipped_order_can_be_intercepted(open_case, make_order):
    order = make_order(stage="completed")
    with pytest.raises(RuleError) as refused:
        open_case("interception", order_id=order.id)
    assert refused.value.field == "order_no"


def test_intercepted_the_case_waits_for_the_parcel(open_case, step, agent, clerk):
    case = open_case("interception")
    step(case, "in_progress")
    svc.interception_result(agent, case, case.version, "intercepted")
    assert (case.interception_state, case.state) == ("intercepted", "waiting_parcel")
    svc.sign_parcel(clerk, case, case.version)
    step(case, "refunded", refund_amount=Decimal("20"))
    assert case.state == "refunded"


def test_a_failed_interception_turns_the_case_into_a_normal_return(open_case, step, agent):
    case = open_case("interception")
    step(case, "in_progress")
    svc.interception_result(agent, case, case.version, "failed")
    assert (case.type, case.interception_state) == ("return_refund", "failed")
    assert case.return_tracking_no is None and case.state == "in_progress"
    assert "waiting_parcel" in svc.next_states(case)
    with pytest.raises(RuleError):
        svc.interception_result(agent, case, case.version, "intercepted")


# --- notes, assignment, details, conflicts ---------------------------------------------------


def test_a_note_answers_the_first_response_clock(open_case, agent, freeze):
    case = open_case()
    freeze("2026-11-22 10:00")
    event = svc.add_note(agent, case, "  已联系客户,等待照片  ")
    assert event.text == "已联系客户,等待照片" and event.kind == "note"
    assert case.first_response_at is not None
    with pytest.raises(RuleError):
        svc.add_note(agent, case, "   ")


def test_assignment_notifies_the_new_agent(open_case, agent, other_agent):
    case = open_case()
    svc.assign(agent, case, case.version, other_agent.id)
    assert case.assignee_id == other_agent.id
    assert count_rows(Notification, Notification.user_id == other_agent.id) == 1
    svc.assign(agent, case, case.version, None)
    assert case.assignee_id is None


def test_details_record_the_platform_status_for_the_queue(open_case, agent):
    case = open_case()
    svc.update_details(agent, case, case.version, platform_status="dispute", category="market",
                       delivery_date=date(2026, 11, 21))
    kinds = [(e.kind, e.text) for e in svc.events(case)]
    assert ("platform", "dispute") in kinds
    assert (case.platform_status, case.category) == ("dispute", "market")
    with pytest.raises(RuleError):
        svc.update_details(agent, case, case.version, platform_status="dispute",
                           category="market", delivery_date=date(2026, 11, 21))


def test_two_agents_changing_one_case_the_second_gets_a_conflict(open_case, agent,
                                                                 other_agent):
    case = open_case()
    seen = case.version
    svc.change_state(agent, case, seen, "in_progress")
    with pytest.raises(Conflict):
        svc.change_state(other_agent, case, seen, "in_progress")
    with pytest.raises(Conflict):
        svc.assign(other_agent, case, seen, other_agent.id)
    assert case.state == "in_progress"


def test_a_concurrent_write_is_a_conflict_at_the_flush(open_case, agent):
    case = open_case()
    db.session.execute(sa.update(AfterSalesCase).where(AfterSalesCase.id == case.id)
                       .values(version=AfterSalesCase.version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(StaleDataError):  # the runner answers it with 409
        svc.change_state(agent, case, case.version, "in_progress")


def test_two_clerks_signing_the_same_parcel(open_case, step, clerk, create_user):
    case = open_case("refund_only")
    walk(case, step, ["in_progress"])
    case.type = "return_refund"
    db.session.commit()
    step(case, "waiting_parcel")
    seen = case.version
    svc.sign_parcel(clerk, case, seen)
    with pytest.raises(Conflict):
        svc.sign_parcel(create_user("order_clerk"), case, seen)


# --- lists -----------------------------------------------------------------------------------


def test_the_list_query_filters(open_case, agent, other_agent, step, freeze):
    mine = open_case("quality")
    theirs = open_case("exchange", assignee_id=other_agent.id, at="2026-11-20 10:00")
    free = open_case("refund_only", assignee_id=None)
    closed = open_case("refund_only")
    walk(closed, step, ["in_progress", "resolved", "closed"])

    def ids(**kwargs):
        return {c.id for c in db.session.scalars(svc.search(agent, **kwargs))}

    assert ids(view="mine") == {mine.id}
    assert ids(view="mine", state="all") == {mine.id, closed.id}
    assert ids(view="unassigned") == {free.id}
    assert ids(view="all") == {mine.id, theirs.id, free.id}
    assert ids(type="exchange") == {theirs.id}
    assert ids(assignee_id=other_agent.id) == {theirs.id}
    assert ids(state="closed") == {closed.id}
    assert ids(date_from=date(2026, 11, 21)) == {mine.id, free.id}
    assert ids(date_to=date(2026, 11, 20)) == {theirs.id}
    assert ids(order_no=mine.order_no[:6]) >= {mine.id}
    freeze("2026-11-30 10:00")
    assert theirs.id in ids(sla_kind="breached")
    assert ids(sla_kind="paused") == set()
    mine.return_tracking_no = "YT778899"
    db.session.commit()
    assert ids(tracking="YT7788") == {mine.id}
    assert freeze  # the clock moved on for the SLA filter
    assert timedelta  # imported for readers of the dates above
