"""Distributors: 500 accounts in seven markets (the same at every scale, like the SKU list);
the distributor orders already written by ``orders`` (one platform in nineteen, ≈ 5 %) are
given to them, each shipped one charged to its account's ledger, with a payment a month
ahead of the month's charges — three years of movements; the live day: 200 distributor
orders waiting for review over 30 SKUs that are short, and two markets marked short of
them, so an allocation run has work."""

from collections import defaultdict
from datetime import timedelta

from bench.data import Context

TABLES = ("distributor_accounts", "distributor_ledger")

DISTRIBUTORS = 500
WAITING = 200
SHORT_SKUS = 30
MARKETS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
NAMES = ("茶源", "茗香", "蜀味", "京韵", "楚香", "金城", "闽韵", "滇红", "徽茶", "湘茗")
KINDS = ("商贸有限公司", "茶行", "贸易商行", "茶业")


def _read(w, sql: str) -> list[tuple]:
    w.cursor.execute(sql)
    rows = w.cursor.fetchall()
    if not w.sqlite:
        w.raw.commit()
    return rows


def code(n: int) -> str:
    return f"fx{n:04d}"


def build(ctx: Context) -> None:
    w, rng = ctx.w, ctx.rng
    now = ctx.now_utc()
    clerks, presales = ctx.by_role["order_clerk"], ctx.by_role["presales"]
    created = w.dt(ctx.utc(ctx.first_day, 540))
    accounts = []
    for n in range(1, DISTRIBUTORS + 1):
        loose = n % 3 == 0
        accounts.append((
            n, code(n), f"{MARKETS[n % 7][:1]}{NAMES[n % 10]}{KINDS[n % 4]}{n:03d}",
            MARKETS[n % 7], None, f"联系人{n:03d}", f"137{n:08d}",
            f"{(n % 5) * 10000:.2f}" if loose else "0.00", 30, "loose" if loose else "strict",
            "hold" if n % 97 == 0 else "active", "合同续签中" if n % 97 == 0 else None,
            created, 1))
    ctx.add("distributor_accounts", w.rows(
        "distributor_accounts", ("id", "code", "name", "market", "customer_id", "contact_name",
                                 "contact_phone", "credit_line", "terms_days", "mode", "state",
                                 "hold_reason", "created_at", "version"), accounts))
    # the distributor orders of the history go to the accounts (one statement)
    if w.sqlite:
        w.execute("UPDATE orders SET buyer_id = printf('fx%04d', id % 500 + 1) "
                  "WHERE platform = 'distributor'")
    else:
        w.execute("UPDATE orders SET buyer_id = 'fx' || lpad((mod(id, 500) + 1)::text, 4, '0') "
                  "WHERE platform = 'distributor'")
    charged = _read(w, "SELECT id, buyer_id, amount, created_at FROM orders "
                       "WHERE platform = 'distributor' AND stage NOT IN "
                       "('cancelled', 'awaiting_payment') ORDER BY id")
    ledger: list[tuple] = []
    months: dict[tuple[str, str], list] = defaultdict(lambda: [0, None])

    def moment(value):
        if isinstance(value, str):
            from datetime import datetime

            return datetime.fromisoformat(value)
        return value

    for order_id, buyer, amount, at in charged:
        at = moment(at)
        account = int(buyer[2:])
        cents = round(float(amount) * 100)
        if not cents:
            continue
        ledger.append((len(ledger) + 1, account, "charge", f"{-cents / 100:.2f}", order_id,
                       None, "", w.dt(at), rng.choice(clerks)))
        month = months[(account, at.strftime("%Y-%m"))]
        month[0] += cents
        month[1] = min(month[1], at) if month[1] else at
    for (account, _month), (cents, first) in months.items():  # paid ahead, a little over
        ledger.append((len(ledger) + 1, account, "payment",
                       f"{cents * rng.uniform(1.0, 1.1) / 100 + 500:.2f}", None, None,
                       "月度预付款", w.dt(first - timedelta(days=1)), rng.choice(presales)))
    for n in range(1, DISTRIBUTORS + 1):  # an opening deposit for the live orders
        ledger.append((len(ledger) + 1, n, "payment", f"{rng.randint(20, 80) * 1000:.2f}",
                       None, None, "预存款", w.dt(now - timedelta(days=5)),
                       rng.choice(presales)))
    ctx.add("distributor_ledger", w.rows(
        "distributor_ledger", ("id", "account_id", "kind", "amount", "order_id",
                               "bank_transfer_id", "reason", "booked_at", "created_by_id"),
        ledger))
    _waiting(ctx)


def _waiting(ctx: Context) -> None:
    """200 orders waiting for review over 30 SKUs made short."""
    w, rng = ctx.w, ctx.rng
    now = ctx.now_utc()
    presales = ctx.by_role["presales"]
    skus = _read(w, f"SELECT sku, name FROM stock_items WHERE on_hand > 0 "  # noqa: S608
                    f"ORDER BY id LIMIT {SHORT_SKUS}")
    w.execute("UPDATE stock_items SET on_hand = 25 WHERE sku IN ("  # noqa: S608 - our SKUs
              + ", ".join("'" + s.replace("'", "") + "'" for s, _n in skus) + ")")
    first = int(_read(w, "SELECT COALESCE(MAX(id), 0) FROM orders")[0][0]) + 1
    line_id = int(_read(w, "SELECT COALESCE(MAX(id), 0) FROM order_lines")[0][0]) + 1
    orders, lines = [], []
    for n in range(WAITING):
        ident = first + n
        account = rng.randint(1, DISTRIBUTORS)
        amount = 0
        for sku, name in rng.sample(skus, rng.choice((1, 2, 3))):
            quantity, price = rng.randint(2, 20), rng.randint(30, 300)
            amount += quantity * price
            lines.append((line_id, ident, sku, name, "标准", quantity, f"{price:.2f}"))
            line_id += 1
        at = now - timedelta(hours=48 * (WAITING - n) / WAITING)
        orders.append((ident, "distributor", f"FX{ident:012d}", code(account), "仓库收货",
                       "13800138000", "0008318300", "经销商仓库", f"{amount:.2f}", "transfer",
                       None, "review", None, None, None, None, None, None, None, None, None,
                       None, 0, None, None, None, None, None, w.dt(at), rng.choice(presales),
                       None, 1, None))
    ctx.add("orders", w.rows(
        "orders", ("id", "platform", "order_no", "buyer_id", "receiver_name", "receiver_phone",
                   "phone_tail", "receiver_address", "amount", "payment", "paid_at", "stage",
                   "courier", "tracking_no", "flag", "flag_sku", "flag_arrival", "flagged_at",
                   "flagged_by_id", "cancel_requested_at", "cancel_requested_by_id",
                   "cancel_reason", "open_tasks", "printed_at", "packed_at", "shipped_at",
                   "shipped_by_id", "closed_at", "created_at", "created_by_id", "import_id",
                   "version", "customer_id"), orders))
    ctx.add("order_lines", w.rows(
        "order_lines", ("id", "order_id", "sku", "item_name", "attributes", "quantity",
                        "unit_price"), lines))
    w.rows("distributor_market_stock", ("id", "market", "sku", "priority", "note",
                                        "updated_at", "updated_by_id", "version"),
           [(i + 1, MARKETS[i % 2 + 3], sku, 3, "缺货", w.dt(now), None, 1)
            for i, (sku, _n) in enumerate(skus[:6])])
