"""The showroom: the demo's menu and checklist items, N × 300,000 visits over three years with
what they were served (every party long gone), a checklist each morning and repair reports;
today: the morning's checklist done, 24 parties so far, four of them still in the showroom."""

from datetime import timedelta

from bench.data import HISTORY_DAYS, Context

TABLES = ("visits", "servings", "checklist_days", "checklist_marks", "repair_reports",
          "repair_notes")

PURPOSES = ("viewing",) * 5 + ("signing", "signing", "aftersales", "other")
SOURCES = ("walk_in",) * 3 + ("appointment", "appointment", "referral", "advertising",
                               "returning")
NAMES = ("王先生", "李女士", "张先生", "刘女士", "陈先生", "杨女士", None, None, None)
NOTES = ("想看三居室样板间", "带孩子来的，需要儿童座椅", "已签约客户来拿资料", None, None, None)
PLACES = ("展厅大门", "二楼卫生间", "投影仪", "咖啡机", "空调", "沙发区灯具")
PROBLEMS = ("无法正常启动", "有异响", "漏水", "遥控器失灵", "灯不亮")


def build(ctx: Context) -> None:
    from portal.reception.demo_checklist import ITEMS
    from portal.reception.demo_visitors import MENU

    w, rng = ctx.w, ctx.rng
    item_rows, stock_ids = [], {}
    for ident, (name, group, expected, restock) in enumerate(ITEMS, 1):
        item_rows.append((ident, name, group, expected is not None, expected, restock,
                          ident * 10, True, 1))
        stock_ids[name] = ident
    w.rows("checklist_items", ("id", "name", "group", "counted", "expected_count",
                               "restock_level", "sort_order", "active", "version"), item_rows)
    menu_ids = []
    w.rows("menu_items", ("id", "name", "kind", "stock_item_id", "sort_order", "active",
                          "version"),
           [(n, name, kind, stock_ids.get(stock), n * 10, True, 1)
            for n, (name, kind, stock) in enumerate(MENU, 1)])
    menu_ids = list(range(1, len(MENU) + 1))

    reception = ctx.by_role["reception"]
    consultants = ctx.by_role["presales"]
    total = ctx.v["visits"]
    phones = [f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
              for _ in range(max(500, total // 3))]
    servings = []
    history_days = HISTORY_DAYS - 1

    def visit_row(ident, day, arrived, left):
        by = rng.choice(reception)
        free_name = rng.random() < 0.02  # a consultant from outside, now and then
        phone = rng.choice(phones) if rng.random() < 0.6 else None
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            servings.append((len(servings) + 1, ident, rng.choice(menu_ids), rng.randint(1, 3),
                             w.day(day), w.dt(arrived + timedelta(minutes=5)), by))
        return (ident, w.day(day), w.dt(arrived), w.dt(left), rng.choice((1, 1, 2, 2, 3, 4)),
                rng.choice(PURPOSES), rng.choice(SOURCES),
                None if free_name else rng.choice(consultants),
                "外部顾问" if free_name else None, rng.choice(NAMES), phone, rng.choice(NOTES),
                by, w.dt(arrived), 1 if left is None else 2)

    def visits():
        ident = 0
        for ident in range(1, total + 1):
            day = ctx.first_day + timedelta(days=(ident - 1) * history_days // total)
            arrived = ctx.utc(day, rng.uniform(9 * 60, 20 * 60))
            yield visit_row(ident, day, arrived, arrived + timedelta(minutes=rng.uniform(15, 120)))
        now = ctx.now_utc()
        opened = ctx.utc(ctx.today, 9 * 60)
        span = max((now - opened).total_seconds() / 60, 1)
        for n in range(24):
            ident += 1
            arrived = opened + timedelta(minutes=span * n / 24) if now > opened \
                else ctx.utc(ctx.today, n)
            left = None if n >= 20 else arrived + timedelta(minutes=rng.uniform(5, 30))
            yield visit_row(ident, ctx.today, arrived, min(left, now) if left else None)

    ctx.add("visits", w.rows(
        "visits", ("id", "day", "arrived_at", "left_at", "party_size", "purpose", "source",
                   "consultant_id", "consultant_name", "visitor_name", "phone", "note",
                   "created_by_id", "created_at", "version"), visits()))
    ctx.add("servings", w.rows(
        "servings", ("id", "visit_id", "menu_item_id", "quantity", "day", "served_at",
                     "served_by_id"), servings))
    servings.clear()

    # a checklist each morning of the last N × 3 years (at least a week), today's included
    days = max(7, min(HISTORY_DAYS, round(HISTORY_DAYS * ctx.v.scale)))
    marks = []
    checklist_rows = []
    for ident in range(1, days + 1):
        day = ctx.today - timedelta(days=days - ident)
        by = rng.choice(reception)
        done = ctx.utc(day, 8 * 60 + 40)
        checklist_rows.append((ident, w.day(day), w.dt(done), by))
        for item_id, _name, _group, counted, expected, _restock, *_ in item_rows:
            status = "ok" if rng.random() < 0.97 else rng.choice(("missing", "damaged"))
            quantity = max(0, expected - rng.randint(0, 3)) if counted else None
            marks.append((len(marks) + 1, ident, item_id, status, quantity,
                          None if status == "ok" else "已报修", by,
                          w.dt(done - timedelta(minutes=10)), 1))
    w.rows("checklist_days", ("id", "day", "completed_at", "completed_by_id"), checklist_rows)
    ctx.add("checklist_days", len(checklist_rows))
    ctx.add("checklist_marks", w.rows(
        "checklist_marks", ("id", "checklist_id", "item_id", "status", "quantity", "note",
                            "marked_by_id", "marked_at", "version"), marks))

    reports, notes = [], []
    for ident in range(1, ctx.v["repair_reports"] + 1):
        day = ctx.history_day() if ident > 3 else ctx.today - timedelta(days=ident)
        at = ctx.utc(day, rng.uniform(540, 1080))
        status = "fixed" if ident > 3 else "reported"
        closed = at + timedelta(days=rng.randint(1, 7)) if status == "fixed" else None
        reports.append((ident, None, rng.choice(PLACES), rng.choice(PROBLEMS),
                        rng.choice(reception), w.dt(at), status, w.dt(closed), 1))
        if closed:
            notes.append((len(notes) + 1, ident, "已修好", "fixed", ctx.by_role["supervisor"][0],
                          w.dt(closed)))
    ctx.add("repair_reports", w.rows(
        "repair_reports", ("id", "item_id", "place", "problem", "reported_by_id", "reported_at",
                           "status", "closed_at", "version"), reports))
    w.rows("repair_notes", ("id", "report_id", "text", "status_to", "by_id", "at"), notes)
