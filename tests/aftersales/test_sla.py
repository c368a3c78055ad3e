"""The SLA clock (issue 7 item 7): working-time arithmetic over the department's shift hours,
the case clock that pauses while the case waits for the customer, its status, and the SQL
filter lists use (checked against ``status`` on whichever database runs the suite)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from portal.aftersales import sla
from portal.aftersales.models import AfterSalesCase
from portal.extensions import db
from tests.aftersales.fixtures_desk import *  # noqa: F403

TZ = ZoneInfo("Asia/Shanghai")
DAY_AND_NIGHT = [(8 * 60, 24 * 60)]  # 白班 08:00–16:00 + 晚班 16:00–24:00, merged
WITH_LUNCH = [(8 * 60, 12 * 60), (13 * 60, 18 * 60)]


def at(text: str) -> datetime:
    """A department-local moment: ``at("2026-11-22 09:30")``."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


# --- pure arithmetic ------------------------------------------------------------------------


def test_merge_joins_touching_and_overlapping_periods():
    assert sla.merge([(960, 1440), (480, 960)]) == [(480, 1440)]
    assert sla.merge([(480, 720), (600, 900), (1000, 1100)]) == [(480, 900), (1000, 1100)]
    assert sla.merge([]) == []


@pytest.mark.parametrize(("start", "minutes", "due"), [
    ("2026-11-22 09:30", 120, "2026-11-22 11:30"),   # inside the day
    ("2026-11-22 23:00", 120, "2026-11-23 09:00"),   # one hour tonight, one tomorrow morning
    ("2026-11-22 03:00", 60, "2026-11-22 09:00"),    # the night does not count
    ("2026-11-22 22:00", 120, "2026-11-23 00:00"),   # ends exactly at midnight
    ("2026-11-22 09:30", 3 * 960, "2026-11-25 09:30"),  # three working days
    ("2026-11-30 23:30", 60, "2026-12-01 08:30"),    # across a month's end
    ("2026-11-22 09:30", 0, "2026-11-22 09:30"),
])
def test_add_working_counts_only_working_hours(start, minutes, due):
    assert sla.add_working(at(start), minutes, DAY_AND_NIGHT) == at(due)


def test_add_working_skips_the_gap_between_periods():
    assert sla.add_working(at("2026-11-22 11:00"), 120, WITH_LUNCH) == at("2026-11-22 14:00")
    assert sla.add_working(at("2026-11-22 17:00"), 120, WITH_LUNCH) == at("2026-11-23 09:00")
    assert sla.add_working(at("2026-11-22 12:30"), 30, WITH_LUNCH) == at("2026-11-22 13:30")


def test_add_working_reads_utc_and_naive_moments_in_department_time():
    """Moments read back from the database are UTC: the periods are still Shanghai hours."""
    utc = at("2026-11-22 23:00").astimezone(UTC)  # 15:00 UTC
    assert sla.add_working(utc, 120, DAY_AND_NIGHT) == at("2026-11-23 09:00")
    naive = datetime(2026, 11, 22, 23, 0)
    assert sla.add_working(naive, 120, DAY_AND_NIGHT) == at("2026-11-23 09:00")


@pytest.mark.parametrize(("start", "end", "minutes"), [
    ("2026-11-22 09:30", "2026-11-22 10:50", 80),
    ("2026-11-22 23:00", "2026-11-23 09:00", 120),    # across the night
    ("2026-11-23 00:30", "2026-11-23 07:30", 0),       # night only
    ("2026-11-22 09:30", "2026-11-25 09:30", 2880),
    ("2026-11-23 09:00", "2026-11-22 23:00", -120),   # the end before the start
])
def test_working_minutes_between_two_moments(start, end, minutes):
    assert sla.working_minutes(at(start), at(end), DAY_AND_NIGHT) == minutes


def test_working_minutes_of_utc_moments_are_counted_in_department_time():
    due = at("2026-11-22 23:00").astimezone(UTC)
    assert sla.working_minutes(due, at("2026-11-23 09:00"), DAY_AND_NIGHT) == 120
    assert sla.working_minutes(at("2026-11-23 09:00"), due, DAY_AND_NIGHT) == -120


def test_add_working_and_working_minutes_agree():
    start = at("2026-11-22 21:17")
    for minutes in (0, 1, 59, 163, 960, 1000, 2880):
        assert sla.working_minutes(start, sla.add_working(start, minutes, WITH_LUNCH),
                                   WITH_LUNCH) == minutes


def test_working_periods_come_from_the_active_shift_types(shift_types):
    assert sla.working_periods() == DAY_AND_NIGHT


def test_without_shift_types_every_hour_is_working_time():
    assert sla.working_periods() == [(0, 24 * 60)]


def test_an_inactive_shift_type_does_not_count(shift_types):
    shift_types["night"].active = False
    db.session.commit()
    assert sla.working_periods() == [(8 * 60, 16 * 60)]


# --- the case's clock -----------------------------------------------------------------------


@pytest.fixture
def periods(shift_types):
    """The default shift types: working time is 08:00–24:00 every day."""
    return sla.working_periods()


def new_case(moment: str) -> AfterSalesCase:
    case = AfterSalesCase(type="quality", order_no="T1", problem="x")
    sla.start(case, at(moment))
    return case


def test_start_sets_both_due_moments_in_working_time(periods):
    case = new_case("2026-11-22 23:00")
    assert case.first_response_due_at == at("2026-11-23 09:00")
    # three 16-hour days: 60 minutes tonight, 960 + 960, then 900 on the fourth day
    assert case.resolve_due_at == at("2026-11-25 23:00")
    assert case.sla_state == "running"


def test_the_due_times_follow_the_settings(periods, app, monkeypatch):
    monkeypatch.setitem(app.config, "AFTERSALES_FIRST_RESPONSE_MINUTES", 30)
    monkeypatch.setitem(app.config, "AFTERSALES_RESOLVE_DAYS", 1)
    case = new_case("2026-11-22 09:30")
    assert case.first_response_due_at == at("2026-11-22 10:00")
    assert case.resolve_due_at == at("2026-11-23 09:30")


def test_the_first_answer_stops_the_response_clock_once(periods):
    case = new_case("2026-11-22 09:30")
    sla.on_state_change(case, "new", "in_progress", at("2026-11-22 10:00"))
    sla.responded(case, at("2026-11-22 12:00"))
    assert case.first_response_at == at("2026-11-22 10:00")
    assert case.sla_state == "running"


def test_waiting_for_the_customer_keeps_the_minutes_left(periods):
    case = new_case("2026-11-22 09:30")  # resolve due 2026-11-25 09:30
    sla.on_state_change(case, "in_progress", "waiting_customer", at("2026-11-22 10:30"))
    assert case.sla_state == "paused"
    assert case.resolve_due_at is None
    assert case.sla_remaining_minutes == 2880 - 60
    assert case.sla_paused_at == at("2026-11-22 10:30")
    assert sla.status(case, at("2026-11-24 10:00")) == sla.Status("paused", 2820)


def test_resuming_moves_the_due_by_the_time_spent_waiting(periods):
    case = new_case("2026-11-22 09:30")
    sla.on_state_change(case, "in_progress", "waiting_customer", at("2026-11-22 10:30"))
    sla.on_state_change(case, "waiting_customer", "in_progress", at("2026-11-24 10:00"))
    # 2820 minutes from 2026-11-24 10:00: 840 that day, 960 + 960 the next two, 60 more
    assert case.resolve_due_at == at("2026-11-27 09:00")
    assert case.sla_state == "running"
    assert case.sla_remaining_minutes is None and case.sla_paused_at is None
    status = sla.status(case, at("2026-11-24 10:00"))
    assert (status.kind, status.minutes, status.which) == ("ok", 2820, "resolve")


def test_a_pause_in_the_night_costs_nothing(periods):
    case = new_case("2026-11-22 09:30")
    sla.pause(case, at("2026-11-23 00:10"))
    sla.resume(case, at("2026-11-23 07:00"))
    assert case.resolve_due_at == at("2026-11-25 09:30")
    sla.pause(case, at("2026-11-23 23:50"))  # ten working minutes of waiting move it ten
    sla.resume(case, at("2026-11-24 07:00"))
    assert case.resolve_due_at == at("2026-11-25 09:40")


def test_pausing_twice_or_resuming_a_running_clock_changes_nothing(periods):
    case = new_case("2026-11-22 09:30")
    sla.resume(case, at("2026-11-22 10:00"))
    assert case.resolve_due_at == at("2026-11-25 09:30")
    sla.pause(case, at("2026-11-22 10:30"))
    sla.pause(case, at("2026-11-22 11:30"))
    assert case.sla_remaining_minutes == 2820


def test_a_breached_case_paused_and_resumed_stays_breached(periods):
    case = new_case("2026-11-22 09:30")
    sla.responded(case, at("2026-11-22 09:40"))
    sla.pause(case, at("2026-11-25 10:00"))  # 30 working minutes late
    assert case.sla_remaining_minutes == -30
    sla.resume(case, at("2026-11-26 10:00"))
    status = sla.status(case, at("2026-11-26 10:00"))
    assert status.kind == "breached" and status.minutes == -30


def test_resolving_stops_the_clock_and_records_whether_it_was_met(periods):
    case = new_case("2026-11-22 09:30")
    sla.on_state_change(case, "new", "in_progress", at("2026-11-22 10:00"))
    sla.on_state_change(case, "parcel_received", "refunded", at("2026-11-24 10:00"))
    assert case.sla_state == "stopped" and case.sla_met is True
    assert case.resolved_at == at("2026-11-24 10:00")
    sla.on_state_change(case, "refunded", "closed", at("2026-11-26 10:00"))
    assert case.resolved_at == at("2026-11-24 10:00")  # closing later keeps the resolution
    assert sla.status(case, at("2026-11-26 10:00")).kind == "stopped"


def test_resolving_late_or_answering_late_misses_the_sla(periods):
    late = new_case("2026-11-22 09:30")
    sla.on_state_change(late, "new", "in_progress", at("2026-11-22 10:00"))
    sla.on_state_change(late, "in_progress", "resolved", at("2026-11-25 09:31"))
    assert late.sla_met is False
    slow = new_case("2026-11-22 09:30")
    sla.on_state_change(slow, "new", "in_progress", at("2026-11-22 12:00"))  # due 11:30
    sla.on_state_change(slow, "in_progress", "resolved", at("2026-11-22 13:00"))
    assert slow.sla_met is False


def test_resolving_while_waiting_counts_the_pause_out(periods):
    case = new_case("2026-11-22 09:30")
    sla.on_state_change(case, "new", "waiting_customer", at("2026-11-22 10:30"))
    sla.on_state_change(case, "waiting_customer", "resolved", at("2026-11-28 10:00"))
    assert case.sla_met is True  # six days later, but five of them waiting


@pytest.mark.parametrize(("now", "kind", "minutes"), [
    ("2026-11-22 09:40", "ok", 110),
    ("2026-11-22 11:10", "soon", 20),         # within the last 30 minutes of the answer
    ("2026-11-22 11:30", "breached", 0),      # due now: breached
    ("2026-11-22 12:05", "breached", -35),
])
def test_status_of_the_first_response(periods, now, kind, minutes):
    case = new_case("2026-11-22 09:30")  # the first answer is due 11:30
    status = sla.status(case, at(now))
    assert (status.kind, status.minutes, status.which) == (kind, minutes, "response")
    assert status.due == at("2026-11-22 11:30")


def test_a_new_case_is_not_about_to_breach_at_once(periods):
    assert sla.status(new_case("2026-11-22 09:30"), at("2026-11-22 09:30")).kind == "ok"


def test_status_of_the_resolution_counts_working_minutes_over_nights(periods):
    case = new_case("2026-11-22 09:30")  # resolve due 2026-11-25 09:30
    sla.responded(case, at("2026-11-22 09:35"))
    assert sla.status(case, at("2026-11-24 23:30")) == sla.Status(
        "soon", 30 + 90, at("2026-11-25 09:30"), "resolve")
    assert sla.status(case, at("2026-11-24 20:00")).kind == "ok"
    late = sla.status(case, at("2026-11-25 03:00"))  # the night before the due: 90 min left
    assert (late.kind, late.minutes) == ("soon", 90)
    assert sla.status(case, at("2026-11-25 10:05")).minutes == -35


def test_a_paused_case_with_its_first_answer_overdue_shows_the_answer(periods):
    case = new_case("2026-11-22 09:30")
    sla.pause(case, at("2026-11-22 09:45"))  # paused without an answer (not by the workflow)
    status = sla.status(case, at("2026-11-22 12:00"))
    assert (status.kind, status.which) == ("breached", "response")


def test_status_of_a_stopped_case_says_whether_it_was_met(periods):
    case = new_case("2026-11-22 09:30")
    sla.on_state_change(case, "new", "resolved", at("2026-11-22 10:00"))
    assert sla.status(case, at("2026-11-30 10:00")) == sla.Status("stopped", met=True)


# --- the SQL filter: the same answer as status(), on SQLite and PostgreSQL --------------------


def _cases_for_filter(make_case):
    """Cases whose due moments fall around 2026-11-24 23:30, a night, and paused ones."""
    cases = {}
    for label, opened, answered in [
        ("fresh", "2026-11-24 21:45", None),          # response due 23:45: soon
        ("fresh-day", "2026-11-24 18:00", None),      # response due 20:00: breached
        ("answered", "2026-11-24 18:00", "18:05"),    # resolve due 2026-11-27 18:00: ok
        ("old", "2026-11-21 20:00", "20:10"),         # resolve due 2026-11-24 20:00: breached
        ("nearly", "2026-11-22 08:30", "08:40"),      # resolve due 2026-11-25 08:30: soon
        ("borderline", "2026-11-22 09:31", "09:40"),  # due 09:31: 121 minutes: not soon
        ("edge", "2026-11-22 09:30", "09:40"),        # due 09:30: exactly 120: soon
    ]:
        case = make_case(at=opened)
        if answered:
            case.first_response_at = at(f"{opened[:10]} {answered}")
        cases[label] = case
    paused = make_case(at="2026-11-21 09:00")
    paused.first_response_at = at("2026-11-21 09:05")
    sla.pause(paused, at("2026-11-21 10:00"))
    cases["paused"] = paused
    stopped = make_case(at="2026-11-20 09:00")
    sla.on_state_change(stopped, "new", "resolved", at("2026-11-20 10:00"))
    cases["stopped"] = stopped
    db.session.commit()
    return cases


def test_breach_filter_matches_status_on_this_database(periods, make_case, freeze):
    cases = _cases_for_filter(make_case)
    now = freeze("2026-11-24 23:30")
    expected = {label: sla.status(case, now).kind for label, case in cases.items()}
    assert expected == {"fresh": "soon", "fresh-day": "breached", "answered": "ok",
                        "old": "breached", "nearly": "soon", "borderline": "ok",
                        "edge": "soon", "paused": "paused", "stopped": "stopped"}
    ids = {case.id: label for label, case in cases.items()}
    for kind in ("breached", "soon", "paused"):
        found = db.session.scalars(sa.select(AfterSalesCase.id).where(
            AfterSalesCase.id.in_(ids), sla.breach_filter(AfterSalesCase, kind, now))).all()
        assert sorted(ids[i] for i in found) == sorted(
            label for label, value in expected.items() if value == kind), kind


def test_breach_filter_at_the_due_moment_counts_as_breached(periods, make_case, freeze):
    case = make_case(at="2026-11-22 09:30")
    now = freeze("2026-11-22 11:30")  # the first response is due now
    assert sla.status(case, now).kind == "breached"
    breached = db.session.scalars(sa.select(AfterSalesCase.id).where(
        sla.breach_filter(AfterSalesCase, "breached", now))).all()
    soon = db.session.scalars(sa.select(AfterSalesCase.id).where(
        sla.breach_filter(AfterSalesCase, "soon", now))).all()
    assert case.id in breached and case.id not in soon


def test_breach_filter_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        sla.breach_filter(AfterSalesCase, "late")


def test_due_moments_survive_the_database_round_trip(periods, make_case):
    case = make_case(at="2026-11-22 23:00")
    db.session.expire_all()
    assert case.first_response_due_at == at("2026-11-23 09:00")
    assert case.first_response_due_at.tzinfo is not None
    sla.pause(case, at("2026-11-23 09:00") + timedelta(minutes=0))
    assert case.sla_remaining_minutes == 3 * 960 - 120
