"""Two instances of the portal on one PostgreSQL database and one Redis (issue 20, item 5).

Marked ``two_instances``; runs when TEST_DATABASE_URL is PostgreSQL and Redis answers at
TEST_REDIS_URL (default redis://127.0.0.1:6379/0), as in the PostgreSQL run of ``.ci/run``;
skipped otherwise. ``cluster`` makes a fresh database next to the test database, migrates it
(``flask db upgrade``), and starts instances A and B: gunicorn with two sync workers each,
on ports of their own, as production runs them (PORTAL_ENV=production, one SECRET_KEY, JSON
logs). Each test proves one thing a load balancer in front of A and B relies on:

- a session signed in on A works on B (and signing out everywhere on B ends it on A);
- the sign-in limit counts the failures on A and on B together;
- two stale edits of one record, through A and through B: the second is a 409;
- each answers /healthz, and an instance whose Redis is down still serves pages.

- a visitor logged through A reaches a stream of B's SSE process within 1 s, and a stream
  of a role that may not see visitors gets nothing;
- two workers (``flask portal worker``) against the one Redis and database: a due reminder
  is sent once, not once per worker;
- faults: the worker down, a job queues and runs on restart, once; Redis down (the
  cluster's own ``redis-server``, stopped and started again, never the machine's shared
  one): pages and actions still work, ``/events`` answers 503 (screens poll), and a reminder
  that falls due meanwhile waits and is sent once when Redis is back.

The cluster runs its own ``redis-server`` (on a free port, nothing saved) when the machine
has one, so that no other test's queue or events mix with the cluster's; else it uses
TEST_REDIS_URL and skips the Redis-down check.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.run import PrivateRedis
from tests.auth.servers import (
    _SETUP,
    PASSWORD,
    csrf_token,
    free_port,
    sign_in_attempt,
    signed_in,
    stop,
)

pytestmark = pytest.mark.two_instances

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# workers import the whole portal; on a busy CI machine (two cores, the suite, PostgreSQL)
# that has taken over a minute
STARTUP_SECONDS = 240
USERS = {"boss": "manager", "boss2": "manager", "boss3": "manager", "wang": "presales",
         "li": "presales", "target": "presales", "desk": "reception", "seller": "presales",
         "agent": "aftersales"}
# cases of the reminder checks, opened at set-up: the first with its first response overdue
# a minute (the workers started with the cluster find it), the others due in two days (a
# test makes one fall due by moving that moment)
CASES = ("AS-ONCE", "AS-QUEUED", "AS-REDIS")
_OPEN_CASES = f"""
from datetime import timedelta
import sqlalchemy as sa
from portal import clock
from portal.aftersales import cases
with app.app_context(), app.test_request_context():
    agent = db.session.scalar(sa.select(User).where(User.username == "agent"))
    for order_no in {CASES!r}:
        case = cases.open_case(agent, type="return_refund", order_no=order_no,
                               problem="茶杯有裂纹", assignee_id=agent.id)
        case.first_response_due_at = clock.now() + (
            timedelta(minutes=-1) if order_no == "AS-ONCE" else timedelta(days=2))
    db.session.commit()
"""
_MIGRATE = """
from flask_migrate import upgrade
from portal import create_app as _create
with _create().app_context():
    upgrade()
"""
WORKER = [sys.executable, "-m", "flask", "portal", "worker"]
REDIS_SERVER = shutil.which("redis-server")


def _why_not() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return "two instances need PostgreSQL (TEST_DATABASE_URL)"
    if REDIS_SERVER:
        return None  # the cluster's own
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return f"two instances need Redis at {REDIS_URL}"
    return None


@dataclass
class Cluster:
    """Processes of the portal sharing one database, one Redis and one SECRET_KEY."""

    env: dict
    folder: Path
    processes: dict = field(default_factory=dict)
    bases: dict = field(default_factory=dict)
    redis: PrivateRedis | None = None
    _engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        """The cluster's database, for the checks to read and to set a moment due."""
        if self._engine is None:
            self._engine = sa.create_engine(self.env["DATABASE_URL"])
        return self._engine

    def running(self, name: str) -> bool:
        return name in self.processes and self.processes[name].poll() is None

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def start(self, name: str, command: list[str], *, ready_url: str | None = None,
              **env) -> None:
        """Start ``command`` in the source tree with the shared environment (plus ``env``);
        wait until ``ready_url`` answers 200 when given."""
        out = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **env},  # noqa: S603
                                   stdout=out, stderr=subprocess.STDOUT)
        self.processes[name] = process
        deadline = time.monotonic() + STARTUP_SECONDS
        while ready_url:
            try:
                if requests.get(ready_url, timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert process.poll() is None, f"{name} stopped:\n{self.log(name)}"
            assert time.monotonic() < deadline, f"{name} did not start:\n{self.log(name)}"
            time.sleep(0.2)

    def start_web(self, name: str, workers: int = 2, **env) -> str:
        """An instance: gunicorn with sync workers, as docs/deploy.md runs the web process."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        self.start(name, [sys.executable, "-m", "gunicorn", "-w", str(workers),
                          "-b", f"127.0.0.1:{port}", "--access-logfile", "-",
                          "--access-logformat", "pid=%(p)s %(s)s %(U)s rid=%({x-request-id}o)s",
                          "wsgi:app"], ready_url=base + "/login", **env)
        self.bases[name] = base
        return base

    def start_sse(self, name: str) -> str:
        """The live-updates process beside an instance: gunicorn on gevent serving
        ``/events`` (portal.live.sse_server), as docs/live.md runs it."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        self.start(name, [sys.executable, "-m", "gunicorn", "-c", "python:portal.live.sse_server",
                          "wsgi:app"], ready_url=base + "/login",
                   SSE_BIND=f"127.0.0.1:{port}", LIVE_HEARTBEAT_SECONDS="1")
        self.bases[name] = base
        return base

    def start_worker(self, name: str) -> None:
        """A job queue consumer, ``flask portal worker`` (its INFO lines say what it ran)."""
        self.start(name, WORKER, LOG_LEVEL="INFO")

    def stop(self, name: str) -> None:
        stop(self.processes.pop(name))

    def stop_all(self) -> None:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(self.stop, list(self.processes)))
        if self._engine is not None:
            self._engine.dispose()
        if self.redis is not None:
            self.redis.stop()


def _admin(server_url, *statements: str) -> None:
    engine = sa.create_engine(make_url(server_url).set(database="postgres"),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Instances A and B on a fresh, migrated PostgreSQL database and one Redis."""
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    test_url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{test_url.database}_two_instances"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    _admin(test_url, drop, f'CREATE DATABASE "{name}"')
    folder = tmp_path_factory.mktemp("cluster")
    private = PrivateRedis(folder=folder) if REDIS_SERVER else None
    env = {**os.environ, "DATABASE_URL": test_url.set(database=name).render_as_string(
               hide_password=False),
           "REDIS_URL": private.url if private else REDIS_URL,
           "SECRET_KEY": secrets.token_urlsafe(48),
           "PORTAL_ENV": "production", "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING",
           "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1"}
    env.pop("TEST_DATABASE_URL", None)
    running = Cluster(env=env, folder=folder, redis=private)
    try:
        # one process migrates (flask db upgrade), adds the accounts and opens the cases
        subprocess.run([sys.executable, "-c", _MIGRATE + _SETUP + _OPEN_CASES, PASSWORD,  # noqa: S603
                        *(f"{u}:{r}" for u, r in USERS.items())],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
        # all at once (each imports the portal: on a busy machine, side by side is faster):
        # instances A and B, B's live-updates process, and two job queue workers
        with ThreadPoolExecutor(5) as pool:
            started = [pool.submit(running.start_web, "A"), pool.submit(running.start_web, "B"),
                       pool.submit(running.start_sse, "SSE-B"),
                       pool.submit(running.start_worker, "W1"),
                       pool.submit(running.start_worker, "W2")]
            for future in started:
                future.result()
        yield running
    finally:
        running.stop_all()
        _admin(test_url, drop)
    for name in ("A", "B"):  # no error but /healthz's own report of Redis stopped on purpose
        unexpected = [line for line in running.log(name).splitlines() if "Traceback" in line
                      and "health: Redis does not answer" not in line]
        assert not unexpected, "\n".join(unexpected)


def test_a_session_signed_in_on_a_works_on_b(cluster):
    a, b = cluster.bases["A"], cluster.bases["B"]
    browser = signed_in(a, "boss")
    page = browser.get(b + "/staff/", timeout=30, allow_redirects=False)
    assert page.status_code == 200, "B does not know A's session"
    assert "target" in page.text
    # a form loaded from B posts to A (the CSRF token is the session's, valid on either),
    # and what A wrote in the session B reads: the next page from B is in English
    chosen = browser.post(a + "/language", timeout=30, allow_redirects=False,
                          data={"csrf_token": csrf_token(page.text), "locale": "en"})
    assert chosen.status_code == 303, chosen.status_code
    assert 'lang="en"' in browser.get(b + "/staff/", timeout=30).text
    # signing out everywhere on B ends the session that A serves
    account = browser.get(b + "/account", timeout=30)
    other = signed_in(a, "boss")
    out = browser.post(b + "/account/sign-out-everywhere", timeout=30, allow_redirects=False,
                       data={"csrf_token": csrf_token(account.text)})
    assert out.status_code == 303
    for base in (a, b):
        again = other.get(base + "/staff/", timeout=30, allow_redirects=False)
        assert again.status_code == 302 and "/login" in again.headers["Location"]


def test_sign_in_limit_counts_failures_on_a_and_b_together(cluster):
    a, b = cluster.bases["A"], cluster.bases["B"]
    wrong = [sign_in_attempt(base, "wang", "wrong password " * 2) for base in (a, b) * 5]
    assert [r.status_code for r in wrong] == [422] * 10
    # the 11th attempt, with the right password, is refused on both instances
    assert sign_in_attempt(a, "wang", PASSWORD).status_code == 429
    assert sign_in_attempt(b, "wang", PASSWORD).status_code == 429
    # someone else is not locked out
    assert sign_in_attempt(b, "li", PASSWORD).status_code == 303


def _version(html: str) -> str:
    return re.search(r'name="version"(?: type="hidden")? value="(\d+)"', html).group(1)


def test_two_stale_edits_through_a_and_b_are_a_409(cluster):
    a, b = cluster.bases["A"], cluster.bases["B"]
    first, second = signed_in(a, "boss2"), signed_in(b, "boss3")
    target = _target_id(first, a)
    on_a = first.get(f"{a}/staff/{target}", timeout=30).text
    on_b = second.get(f"{b}/staff/{target}", timeout=30).text
    assert _version(on_a) == _version(on_b)

    saved = first.post(f"{a}/staff/{target}", timeout=30, allow_redirects=False, data={
        "csrf_token": csrf_token(on_a), "version": _version(on_a),
        "display_name": "Zhou from A", "role": "presales"})
    assert saved.status_code == 303, saved.text[:500]
    stale = second.post(f"{b}/staff/{target}", timeout=30, allow_redirects=False, data={
        "csrf_token": csrf_token(on_b), "version": _version(on_b),
        "display_name": "Zhou from B", "role": "presales"})
    assert stale.status_code == 409
    assert "Zhou from A" in stale.text, "the 409 shows the account as it is now"
    assert 'value="Zhou from B"' in stale.text, "the typing is kept"
    assert _version(stale.text) != _version(on_b), "the form's version moved on"


def _target_id(browser, base) -> str:
    listing = browser.get(base + "/staff/", timeout=30).text
    return re.search(r'href="/staff/(\d+)">target</a>', listing).group(1)


def test_both_answer_healthz_with_database_and_redis(cluster):
    for name in ("A", "B"):
        base = cluster.bases[name]
        response = requests.get(base + "/healthz", timeout=10,
                                headers={"X-Request-ID": f"probe-{name}-0123456789"})
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
        assert response.headers["X-Request-ID"] == f"probe-{name}-0123456789"
        # the access log line (written once the answer has gone) carries the same id
        deadline = time.monotonic() + 5
        while f"rid=probe-{name}-0123456789" not in cluster.log(name):
            assert time.monotonic() < deadline, cluster.log(name)
            time.sleep(0.1)


def test_an_instance_whose_redis_is_down_still_serves_and_says_so(cluster):
    c = cluster.start_web("C", workers=1, REDIS_URL="redis://127.0.0.1:1/0",
                          RATELIMIT_STORAGE_URI="memory://")
    try:
        health = requests.get(c + "/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["checks"] == {"database": "ok", "redis": "down"}
        browser = signed_in(c, "li")
        assert browser.get(c + "/", timeout=30).status_code == 200
    finally:
        cluster.stop("C")


class Stream:
    """An ``/events`` stream opened by ``browser`` (its session cookie and user agent), read
    by a thread: the bytes and when each arrived."""

    def __init__(self, base: str, browser: requests.Session) -> None:
        where = urlsplit(base)
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
        agent = browser.headers["User-Agent"]
        self.socket = socket.create_connection((where.hostname, where.port), timeout=10)
        self.socket.sendall((f"GET /events HTTP/1.1\r\nHost: {where.netloc}\r\n"
                             f"User-Agent: {agent}\r\nAccept: text/event-stream\r\n"
                             f"Cookie: {cookie}\r\n\r\n").encode())
        self.socket.settimeout(None)
        self.chunks: list[tuple[float, bytes]] = []
        self.ended = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while chunk := self.socket.recv(4096):
                self.chunks.append((time.monotonic(), chunk))
        except OSError:
            pass
        self.ended.set()

    @property
    def text(self) -> bytes:
        return b"".join(chunk for _, chunk in list(self.chunks))

    def wait_for(self, needle: bytes, timeout: float) -> float | None:
        """When (monotonic) ``needle`` had arrived; None if not within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = b""
            for at, chunk in list(self.chunks):
                seen += chunk
                if needle in seen:
                    return at
            if self.ended.is_set():
                return None
            time.sleep(0.01)
        return None

    def close(self) -> None:
        self.socket.close()


def _sse(cluster) -> str:
    """B's live-updates process."""
    assert cluster.running("SSE-B"), cluster.log("SSE-B")
    return cluster.bases["SSE-B"]


def _log_visitor(browser: requests.Session, base: str) -> requests.Response:
    """A party arrives, logged through the board's form on ``base`` as a browser does it."""
    board = browser.get(base + "/showroom/", timeout=30)
    assert board.status_code == 200
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return browser.post(base + "/showroom/visits", timeout=30, allow_redirects=False, data={
        "csrf_token": csrf_token(board.text), "arrived_at": now.strftime("%Y-%m-%dT%H:%M"),
        "party_size": "2", "purpose": "viewing", "source": "walk_in"})


def test_visitor_logged_on_a_reaches_sse_client_on_b_within_1s(cluster):
    a, sse = cluster.bases["A"], _sse(cluster)
    desk, seller = signed_in(a, "desk"), signed_in(a, "seller")  # reception; presales
    watching, blind = Stream(sse, desk), Stream(sse, seller)
    try:
        for stream in (watching, blind):
            assert stream.wait_for(b": open", 30), stream.text
        sent = time.monotonic()
        logged = _log_visitor(desk, a)
        answered = time.monotonic()
        assert logged.status_code == 303, logged.text[:500]
        arrived = watching.wait_for(b"event: visitors-changed", 5)
        assert arrived is not None, watching.text
        assert arrived - sent < 1.0, (
            f"the event reached B {arrived - sent:.3f} s after the form was sent "
            f"(A answered after {answered - sent:.3f} s)")
        # presales may not see visitors: its stream, alive (heartbeats), got no event at all
        assert blind.wait_for(b": heartbeat", 3), blind.text
        assert b"event:" not in blind.text, blind.text
    finally:
        watching.close()
        blind.close()


def _fall_due(cluster, order_no: str, seconds: float) -> None:
    """The case's first response is due ``seconds`` from now (negative: overdue)."""
    due = datetime.now(UTC) + timedelta(seconds=seconds)
    with cluster.engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE aftersales_cases SET first_response_due_at = :due WHERE order_no = :no"),
            {"due": due.replace(tzinfo=None), "no": order_no})


def _breached(cluster, order_no: str) -> tuple[int, int]:
    """(reminders_sent rows, notifications) of the case's "breached its SLA" reminder."""
    with cluster.engine.connect() as connection:
        case_id = connection.scalar(sa.text(
            "SELECT id FROM aftersales_cases WHERE order_no = :no"), {"no": order_no})
        sent = connection.scalar(sa.text(
            "SELECT count(*) FROM reminders_sent WHERE kind = 'sla_breached' AND key LIKE :k"),
            {"k": f"{case_id}:response:%"})
        notes = connection.scalar(sa.text(
            "SELECT count(*) FROM notifications WHERE message LIKE '%breached its SLA%' "
            "AND params->>'order_no' = :no"), {"no": order_no})
    return sent, notes


def _runs(cluster, *workers: str) -> int:
    """How many times the workers have run the reminder check to its end."""
    return sum(len(re.findall(r"check_reminders: [\w-]+ executed in", cluster.log(name)))
               for name in workers)


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.25)


def test_periodic_job_runs_once_not_once_per_instance(cluster):
    """The two workers started with the cluster, each its own scheduler, found AS-ONCE
    overdue a minute (opened so at set-up)."""
    # each scheduler enqueued the check when it started: it ran twice (or more)
    _wait(lambda: _runs(cluster, "W1", "W2") >= 2, 120,
          "two runs of the check:\n" + cluster.log("W1")[-2000:] + cluster.log("W2")[-2000:])
    for name in ("W1", "W2"):
        assert re.search(r"Enqueueing periodic task \S*check_reminders", cluster.log(name))
    assert _breached(cluster, "AS-ONCE") == (1, 1)


def _queue(cluster):
    """The cluster's job queue, as the web app or a script would enqueue on it."""
    from flask import Flask

    from portal.jobs.queue import make_huey

    app = Flask("enqueue")
    app.config["REDIS_URL"] = cluster.env["REDIS_URL"]
    return make_huey(app)


def test_worker_down_jobs_queue_and_run_on_restart_once(cluster):
    for name in ("W1", "W2"):
        if cluster.running(name):
            cluster.stop(name)
    # due after the last check the workers made (a window already looked at is not again)
    _fall_due(cluster, "AS-QUEUED", 0.5)
    time.sleep(1)
    huey = _queue(cluster)
    huey.portal_tasks["check_reminders"]()  # enqueued while no worker runs
    assert huey.pending_count() == 1
    time.sleep(1)
    assert _breached(cluster, "AS-QUEUED") == (0, 0), "nothing runs while the worker is down"
    cluster.start_worker("W1")
    # the queued check and the restarted scheduler's own both run; the reminder goes once
    _wait(lambda: _runs(cluster, "W1") >= 2, 150, "two runs:\n" + cluster.log("W1")[-3000:])
    assert huey.pending_count() == 0
    assert _breached(cluster, "AS-QUEUED") == (1, 1)


def test_redis_down_pages_and_actions_work_live_falls_back_reminders_wait(cluster):
    if cluster.redis is None:
        pytest.skip("needs the cluster's own redis-server (the machine's is shared)")
    if not cluster.running("W1"):
        cluster.start_worker("W1")
    a, b, sse = cluster.bases["A"], cluster.bases["B"], _sse(cluster)
    desk = signed_in(a, "desk")
    stream = Stream(sse, desk)
    assert stream.wait_for(b": open", 30), stream.text
    cluster.redis.stop()
    try:
        # open streams end and /events refuses: the screens poll (cheaply) meanwhile
        # (the response's last chunk: the connection itself stays for keep-alive)
        assert stream.wait_for(b"\r\n0\r\n\r\n", 10) or stream.ended.is_set(), \
            "the stream stayed open without Redis"
        refused = desk.get(sse + "/events", timeout=30, stream=True)
        refused.close()
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        board = desk.get(b + "/showroom/", timeout=30)
        assert board.status_code == 200 and "every 15s" in board.text
        # pages and actions work on either instance; health says what is missing
        assert _log_visitor(desk, a).status_code == 303
        polled = desk.get(b + "/showroom/board", timeout=30, headers={"HX-Request": "true"})
        assert polled.status_code == 200
        assert requests.get(a + "/healthz", timeout=10).json()["checks"]["redis"] == "down"
        # a reminder falls due while Redis is down: it waits
        _fall_due(cluster, "AS-REDIS", 1)
        time.sleep(4)
        assert _breached(cluster, "AS-REDIS") == (0, 0)
    finally:
        cluster.redis.start()  # the same port: every process finds it again
    # the worker's next periodic check (within a minute) sends it, once
    _wait(lambda: _breached(cluster, "AS-REDIS") != (0, 0), 100,
          "the reminder was not sent after Redis came back:\n" + cluster.log("W1")[-3000:])
    assert _breached(cluster, "AS-REDIS") == (1, 1)
    # live updates come back: a new stream opens (the listener reconnects with backoff)
    _wait(lambda: requests.get(a + "/healthz", timeout=10).json()["checks"]["redis"] == "ok",
          30, "healthz")
    again = None
    deadline = time.monotonic() + 30
    while again is None:
        attempt = Stream(sse, desk)
        if attempt.wait_for(b": open", 10):
            again = attempt
        else:
            attempt.close()
            assert time.monotonic() < deadline, "no stream after Redis came back"
            time.sleep(1)
    again.close()
