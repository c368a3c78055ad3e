"""Test fixtures: the app, a client, `login(role)`, factories; each test rolled back.

The suite runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set. The schema is
created once per run; each test runs inside one outer transaction that is rolled back
afterwards (the app's commits become savepoints).
"""

import contextvars
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session, sessionmaker

from portal import create_app
from portal.extensions import db as _db
from portal.extensions import limiter

pytest_plugins = ["tests.fixtures.factories"]

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context (and its own ``g``),
    as in production, even while the test itself holds one."""

    def open(self, *args, **kwargs):
        def run():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(run)


class _TestSession(scoped_session):
    """The test's one session. Flask-SQLAlchemy removes the session at the end of every
    app context; here that discards what was not committed, as closing would, but keeps the
    objects the test holds (they reload on next access)."""

    def remove(self):
        if self.registry.has():
            self.registry().rollback()


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The portal configured for tests, with a fresh schema."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
        "WTF_CSRF_ENABLED": False,  # tests/auth/test_security.py turns it on
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "AFTERSALES_PHOTO_DIR": str(tmp_path_factory.mktemp("evidence")),
        # tasks actions hand the job queue go to a queue of the test run, not instance/
        "JOBS_SQLITE_FILE": str(tmp_path_factory.mktemp("jobs") / "jobs.sqlite3"),
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def db(app):
    """Each test in a transaction rolled back afterwards; the app context held for the test."""
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        _db.session = _TestSession(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=lambda: 0,
        )
        clock = app.extensions["portal_clock"]
        limiter.reset()
        try:
            yield _db
        finally:
            _db.session.registry().close()
            _db.session = original
            outer.rollback()
            connection.close()
            clock.unfreeze()


@pytest.fixture
def client(app):
    """A browser without a session."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The `flask` command-line runner."""
    return app.test_cli_runner()


@pytest.fixture
def clock(app):
    """The department clock; ``clock.freeze(datetime(...))`` stops it."""
    return app.extensions["portal_clock"]


@pytest.fixture
def freeze(clock):
    """Freeze the clock at a department-local moment: ``freeze("2026-11-22 09:30")``."""

    def _freeze(moment):
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        clock.freeze(moment)
        return clock.now()

    return _freeze


@pytest.fixture
def csrf_enabled(app, monkeypatch):
    """Turn CSRF protection on for one test (it is off for the rest of the suite)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def count_rows(model, *where) -> int:
    """How many rows of ``model`` match."""
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


ROOT = Path(__file__).resolve().parent.parent

_LOADING_CARD = re.compile(r'<section class="card card-loading" id="card-([^"]+)"[^>]*?'
                           r'hx-get="([^"]+)".*?</section>', re.S)


def today(client, **kwargs):
    """The Today page as a browser shows it: the frame, then each card it loads (every card
    is a request of its own) put in its place. The frame's response, with the cards in."""
    response = client.get("/", **kwargs)
    if response.status_code != 200:
        return response
    page = response.get_data(as_text=True)

    def fill(match):
        card = client.get(match.group(2), headers={"HX-Request": "true"})
        assert card.status_code == 200, f"card {match.group(1)}: {card.status_code}"
        return card.get_data(as_text=True)

    response.set_data(_LOADING_CARD.sub(fill, page))
    return response


@pytest.fixture
def count_queries(db):
    """``with count_queries() as n: ...`` then ``n.count`` and ``n.statements``: the SQL the
    block ran."""
    from contextlib import contextmanager

    class Counter:
        def __init__(self):
            self.count, self.statements = 0, []

    @contextmanager
    def _count(*, like_bench: bool = False):
        """``like_bench``: leave out BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE, as the bench's
        X-Query-Count does (the test's savepoints are no query of the request)."""
        counter = Counter()

        def before(conn, cursor, statement, *args, **kwargs):
            if like_bench and statement.split(None, 1)[0].upper() in (
                    "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
                return
            counter.count += 1
            counter.statements.append(" ".join(statement.split()))

        bind = db.session.get_bind()
        engine = bind.engine if hasattr(bind, "engine") else bind
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return _count
