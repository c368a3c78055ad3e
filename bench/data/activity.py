"""What years of work leave behind: N × 500,000 audit events about the records above, and
N × 120,000 notifications (all read but each person's last three)."""

from datetime import timedelta

from bench.data import HISTORY_DAYS, Context

TABLES = ("audit_events", "notifications")

# (action, target table, how many of that table's ids exist, from ctx.counts)
ACTIONS = (
    ("handover.created", "handover_items", "handover_items"),
    ("handover.signed", "handover_items", "handover_items"),
    ("handover.closed", "handover_items", "handover_items"),
    ("handover.taken_over", "handover_items", "handover_items"),
    ("reception.visit_arrived", "visits", "visits"),
    ("reception.visit_departed", "visits", "visits"),
    ("scoring.entry_added", "score_sheets", "score_sheets"),
    ("orders.remarked", "orders", "orders"),
    ("orders.shipped", "orders", "orders"),
    ("aftersales.state_changed", "aftersales_cases", "aftersales_cases"),
    ("aftersales.note_added", "aftersales_cases", "aftersales_cases"),
    ("auth.login", None, None),
)
MESSAGES = (
    ("%(name)s took over your handover item: %(text)s", "/handover/desk/items/1"),
    ("%(name)s closed the handover item you followed: %(text)s", "/handover/desk/items/1"),
)


def build(ctx: Context) -> None:
    w, rng = ctx.w, ctx.rng
    actions = [a for a in ACTIONS if a[2] is None or ctx.counts.get(a[2])]
    people = [ident for ident, _u, _role in ctx.staff]
    total = ctx.v["audit_events"]
    span = HISTORY_DAYS * 24 * 60

    def events():
        start = ctx.utc(ctx.first_day, 0)
        for ident in range(1, total + 1):
            action, target, count_of = rng.choice(actions)
            at = start + timedelta(minutes=(ident - 1) * span / total)
            target_id = str(rng.randint(1, ctx.counts[count_of])) if count_of else None
            changes = w.json({"status": ["open", "closed"]}) if action.endswith("closed") \
                else None
            yield (ident, w.dt(at), rng.choice(people), action, target, target_id, changes,
                   None, f"10.0.{ident % 4}.{ident % 250 + 1}")

    ctx.add("audit_events", w.rows(
        "audit_events", ("id", "at", "actor_id", "action", "target_type", "target_id",
                         "changes", "details", "ip"), events()))

    per_person = max(4, ctx.v["notifications"] // len(people))
    now = ctx.now_utc()

    def notifications():
        ident = 0
        for person in people:
            for n in range(per_person):
                ident += 1
                message, link = rng.choice(MESSAGES)
                created = now - timedelta(hours=(per_person - n) * HISTORY_DAYS * 24 / per_person)
                unread = n >= per_person - 3
                yield (ident, person, message,
                       w.json({"name": "王伟", "text": "客户来电询问发货时间"}), link,
                       w.dt(created), None if unread else w.dt(created + timedelta(hours=2)))

    ctx.add("notifications", w.rows(
        "notifications", ("id", "user_id", "message", "params", "link", "created_at",
                          "read_at"), notifications()))
