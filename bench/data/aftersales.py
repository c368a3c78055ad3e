"""The after-sales desk: N × 100,000 cases over three years, every one of them walked to the
end (about six events each: opened, assigned, the workflow's steps, notes, the order clerk's
receipt of the returned parcel, a platform refund or dispute now and then), their return
visits, evidence-photo records of quality claims and the canned replies; the live desk: the
last 14 days at the full scale's rate (90 cases a day, whatever the scale), each case cut
where its plan stands now — a few hundred open (new and unassigned, in progress, waiting for
the customer with the SLA clock paused, waiting for the returned parcel, in the platform
refund / dispute queue), the rest resolved or closed, and the return visits due today.

Cases link to the bench orders of their days (read back by id: order number, platform, amount,
courier), one in ten to a typed order number. The SLA due moments are those
``portal.aftersales.sla`` computes (working time of the shift types, paused while the case
waits for the customer), so "breached" and "about to breach" find cases at every scale.
Photo rows carry no file: the case page only links the thumbnails (a browser would get 404 for
them; the load does not fetch images), and the lists never show photos.
"""

from datetime import UTC, datetime, timedelta

from bench.data import HISTORY_DAYS, Context

TABLES = ("aftersales_cases", "aftersales_events", "aftersales_photos", "aftersales_visits")

LIVE_DAYS = 14  # the live desk: the last two weeks, at every scale
LIVE_PER_DAY = 90  # 100,000 cases over three years
# (type, weight)
KINDS = (("return_refund", 35), ("exchange", 15), ("refund_only", 20), ("quality", 15),
         ("logistics", 12), ("interception", 3))
PROBLEMS = {
    "quality": ("茶杯收到有裂纹", "紫砂壶盖子有缺口", "茶叶受潮结块", "茶盘漆面起皮",
                "玻璃壶底部有气泡"),
    "return_refund": ("七天无理由退货，不喜欢颜色", "买多了，想退一件", "和图片不一样，想退",
                      "送人不合适"),
    "exchange": ("尺寸不合适，想换", "颜色拍错了", "想换成礼盒装"),
    "refund_only": ("少发了赠品，要求部分退款", "未发货前申请退款", "价保，要求退差价"),
    "logistics": ("快递显示签收但客户没收到", "外箱破损，里面杯子碎了", "少了一件", "发错了款式"),
    "interception": ("客户拍错地址，已发货，要求拦截", "客户不想要了，要求拦截退回"),
}
REQUESTS = {"quality": ("退货退款", "换新"), "return_refund": ("退货退款",),
            "exchange": ("换货", "换白色", "换大号"), "refund_only": ("仅退款", "退差价"),
            "logistics": ("补发或退款", "重新发货"), "interception": ("拦截退回后退款",)}
LOGISTICS = ("lost", "damaged", "damaged", "short", "wrong")
NOTES = ("已联系客户，客户同意寄回", "请客户补充照片和退货原因", "客户电话未接，稍后再打",
         "已联系快递查件，等待回复", "客户要求尽快处理，已安抚", "已提交平台退款申请",
         "客户已寄回，单号已登记", "客户同意换货，等待寄回")
COMMENTS = ("客户很满意", "处理速度可以再快一些", "", "", "下次还会来买", "对包装有意见")
COURIERS = (("顺丰", "SF"), ("中通", "ZT"), ("圆通", "YT"), ("韵达", "YD"))
OVERRIDE = "老客户，主管同意按七天内处理"
PARCEL_RECEIVED = "Original parcel received"  # portal.aftersales.cases.SYSTEM_TEXTS
STOPPING = ("refunded", "exchange_shipped", "resolved", "closed")  # sla.STOPPING


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _plan(kind: str, rng, picked_up: float | None) -> list[tuple[float, str, object]]:
    """A case's whole life as (hours after opening, action, value), in order. Actions:
    assign, state (to), note, photo, confirm (bool), platform (status), freight (amount),
    freight_refunded, intercepted, intercept_failed, sign (the clerk: parcel received)."""
    steps: list[tuple[float, str, object]] = []
    t = 0.0
    if picked_up is not None:  # opened by pre-sales: an agent takes it from the unassigned
        t = picked_up
        steps.append((t, "assign", None))
    t += rng.uniform(0.1, 2.5) if rng.random() < 0.9 else rng.uniform(2, 6)
    steps.append((t, "state", "in_progress"))
    if rng.random() < 0.4:
        t += rng.uniform(0.1, 3)
        steps.append((t, "note", rng.choice(NOTES)))
    if rng.random() < 0.18:
        t += rng.uniform(0.2, 2)
        steps.append((t, "state", "waiting_customer"))
        t += rng.uniform(2, 48)
        steps.append((t, "state", "in_progress"))
    platform_wait = 0.0
    if kind in ("return_refund", "refund_only", "quality") and rng.random() < 0.08:
        status = "dispute" if rng.random() < 0.3 else "refunding"
        t += rng.uniform(0.5, 12)
        steps.append((t, "platform", status))
        platform_wait = rng.uniform(24, 240) if status == "dispute" else rng.uniform(12, 72)

    def parcel(outcome_choices):
        nonlocal t
        t += rng.uniform(0.5, 8)
        steps.append((t, "state", "waiting_parcel"))
        t += rng.uniform(24, 96)
        steps.append((t, "sign", None))
        t += rng.uniform(1, 24) + platform_wait
        steps.append((t, "state", rng.choice(outcome_choices)))

    def decide(outcome):
        nonlocal t
        t += rng.uniform(1, 24) + platform_wait
        steps.append((t, "state", outcome))

    if kind == "quality":
        for _ in range(rng.choice((1, 1, 2))):
            t += rng.uniform(0.1, 4)
            steps.append((t, "photo", None))
        confirms = rng.random() < 0.7
        t += rng.uniform(0.2, 6)
        steps.append((t, "confirm", confirms))
        if confirms:
            t += rng.uniform(0.1, 1)
            steps.append((t, "freight", rng.choice((10, 12, 15, 18, 22))))
            parcel(("refunded", "refunded", "exchange_shipped"))
            t += rng.uniform(0.2, 4)
            steps.append((t, "freight_refunded", None))
        else:
            decide("resolved")
    elif kind == "return_refund":
        parcel(("refunded",)) if rng.random() < 0.85 else decide("resolved")
    elif kind == "exchange":
        parcel(("exchange_shipped",)) if rng.random() < 0.9 else decide("resolved")
    elif kind == "refund_only":
        decide("refunded" if rng.random() < 0.9 else "resolved")
    elif kind == "logistics":
        if rng.random() < 0.2:
            parcel(("refunded", "exchange_shipped", "resolved"))
        else:
            decide(rng.choice(("refunded", "exchange_shipped", "exchange_shipped", "resolved")))
    else:  # interception: the courier's answer, then the parcel comes back (or a return)
        t += rng.uniform(2, 24)
        if rng.random() < 0.8:
            steps.append((t, "intercepted", None))
            t += rng.uniform(24, 96)
            steps.append((t, "sign", None))
            decide("refunded")
        else:
            steps.append((t, "intercept_failed", None))
            parcel(("refunded",))
    t += rng.uniform(12, 48)
    steps.append((t, "state", "closed"))
    return steps


def build(ctx: Context) -> None:
    from portal.aftersales import sla

    w, rng = ctx.w, ctx.rng
    agents = ctx.by_role["aftersales"]
    presales = ctx.by_role["presales"]
    clerks = ctx.by_role["order_clerk"]
    names = dict(_fetch(w, "SELECT id, display_name FROM users", ()))
    periods = sla.merge((start, end) for _ident, start, end in ctx.shift_types) or [(0, 1440)]
    response_minutes = sla.setting("AFTERSALES_FIRST_RESPONSE_MINUTES")
    resolve_minutes = sla.resolve_minutes(periods)
    now = ctx.now_utc()
    today = ctx.today
    kinds, weights = zip(*KINDS, strict=True)

    # when each case is opened: the history at N × 100,000 until the live fortnight, then
    # the live desk at the full scale's rate
    history = ctx.v["aftersales_cases"]
    history_days = HISTORY_DAYS - LIVE_DAYS
    opened: list[tuple[datetime, bool]] = []
    for n in range(history):
        day = ctx.first_day + timedelta(days=n * history_days // history)
        opened.append((ctx.utc(day, rng.uniform(480, 1440)), False))
    for age in range(LIVE_DAYS, -1, -1):
        day = today - timedelta(days=age)
        for _ in range(LIVE_PER_DAY):
            moment = ctx.utc(day, rng.uniform(480, 1440) if rng.random() < 0.95
                             else rng.uniform(0, 480))
            if moment < now - timedelta(minutes=5):
                opened.append((moment, True))
    opened.sort()

    # the orders the cases are about: one delivered days before (the order desk's history
    # is spread evenly over its days by id), read back for their number, platform, amount
    orders_total = ctx.v["orders"]
    order_days = HISTORY_DAYS - 2
    chosen: list[int | None] = []
    kinds_of: list[str] = []
    for created, _live in opened:
        kind = rng.choices(kinds, weights)[0]
        kinds_of.append(kind)
        if rng.random() < 0.1 or not orders_total:
            chosen.append(None)
            continue
        back = rng.randint(0, 2) if kind == "interception" else rng.randint(3, 15)
        offset = min(max((created.date() - ctx.first_day).days - back, 0), order_days - 1)
        first = offset * orders_total // order_days + 1
        following = (offset + 1) * orders_total // order_days + 1
        chosen.append(min(orders_total, first + rng.randrange(max(1, following - first))))
    orders = _orders(w, {ident for ident in chosen if ident})

    cases: list[tuple] = []
    events: list[tuple] = []
    photos: list[tuple] = []
    visits: list[tuple] = []

    def day(value):
        return None if value is None else w.day(value)

    def event(case_id, kind, at, actor, text="", from_state=None, to_state=None):
        events.append((len(events) + 1, case_id, kind, from_state, to_state, text, actor,
                       w.dt(at)))

    def case_row(ident: int, created: datetime, live: bool, kind: str, order_id):
        by_presales = rng.random() < 0.4
        picked_up = (rng.uniform(0.5, 30) if rng.random() < 0.6 else rng.uniform(0.2, 4)) \
            if by_presales else None
        plan = _plan(kind, rng, picked_up)
        cut = now
        if not live:  # a history case is over well before the live fortnight ends
            room = (now - timedelta(days=2) - created).total_seconds() / 3600
            factor = min(1.0, room / plan[-1][0])
            plan = [(hours * factor, action, value) for hours, action, value in plan]
        agent = rng.choice(agents)
        opener = rng.choice(presales) if by_presales else agent
        order = orders.get(order_id) if order_id else None
        if order:
            order_no, platform, amount, paid_at, courier, tracking = order
            purchase = _local_date(ctx, paid_at) if paid_at else None
        else:
            order_id = None
            order_no = f"{rng.randrange(10**17, 10**18)}"
            platform = rng.choice(("tmall", "taobao", "jd"))
            amount, courier, tracking = rng.choice((128.0, 268.0, 399.0, 680.0)), None, None
            purchase = (created - timedelta(days=rng.randint(5, 12))).date()
        delivery = None
        if kind != "interception" and purchase is not None:
            late = kind in ("return_refund", "exchange") and rng.random() < 0.05
            delivery = min(purchase + timedelta(days=rng.randint(1, 4)),
                           _local_date(ctx, created) - timedelta(
                               days=rng.randint(8, 20) if late else rng.randint(0, 5)))
            delivery = max(delivery, purchase)
        logistics = rng.choice(LOGISTICS) if kind == "logistics" else None
        category = {"quality": "quality", "logistics": "logistics"}.get(kind) or (
            rng.choice(("market", "suggestion")) if rng.random() < 0.1 else None)
        interception = "requested" if kind == "interception" else None
        return_courier = return_tracking = None
        if kind == "interception":
            if courier and tracking:
                return_courier, return_tracking = courier, tracking
            else:
                name, prefix = rng.choice(COURIERS)
                return_courier, return_tracking = name, f"{prefix}{rng.randrange(10**11, 10**12)}"
        c = _aware(created)
        response_due = sla.add_working(c, response_minutes, periods)
        resolve_due = sla.add_working(c, resolve_minutes, periods)
        state, assignee, version = "new", (None if by_presales else agent), 1
        first_response = paused_at = remaining = resolved_at = met = closed_at = None
        sla_state = "running"
        photos_confirm = override = freight_owed = freight_refunded = refund = None
        platform_status = received_at = received_by = None
        event(ident, "state", created, opener, "Case opened", to_state="new")
        if assignee:
            event(ident, "assign", created, opener, names[assignee])
        for hours, action, value in plan:
            at = created + timedelta(hours=hours)
            if at > cut:
                break
            a = _aware(at)
            actor = agent
            if action == "assign":
                assignee = agent
                event(ident, "assign", at, agent, names[agent])
                version += 1
                continue
            if action == "note":
                event(ident, "note", at, agent, value)
                if first_response is None:
                    first_response = a
                    version += 1
                continue
            if action == "photo":
                photo_id = len(photos) + 1
                name = f"IMG_{rng.randrange(1000, 9999)}.jpg"
                photos.append((photo_id, ident, f"bench{photo_id:010d}.jpg", name, "image/jpeg",
                               rng.randrange(80_000, 900_000), agent, w.dt(at)))
                event(ident, "photo", at, agent, name)
                continue
            if action == "confirm":
                photos_confirm = value
                event(ident, "confirm", at, agent, "The photos confirm the claim." if value
                      else "The photos do not confirm the claim.")
            elif action == "freight":
                freight_owed = f"{value:.2f}"
                event(ident, "freight", at, agent, f"¥{value:,.2f}")
            elif action == "freight_refunded":
                freight_refunded = at
                event(ident, "freight", at, agent, "Freight refunded")
            elif action == "platform":
                platform_status = value
                event(ident, "platform", at, agent, value)
                event(ident, "details", at, agent, "platform_status")
            elif action == "intercepted":
                interception = "intercepted"
                event(ident, "interception", at, agent, "Intercepted")
                action, value = "state", "waiting_parcel"
            elif action == "intercept_failed":
                interception, kind = "failed", "return_refund"
                return_courier = return_tracking = None
                event(ident, "interception", at, agent,
                      "Interception failed: the case continues as a return.")
            elif action == "sign":
                actor = rng.choice(clerks)
                received_at, received_by = at, actor
                action, value = "state", "parcel_received"
            if action == "state":
                old, state = state, value
                text = PARCEL_RECEIVED if value == "parcel_received" else (
                    "The intercepted parcel comes back." if interception == "intercepted"
                    and value == "waiting_parcel" else "")
                # sla.on_state_change
                if first_response is None:
                    first_response = a
                if value in STOPPING:
                    if sla_state == "paused":
                        resolve_due, paused_at, sla_state = _resume(sla, a, remaining, periods)
                        remaining = None
                    if resolved_at is None:
                        resolved_at = a
                        met = (first_response <= response_due) and (a <= resolve_due)
                    sla_state = "stopped"
                elif value == "waiting_customer":
                    remaining = sla.working_minutes(a, resolve_due, periods)
                    paused_at, resolve_due, sla_state = a, None, "paused"
                elif old == "waiting_customer":
                    resolve_due, paused_at, sla_state = _resume(sla, a, remaining, periods)
                    remaining = None
                if value == "waiting_parcel" and kind != "interception":
                    name, prefix = rng.choice(COURIERS)
                    return_courier = name
                    return_tracking = f"{prefix}{rng.randrange(10**11, 10**12)}"
                    if kind in ("return_refund", "exchange") and photos_confirm is not True \
                            and delivery is not None \
                            and (_local_date(ctx, created) - delivery).days > 7:
                        override = OVERRIDE
                if value == "refunded":
                    refund = f"{min(amount, rng.choice((amount, amount, 30.0, 50.0))):.2f}"
                if value == "closed":
                    closed_at = at
                event(ident, "state", at, actor, text, from_state=old, to_state=value)
            version += 1
        if closed_at is not None:
            _visits(ctx, rng, visits, ident, closed_at, agent)
        cases.append((
            ident, kind, logistics, category, order_id, order_no, platform, day(purchase),
            day(delivery), rng.choice(PROBLEMS[kinds_of[ident - 1]]),
            rng.choice(REQUESTS[kinds_of[ident - 1]]), return_courier, return_tracking, assignee,
            state, photos_confirm, override, freight_owed, w.dt(freight_refunded), refund,
            platform_status, interception, w.dt(received_at), received_by,
            w.dt(_naive(response_due)), w.dt(first_response and _naive(first_response)),
            w.dt(resolve_due and _naive(resolve_due)), w.dt(paused_at and _naive(paused_at)),
            remaining, sla_state, w.dt(resolved_at and _naive(resolved_at)), met,
            w.dt(closed_at), w.dt(created), opener, version))

    for ident, ((created, live), order_id) in enumerate(zip(opened, chosen, strict=True), 1):
        case_row(ident, created, live, kinds_of[ident - 1], order_id)

    ctx.add("aftersales_cases", w.rows(
        "aftersales_cases", (
            "id", "type", "logistics_problem", "category", "order_id", "order_no", "platform",
            "purchase_date", "delivery_date", "problem", "request", "return_courier",
            "return_tracking_no", "assignee_id", "state", "photos_confirm", "window_override",
            "freight_owed", "freight_refunded_at", "refund_amount", "platform_status",
            "interception_state", "parcel_received_at", "parcel_received_by_id",
            "first_response_due_at", "first_response_at", "resolve_due_at", "sla_paused_at",
            "sla_remaining_minutes", "sla_state", "resolved_at", "sla_met", "closed_at",
            "created_at", "created_by_id", "version"), cases))
    cases.clear()
    ctx.add("aftersales_events", w.rows(
        "aftersales_events", ("id", "case_id", "kind", "from_state", "to_state", "text",
                              "actor_id", "at"), events))
    events.clear()
    ctx.add("aftersales_photos", w.rows(
        "aftersales_photos", ("id", "case_id", "stored_name", "original_name", "content_type",
                              "size", "uploaded_by_id", "uploaded_at"), photos))
    ctx.add("aftersales_visits", w.rows(
        "aftersales_visits", ("id", "case_id", "due_on", "outcome", "satisfaction", "comment",
                              "done_at", "done_by_id", "version"), visits))


def _resume(sla, at: datetime, remaining: int | None, periods):
    """sla.resume: the minutes left run again from ``at``."""
    left = remaining or 0
    due = sla.add_working(at, left, periods) if left > 0 else at - timedelta(minutes=-left)
    return due, None, "running"


def _visits(ctx: Context, rng, visits: list, case_id: int, closed_at: datetime,
            agent: int) -> None:
    """R-C2: the call three days after closing; done when it was due before today (but one
    in ten of the last three days'), half of today's (whatever the hour the bench runs, so
    that the visits page is the same at every run); a customer not reached is called again
    the next day."""
    w = ctx.w
    due = _local_date(ctx, closed_at) + timedelta(days=3)
    while True:
        overdue = (ctx.today - due).days
        done = overdue > 3 or (overdue >= 1 and rng.random() > 0.1) or (
            overdue == 0 and rng.random() < 0.5)
        if not done:
            visits.append((len(visits) + 1, case_id, w.day(due), None, None, "", None, None, 1))
            return
        at = ctx.utc(due, rng.uniform(540, 1080))
        if overdue == 0:
            at = min(at, ctx.now_utc() - timedelta(minutes=rng.uniform(5, 120)))
        outcome = rng.choice(("reached",) * 8 + ("not_reached", "declined"))
        satisfaction = rng.choice((5, 5, 5, 4, 4, 3, 2)) if outcome == "reached" else None
        visits.append((len(visits) + 1, case_id, w.day(due), outcome, satisfaction,
                       rng.choice(COMMENTS) if outcome == "reached" else "", w.dt(at), agent, 2))
        if outcome != "not_reached" or rng.random() < 0.3:
            return
        due += timedelta(days=1)
        if due > ctx.today:
            visits.append((len(visits) + 1, case_id, w.day(due), None, None, "", None, None,
                           1))
            return


def _local_date(ctx: Context, moment):
    """The department's date of a naive UTC moment (or of a stored value read back)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC).astimezone(ctx.tz).date()


def _fetch(w, sql: str, params) -> list[tuple]:
    w.cursor.execute(sql, params)
    rows = w.cursor.fetchall()
    if not w.sqlite:
        w.raw.commit()
    return rows


def _orders(w, ids: set[int]) -> dict[int, tuple]:
    """{order id: (number, platform, amount, paid at, courier, tracking number)}."""
    found: dict[int, tuple] = {}
    ordered = sorted(ids)
    mark = "?" if w.sqlite else "%s"
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        sql = ("SELECT id, order_no, platform, amount, paid_at, courier, tracking_no "  # noqa: S608
               f"FROM orders WHERE id IN ({', '.join([mark] * len(chunk))})")
        for ident, number, platform, amount, paid_at, courier, tracking in _fetch(w, sql, chunk):
            found[ident] = (number, platform, float(amount), paid_at, courier, tracking)
    return found
