"""Roster rule checks (R-S2): runs of working days across the month boundary, staffing."""

from datetime import date, timedelta

from portal.shifts import checks
from tests.shifts.conftest import days

NOV = date(2026, 11, 1)


def d(n: int) -> date:
    """The n-th of November 2026 (0 is 31 October, negative goes further back)."""
    return NOV + timedelta(days=n - 1)


def test_runs_are_found_in_date_order_whatever_the_input_order():
    runs = checks.working_runs([d(5), d(1), d(2), d(3), d(7), d(6)])
    assert [(r.first, r.last, r.length) for r in runs] == [
        (d(1), d(3), 3), (d(5), d(7), 3)]


def test_six_days_are_allowed_and_seven_are_not():
    six = [d(n) for n in range(1, 7)]
    assert checks.overlong_runs(six) == []
    seven = six + [d(7)]
    assert [(r.first, r.last) for r in checks.overlong_runs(seven)] == [(d(1), d(7))]


def test_a_run_through_a_day_and_none_on_a_rest_day():
    working = {d(1), d(2), d(3), d(5)}
    assert checks.run_through(working, d(2)).length == 3
    assert checks.run_through(working, d(4)) is None


def test_a_run_crosses_the_month_boundary():
    october_tail = [date(2026, 10, 28) + timedelta(days=n) for n in range(4)]  # 28..31
    november = [d(1), d(2), d(3)]
    (run,) = checks.overlong_runs(october_tail + november)
    assert (run.first, run.last, run.length) == (date(2026, 10, 28), d(3), 7)


def test_staffing_shortfalls_name_day_shift_role_and_numbers():
    counts = checks.staffing_counts([
        (d(1), 1, "presales"), (d(1), 1, "presales"), (d(1), 2, "presales"),
        (d(2), 1, "presales"), (d(2), None, "presales"), (d(2), 2, "aftersales"),
    ])
    minimums = {("presales", 1): 2, ("presales", 2): 1}
    gaps = checks.shortfalls(counts, minimums, [d(2), d(1)])
    assert [(g.day, g.shift_type_id, g.role, g.have, g.need) for g in gaps] == [
        (d(2), 1, "presales", 1, 2), (d(2), 2, "presales", 0, 1)]


def test_loaders_follow_the_previous_months_tail(create_user, roster, shift_types):
    agent = create_user("presales")
    roster(agent, days(27, 31), month=10)
    roster(agent, {**days(1, 3), 4: None})
    working = checks.load_working_days([agent.id], date(2026, 10, 20), d(10))
    (run,) = checks.overlong_runs(working[agent.id])
    assert run.length == 8 and run.first == date(2026, 10, 27)


def test_published_only_leaves_drafts_out(create_user, roster):
    agent = create_user("presales")
    roster(agent, days(1, 3), published=False)
    assert checks.load_working_days([agent.id], d(1), d(3), published_only=True)[agent.id] == set()
    assert len(checks.load_working_days([agent.id], d(1), d(3))[agent.id]) == 3


def test_cells_count_active_people_and_minimums_come_from_the_table(create_user, roster,
                                                                     shift_types):
    a, b = create_user("presales"), create_user("presales")
    gone = create_user("presales", active=False)
    for person in (a, b, gone):
        roster(person, {1: "day"})
    cells = checks.load_cells([d(1)], roles=["presales"])
    counts = checks.staffing_counts(cells)
    assert counts[(d(1), shift_types["day"].id, "presales")] == 2
    minimums = checks.load_minimums()
    assert minimums[("presales", shift_types["day"].id)] == 2
    gaps = checks.shortfalls(counts, {k: v for k, v in minimums.items() if k[0] == "presales"},
                             [d(1)])
    assert [(g.shift_type_id, g.have, g.need) for g in gaps] == [(shift_types["night"].id, 0, 1)]
