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

Checks to add here once the ``live`` and ``jobs`` work is merged (the cluster starts any
process with the shared environment: ``cluster.start(name, command, ready_url=...)``):

- ``test_visitor_logged_on_a_reaches_sse_client_on_b_within_1s``: start the SSE process of
  each instance (gunicorn, gevent worker class, ``/events``) with ``cluster.start``, open a
  stream on B as reception, log a visitor through A's form, and time the ``visitors-changed``
  event on B's stream (< 1 s); a role that may not see it gets nothing.
- ``test_periodic_job_runs_once_not_once_per_instance``: start the huey consumer
  (``cluster.start("worker", [...])``) next to A and B with the clock of a due reminder, and
  count the reminder's notifications (exactly one; its unique key in the database).
"""

import os
import re
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

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
         "li": "presales", "target": "presales"}


def _why_not() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return "two instances need PostgreSQL (TEST_DATABASE_URL)"
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

    def stop(self, name: str) -> None:
        stop(self.processes.pop(name))

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


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
    env = {**os.environ, "DATABASE_URL": test_url.set(database=name).render_as_string(
               hide_password=False),
           "REDIS_URL": REDIS_URL, "SECRET_KEY": secrets.token_urlsafe(48),
           "PORTAL_ENV": "production", "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING",
           "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1"}
    env.pop("TEST_DATABASE_URL", None)
    for command in ([sys.executable, "-m", "flask", "db", "upgrade"],
                    [sys.executable, "-c", _SETUP, PASSWORD,
                     *(f"{u}:{r}" for u, r in USERS.items())]):
        subprocess.run(command, cwd=ROOT, env=env, check=True,  # noqa: S603
                       capture_output=True, timeout=180)
    running = Cluster(env=env, folder=tmp_path_factory.mktemp("cluster"))
    try:
        with ThreadPoolExecutor(2) as pool:  # both start at once
            list(pool.map(running.start_web, ["A", "B"]))
        yield running
    finally:
        running.stop_all()
        _admin(test_url, drop)
    for name in ("A", "B"):
        assert "Traceback" not in running.log(name), running.log(name)


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
    for name, base in cluster.bases.items():
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
        assert health.status_code == 503
        assert health.json()["checks"] == {"database": "ok", "redis": "down"}
        browser = signed_in(c, "li")
        assert browser.get(c + "/", timeout=30).status_code == 200
    finally:
        cluster.stop("C")
