"""The job queue: huey made from the config, the worker command running due jobs (in
process, and as the real consumer in its own process), and ``make run`` starting it."""

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from huey import MemoryHuey, RedisHuey, SqliteHuey

from portal.extensions import db
from portal.jobs import queue
from portal.notifications.models import Notification
from portal.shifts.models import RosterMonth
from tests.conftest import TEST_SECRET, count_rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_huey(app, monkeypatch):
    """The app's huey made again from the config the test sets."""
    monkeypatch.delitem(app.extensions, queue.EXTENSION, raising=False)
    yield
    app.extensions.pop(queue.EXTENSION, None)


def test_embedded_default_is_sqlite_in_the_instance_folder(app, fresh_huey, monkeypatch,
                                                           tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setitem(app.config, "JOBS_SQLITE_FILE", str(tmp_path / "jobs.sqlite3"))
    huey = queue.get_huey(app)
    assert isinstance(huey, SqliteHuey) and queue.get_huey(app) is huey
    # every minute: due at any minute the scheduler asks about
    assert [t.name for t in huey.read_periodic(datetime(2026, 11, 25, 9, 1))] == [
        "portal.check_reminders", "portal.run_scheduled"]


def test_redis_when_redis_url_is_set(app, fresh_huey, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/5")
    assert isinstance(queue.get_huey(app), RedisHuey)


def test_worker_once_runs_the_due_jobs(app, runner, fresh_huey, monkeypatch, freeze,
                                       create_user):
    monkeypatch.setitem(app.config, "JOBS_IMMEDIATE", True)
    supervisor = create_user("supervisor")
    db.session.add(RosterMonth(year=2026, month=12, status="draft"))
    db.session.commit()
    freeze("2026-11-25 09:30")  # 09:00 fell in the first run's look back (60 minutes)
    result = runner.invoke(args=["portal", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "reminders sent: 1" in result.output
    assert isinstance(queue.get_huey(app), MemoryHuey)
    assert count_rows(Notification, Notification.user_id == supervisor.id) == 1
    result = runner.invoke(args=["portal", "worker", "--once"])
    assert "reminders sent: 0" in result.output


def test_make_run_starts_the_worker_beside_the_web_app():
    out = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,  # noqa: S603, S607
                         check=True).stdout
    recipe = out[out.index("portal worker"):]
    worker, trap, web = (recipe.index(s) for s in ("portal worker &", "trap", "flask run"))
    assert worker < trap < web  # in the background, stopped when the web app stops
    assert "kill $worker" in recipe


SETUP = """
from datetime import timedelta
from portal import clock, create_app
from portal.aftersales import cases
from portal.auth.models import User
from portal.extensions import db

app = create_app()
with app.app_context():
    db.create_all()
    agent = User(username="agent", display_name="售后", role="aftersales", password_hash="x",
                 active=True)
    db.session.add(agent)
    db.session.flush()
    with app.test_request_context():
        case = cases.open_case(agent, type="return_refund", order_no="AS1",
                               problem="茶杯有裂纹", assignee_id=agent.id)
    case.first_response_due_at = clock.now() - timedelta(minutes=1)  # breached just now
    db.session.commit()
"""


@pytest.mark.slow
def test_the_worker_process_sends_a_due_reminder(tmp_path):
    """``flask portal worker`` as production runs it: the huey consumer enqueues the
    periodic check at once and sends a reminder that fell due a minute ago."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the worker's own database is a SQLite file here")
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "JOBS_SQLITE_FILE": str(tmp_path / "jobs.db"),
           "FLASK_APP": "wsgi", "SECRET_KEY": TEST_SECRET}
    env.pop("REDIS_URL", None)
    # the data is written by a process of its own (this one's session is the test's)
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True)  # noqa: S603
    worker = subprocess.Popen([sys.executable, "-m", "flask", "portal", "worker"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        engine = sa.create_engine(url)
        deadline = time.monotonic() + 30
        found = 0
        while time.monotonic() < deadline and not found:
            time.sleep(0.5)
            with engine.connect() as connection:
                found = connection.scalar(sa.text(
                    "SELECT count(*) FROM notifications WHERE user_id = :u AND message LIKE "
                    "'%breached%'"), {"u": 1})
    finally:
        worker.terminate()
        output = worker.communicate(timeout=15)[0].decode()
        engine.dispose()
    assert found == 1, output[-3000:]
    assert "portal.check_reminders" in output
