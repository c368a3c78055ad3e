"""The rotation generator (R-S2): a pure function that fills a month of the duty roster.

No database, no clock: it takes plain values and returns plain values, so it can be proved
on many random staff lists (tests/shifts/test_rotation.py) and reused by any caller.

How a month is made, for each role group separately (minimums are per role):

1. **Six days on, one day off.** Each person gets a weekly rest slot ``r`` (0..6): they rest
   on the month's days ``r``, ``r + 7``, ``r + 14`` ... A person who arrives with a run of
   ``c`` working days from the previous month must rest by day ``6 - c``, so their slot is at
   most ``6 - c`` (preferably exactly ``6 - c``: the rhythm of the previous month goes on).
   Slots are chosen tightest deadline first, each into the least-loaded slot it may take,
   which spreads rests as evenly over the seven slots as the carry-in allows (this greedy is
   optimal for deadlines that all start at day 0).
2. **Fixed cells** (set by hand) are kept as they are. A free day before a streak of fixed
   working days becomes a rest when working it would make the run longer than six days.
   A run longer than six days that the fixed cells force is reported, never made silently.
3. **Minimum staffing.** The workers of the day first fill each shift's minimum; planned
   rests that would leave a shift short are postponed to the next day when that is enough to
   meet the minimums (and the run allows it). Extra workers go to the shifts in proportion
   to their minimums (no minimums: the first shift of the day).
4. **Night shifts are balanced**: every shift after the first of the day goes to the people
   who have had it least (then least recently), counting the previous month's when given.

Feasibility (a sufficient and necessary condition when nothing is fixed): let ``n`` be the
size of a role group, ``M`` the sum of its minimums over the day's shifts, and ``L`` the
fewest rests that must fall on one day: ``L = max(ceil(n / 7), max_k ceil(a_k / (k + 1)))``
where ``a_k`` is how many people must rest by day ``k`` because of their carry-in
(``6 - carry_in <= k``). Every day meets every minimum of the group iff ``n - L >= M``.
``required_rests()`` computes ``L``.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil

MAX_RUN = 6  # R-S2: no one works more than six days in a row
WEEK = 7

Cell = tuple[int, date]  # (user_id, day)


@dataclass(frozen=True)
class Person:
    """Someone to roster: an id and the role whose minimums they count toward."""

    id: int
    role: str


@dataclass(frozen=True)
class Shortfall:
    """A day's shift of a role group that has fewer people than its minimum."""

    day: date
    role: str
    shift_type_id: int
    needed: int
    available: int


@dataclass(frozen=True)
class LongRun:
    """More than six working days in a row; ``length`` counts the previous month's tail."""

    user_id: int
    first_day: date  # the first day of the run inside the month
    last_day: date
    length: int

    @property
    def start(self) -> date:
        """The run's own first working day, in the previous month when it carries in: what a
        label "N days in a row, from … to …" must name for its range to match its count."""
        return self.last_day - timedelta(days=self.length - 1)


@dataclass
class Plan:
    """What ``generate()`` returns."""

    assignments: dict[Cell, int | None]  # (user_id, day) -> shift type id, None = rest
    shortfalls: list[Shortfall]
    long_runs: list[LongRun]
    rest_slots: dict[int, int]  # user_id -> weekly rest slot (0..6 from the month's start)

    @property
    def feasible(self) -> bool:
        return not self.shortfalls


def generate(
    staff: Iterable[Person],
    days: Sequence[date],
    shift_types: Sequence[tuple[int, int]],
    minimums: Mapping[tuple[str, int], int],
    carry_in: Mapping[int, int] | None = None,
    previous_counts: Mapping[int, Mapping[int, int]] | None = None,
    fixed: Mapping[Cell, int | None] | None = None,
    coverage: Mapping[tuple[date, str, int], int] | None = None,
) -> Plan:
    """Fill ``days`` for ``staff``.

    ``shift_types``: (id, order) pairs; ``minimums``: {(role, shift_type_id): n};
    ``carry_in``: {user_id: consecutive working days ending the day before ``days[0]``};
    ``previous_counts``: {user_id: {shift_type_id: how many earlier}} to balance over months;
    ``fixed``: {(user_id, day): shift_type_id or None (rest)} kept as they are;
    ``coverage``: {(day, role, shift_type_id): n} people already on a shift who are not in
    ``staff`` (counted toward the minimums).
    """
    if not shift_types:
        raise ValueError("no shift types to roster")
    days = sorted(days)
    order = [sid for sid, _ in sorted(shift_types, key=lambda pair: (pair[1], pair[0]))]
    carry_in = carry_in or {}
    previous_counts = previous_counts or {}
    fixed = fixed or {}
    coverage = coverage or {}

    groups: dict[str, list[Person]] = {}
    for person in staff:
        groups.setdefault(person.role, []).append(person)

    plan = Plan(assignments={}, shortfalls=[], long_runs=[], rest_slots={})
    for role, people in groups.items():
        mins = {sid: max(0, int(minimums.get((role, sid), 0))) for sid in order}
        _plan_group(plan, role, people, days, order, mins, carry_in, previous_counts, fixed,
                    coverage)
    # a role with minimums but nobody in the list falls short every day
    for (role, sid), needed in minimums.items():
        if role in groups or needed <= 0 or sid not in order:
            continue
        for day in days:
            have = coverage.get((day, role, sid), 0)
            if have < needed:
                plan.shortfalls.append(Shortfall(day, role, sid, needed, have))
    plan.shortfalls.sort(key=lambda s: (s.day, s.role, order.index(s.shift_type_id)))
    plan.long_runs = long_runs(plan.assignments, days, carry_in,
                               [p.id for ps in groups.values() for p in ps])
    return plan


def required_rests(carry_ins: Sequence[int]) -> int:
    """The fewest rests that some day must carry for a group with these carry-ins (see top)."""
    n = len(carry_ins)
    if n == 0:
        return 0
    deadlines = [rest_deadline(c) for c in carry_ins]
    worst = ceil(n / WEEK)
    for k in range(WEEK):
        due = sum(1 for d in deadlines if d <= k)
        worst = max(worst, ceil(due / (k + 1)))
    return worst


def rest_deadline(carry: int) -> int:
    """The last day index (0-based) by which someone with ``carry`` working days must rest."""
    return max(0, min(MAX_RUN, MAX_RUN - carry))


def choose_rest_slots(people: Sequence[Person], carry_in: Mapping[int, int]) -> dict[int, int]:
    """A weekly rest slot per person, spread evenly and each within its carry-in deadline."""
    load = [0] * WEEK
    slots: dict[int, int] = {}
    ranked = sorted(enumerate(people),
                    key=lambda item: (rest_deadline(carry_in.get(item[1].id, 0)), item[0]))
    for _, person in ranked:
        carry = carry_in.get(person.id, 0)
        deadline = rest_deadline(carry)
        natural = deadline if carry > 0 else None  # continue last month's rhythm
        slot = min(range(deadline + 1), key=lambda s: (load[s], s != natural, s))
        slots[person.id] = slot
        load[slot] += 1
    return slots


def proportional_split(extra: int, weights: Sequence[int]) -> list[int]:
    """Split ``extra`` in proportion to ``weights`` (largest remainder); all to the first
    when every weight is zero."""
    if extra <= 0 or not weights:
        return [0] * len(weights)
    total = sum(weights)
    if total == 0:
        return [extra] + [0] * (len(weights) - 1)
    quotas = [extra * w / total for w in weights]
    shares = [int(q) for q in quotas]
    left = extra - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def long_runs(assignments: Mapping[Cell, int | None], days: Sequence[date],
              carry_in: Mapping[int, int], user_ids: Iterable[int]) -> list[LongRun]:
    """Runs of more than six working days (the carry-in counted); empty cells end a run."""
    found = []
    for uid in user_ids:
        run = carry_in.get(uid, 0)
        start: date | None = days[0] if run else None
        for day in days:
            cell = assignments.get((uid, day), None)
            working = (uid, day) in assignments and cell is not None
            if working:
                if start is None:
                    start = day
                run += 1
            else:
                if run > MAX_RUN and start is not None:
                    found.append(LongRun(uid, start, _day_before(days, day), run))
                run, start = 0, None
        if run > MAX_RUN and start is not None:
            found.append(LongRun(uid, start, days[-1], run))
    return found


def _day_before(days: Sequence[date], day: date) -> date:
    return days[days.index(day) - 1]


def _plan_group(plan: Plan, role: str, people: list[Person], days: list[date],
                order: list[int], mins: dict[int, int], carry_in, previous_counts, fixed,
                coverage) -> None:
    slots = choose_rest_slots(people, carry_in)
    plan.rest_slots.update(slots)
    position = {p.id: i for i, p in enumerate(people)}
    run = {p.id: carry_in.get(p.id, 0) for p in people}
    counts = {p.id: {sid: previous_counts.get(p.id, {}).get(sid, 0) for sid in order}
              for p in people}
    last = {p.id: {sid: -1 for sid in order} for p in people}
    pending: dict[int, int] = {}  # user_id -> day index of a rest postponed for a minimum

    for index, day in enumerate(days):
        on_shift = {sid: coverage.get((day, role, sid), 0) for sid in order}
        free: list[Person] = []
        for person in people:
            key = (person.id, day)
            if key in fixed:
                value = fixed[key]
                plan.assignments[key] = value
                if value is None:
                    run[person.id] = 0
                    pending.pop(person.id, None)
                else:
                    run[person.id] += 1
                    if value in on_shift:
                        on_shift[value] += 1
            else:
                free.append(person)

        must_rest, may_rest, workers = [], [], []
        for person in free:
            ahead = _fixed_streak(person.id, days, index + 1, fixed)
            if run[person.id] + 1 + ahead > MAX_RUN:
                must_rest.append(person)
            elif index % WEEK == slots[person.id] or person.id in pending:
                may_rest.append(person)
            else:
                workers.append(person)

        need = {sid: max(0, mins[sid] - on_shift[sid]) for sid in order}
        short = sum(need.values()) - len(workers)
        if 0 < short <= len(may_rest):
            # postpone (only when that meets the minimums: a hopeless day would just pile
            # the rests onto later days) the least urgent rests: those planned today before
            # those already waiting (the longest waiting goes first), then the shortest runs
            may_rest.sort(key=lambda p: (-pending.get(p.id, index), run[p.id], position[p.id]))
            moved, may_rest = may_rest[:short], may_rest[short:]
            workers.extend(moved)
            for person in moved:
                pending.setdefault(person.id, index)

        for person in must_rest + may_rest:
            plan.assignments[(person.id, day)] = None
            run[person.id] = 0
            pending.pop(person.id, None)

        alloc = _allocate(len(workers), need, mins, order)
        remaining = sorted(workers, key=lambda p: position[p.id])
        for sid in order[1:]:
            remaining.sort(key=lambda p, s=sid: (counts[p.id][s], last[p.id][s],
                                                 position[p.id]))
            chosen, remaining = remaining[:alloc[sid]], remaining[alloc[sid]:]
            for person in chosen:
                _assign(plan, person.id, day, sid, index, counts, last, run, on_shift)
        for person in remaining:
            _assign(plan, person.id, day, order[0], index, counts, last, run, on_shift)

        for sid in order:
            if mins[sid] and on_shift[sid] < mins[sid]:
                plan.shortfalls.append(Shortfall(day, role, sid, mins[sid], on_shift[sid]))


def _assign(plan, uid, day, sid, index, counts, last, run, on_shift) -> None:
    plan.assignments[(uid, day)] = sid
    counts[uid][sid] += 1
    last[uid][sid] = index
    run[uid] += 1
    on_shift[sid] += 1


def _allocate(workers: int, need: dict[int, int], mins: dict[int, int],
              order: list[int]) -> dict[int, int]:
    """How many of the day's free workers go to each shift."""
    total_need = sum(need.values())
    if workers >= total_need:
        extra = proportional_split(workers - total_need, [mins[sid] for sid in order])
        return {sid: need[sid] + extra[i] for i, sid in enumerate(order)}
    alloc = dict.fromkeys(order, 0)
    left = workers
    while left > 0:  # short: fill the minimums in turn, earliest shift first
        for sid in order:
            if left and alloc[sid] < need[sid]:
                alloc[sid] += 1
                left -= 1
    return alloc


def _fixed_streak(uid: int, days: list[date], start: int, fixed) -> int:
    """How many fixed working days follow from ``days[start]`` on."""
    streak = 0
    for day in days[start:]:
        key = (uid, day)
        if key in fixed and fixed[key] is not None:
            streak += 1
        else:
            break
    return streak
