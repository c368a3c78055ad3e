"""Follow-up calls (issue 17 item 5, R-C2, R-C5): plans make calls idempotently; My calls
today lists mine by value class; a result is recorded in place; "no answer" moves the call to
the next window and gives up after the plan's tries; two people at once: a 409."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import AuditEvent
from portal.customers import calls
from portal.customers.attach import add_contact
from portal.customers.call_models import CallAttempt, CallPlan, PlannedCall
from portal.customers.models import Customer
from portal.extensions import db
from portal.reception.models import Visit
from tests.conftest import count_rows

HX = {"HX-Request": "true"}


@pytest.fixture
def customer():
    """``customer(name, phone=..., **fields)`` -> a committed customer with a phone."""

    def _make(name="李女士", phone="13900001234", **fields):
        fields.setdefault("kind", "member")
        person = Customer(name=name, **fields)
        db.session.add(person)
        db.session.flush()
        if phone:
            add_contact(person, "phone", phone)
        db.session.commit()
        return person

    return _make


@pytest.fixture
def plan():
    def _make(kind="care", **fields):
        fields.setdefault("name", f"plan {kind}")
        fields.setdefault("days", 30)
        fields.setdefault("max_tries", 3)
        fields.setdefault("script_hint", "问候，了解使用情况")
        fields.setdefault("value_classes", "")
        record = CallPlan(kind=kind, **fields)
        db.session.add(record)
        db.session.commit()
        return record

    return _make


def _call(plan, customer, *, due="2026-11-24 10:00", assignee=None, pool="presales", **extra):
    call = PlannedCall(plan_id=plan.id, customer_id=customer.id,
                       due_at=datetime.fromisoformat(due).replace(tzinfo=clock.get_clock().tz),
                       assignee_id=assignee.id if assignee else None,
                       pool_role=None if assignee else pool, **extra)
    db.session.add(call)
    db.session.commit()
    return call


# --- windows ---------------------------------------------------------------------------------


def test_windows_parse_and_refuse_nonsense():
    assert [f"{s:%H:%M}-{e:%H:%M}" for s, e in calls.parse_windows("15:00-17:30，10:00-11:30")] \
        == ["10:00-11:30", "15:00-17:30"]
    for bad in ("", "10-11", "11:30-10:00", "10:00-12:00 11:00-13:00", "25:00-26:00"):
        with pytest.raises(calls.RuleError):
            calls.parse_windows(bad)


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-11-24 09:00", "2026-11-24 10:00"),
    ("2026-11-24 10:30", "2026-11-24 15:00"),  # in the morning window: the afternoon's
    ("2026-11-24 12:00", "2026-11-24 15:00"),
    ("2026-11-24 16:00", "2026-11-25 10:00"),  # in the last window: tomorrow's first
])
def test_no_answer_goes_to_the_next_window(app, now, expected):
    tz = clock.get_clock().tz
    windows = calls.parse_windows("10:00-11:30 15:00-17:30")
    moment = datetime.fromisoformat(now).replace(tzinfo=tz)
    assert calls.next_window(moment, windows) == datetime.fromisoformat(expected).replace(
        tzinfo=tz)


# --- planning --------------------------------------------------------------------------------


def test_care_plan_calls_important_customers_once_per_interval(
        customer, plan, create_user, freeze):
    freeze("2026-11-24 08:00")
    owner = create_user("presales")
    vip = customer("王先生", value_class="important_value", owner_id=owner.id)
    customer("普通客户", value_class="general_keep", phone="13900002222")
    care = plan("care", value_classes="important_value important_keep", days=30)
    assert calls.plan_due_calls(date(2026, 11, 24)) == {care.name: 1}
    made = db.session.scalars(sa.select(PlannedCall)).all()
    assert [(c.customer_id, c.assignee_id, c.pool_role) for c in made] == [(vip.id, owner.id, None)]
    assert clock.local(made[0].due_at) == datetime(2026, 11, 24, 10, 0, tzinfo=clock.get_clock().tz)
    # idempotent: again the same day, and while the call is open, nothing more
    assert calls.plan_due_calls(date(2026, 11, 24)) == {care.name: 0}
    made[0].state = "done"
    db.session.commit()
    assert calls.plan_due_calls(date(2026, 12, 1)) == {care.name: 0}  # within 30 days
    assert calls.plan_due_calls(date(2026, 12, 25)) == {care.name: 1}


def test_a_customer_never_has_two_open_calls_of_one_plan(customer, plan):
    person, care = customer(), plan()
    _call(care, person)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add(PlannedCall(plan_id=care.id, customer_id=person.id,
                                   due_at=clock.now(), pool_role="presales"))
        db.session.flush()


def test_prospect_plan_calls_the_day_after_a_showroom_visit(customer, plan, create_user, freeze):
    freeze("2026-11-24 08:00")
    receptionist = create_user("reception")
    visitor = customer("赵先生", kind="prospect", phone="13900003333")
    db.session.add(Visit(day=date(2026, 11, 23), arrived_at=clock.now() - timedelta(days=1),
                         party_size=2, purpose="viewing", source="walk_in",
                         visitor_name="赵先生", phone="13900003333", customer_id=visitor.id,
                         created_by_id=receptionist.id))
    db.session.commit()
    prospect = plan("prospect", days=1, customer_kind="prospect")
    assert calls.plan_due_calls(date(2026, 11, 24)) == {prospect.name: 1}
    call = db.session.scalars(sa.select(PlannedCall)).one()
    assert call.customer_id == visitor.id and call.pool_role == "presales"
    call.state = "done"
    db.session.commit()
    assert calls.plan_due_calls(date(2026, 11, 25)) == {prospect.name: 0}  # called already


def test_win_back_and_member_check_plans(customer, plan, freeze):
    freeze("2026-11-24 08:00")
    quiet = customer("老客户", kind="retail", phone="13900004444",
                     last_contact_at=clock.now() - timedelta(days=200))
    customer("常客", kind="retail", phone="13900005555",
             last_contact_at=clock.now() - timedelta(days=3))
    new_member = customer("新会员", kind="member", phone="13900006666")
    win_back = plan("win_back", days=90, customer_kind="retail")
    check = plan("member_check", days=7, customer_kind="member")
    made = calls.plan_due_calls(date(2026, 11, 24))
    assert made == {win_back.name: 1, check.name: 1}
    pairs = {(c.plan_id, c.customer_id) for c in db.session.scalars(sa.select(PlannedCall))}
    assert pairs == {(win_back.id, quiet.id), (check.id, new_member.id)}
    db.session.execute(sa.update(PlannedCall).values(state="done"))
    assert calls.plan_due_calls(date(2026, 11, 25)) == {win_back.name: 0, check.name: 0}


def test_inactive_plans_and_merged_customers_make_no_calls(customer, plan):
    survivor = customer("甲")
    customer("乙", phone="13900007777", merged_into_id=survivor.id)
    plan("care", active=False)
    assert calls.plan_due_calls(clock.today()) == {}


def test_the_cli_plans_and_says_how_many(runner, customer, plan, freeze):
    freeze("2026-11-24 08:00")
    customer(value_class="important_value")
    plan("care", value_classes="important_value")
    result = runner.invoke(args=["portal", "plan-calls", "--day", "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert "calls planned: 1" in result.output


# --- My calls today --------------------------------------------------------------------------


def test_my_calls_today_lists_mine_and_my_pool_by_value_class(
        client, login, customer, plan, create_user, freeze):
    me = login("presales")
    other = create_user("presales")
    freeze("2026-11-24 09:30")
    care = plan("care")
    general = customer("一般客户", value_class="general_keep", phone="13900001111")
    vip = customer("重要客户", value_class="important_value", phone="13900002222", owner_id=me.id)
    pooled = customer("池子客户", phone="13900003333")
    theirs = customer("别人的", phone="13900004444", owner_id=other.id)
    later = customer("明天的", phone="13900005555")
    _call(care, general, assignee=me)
    _call(care, vip, assignee=me, due="2026-11-24 15:00")
    _call(care, pooled, due="2026-11-20 10:00")  # overdue, in my role's pool
    _call(care, theirs, assignee=other)
    _call(care, later, due="2026-11-25 10:00")
    page = client.get("/customers/calls").get_data(as_text=True)
    assert page.index("重要客户") < page.index("一般客户")  # by value class
    assert "池子客户" in page and "别人的" not in page and "明天的" not in page
    assert "13900002222" in page  # my own customer's phone in full
    assert "问候，了解使用情况" in page  # the script hint


def test_my_calls_fragment_is_only_the_list(client, login, customer, plan, freeze):
    me = login("presales")
    freeze("2026-11-24 09:30")
    _call(plan(), customer(owner_id=me.id), assignee=me)
    fragment = client.get("/customers/calls", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="call-list"' in fragment


def _post(client, call, **data):
    data.setdefault("version", call.version)
    return client.post(f"/customers/calls/{call.id}/result", data=data, headers=HX)


def test_reached_closes_the_call_in_place(client, login, customer, plan, freeze):
    me = login("presales")
    freeze("2026-11-24 10:15")
    call = _call(plan(), customer(owner_id=me.id), assignee=me)
    response = _post(client, call, result="reached", note="很满意")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="call-{call.id}"' in body and "<html" not in body
    assert "calls-changed" in response.headers["HX-Trigger"]
    db.session.expire_all()
    call = db.session.get(PlannedCall, call.id)
    assert (call.state, call.result, call.tries, call.done_by_id) == ("done", "reached", 1, me.id)
    attempt = db.session.scalars(sa.select(CallAttempt)).one()
    assert (attempt.result, attempt.note, attempt.customer_id) == ("reached", "很满意",
                                                                   call.customer_id)
    assert count_rows(AuditEvent, AuditEvent.action == "customers.call_recorded") == 1


def test_no_answer_reschedules_then_gives_up_after_the_tries(client, login, customer, plan,
                                                            freeze):
    me = login("presales")
    freeze("2026-11-24 10:15")
    call = _call(plan(max_tries=2), customer(owner_id=me.id), assignee=me)
    response = _post(client, call, result="no_answer")
    assert response.status_code == 200
    assert "Next try: 2026-11-24 15:00." in response.get_data(as_text=True)
    db.session.expire_all()
    call = db.session.get(PlannedCall, call.id)
    assert call.state == "due" and call.tries == 1
    assert clock.local(call.due_at).strftime("%Y-%m-%d %H:%M") == "2026-11-24 15:00"
    freeze("2026-11-24 15:10")
    response = _post(client, call, result="no_answer")
    assert "given up" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PlannedCall, call.id).state == "given_up"


def test_call_back_at_sets_the_due_moment(client, login, customer, plan, freeze):
    me = login("presales")
    freeze("2026-11-24 10:15")
    call = _call(plan(), customer(owner_id=me.id), assignee=me)
    response = _post(client, call, result="call_back", call_back_at="2026-11-26T16:30")
    assert response.status_code == 200
    db.session.expire_all()
    call = db.session.get(PlannedCall, call.id)
    assert call.state == "due"
    assert clock.local(call.due_at).strftime("%Y-%m-%d %H:%M") == "2026-11-26 16:30"


@pytest.mark.parametrize(("data", "message"), [
    ({"result": "call_back", "call_back_at": "2026-11-20T10:00"}, "later than now"),
    ({"result": "call_back", "call_back_at": "9999-01-01T10:00"}, "Enter a date between"),
    ({"result": "call_back", "call_back_at": "2026-13-45T99:00"}, "YYYY-MM-DD HH:MM"),
    ({"result": "call_back", "call_back_at": ""}, "Say when to call back."),
    ({"result": "call_back", "call_back_at": "2027-06-01T10:00"}, "within 90 days"),
    ({"result": "maybe"}, "Choose how the call went."),
    ({"result": "reached", "note": "x" * 501}, "under 500 characters"),
    ({"result": "reached", "note": "bad\x00byte"}, "control characters"),
])
def test_bad_results_are_refused_with_422_and_nothing_saved(client, login, customer, plan,
                                                           freeze, data, message):
    me = login("presales")
    freeze("2026-11-24 10:15")
    call = _call(plan(), customer(owner_id=me.id), assignee=me)
    response = _post(client, call, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_rows(CallAttempt) == 0


@pytest.mark.parametrize("call_id", ["0", "99999999999999999999", "abc"])
def test_forged_call_ids_are_404(client, login, call_id):
    login("presales")
    response = client.post(f"/customers/calls/{call_id}/result", data={"result": "reached",
                                                                       "version": "1"})
    assert response.status_code == 404


def test_two_people_recording_one_call_the_second_gets_409(client, login, customer, plan,
                                                          freeze, create_user):
    me = login("presales")
    freeze("2026-11-24 10:15")
    call = _call(plan(), customer())  # in the presales pool
    seen = call.version
    assert _post(client, call, result="no_answer", version=seen).status_code == 200
    response = _post(client, call, result="reached", note="我的记录", version=seen)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else recorded this call first" in body
    assert "我的记录" in body  # the typing kept
    assert f'name="version" value="{seen + 1}"' in body  # the current state's version
    db.session.expire_all()
    assert db.session.get(PlannedCall, call.id).result == "no_answer"
    assert me is not None


def test_someone_else_s_call_is_refused(client, login, customer, plan, create_user, freeze):
    freeze("2026-11-24 10:15")
    other = create_user("presales")
    call = _call(plan(), customer(owner_id=other.id), assignee=other)
    login("presales")
    assert _post(client, call, result="reached").status_code == 403
    assert count_rows(CallAttempt) == 0


def test_without_javascript_the_result_redirects(client, login, customer, plan, freeze):
    me = login("aftersales")
    freeze("2026-11-24 10:15")
    call = _call(plan(), customer(owner_id=me.id), assignee=me)
    response = client.post(f"/customers/calls/{call.id}/result",
                           data={"result": "declined", "version": call.version})
    assert response.status_code == 303 and response.location.endswith("/customers/calls")


def test_pool_phones_shown_in_full_are_audited(client, login, customer, plan, freeze):
    login("presales")
    freeze("2026-11-24 10:15")
    person = customer(phone="13912345678")
    _call(plan(), person)
    page = client.get("/customers/calls").get_data(as_text=True)
    assert "13912345678" in page
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "customers.contacts_viewed")).one()
    assert event.details["customer_ids"] == [person.id]


def test_my_calls_page_reads_few_queries(client, login, customer, plan, freeze, count_queries):
    me = login("presales")
    freeze("2026-11-24 10:15")
    care = plan()
    for n in range(15):
        _call(care, customer(f"客户{n}", phone=f"139000{n:05d}", owner_id=me.id), assignee=me)
    client.get("/customers/calls")
    with count_queries(like_bench=True) as counted:
        response = client.get("/customers/calls")
    assert response.status_code == 200
    assert counted.count <= 10, counted.statements


# --- plans -----------------------------------------------------------------------------------


def _plan_data(**overrides):
    data = {"name": "重要客户关怀", "kind": "care", "customer_kind": "", "days": "30",
            "max_tries": "3", "windows": "10:00-11:30 15:00-17:30", "pool_role": "presales",
            "script_hint": "问候", "value_classes": "important_value", "active": "y"}
    data.update(overrides)
    return data


def test_the_supervisor_adds_and_changes_a_plan(client, login):
    login("supervisor")
    response = client.post("/customers/calls/plans/new", data=_plan_data())
    assert response.status_code == 303
    plan = db.session.scalars(sa.select(CallPlan)).one()
    assert (plan.kind, plan.value_classes, plan.windows) == (
        "care", "important_value", "10:00-11:30 15:00-17:30")
    response = client.post(f"/customers/calls/plans/{plan.id}", data=_plan_data(
        windows="09:30-11:00", version=plan.version))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(CallPlan, plan.id).windows == "09:30-11:00"
    assert "重要客户关怀" in client.get("/customers/calls/plans").get_data(as_text=True)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"windows": "11:30-10:00"}, "A window ends after it begins."),
    ({"windows": "早上"}, "Write the windows as"),
    ({"days": "99999999999"}, "Enter a smaller number."),
    ({"max_tries": "0"}, "Between 1 and 10 tries."),
    ({"kind": "spam"}, "Not a valid choice"),
    ({"value_classes": "重要"}, "Value classes are codes"),
    ({"name": "\x00"}, "control characters"),
])
def test_bad_plans_are_refused(client, login, overrides, message):
    login("supervisor")
    response = client.post("/customers/calls/plans/new", data=_plan_data(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_rows(CallPlan) == 0


def test_a_stale_plan_edit_is_a_409_with_the_typing_kept(client, login, plan):
    login("supervisor")
    record = plan()
    stale = record.version
    client.post(f"/customers/calls/plans/{record.id}", data=_plan_data(version=stale))
    response = client.post(f"/customers/calls/plans/{record.id}",
                           data=_plan_data(name="我的新名字", version=stale))
    assert response.status_code == 409
    assert "我的新名字" in response.get_data(as_text=True)


# --- oversight, Today cards, weekly report ---------------------------------------------------


def test_completion_per_agent(client, login, customer, plan, create_user, freeze):
    freeze("2026-11-24 10:15")
    agent = create_user("presales", display_name="小王")
    care = plan()
    done_call = _call(care, customer("甲", owner_id=agent.id), assignee=agent)
    _call(care, customer("乙", phone="13900009999", owner_id=agent.id), assignee=agent,
          due="2026-11-24 09:00")
    calls.record(agent, done_call, done_call.version, "reached")
    db.session.commit()
    rows, _pools = calls.completion(date(2026, 11, 24))
    assert [(r.user.display_name, r.tried, r.closed, r.open_due, r.overdue, r.percent)
            for r in rows] == [("小王", 1, 1, 1, 1, 50)]
    login("supervisor")
    page = client.get("/customers/calls/agents?day=2026-11-24").get_data(as_text=True)
    assert "小王" in page and "50%" in page
    assert client.get("/customers/calls/agents?day=2026-99-01").status_code == 404


def test_today_cards(client, login, customer, plan, create_user, freeze):
    from tests.conftest import today

    freeze("2026-11-24 10:15")
    agent = login("presales")
    _call(plan(), customer(owner_id=agent.id), assignee=agent, due="2026-11-24 09:00")
    page = today(client).get_data(as_text=True)
    assert "My calls due" in page and "calls are due for you today" in page
    client.post("/logout")
    login("supervisor")
    page = today(client).get_data(as_text=True)
    assert "Overdue calls by agent" in page and agent.display_name in page


def test_the_weekly_report_counts_the_calls(client, login, customer, plan, create_user, freeze):
    freeze("2026-11-24 10:15")
    agent = create_user("presales")
    call = _call(plan(), customer(owner_id=agent.id), assignee=agent)
    calls.record(agent, call, call.version, "no_answer")
    db.session.commit()
    login("supervisor")
    page = client.get("/aftersales/report?week=2026-W48").get_data(as_text=True)
    assert "Follow-up calls" in page and "Tries this week" in page


def test_calls_on_the_story(customer, plan, create_user, freeze, client, login):
    """Each try is an item of the customer's story, newest first, and a call still due shows
    among the header's open items."""
    freeze("2026-11-24 10:15")
    agent = create_user("presales")
    person = customer(owner_id=agent.id)
    call = _call(plan(), person, assignee=agent)
    calls.record(agent, call, call.version, "no_answer")
    freeze("2026-11-24 15:05")
    calls.record(agent, call, call.version, "reached", note="客户很满意")
    other = _call(plan(kind="win_back"), person, assignee=agent)
    db.session.commit()
    login(user=agent)
    page = client.get(f"/customers/{person.id}").get_data(as_text=True)
    story = page[page.index('id="story-call-'):]
    assert story.index("Reached") < story.index("客户很满意") < story.index("No answer")
    assert page.count('class="story-item story-call"') == 2
    assert "A call is due" in page and other.state == "due"


# --- who may do what -------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/customers/calls", "customers.calls"),
    ("GET", "/customers/calls/agents", "customers.oversee"),
    ("GET", "/customers/calls/plans", "customers.manage"),
    ("POST", "/customers/calls/plans/new", "customers.manage"),
    ("GET", "/customers/care", "customers.manage"),
    ("POST", "/customers/care/export", "customers.manage"),
]
ROLES = ("manager", "supervisor", "presales", "aftersales", "order_clerk", "reception")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "permission"), ENDPOINTS)
def test_role_matrix(client, sign_in, create_user, role, method, url, permission):
    from portal.auth.permissions import role_can

    sign_in(client, create_user(role))
    response = client.open(url, method=method, data={})
    if role_can(role, permission):
        assert response.status_code in (200, 303, 422), (role, url, response.status_code)
    else:
        assert response.status_code == 403, (role, url)


def test_anonymous_goes_to_sign_in(client):
    assert client.get("/customers/calls").status_code in (302, 303)


@pytest.mark.parametrize("path", ["/customers/calls/agents", "/customers/care?days=30",
                                  "/customers/calls/plans"])
def test_oversight_pages_read_a_fixed_number_of_queries(client, login, customer, plan,
                                                        create_user, freeze, count_queries,
                                                        path):
    freeze("2026-11-24 10:15")
    login("supervisor")
    care = plan()

    def add(n, start):
        for i in range(start, start + n):
            agent = create_user("presales")
            person = customer(f"客户{i}", phone=f"1390001{i:04d}", owner_id=agent.id,
                              marketing_consent=True)
            call = _call(care, person, assignee=agent, due="2026-11-24 09:00")
            calls.record(agent, call, call.version, "no_answer")
        db.session.commit()

    add(2, 0)
    with count_queries(like_bench=True) as few:
        assert client.get(path).status_code == 200
    add(10, 2)
    with count_queries(like_bench=True) as many:
        assert client.get(path).status_code == 200
    assert many.count == few.count <= 10, (few.statements, many.statements)


def test_weekly_figures_count_tries_and_give_ups(customer, plan, create_user, freeze):
    freeze("2026-11-24 10:15")
    agent = create_user("presales")
    call = _call(plan(max_tries=2), customer(owner_id=agent.id), assignee=agent)
    calls.record(agent, call, call.version, "no_answer")
    freeze("2026-11-24 15:05")
    calls.record(agent, call, call.version, "no_answer")
    other = _call(plan("win_back", name="唤回"), customer("乙", phone="13900008888",
                                                        owner_id=agent.id), assignee=agent)
    calls.record(agent, other, other.version, "reached")
    db.session.commit()
    tz = clock.get_clock().tz
    begin = datetime(2026, 11, 23, tzinfo=tz)
    figures = calls.weekly_figures(begin, begin + timedelta(days=7))
    assert figures["tried"] == 3 and figures["given_up"] == 1
    assert figures["by_result"] == {"no_answer": 2, "reached": 1}
    assert figures["by_kind"] == {"care": 2, "win_back": 1}
    assert figures["reached_percent"] == 33
