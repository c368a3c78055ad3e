"""Rosters: the default shift types, N × 36 months of published rosters (at least last month
and this one) and next month's draft, six-on-one-off for every rostered person, cleaning duty,
swap requests and overtime records."""

from datetime import date, timedelta

from bench.data import Context, month_days, months_back

TABLES = ("roster_entries", "cleaning_duties", "swap_requests", "overtime_records")

SWAP_STATES = ("approved",) * 6 + ("declined", "rejected", "cancelled")
OVERTIME_NOTES = ("客户咨询未结束", "处理退款", "等待物流回复", None, None)


def build(ctx: Context) -> None:
    from portal.auth.permissions import ROSTER_ROLES
    from portal.shifts.defaults import DEFAULT_MINIMUMS, DEFAULT_SHIFT_TYPES

    w, rng = ctx.w, ctx.rng
    types = {}
    rows = []
    for ident, (code, name, start, end, colour, order) in enumerate(DEFAULT_SHIFT_TYPES, 1):
        rows.append((ident, code, name, start, end, colour, order, True))
        types[code] = ident
        ctx.shift_types.append((ident, start, end))
    w.rows("shift_types", ("id", "code", "name", "start_minute", "end_minute", "colour",
                           "sort_order", "active"), rows)
    w.rows("staffing_minimums", ("id", "role", "shift_type_id", "minimum"),
           [(i, role, types[code], minimum)
            for i, ((role, code), minimum) in enumerate(DEFAULT_MINIMUMS.items(), 1)])

    months = months_back(ctx.today, ctx.v.months)
    following = (ctx.today.year + (ctx.today.month == 12), ctx.today.month % 12 + 1)
    supervisor = ctx.by_role["supervisor"][0]
    month_rows = []
    for ident, (year, month) in enumerate(months + [following], 1):
        published = (year, month) != following
        at = ctx.utc(date(year, month, 1) - timedelta(days=5), 10 * 60) if published else None
        month_rows.append((ident, year, month, "published" if published else "draft",
                           w.dt(at), supervisor if published else None, 1))
    w.rows("roster_months", ("id", "year", "month", "status", "published_at",
                             "published_by_id", "version"), month_rows)
    ctx.add("roster_months", len(month_rows))

    rostered = [ident for ident, _name, role in ctx.staff if role in ROSTER_ROLES]
    day_type, night_type = types["day"], types["night"]
    first_day = date(*months[0], 1)
    stamp = w.dt(ctx.utc(first_day, 0))

    def entries():
        ident = 0
        for month_id, year, month, *_rest in month_rows:
            for day in month_days(year, month):
                index = (day - first_day).days
                for position, user_id in enumerate(rostered):
                    phase = index + position
                    if phase % 7 == 6:
                        shift = None  # the rest day of six-on-one-off
                    else:
                        shift = day_type if (phase // 7 + position) % 2 == 0 else night_type
                    ident += 1
                    yield (ident, month_id, user_id, w.day(day), shift, False, stamp, 1)

    ctx.add("roster_entries", w.rows(
        "roster_entries", ("id", "month_id", "user_id", "day", "shift_type_id", "fixed",
                           "updated_at", "version"), entries()))

    cleaners = ctx.by_role["presales"] + ctx.by_role["aftersales"]
    days = [d for (year, month) in months for d in month_days(year, month)]
    ctx.add("cleaning_duties", w.rows(
        "cleaning_duties", ("id", "day", "user_id", "version"),
        ((i, w.day(day), cleaners[i % len(cleaners)], 1) for i, day in enumerate(days, 1))))

    past_days = [d for d in days if d < ctx.today]

    def swaps():
        for ident in range(1, ctx.v["swap_requests"] + 1):
            requester, colleague = rng.sample(rostered, 2)
            day = rng.choice(past_days)
            created = ctx.utc(day - timedelta(days=rng.randint(2, 10)), rng.randint(480, 1380))
            status = rng.choice(SWAP_STATES)
            decided = created + timedelta(hours=rng.randint(2, 48))
            yield (ident, requester, colleague, w.day(day), w.day(day + timedelta(days=1)),
                   "家里有事", status, w.dt(created), w.dt(created + timedelta(hours=1)),
                   w.dt(decided), supervisor, 2)

    ctx.add("swap_requests", w.rows(
        "swap_requests", ("id", "requester_id", "colleague_id", "requester_day", "colleague_day",
                          "reason", "status", "created_at", "accepted_at", "decided_at",
                          "decided_by_id", "version"), swaps()))

    def overtime():
        seen = set()
        ident = 0
        for _ in range(ctx.v["overtime_records"] * 2):
            if ident >= ctx.v["overtime_records"]:
                break
            user_id, day = rng.choice(rostered), rng.choice(past_days)
            if (user_id, day) in seen:
                continue
            seen.add((user_id, day))
            ident += 1
            minutes = rng.randint(10, 120)
            end = ctx.utc(day, 24 * 60 + minutes)
            yield (ident, user_id, w.day(day), night_type, w.dt(end), minutes,
                   rng.choice(OVERTIME_NOTES), w.dt(end + timedelta(minutes=5)), 1)

    ctx.add("overtime_records", w.rows(
        "overtime_records", ("id", "user_id", "day", "shift_type_id", "actual_end_at",
                             "minutes", "note", "recorded_at", "version"), overtime()))
