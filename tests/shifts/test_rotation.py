"""The rotation generator's guarantees, proved on many random staff lists (hypothesis).

R-S2: no seven-day run across the month boundary; each day keeps its minimum staffing when
that is possible (``feasible()`` below is the condition, see portal/shifts/rotation.py), a
shortfall naming the day, role and shift when it is not; nights are balanced; cells fixed by
hand are kept.
"""

import calendar
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.shifts.rotation import (
    MAX_RUN,
    Person,
    generate,
    long_runs,
    proportional_split,
    required_rests,
)

DAY, NIGHT, LATE = 1, 2, 3
SHIFTS = [(DAY, 1), (NIGHT, 2)]
ROLES = ("presales", "aftersales", "order_clerk")

fast = settings(max_examples=100, deadline=None)


def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


@st.composite
def departments(draw, max_per_role=12):
    """A month, staff in up to three roles, minimums, and a valid carry-in (<= 6)."""
    year = draw(st.integers(2024, 2032))
    month = draw(st.integers(1, 12))
    staff, uid = [], 1
    for role in ROLES:
        for _ in range(draw(st.integers(0, max_per_role))):
            staff.append(Person(uid, role))
            uid += 1
    minimums = {(role, sid): draw(st.integers(0, 3)) for role in ROLES for sid, _ in SHIFTS}
    carry = {p.id: draw(st.integers(0, MAX_RUN)) for p in staff}
    return month_days(year, month), staff, minimums, carry


def by_role(staff):
    groups = {}
    for p in staff:
        groups.setdefault(p.role, []).append(p)
    return groups


def feasible(staff, minimums, carry) -> bool:
    """Sufficient (and, with nothing fixed, necessary): in every role group the people left
    after the day with the most forced rests still cover the sum of the minimums."""
    groups = by_role(staff)
    for role in ROLES:
        people = groups.get(role, [])
        needed = sum(minimums.get((role, sid), 0) for sid, _ in SHIFTS)
        if len(people) - required_rests([carry.get(p.id, 0) for p in people]) < needed:
            return False
    return True


def runs_with_carry(plan, days, staff, carry):
    """The longest run of each person, the carry-in counted."""
    longest = {}
    for p in staff:
        run = best = carry.get(p.id, 0)
        for day in days:
            run = run + 1 if plan.assignments[(p.id, day)] is not None else 0
            best = max(best, run)
        longest[p.id] = best
    return longest


def on_shift(plan, staff, day, role, sid):
    return sum(1 for p in staff if p.role == role and plan.assignments[(p.id, day)] == sid)


@fast
@given(departments())
def test_every_cell_is_filled_and_no_one_works_seven_days_in_a_row(department):
    days, staff, minimums, carry = department
    plan = generate(staff, days, SHIFTS, minimums, carry_in=carry)
    assert set(plan.assignments) == {(p.id, d) for p in staff for d in days}
    assert set(plan.assignments.values()) <= {DAY, NIGHT, None}
    longest = runs_with_carry(plan, days, staff, carry)
    assert max(longest.values(), default=0) <= MAX_RUN
    assert plan.long_runs == []


@fast
@given(departments())
def test_next_month_continues_without_a_seven_day_run_across_the_boundary(department):
    days, staff, minimums, carry = department
    first = generate(staff, days, SHIFTS, minimums, carry_in=carry)
    tail = {}
    for p in staff:
        run = carry[p.id]
        for day in days:
            run = run + 1 if first.assignments[(p.id, day)] is not None else 0
        tail[p.id] = run
    following = days[-1] + timedelta(days=1)
    next_days = month_days(following.year, following.month)
    second = generate(staff, next_days, SHIFTS, minimums, carry_in=tail)
    for p in staff:
        run = tail[p.id]
        for day in next_days:
            run = run + 1 if second.assignments[(p.id, day)] is not None else 0
            assert run <= MAX_RUN, (p, day)


@fast
@given(departments())
def test_six_on_one_off_each_works_six_of_every_seven_days(department):
    """Nobody rests more than the rule needs when nothing is fixed: one day in seven."""
    days, staff, minimums, carry = department
    plan = generate(staff, days, SHIFTS, minimums, carry_in=carry)
    for p in staff:
        rests = [i for i, d in enumerate(days) if plan.assignments[(p.id, d)] is None]
        assert rests and rests[0] <= MAX_RUN - carry[p.id]
        assert all(b - a == 7 for a, b in zip(rests, rests[1:], strict=False))


@fast
@given(departments())
def test_minimums_are_met_whenever_feasible(department):
    days, staff, minimums, carry = department
    plan = generate(staff, days, SHIFTS, minimums, carry_in=carry)
    if feasible(staff, minimums, carry):
        assert plan.shortfalls == []
        assert plan.feasible
        for day in days:
            for (role, sid), needed in minimums.items():
                assert on_shift(plan, staff, day, role, sid) >= needed, (day, role, sid)
    else:
        assert plan.shortfalls, "an infeasible month must report where it falls short"


@fast
@given(departments(max_per_role=5))
def test_shortfalls_name_exactly_the_days_and_shifts_that_fall_short(department):
    days, staff, minimums, carry = department
    plan = generate(staff, days, SHIFTS, minimums, carry_in=carry)
    actual = set()
    for day in days:
        for (role, sid), needed in minimums.items():
            have = on_shift(plan, staff, day, role, sid)
            if have < needed:
                actual.add((day, role, sid, needed, have))
    reported = {(s.day, s.role, s.shift_type_id, s.needed, s.available)
                for s in plan.shortfalls}
    assert reported == actual


def test_an_infeasible_month_reports_day_role_and_shift():
    days = month_days(2026, 11)
    staff = [Person(1, "presales"), Person(2, "presales")]
    minimums = {("presales", DAY): 2, ("presales", NIGHT): 1}
    plan = generate(staff, days, SHIFTS, minimums)
    assert not plan.feasible
    first_day = {(s.role, s.shift_type_id, s.needed, s.available)
                 for s in plan.shortfalls if s.day == days[0]}
    # one of the two rests on day one (postponing would not save the day): one person left
    assert first_day == {("presales", DAY, 2, 1), ("presales", NIGHT, 1, 0)}
    # and nobody was given a seventh day to paper over it
    assert plan.long_runs == []


def test_everyone_due_to_rest_on_day_one_is_infeasible_and_said_so():
    days = month_days(2026, 12)
    staff = [Person(i, "presales") for i in range(1, 8)]
    carry = {p.id: MAX_RUN for p in staff}
    plan = generate(staff, days, SHIFTS, {("presales", DAY): 1}, carry_in=carry)
    assert all(plan.assignments[(p.id, days[0])] is None for p in staff)
    assert plan.shortfalls[0].day == days[0]
    assert runs_with_carry(plan, days, staff, carry) and not plan.long_runs


@fast
@given(departments())
def test_night_shifts_are_balanced_within_a_role_group(department):
    days, staff, minimums, _ = department
    plan = generate(staff, days, SHIFTS, minimums)
    for people in by_role(staff).values():
        nights = [sum(1 for d in days if plan.assignments[(p.id, d)] == NIGHT) for p in people]
        assert max(nights) - min(nights) <= 2, nights


def test_previous_nights_count_toward_the_balance():
    days = month_days(2026, 11)
    staff = [Person(i, "presales") for i in range(1, 5)]
    plan = generate(staff, days, SHIFTS, {("presales", DAY): 1, ("presales", NIGHT): 1},
                    previous_counts={1: {NIGHT: 10}})
    nights = {p.id: sum(1 for d in days if plan.assignments[(p.id, d)] == NIGHT) for p in staff}
    assert nights[1] < min(nights[2], nights[3], nights[4])


def test_extra_workers_follow_the_minimums_and_go_to_the_first_shift_without_any():
    days = month_days(2026, 11)
    staff = [Person(i, "presales") for i in range(1, 15)] + \
        [Person(i, "order_clerk") for i in range(20, 24)]
    plan = generate(staff, days, SHIFTS, {("presales", DAY): 2, ("presales", NIGHT): 2})
    for day in days:
        day_count = on_shift(plan, staff, day, "presales", DAY)
        night_count = on_shift(plan, staff, day, "presales", NIGHT)
        assert abs(day_count - night_count) <= 1
        assert on_shift(plan, staff, day, "order_clerk", NIGHT) == 0
    assert proportional_split(5, [2, 1]) == [3, 2]
    assert proportional_split(3, [0, 0]) == [3, 0]


@st.composite
def with_fixed_cells(draw):
    days, staff, minimums, carry = draw(departments(max_per_role=6))
    fixed = {}
    if staff:
        for _ in range(draw(st.integers(0, 40))):
            person = draw(st.sampled_from(staff))
            day = draw(st.sampled_from(days))
            fixed[(person.id, day)] = draw(st.sampled_from([DAY, NIGHT, None]))
    return days, staff, minimums, carry, fixed


@fast
@given(with_fixed_cells())
def test_fixed_cells_are_kept_and_only_they_can_force_a_long_run(case):
    days, staff, minimums, carry, fixed = case
    plan = generate(staff, days, SHIFTS, minimums, carry_in=carry, fixed=fixed)
    for key, value in fixed.items():
        assert plan.assignments[key] == value
    found = long_runs(plan.assignments, days, carry, [p.id for p in staff])
    assert found == plan.long_runs
    for run in plan.long_runs:
        inside = [d for d in days if run.first_day <= d <= run.last_day]
        assert any(fixed.get((run.user_id, d)) is not None for d in inside), run


def test_a_week_fixed_at_work_is_reported_as_a_long_run():
    days = month_days(2026, 11)
    fixed = {(1, days[i]): DAY for i in range(3)}
    plan = generate([Person(1, "presales")], days, SHIFTS, {}, carry_in={1: 5}, fixed=fixed)
    (run,) = plan.long_runs
    assert (run.user_id, run.first_day, run.last_day, run.length) == (1, days[0], days[2], 8)
    # the generator rests the first free day after it
    assert plan.assignments[(1, days[3])] is None


def test_a_free_day_before_fixed_work_becomes_the_rest_that_keeps_the_run_legal():
    days = month_days(2026, 11)
    fixed = {(1, days[i]): DAY for i in range(1, 6)}
    plan = generate([Person(1, "presales")], days, SHIFTS, {}, carry_in={1: 3}, fixed=fixed)
    assert plan.assignments[(1, days[0])] is None
    assert plan.long_runs == []


def test_a_planned_rest_is_postponed_to_keep_a_minimum():
    days = month_days(2026, 11)
    staff = [Person(i, "presales") for i in range(1, 9)]
    # persons 7 and 8 are on leave for two days: the rests planned then must wait
    minimums = {("presales", DAY): 6}
    leave = {(p, d): None for p in (7, 8) for d in days[:2]}
    plan = generate(staff, days, SHIFTS, minimums, fixed=leave)
    assert plan.feasible
    assert all(plan.assignments[(p.id, d)] is not None for p in staff[:6] for d in days[:2])
    assert not plan.long_runs


def test_people_outside_the_list_count_as_coverage():
    days = month_days(2026, 11)
    coverage = {(d, "presales", NIGHT): 1 for d in days}
    plan = generate([Person(i, "presales") for i in (1, 2)],
                    days, SHIFTS, {("presales", DAY): 1, ("presales", NIGHT): 1},
                    coverage=coverage)
    assert plan.feasible
    assert all(plan.assignments[(p, d)] != NIGHT for p in (1, 2) for d in days)
