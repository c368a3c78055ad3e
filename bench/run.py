"""``make bench``: build the data at each scale, serve the portal and the baseline with
gunicorn, run the virtual staff with Locust, and write the report.

    .venv/bin/python -m bench                       # scales 0.01, 0.1, 1 on SQLite
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench
    .venv/bin/python -m bench --scales 0.01 --duration 30     # a quick look
    .venv/bin/python -m bench --smoke --out /tmp/smoke        # what CI runs (seconds)

The day's staff keep their tabs' live-updates streams open (``/events``, served by the gevent
process ``portal.live.sse_server`` beside the portal, the two joined by Redis pub/sub as in
production): a ``redis-server`` of the run's own on a free port (``--redis-url`` names one
instead; ``--no-streams`` leaves the streams out).

On SQLite each scale gets a fresh file under ``instance/bench/``; on PostgreSQL the database
named in ``DATABASE_URL`` is created when missing and its tables are dropped and rebuilt (use
a database of its own, never an installation's).
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_SCALES = (0.01, 0.1, 1.0)

# the 20 concurrent staff of the day, and the 50 of the shift change, by role
MIXED = {"manager": 1, "supervisor": 2, "presales": 7, "aftersales": 4, "order_clerk": 4,
         "reception": 2}
BURST = {"manager": 1, "supervisor": 3, "presales": 18, "aftersales": 12, "order_clerk": 10,
         "reception": 6}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default=",".join(str(s) for s in DEFAULT_SCALES),
                        help="comma-separated scales (1 = full)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL URL of the bench database (default: SQLite files)")
    parser.add_argument("--duration", type=int, default=90, help="seconds of the day's load")
    parser.add_argument("--burst-duration", type=int, default=75,
                        help="seconds of the shift-change run (the 50 arrive in the first 40)")
    parser.add_argument("--warmup", type=int, default=10,
                        help="first seconds of the day's load left out of the latencies")
    parser.add_argument("--users", type=int, default=sum(MIXED.values()))
    parser.add_argument("--burst-users", type=int, default=sum(BURST.values()))
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn workers (default 2 x cores + 1)")
    parser.add_argument("--think", default="1,3", help="think time between steps, seconds")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"),
                        help="where latest.md and the chart go")
    parser.add_argument("--workdir", default=str(ROOT / "instance" / "bench"),
                        help="SQLite files, samples and logs")
    parser.add_argument("--streams", action=argparse.BooleanOptionalAction, default=True,
                        help="keep one /events stream per staff member open in the day's load "
                             "(the gevent SSE process and Redis; default on)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"),
                        help="Redis between the portal and the SSE process (default: a "
                             "redis-server of the run's own, on a free port)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny scale, a few seconds of load: checks the machinery, not speed")
    args = parser.parse_args(argv)
    if args.smoke:
        args.scales = "0.001"
        args.duration, args.burst_duration, args.warmup = 6, 6, 0
        args.users, args.burst_users, args.workers = 6, 8, 2
        args.think = "0.2,0.5"
    return args


def accounts_for(mix: dict, total: int) -> list[list[str]]:
    """[[username, role]] for ``total`` users in ``mix``'s proportions, interleaved by role."""
    from bench.data.staff import usernames

    by_role: dict[str, list[str]] = {}
    for username, role in usernames():
        by_role.setdefault(role, []).append(username)
    scaled = {role: max(1, round(n * total / sum(mix.values()))) for role, n in mix.items()}
    while sum(scaled.values()) > total:
        biggest = max(scaled, key=scaled.get)
        scaled[biggest] -= 1
    picked = []
    for round_ in range(max(scaled.values())):
        for role, n in scaled.items():
            if round_ < n:
                picked.append([by_role[role][round_], role])
    return picked


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_database(url: str) -> None:
    """PostgreSQL: create the bench database when it does not exist."""
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": target.database})
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def sqlite_url(workdir: Path, scale: float) -> str:
    path = workdir / f"bench-{scale:g}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def environment(url: str) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url, "FLASK_APP": "wsgi", "PYTHONPATH": str(ROOT),
        "PORTAL_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
        "LOG_LEVEL": "WARNING", "RATELIMIT_STORAGE_URI": "memory://",
    })
    return env


def build_data(url: str, scale: float, log) -> float:
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our own venv's commands
        [str(BIN / "flask"), "portal", "bench-data", "--scale", str(scale), "--reset"],
        cwd=ROOT, env=environment(url), capture_output=True, text=True, check=False)
    log.write(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"bench-data failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def plan_for(url: str, args, phase: str, accounts, samples: Path, baseline: str) -> dict:
    """What the virtual staff need: accounts, and records each may change alone."""
    import sqlalchemy as sa

    from portal import clock as portal_clock

    engine = sa.create_engine(url)
    now = portal_clock.Clock(os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai")).now()
    with engine.connect() as connection:
        live = connection.execute(sa.text(
            "SELECT id, stage FROM orders WHERE stage IN "
            "('awaiting_payment', 'paid', 'printed', 'packed') AND cancel_requested_at IS NULL "
            "ORDER BY id")).all()
        numbers = connection.execute(sa.text(
            "SELECT order_no, buyer_id FROM orders ORDER BY id DESC LIMIT 40")).all()
        oldest = connection.execute(sa.text(
            "SELECT order_no FROM orders ORDER BY id LIMIT 10")).scalars().all()
        scored = connection.execute(sa.text(
            "SELECT id FROM users WHERE role IN "
            "('presales', 'aftersales', 'order_clerk', 'reception') ORDER BY id")).scalars().all()
        menu = connection.execute(sa.text(
            "SELECT id FROM menu_items WHERE active AND stock_item_id IS NULL ORDER BY id"
        )).scalars().all()
        any_orders = connection.execute(sa.text(
            "SELECT id FROM orders ORDER BY id DESC LIMIT 200")).scalars().all()
        user_ids = dict(connection.execute(sa.text("SELECT username, id FROM users")).all())
        open_cases = connection.execute(sa.text(
            "SELECT id, state, assignee_id, platform_status, return_tracking_no "
            "FROM aftersales_cases WHERE state <> 'closed' ORDER BY id")).all()
        due_visits = connection.execute(sa.text(
            "SELECT id FROM aftersales_visits WHERE done_at IS NULL AND due_on <= :today "
            "ORDER BY due_on, id LIMIT 100").bindparams(sa.bindparam("today", type_=sa.Date)),
            {"today": now.date()}).scalars().all()
        customers = customer_plan(connection)
        voice = voice_plan(connection)
    engine.dispose()

    def share(role: str, items: list) -> dict:
        people = [name for name, r in accounts if r == role]
        return {name: items[i::len(people)] for i, name in enumerate(people)} if people else {}

    awaiting = [i for i, stage in live if stage == "awaiting_payment"]
    paid = [i for i, stage in live if stage == "paid"]
    low, high = (float(x) for x in args.think.split(","))
    cases = case_shares(accounts, user_ids, open_cases)
    return {
        "phase": phase, "accounts": accounts, "password": "bench-pass-2026",
        "samples": str(samples), "baseline_url": baseline, "baseline_users": 2,
        "think": [low, high], "timezone": str(now.tzinfo), "month": [now.year, now.month],
        "remark_orders": share("presales", awaiting + paid[1::2]),
        "flag_orders": share("order_clerk", paid[0::2]),
        "scored_people": share("supervisor", scored),
        "search_terms": [n for row in numbers[:20] for n in row] + list(oldest),
        "any_orders": any_orders, "menu_items": menu, "smoke": args.smoke,
        "user_ids": {name: user_ids[name] for name, _role in accounts if name in user_ids},
        "due_visits": share("aftersales", due_visits), **cases, **customers, **voice,
    }


def customer_plan(connection) -> dict:
    """What the customer steps look for (issue 17): the ways a customer tells us who they are
    (a part of a name, the last four digits, a whole phone, a buyer ID's or an order's or a
    tracking number's beginning), customers to open, and which customer pages this build has
    (the story page and My calls come from other helpers: a step whose page is missing is
    left out, so the bench runs either way)."""
    import sqlalchemy as sa

    from portal import create_app

    last = connection.execute(sa.text("SELECT MAX(id) FROM customers")).scalar() or 0
    step = max(1, last // 40)
    ids = list(range(1, last + 1, step))[:40]
    rows = connection.execute(sa.text(
        "SELECT c.id, c.name, p.value FROM customers c JOIN customer_contacts p "
        "ON p.customer_id = c.id AND p.kind = 'phone' WHERE c.id IN :ids ORDER BY c.id")
        .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids}).all()
    orders = connection.execute(sa.text(
        "SELECT order_no, tracking_no FROM orders WHERE tracking_no IS NOT NULL "
        "ORDER BY id DESC LIMIT 10")).all()
    terms = []
    for n, (_id, name, phone) in enumerate(rows):
        terms += [name[-2:] if n % 2 else name[:1], phone[-4:], phone if n % 3 == 0 else
                  phone[-6:]]
    terms += ["buyer00", "buyer0012", "wx_000"]
    for order_no, tracking in orders:
        terms += [order_no, order_no[:-3], tracking]
    with create_app().app_context() as context:
        endpoints = {rule.endpoint for rule in context.app.url_map.iter_rules()}
    return {"customer_terms": terms, "any_customers": [row.id for row in rows],
            "customer_pages": sorted(e for e in ("customers.index", "customers.record",
                                                 "customers.calls") if e in endpoints)}


def voice_plan(connection) -> dict:
    """What the customer's-voice steps open (issue 18): complaints (every open one and some
    of the history), published articles spread over the knowledge base."""
    import sqlalchemy as sa

    open_ids = connection.execute(sa.text(
        "SELECT id FROM complaints WHERE state IN ('received', 'investigating', 'escalated') "
        "ORDER BY id DESC LIMIT 60")).scalars().all()
    last = connection.execute(sa.text("SELECT MAX(id) FROM complaints")).scalar() or 0
    history = list(range(1, last + 1, max(1, last // 40)))[:40]
    articles = connection.execute(sa.text(
        "SELECT MAX(id) FROM articles WHERE state = 'published'")).scalar() or 0
    spread = list(range(1, articles + 1, max(1, articles // 60)))
    published = connection.execute(sa.text(
        "SELECT id FROM articles WHERE state = 'published' AND id IN :ids ORDER BY id")
        .bindparams(sa.bindparam("ids", expanding=True)), {"ids": spread or [0]}
    ).scalars().all()
    return {"complaint_ids": list(open_ids) + history, "article_ids": list(published)}


def case_shares(accounts, user_ids: dict, open_cases) -> dict:
    """The open after-sales cases each virtual user may change alone: an agent notes and
    steps the cases assigned to it (the others' cases go round among the plan's agents), and
    takes unassigned ones of its share; the cases waiting for their returned parcel are the
    order clerks' (they sign the receipt), and an agent steps no case in the platform refund
    or dispute queue (a supervisor reminds its assignee: it must stay in the queue)."""
    agents = [name for name, role in accounts if role == "aftersales"]
    clerks = [name for name, role in accounts if role == "order_clerk"]
    by_id = {user_ids.get(name): name for name in agents}
    notes: dict = {name: [] for name in agents}
    steps: dict = {name: [] for name in agents}
    unassigned: dict = {name: [] for name in agents}
    parcels: dict = {name: [] for name in clerks}
    for n, (ident, state, assignee, platform_status, tracking) in enumerate(open_cases):
        if state == "waiting_parcel":
            if clerks and tracking:
                parcels[clerks[n % len(clerks)]].append([ident, tracking])
            continue
        if not agents:
            continue
        if assignee is None:
            unassigned[agents[n % len(agents)]].append(ident)
            continue
        owner = by_id.get(assignee) or agents[n % len(agents)]
        notes[owner].append(ident)
        if platform_status is None:
            steps[owner].append(ident)
    return {"case_notes": notes, "case_steps": steps, "unassigned_cases": unassigned,
            "parcel_cases": parcels}


class Server:
    """A gunicorn serving ``app`` on a free port, stopped with its process group; with
    ``sse``, the live-updates process as production runs it (one gevent worker,
    ``portal.live.sse_server``)."""

    def __init__(self, app: str, env: dict, workers: int, log, sse: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        bind = f"127.0.0.1:{self.port}"
        if sse:
            command = [str(BIN / "gunicorn"), "-c", "python:portal.live.sse_server", app]
            env = {**env, "SSE_BIND": bind}
        else:
            command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", bind,
                       "--timeout", "120", "--graceful-timeout", "5", app]
        self.process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait(self, path: str = "/", seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped (exit {self.process.returncode})")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.url} did not answer in {seconds} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class PrivateRedis:
    """A ``redis-server`` of our own on a free port, saving nothing (the bench's events never
    mix with another program's on a shared Redis; the two-instance test stops and starts it
    again on the same port). Started when made."""

    def __init__(self, log=subprocess.DEVNULL, folder: Path | None = None) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise RuntimeError("streams need Redis: install redis-server, pass --redis-url, "
                               "or run with --no-streams")
        self.port, self.log, self.folder = free_port(), log, folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder or Path.cwd())],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
        self.process = None


def run_locust(plan: dict, plan_path: Path, host: str, users: int, spawn_rate: float,
               seconds: int, log, sse_url: str | None = None) -> dict:
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    env = dict(os.environ, BENCH_PLAN=str(plan_path), PYTHONPATH=str(ROOT))
    env.pop("BENCH_SSE_URL", None)
    if sse_url:
        env["BENCH_SSE_URL"] = sse_url
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
               "--host", host, "--users", str(users + plan["baseline_users"]),
               "--spawn-rate", str(spawn_rate), "--run-time", f"{seconds}s", "--only-summary",
               "--stop-timeout", "10", "--loglevel", "WARNING"]
    result = subprocess.run(command, cwd=ROOT,  # noqa: S603 - our own venv's locust
                            env=env, stdout=log, stderr=subprocess.STDOUT,
                            check=False, timeout=seconds + 120)
    samples = Path(plan["samples"])
    if not samples.exists():
        raise RuntimeError(f"locust wrote no samples (exit {result.returncode}); see the log")
    return json.loads(samples.read_text(encoding="utf-8"))


def machine() -> dict:
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory,
            "python": platform.python_version(), "system": platform.platform(terse=True)}


def main(argv=None) -> int:
    from bench import report

    args = parse_args(argv)
    scales = [float(s) for s in args.scales.split(",")]
    workdir, out = Path(args.workdir), Path(args.out)
    workdir.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    database = "postgresql" if args.database_url else "sqlite"
    if args.database_url:
        ensure_database(args.database_url)
    log_path = workdir / "run.log"
    results = {"database": database, "machine": machine(), "workers": args.workers,
               "users": args.users, "burst_users": args.burst_users, "think": args.think,
               "duration": args.duration, "burst_duration": args.burst_duration,
               "warmup": args.warmup, "smoke": args.smoke, "scales": [],
               "streams": args.users if args.streams else 0,
               "started": time.strftime("%Y-%m-%d %H:%M")}
    started = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        redis_url, private = args.redis_url, None
        if args.streams and not redis_url:
            private = PrivateRedis(log)
            redis_url = private.url
        try:
            for scale in scales:
                results["scales"].append(run_scale(args, scale, database, workdir, log,
                                                   redis_url if args.streams else None))
        finally:
            if private:
                private.stop()
    results["total_seconds"] = round(time.perf_counter() - started)
    (workdir / f"results-{database}.json").write_text(json.dumps(results), encoding="utf-8")
    summary = report.write(results, out)
    print(summary)
    if not args.smoke:
        shutil.copy(workdir / f"results-{database}.json", out / f"results-{database}.json")
    return 0 if report.error_count(results) == 0 else 1


def run_scale(args, scale: float, database: str, workdir: Path, log,
              redis_url: str | None) -> dict:
    """One scale: build the data, serve the portal (and its SSE process when ``redis_url``),
    and run the day's load and the shift change."""
    url = args.database_url or sqlite_url(workdir, scale)
    print(f"== scale {scale:g} on {database}: building the data…", flush=True)
    seconds = build_data(url, scale, log)
    log.flush()
    print(f"   built in {seconds:.0f} s; serving with {args.workers} gunicorn workers"
          + (" and the SSE process" if redis_url else ""), flush=True)
    env = environment(url)
    if redis_url:
        env["REDIS_URL"] = redis_url  # the portal publishes, the SSE process fans out
    servers = [Server("bench.portal_app:app", env, args.workers, log),
               Server("bench.baseline:app", env, args.workers, log)]
    if redis_url:
        servers.append(Server("bench.portal_app:app", env, 1, log, sse=True))
    portal, baseline, *sse = servers
    phases = {}
    try:
        portal.wait("/login")
        baseline.wait("/")
        for server in sse:
            server.wait("/login")
        # the day's staff arrive within 5 s, the shift change's within 40 s (the smoke run
        # starts everyone at once: it lasts seconds)
        for phase, mix, users, rate, length in (
                ("mixed", MIXED, args.users,
                 args.users if args.smoke else max(1.0, args.users / 5), args.duration),
                ("burst", BURST, args.burst_users,
                 args.burst_users if args.smoke else max(1.0, args.burst_users / 40),
                 args.burst_duration)):
            print(f"   {phase}: {users} staff for {length} s"
                  + (f", {users} open streams" if sse and phase == "mixed" else ""), flush=True)
            accounts = accounts_for(mix, users)
            samples = workdir / f"samples-{scale:g}-{phase}.json"
            samples.unlink(missing_ok=True)
            plan = plan_for(url, args, phase, accounts, samples, baseline.url)
            phases[phase] = run_locust(plan, workdir / f"plan-{phase}.json", portal.url,
                                       users, rate, length, log,
                                       sse_url=sse[0].url if sse else None)
    finally:
        for server in servers:
            server.stop()
    return {"scale": scale, "build_seconds": round(seconds, 1), "phases": phases}


if __name__ == "__main__":
    sys.exit(main())
