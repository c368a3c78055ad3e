"""Each kind of reminder at its exact moment: before it nothing, at it one notification to
the right people, again none; switched off none; sent once however often the check runs."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.aftersales import cases as case_svc
from portal.aftersales.models import ReturnVisit
from portal.extensions import db
from portal.handover import services as handover
from portal.jobs import reminders
from portal.jobs.models import JobMark, ReminderSent, ReminderSetting
from portal.notifications.models import Notification
from portal.scoring.models import ScoreSheet
from portal.shifts.models import RosterMonth
from tests.conftest import count_rows


def _total() -> int:
    return count_rows(Notification)


# --- R-P2: payday eve --------------------------------------------------------------------------


@pytest.fixture
def sheets(create_user):
    """October's sheets (payday 2026-11-10, due 2026-11-09): one submitted, one draft, and a
    scored agent without a sheet yet."""
    done, draft, _ = create_user("presales"), create_user("order_clerk"), create_user("reception")
    db.session.add_all([ScoreSheet(user_id=done.id, year=2026, month=10, status="submitted"),
                        ScoreSheet(user_id=draft.id, year=2026, month=10, status="draft")])
    db.session.commit()


def test_payday_eve_tells_the_supervisor_and_the_manager(run_jobs, notes, shown, supervisor,
                                                         manager, sheets):
    assert run_jobs("2026-11-09 08:59")["payday_eve"] == 0
    assert notes(supervisor) == [] and notes(manager) == []

    assert run_jobs("2026-11-09 09:00")["payday_eve"] == 2
    [to_supervisor] = notes(supervisor)
    assert "not submitted" in to_supervisor.message
    assert to_supervisor.params == {"count": 2, "month": "2026-10"}
    assert to_supervisor.link == "/scores/2026/10"
    [to_manager] = notes(manager)
    assert "wait for your approval" in to_manager.message
    assert to_manager.params["count"] == 1
    assert "Payday is tomorrow: 1 score sheets of 2026-10" in shown(to_manager)

    assert run_jobs("2026-11-09 09:01")["payday_eve"] == 0
    assert len(notes(supervisor)) == 1 and len(notes(manager)) == 1


def test_payday_eve_is_quiet_on_other_days_and_when_all_is_done(run_jobs, notes, supervisor,
                                                                manager, create_user):
    agent = create_user("presales")
    db.session.add(ScoreSheet(user_id=agent.id, year=2026, month=10, status="approved"))
    db.session.commit()
    run_jobs("2026-11-08 08:59")
    assert run_jobs("2026-11-08 09:00")["payday_eve"] == 0  # not the day before payday
    run_jobs("2026-11-09 08:59")
    assert run_jobs("2026-11-09 09:00")["payday_eve"] == 0  # nothing left to do
    assert notes(supervisor) == [] and notes(manager) == []


# --- R-O4 / R-O5: orders ----------------------------------------------------------------------


def test_orders_promised_today_at_1530_to_clerks_and_supervisor(run_jobs, notes, shown,
                                                                make_order, clerk, supervisor,
                                                                presales):
    waiting = make_order("paid", paid="2026-11-23 10:00")
    make_order("shipped", paid="2026-11-23 09:00")
    assert run_jobs("2026-11-23 15:29")["orders_promised"] == 0
    assert run_jobs("2026-11-23 15:30")["orders_promised"] == 1
    for person in (clerk, supervisor):
        [note] = notes(person)
        assert note.params["count"] == 1 and note.params["numbers"] == waiting.order_no
        assert note.link == "/orders/queue"
        assert "Ship them before 16:30" in shown(note)
    assert notes(presales) == []  # pre-sales are not the ones who ship
    assert run_jobs("2026-11-23 15:31")["orders_promised"] == 0
    assert len(notes(clerk)) == 1


def test_orders_missed_at_the_cutoff(run_jobs, notes, make_order, clerk, supervisor):
    missed = make_order("paid", paid="2026-11-23 11:00")
    make_order("paid", paid="2026-11-23 16:10")  # paid after 16:00: promised for tomorrow
    run_jobs("2026-11-23 16:29")
    assert notes(clerk, "missed") == []
    assert run_jobs("2026-11-23 16:30")["orders_missed"] == 1
    [note] = notes(supervisor, "missed")
    assert note.params["numbers"] == missed.order_no and note.params["count"] == 1
    assert run_jobs("2026-11-23 16:45")["orders_missed"] == 0


def test_no_order_reminder_when_everything_shipped(run_jobs, notes, make_order, clerk):
    make_order("shipped", paid="2026-11-23 10:00")
    run_jobs("2026-11-23 15:00")
    result = run_jobs("2026-11-23 16:40")
    assert result["orders_promised"] == result["orders_missed"] == 0
    assert notes(clerk) == []


# --- after-sales SLA --------------------------------------------------------------------------


def test_sla_about_to_breach_and_breached(run_jobs, notes, shown, open_case, agent, supervisor,
                                          create_user):
    case = open_case(at="2026-11-22 09:30")  # first response due 11:30 (2 working hours)
    bystander = create_user("aftersales")
    assert run_jobs("2026-11-22 10:59")["sla_soon"] == 0
    assert run_jobs("2026-11-22 11:00")["sla_soon"] == 1
    for person in (agent, supervisor):
        [note] = notes(person)
        assert "about to breach" in note.message
        assert note.params["number"] == case.id and note.params["due"] == "11:30"
        assert note.link == f"/aftersales/{case.id}"
        assert "its first response is due at 11:30" in shown(note)
    assert notes(bystander) == []
    assert run_jobs("2026-11-22 11:29")["sla_breached"] == 0
    result = run_jobs("2026-11-22 11:30")
    assert result["sla_breached"] == 1 and result["sla_soon"] == 0
    assert [n.message for n in notes(agent)][1].startswith("Case #%(number)s")
    assert "breached" in notes(agent)[1].message
    assert run_jobs("2026-11-22 11:31")["sla_breached"] == 0
    assert len(notes(supervisor)) == 2


def test_sla_answered_in_time_is_not_reminded(run_jobs, notes, open_case, agent, supervisor,
                                              freeze):
    case = open_case(at="2026-11-22 09:30")
    freeze("2026-11-22 10:00")
    case_svc.add_note(agent, case, "已联系客户")  # the first response stops its clock
    db.session.commit()
    run_jobs("2026-11-22 10:50")
    result = run_jobs("2026-11-22 11:45")
    assert result["sla_soon"] == result["sla_breached"] == 0
    assert notes(supervisor) == []


# --- R-H2: handover items unsigned ------------------------------------------------------------


@pytest.fixture
def handover_item(create_user, shift_types, freeze):
    writer = create_user("presales")
    freeze("2026-11-22 10:00")
    item = handover.write(writer, "desk", category="other", text="客户要回电")
    db.session.commit()
    return item


def test_handover_unsigned_half_an_hour_into_the_shift(run_jobs, notes, shown, handover_item,
                                                       supervisor, create_user):
    assert run_jobs("2026-11-22 16:29")["handover_unsigned"] == 0
    assert run_jobs("2026-11-22 16:30")["handover_unsigned"] == 1
    [note] = notes(supervisor)
    assert note.params["count"] == 1 and note.params["start"] == "16:00"
    assert note.link == "/handover/desk/"
    assert "items of the Desk handover book are still unsigned 30 minutes" in shown(note)
    assert run_jobs("2026-11-22 16:31")["handover_unsigned"] == 0


def test_handover_signed_in_time_is_not_reminded(run_jobs, notes, handover_item, supervisor,
                                                 create_user, freeze, shift_types):
    reader = create_user("presales")
    freeze("2026-11-22 16:05")
    handover.sign(reader, handover_item, handover.reading_slot(reader))
    db.session.commit()
    run_jobs("2026-11-22 16:10")
    assert run_jobs("2026-11-22 16:30")["handover_unsigned"] == 0
    assert notes(supervisor) == []


# --- R-C2 / R-C5: return visits ---------------------------------------------------------------


def test_return_visits_due_at_the_start_of_the_call_window(run_jobs, notes, open_case, agent,
                                                           create_user):
    mine = open_case(at="2026-11-20 09:30")
    nobodys = open_case(at="2026-11-20 09:40", assignee_id=None)
    db.session.add_all([ReturnVisit(case_id=mine.id, due_on=date(2026, 11, 25)),
                        ReturnVisit(case_id=nobodys.id, due_on=date(2026, 11, 24)),
                        ReturnVisit(case_id=mine.id, due_on=date(2026, 11, 26))])  # not yet
    db.session.commit()
    colleague = create_user("aftersales")
    assert run_jobs("2026-11-25 09:59")["visits_due"] == 0
    assert run_jobs("2026-11-25 10:00")["visits_due"] == 2
    [to_agent] = notes(agent, "your cases")
    assert to_agent.params == {"count": 1, "window": "10:00–11:30"}
    assert to_agent.link == "/aftersales/visits"
    assert notes(colleague, "your cases") == []  # only the case's holder of their own
    [to_desk] = notes(colleague, "nobody holds")  # the unassigned case: every agent
    assert to_desk.params["count"] == 1 and len(notes(agent, "nobody holds")) == 1
    assert run_jobs("2026-11-25 10:30")["visits_due"] == 0
    assert run_jobs("2026-11-25 15:00")["visits_due"] == 2  # the afternoon window: again
    assert notes(agent, "your cases")[-1].params["window"] == "15:00–17:30"


# --- R-S4: roster ----------------------------------------------------------------------------


def test_roster_not_published_by_the_25th(run_jobs, notes, supervisor):
    db.session.add(RosterMonth(year=2026, month=12, status="draft"))
    db.session.commit()
    assert run_jobs("2026-11-25 08:59")["roster_unpublished"] == 0
    assert run_jobs("2026-11-25 09:00")["roster_unpublished"] == 1
    [note] = notes(supervisor)
    assert note.params == {"month": "2026-12"} and note.link == "/roster/plan/2026/12"
    assert run_jobs("2026-11-25 09:05")["roster_unpublished"] == 0


def test_roster_published_is_not_reminded(run_jobs, notes, supervisor):
    db.session.add(RosterMonth(year=2026, month=12, status="published"))
    db.session.commit()
    run_jobs("2026-11-25 08:59")
    assert run_jobs("2026-11-25 09:00")["roster_unpublished"] == 0
    run_jobs("2026-11-24 08:00")  # the clock set back: no window
    assert notes(supervisor) == []


# --- switched off, sent once, catching up -----------------------------------------------------


def test_a_kind_switched_off_sends_nothing_and_does_not_send_later(run_jobs, notes, supervisor):
    db.session.add_all([RosterMonth(year=2026, month=12, status="draft"),
                        ReminderSetting(kind="roster_unpublished", enabled=False)])
    db.session.commit()
    run_jobs("2026-11-25 08:59")
    assert run_jobs("2026-11-25 09:00")["roster_unpublished"] == 0
    assert notes(supervisor) == []
    db.session.get(ReminderSetting, "roster_unpublished").enabled = True
    db.session.commit()
    assert run_jobs("2026-11-25 09:10")["roster_unpublished"] == 0  # what fell due meanwhile
    assert notes(supervisor) == []


def test_a_reminder_is_sent_once_when_two_runs_find_it(run_jobs, notes, supervisor):
    """A second worker (or a restart that lost its mark) looks at the same window again."""
    db.session.add(RosterMonth(year=2026, month=12, status="draft"))
    db.session.commit()
    run_jobs("2026-11-25 08:59")
    assert run_jobs("2026-11-25 09:00")["roster_unpublished"] == 1
    db.session.execute(sa.delete(JobMark))
    db.session.commit()
    assert run_jobs("2026-11-25 09:00")["roster_unpublished"] == 0
    assert len(notes(supervisor)) == 1
    assert count_rows(ReminderSent, ReminderSent.kind == "roster_unpublished") == 1


def test_a_worker_that_was_down_catches_up(run_jobs, notes, supervisor, make_order, clerk):
    db.session.add(RosterMonth(year=2026, month=12, status="draft"))
    db.session.commit()
    run_jobs("2026-11-25 08:00")
    run_jobs("2026-11-25 12:00")  # down from 08:00 to 12:00: 09:00 is in the window
    assert [n.params for n in notes(supervisor)] == [{"month": "2026-12"}]


def test_the_same_window_is_handled_by_one_run_only(app, freeze, supervisor):
    """The mark moves by compare-and-set: a run that lost the race gets no window."""
    now = freeze("2026-11-25 09:00")
    first = reminders.claim_window("reminder:test", now)
    assert first is not None
    assert reminders.claim_window("reminder:test", now) is None


def test_a_failing_kind_does_not_stop_the_others(app, run_jobs, notes, supervisor, monkeypatch):
    from portal.jobs import kinds

    def broken(since, now):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    db.session.add(RosterMonth(year=2026, month=12, status="draft"))
    db.session.commit()
    kind = next(r for r in app.extensions["portal_ui"]["reminders"].values()
                if r.kind == "payday_eve")
    monkeypatch.setitem(app.extensions["portal_ui"]["reminders"], "payday_eve",
                        type(kind)(kind.kind, kind.label, kind.description, broken))
    run_jobs("2026-11-25 08:59")
    result = run_jobs("2026-11-25 09:00")
    assert "payday_eve" not in result and result["roster_unpublished"] == 1
    assert len(notes(supervisor)) == 1
    _ = kinds
