"""The customers on the job queue (issue 17 / 20): the nightly class recompute at 02:00 and
the morning call planning at 07:00, each once however often the worker looks; the "calls
due" reminder at the start of each call window, once per (caller, window), switchable;
the per-class counts kept beside the classes; a save's recompute handed to the queue."""

from datetime import datetime

import pytest
import sqlalchemy as sa

from portal import clock
from portal.customers import classes
from portal.customers.call_models import CallPlan, PlannedCall
from portal.customers.class_models import ClassThresholds
from portal.customers.models import Customer
from portal.extensions import db
from portal.jobs import reminders, scheduled
from portal.jobs.models import ReminderSetting
from portal.jobs.queue import job_context
from portal.notifications.models import Notification
from tests.conftest import count_rows
from tests.customers.test_classes import order

HX = {"HX-Request": "true"}


@pytest.fixture
def limits_saved(freeze):
    """The default thresholds saved, their classes computed."""
    freeze("2026-11-23 12:00")
    db.session.add(ClassThresholds(id=1, recomputed_version=1))
    db.session.commit()


@pytest.fixture
def run(app, freeze):
    """``run("2026-11-24 02:00")``: the worker's minute check of the scheduled work."""

    def _run(moment):
        freeze(moment)
        with job_context(app):
            return scheduled.check()

    return _run


def test_the_nightly_recompute_runs_at_two_once(run, limits_saved):
    made = order("tb_night", 3, "50.00")
    db.session.commit()
    db.session.execute(sa.update(Customer).values(value_class=None))
    db.session.commit()
    assert "customers.classes" not in run("2026-11-24 01:59")
    assert db.session.scalar(sa.select(Customer.value_class)
                             .where(Customer.id == made.customer_id)) is None
    assert "customers.classes" in run("2026-11-24 02:00")
    assert db.session.scalar(sa.select(Customer.value_class)
                             .where(Customer.id == made.customer_id)) == "general_develop"
    assert "customers.classes" not in run("2026-11-24 02:01")  # once a night
    assert "customers.classes" not in run("2026-11-24 23:59")
    assert "customers.classes" in run("2026-11-25 02:00")


def test_a_worker_down_at_two_recomputes_once_when_it_starts(run, limits_saved):
    run("2026-11-24 01:30")
    assert run("2026-11-24 05:10").count("customers.classes") == 1
    assert "customers.classes" not in run("2026-11-24 05:11")


def test_the_morning_planning_at_seven_is_idempotent(run, limits_saved):
    person = Customer(name="李女士", kind="member", value_class="important_value")
    db.session.add_all([person, CallPlan(name="关怀", kind="care", days=30, max_tries=3,
                                         value_classes="important_value")])
    db.session.commit()
    run("2026-11-24 06:30")
    assert "customers.plan_calls" not in run("2026-11-24 06:59")
    assert count_rows(PlannedCall) == 0
    assert "customers.plan_calls" in run("2026-11-24 07:00")
    assert count_rows(PlannedCall, PlannedCall.customer_id == person.id) == 1
    due = db.session.scalar(sa.select(PlannedCall.due_at))
    assert clock.local(due).strftime("%H:%M") == "10:00"
    run("2026-11-24 07:01")
    from portal.customers.calls import plan_due_calls

    plan_due_calls(clock.today())  # run again by hand: still one open call
    assert count_rows(PlannedCall) == 1


def test_the_worker_once_runs_the_scheduled_work(app, runner, monkeypatch, freeze):
    monkeypatch.setitem(app.config, "JOBS_IMMEDIATE", True)
    monkeypatch.delitem(app.extensions, "portal_huey", raising=False)
    freeze("2026-11-24 02:30")
    result = runner.invoke(args=["portal", "worker", "--once"])
    app.extensions.pop("portal_huey", None)
    assert result.exit_code == 0, result.output
    assert "jobs run: customers.classes" in result.output


# --- calls due at the start of each window -----------------------------------------------------


@pytest.fixture
def due_calls(create_user, freeze):
    """Two calls of a presales agent and one of the presales pool, due at 10:00."""
    freeze("2026-11-24 07:00")
    agent = create_user("presales")
    plan = CallPlan(name="关怀", kind="care", days=30, max_tries=3)
    db.session.add(plan)
    db.session.flush()
    at = datetime(2026, 11, 24, 10, 0, tzinfo=clock.get_clock().tz)
    for n, owner in enumerate((agent, agent, None)):
        person = Customer(name=f"顾客{n}", kind="member")
        db.session.add(person)
        db.session.flush()
        db.session.add(PlannedCall(plan_id=plan.id, customer_id=person.id, due_at=at,
                                   assignee_id=owner.id if owner else None,
                                   pool_role=None if owner else "presales"))
    db.session.commit()
    return agent


def _check(app, freeze, moment):
    freeze(moment)
    with job_context(app):
        return reminders.check()


def _notes(user):
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id, Notification.message.like("%calls%due%"))
        .order_by(Notification.id)))


def test_calls_due_at_the_start_of_each_window_once(app, freeze, due_calls, create_user):
    other = create_user("presales")
    assert _check(app, freeze, "2026-11-24 09:59")["calls_due"] == 0
    assert _check(app, freeze, "2026-11-24 10:00")["calls_due"] == 2  # the agent, the pool
    mine = _notes(due_calls)
    assert sorted(n.params["count"] for n in mine) == [1, 2]  # mine, and the pool's
    assert {n.link for n in mine} == {"/customers/calls"}
    assert {n.params["window"] for n in mine} == {"10:00–11:30"}
    assert [n.params["count"] for n in _notes(other)] == [1]  # the pool only
    assert _check(app, freeze, "2026-11-24 10:01")["calls_due"] == 0  # once per window
    assert _check(app, freeze, "2026-11-24 15:00")["calls_due"] == 2  # the next window
    assert len(_notes(due_calls)) == 4


def test_calls_due_done_are_not_reminded(app, freeze, due_calls):
    db.session.execute(sa.update(PlannedCall).values(state="done"))
    db.session.commit()
    assert _check(app, freeze, "2026-11-24 10:00")["calls_due"] == 0


def test_calls_due_switched_off_sends_nothing(app, freeze, due_calls):
    db.session.add(ReminderSetting(kind="calls_due", enabled=False))
    db.session.commit()
    assert _check(app, freeze, "2026-11-24 10:00")["calls_due"] == 0
    assert _notes(due_calls) == []


def test_the_calls_due_kind_is_on_the_reminders_page(client, login):
    login("supervisor")
    assert "Calls due" in client.get("/reminders/").get_data(as_text=True)


# --- the per-class counts ---------------------------------------------------------------------


def test_the_stored_counts_follow_every_recompute(limits_saved):
    for n in range(5):
        order(f"tb_count{n}", n * 40, f"{(n + 1) * 300}.00")
    first = order("tb_count0", 1, "10.00")
    db.session.commit()

    def counted():
        return {k: v for k, v in classes.class_counts().items() if k}

    assert classes.stored_counts() == counted() and sum(counted().values()) == 5
    first.stage = "cancelled"
    db.session.commit()
    assert classes.stored_counts() == counted()
    db.session.execute(sa.delete(classes.ClassCount))
    classes.recompute_all()
    assert classes.stored_counts() == counted()


def test_the_class_card_is_one_query_over_eight_rows(client, login, limits_saved,
                                                     count_queries):
    login("manager")
    order("tb_card", 1, "2000.00")
    order("tb_card", 2, "2000.00")
    db.session.commit()
    with count_queries() as counter:
        body = client.get("/today/customers-classes", headers=HX).get_data(as_text=True)
    assert 'data-class="important_value"' in body
    statements = [s for s in counter.statements if "customer_class_counts" in s]
    assert len(statements) == 1 and "customers." not in statements[0].split("FROM")[1]


# --- the save's recompute on the queue ----------------------------------------------------------


def test_a_lost_hand_over_is_done_by_the_minute_check(run, limits_saved):
    order("tb_lost", 1, "10.00")
    db.session.execute(sa.update(ClassThresholds).values(  # saved, the task lost
        recency_days=5, version=ClassThresholds.version + 1))
    db.session.commit()
    assert classes.recompute_is_pending()
    assert "customers.recompute_classes" in run("2026-11-23 12:01")
    assert not classes.recompute_is_pending()
    assert "customers.recompute_classes" not in run("2026-11-23 12:02")


def test_a_refused_save_hands_nothing_over(client, login, limits_saved, app):
    from portal.jobs.queue import get_huey

    huey = get_huey(app)
    huey.flush()
    login("supervisor")
    response = client.post("/customers/classes", headers=HX, data={
        "window_days": "0", "recency_days": "30", "frequency_orders": "2",
        "money_amount": "500.00", "version": "1"})
    assert response.status_code == 422
    assert huey.dequeue() is None
