"""Score sheets: the catalogue, a sheet for every scored person in each of N × 36 months (at
least last month and this one), N × 60,000 entries; past months approved and acknowledged,
this month's sheets drafts."""

from datetime import timedelta

from bench.data import Context, month_days, months_back

TABLES = ("score_sheets", "score_entries", "score_sheet_events")

EVIDENCE = ("客户评价截图已存档", "见交接本记录", "主管现场检查", None, None)


def build(ctx: Context) -> None:
    from portal.scoring.catalogue import SEED
    from portal.scoring.sheets import SCORED_ROLES

    w, rng = ctx.w, ctx.rng
    rules = [(n, kind, points, text, True, n * 10, 1) for n, (kind, points, text)
             in enumerate(SEED, 1)]
    w.rows("score_rules", ("id", "kind", "default_points", "description", "active",
                           "sort_order", "version"), rules)
    people = [ident for ident, _u, role in ctx.staff if role in SCORED_ROLES]
    months = months_back(ctx.today, ctx.v.months)
    current = (ctx.today.year, ctx.today.month)
    supervisor = ctx.by_role["supervisor"][0]
    manager = ctx.by_role["manager"][0]
    sheets = {}  # (user, year, month) -> [id, rewards, penalties, entries]
    for year, month in months:
        for person in people:
            sheets[(person, year, month)] = [len(sheets) + 1, 0, 0, 0]
    keys = list(sheets)
    current_keys = [k for k in keys if (k[1], k[2]) == current]
    past_keys = [k for k in keys if (k[1], k[2]) != current]
    total = ctx.v["score_entries"]

    def entries():
        for ident in range(1, total + 1):
            # this month gets its share (one month in 36 at full scale), no more
            key = rng.choice(current_keys if rng.random() < 1 / len(months) else past_keys)
            person, year, month = key
            days = [d for d in month_days(year, month) if d <= ctx.today]
            day = rng.choice(days)
            rule_id, kind, points, text, *_ = rng.choice(rules)
            signed = points if kind == "reward" else -points
            sheet = sheets[key]
            if signed > 0:
                sheet[1] += signed
            else:
                sheet[2] -= signed
            sheet[3] += 1
            yield (ident, sheet[0], w.day(day), rule_id, text, signed, rng.choice(EVIDENCE),
                   None, None, supervisor, w.dt(ctx.utc(day, rng.uniform(600, 1300))), None, 1)

    entry_rows = list(entries())  # the sheets need their sums first

    sheet_rows, events = [], []
    for (person, year, month), (ident, rewards, penalties, count) in sheets.items():
        first = month_days(year, month)[0]
        created = w.dt(ctx.utc(first, 540))
        if (year, month) == current:
            sheet_rows.append((ident, person, year, month, 100, rewards, penalties, "draft",
                               None, None, None, None, None, None, created, 1 + count))
            continue
        following = month_days(year, month)[-1] + timedelta(days=1)
        submitted = ctx.utc(following + timedelta(days=2), 600)
        decided = submitted + timedelta(days=1)
        sheet_rows.append((ident, person, year, month, 100, rewards, penalties, "approved",
                           w.dt(submitted), supervisor, w.dt(decided), manager, None,
                           w.dt(decided + timedelta(days=1)), created, 3 + count))
        events.append((len(events) + 1, ident, "submitted", None, supervisor, w.dt(submitted)))
        events.append((len(events) + 1, ident, "approved", None, manager, w.dt(decided)))
    ctx.add("score_sheets", w.rows(
        "score_sheets", ("id", "user_id", "year", "month", "base_score", "rewards", "penalties",
                         "status", "submitted_at", "submitted_by_id", "decided_at",
                         "decided_by_id", "return_comment", "acknowledged_at", "created_at",
                         "version"), sheet_rows))
    ctx.add("score_entries", w.rows(
        "score_entries", ("id", "sheet_id", "day", "rule_id", "reason", "points", "evidence",
                          "link_type", "link_id", "recorded_by_id", "recorded_at", "removed_at",
                          "version"), entry_rows))
    w.rows("score_sheet_events", ("id", "sheet_id", "action", "comment", "by_id", "at"), events)
