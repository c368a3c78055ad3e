"""Demo call plans, today's calls and a week of tries (R-C2, R-C5), on the customers the
demo orders and visits made."""

from datetime import timedelta

import sqlalchemy as sa

from portal import clock
from portal.customers import calls
from portal.customers.call_models import CallAttempt, CallPlan, PlannedCall
from portal.customers.models import Customer
from portal.extensions import db

PLANS = [
    dict(name="会员核实回访", kind="member_check", customer_kind="member", days=7, max_tries=3,
         script_hint="您好，这里是客服部。核实一下您的会员资料（姓名、电话、地址）是否正确。"),
    dict(name="展厅来访次日回访", kind="prospect", customer_kind="prospect", days=1, max_tries=2,
         script_hint="感谢您昨天来展厅参观，请问对哪款产品感兴趣？可以为您预约再次品鉴。"),
    dict(name="重要客户关怀", kind="care", value_classes="important_value important_keep",
         days=30, max_tries=3,
         script_hint="问候近况，了解产品使用情况，告知本月新品与会员活动。"),
    dict(name="沉睡客户唤回", kind="win_back", customer_kind="retail", days=90, max_tries=2,
         script_hint="好久没联系了，了解不再购买的原因，介绍当前优惠。"),
]

NOTES = ["客户很满意，下月再订", "说明了新品", "客户在开会，稍后再打", "空号", "不需要，谢谢",
         "已核实地址", "约周六来展厅"]


def seed(users) -> dict:
    """Plans, owners and consent on some customers (their classes come from their orders:
    class_demo), today's calls, last week's tries."""
    plans = [CallPlan(**fields) for fields in PLANS]
    db.session.add_all(plans)
    people = list(db.session.scalars(sa.select(Customer).where(Customer.merged_into_id.is_(None))
                                     .order_by(Customer.id)))
    agents = [users[name] for name in ("presales", "presales2", "presales3", "aftersales")
              if name in users]
    for n, person in enumerate(people):
        if n % 3 == 0 and agents:
            person.owner_id = agents[n % len(agents)].id
        if n % 4 == 0:
            person.kind = "member" if person.kind == "retail" else person.kind
            person.marketing_consent = True
            person.last_contact_at = clock.now() - timedelta(days=40 + n)
    db.session.flush()
    made = calls.plan_due_calls(clock.today())
    # last week's tries, so that the calls per agent and the weekly report have figures
    care = plans[2]
    tried = 0
    for n, person in enumerate(people[:12]):
        by = agents[n % len(agents)] if agents else users["supervisor"]
        at = clock.now() - timedelta(days=1 + n % 6, hours=n % 3)
        result = ("reached", "no_answer", "reached", "declined", "wrong_number")[n % 5]
        call = PlannedCall(plan_id=care.id, customer_id=person.id, due_at=at, tries=1,
                           assignee_id=by.id, state="done" if result != "no_answer"
                           else "given_up", result=result, note=NOTES[n % len(NOTES)],
                           done_at=at, done_by_id=by.id, created_at=at - timedelta(days=1))
        db.session.add(call)
        db.session.flush()
        db.session.add(CallAttempt(call_id=call.id, customer_id=person.id, result=result,
                                   note=call.note, at=at, by_id=by.id))
        tried += 1
    db.session.flush()
    return {"call plans": len(plans), "calls planned": sum(made.values()),
            "calls tried": tried}
