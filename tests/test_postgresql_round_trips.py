"""PostgreSQL without the round trips a request does not need (portal/database.py): no
pre-ping — a connection the server ended is replaced at checkout —, read-only GETs without
BEGIN/ROLLBACK, and a GET that writes still one transaction."""

import os
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal import config

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not URL.startswith("postgresql"),
                                reason="PostgreSQL only (TEST_DATABASE_URL)")

PROBE = sa.Table("pg_round_trip_probe", sa.MetaData(),
                 sa.Column("id", sa.Integer, primary_key=True), sa.Column("note", sa.Text))


@pytest.fixture
def engine():
    engine = sa.create_engine(URL, **config.engine_options(URL))
    with engine.begin() as connection:
        PROBE.drop(connection, checkfirst=True)
        PROBE.create(connection)
    yield engine
    with engine.begin() as connection:
        PROBE.drop(connection, checkfirst=True)
    engine.dispose()


def _status(session: Session) -> str:
    dbapi = session.connection().connection.dbapi_connection
    from psycopg import pq

    return pq.TransactionStatus(dbapi.pgconn.transaction_status).name


def _terminate(pids) -> None:
    """What a server restart does to the pool's connections, from outside the pool."""
    admin = sa.create_engine(URL, poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE pid = ANY(:pids)"), {"pids": list(pids)})
    admin.dispose()
    time.sleep(0.2)


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(PROBE))


def test_the_engine_has_no_pre_ping_and_keeps_connections_alive():
    options = config.engine_options(URL)
    assert options["pool_pre_ping"] is False
    assert options["connect_args"]["keepalives"] == 1
    assert options["pool_recycle"] > 0
    assert config.engine_options("sqlite:///x.sqlite3") == {}


def test_the_portal_s_sessions_run_without_jit(engine, monkeypatch):
    """JIT compiles a short query over a large table for 100–300 ms (its cost crosses the
    threshold); the portal's connections turn it off, DB_JIT=on turns it back on."""
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SHOW jit")) == "off"
    monkeypatch.setenv("DB_JIT", "on")
    other = sa.create_engine(URL, **config.engine_options(URL))
    with other.connect() as connection:
        assert connection.scalar(sa.text("SHOW jit")) == "on"
    other.dispose()


def test_a_live_connection_is_kept_from_request_to_request(app, engine):
    """The check at checkout refuses only a connection the server left: a healthy one serves
    request after request (a check that always failed would connect anew each time)."""
    pids = set()
    for method in ("GET", "POST", "GET"):
        with app.test_request_context("/", method=method), Session(engine) as session:
            pids.add(session.scalar(sa.text("SELECT pg_backend_pid()")))
    assert len(pids) == 1


def test_a_connection_the_server_ended_is_replaced_at_checkout(app, engine):
    """pg_terminate_backend (what a restart does to every connection): the next request
    gets a new connection and succeeds, without a ping round trip on every checkout."""
    with app.test_request_context("/", method="GET"), Session(engine) as session:
        first = session.scalar(sa.text("SELECT pg_backend_pid()"))
    assert engine.pool.checkedin() == 1
    _terminate([first])
    with app.test_request_context("/", method="GET"), Session(engine) as session:
        second = session.scalar(sa.text("SELECT pg_backend_pid()"))
    assert second != first
    with app.test_request_context("/", method="POST"), Session(engine) as session:
        session.execute(PROBE.insert().values(note="after the restart"))
        session.commit()
    assert _count(engine) == 1


def test_every_connection_ended_at_once_is_replaced(app, engine):
    """A server restart ends every pooled connection: each checkout replaces its own."""
    sessions = [Session(engine) for _ in range(3)]
    pids = [s.scalar(sa.text("SELECT pg_backend_pid()")) for s in sessions]
    for s in sessions:
        s.close()
    _terminate(pids)
    for _ in range(3):
        with app.test_request_context("/", method="GET"), Session(engine) as session:
            assert session.scalar(sa.text("SELECT pg_backend_pid()")) not in pids


def test_a_read_only_get_sends_no_begin(app, engine):
    with app.test_request_context("/", method="GET"), Session(engine) as session:
        session.execute(sa.select(PROBE)).all()
        assert session.connection().connection.dbapi_connection.autocommit is True
        assert _status(session) == "IDLE"  # no transaction open: nothing to roll back


def test_a_get_that_writes_is_one_transaction(app, engine):
    with app.test_request_context("/", method="GET"), Session(engine) as session:
        session.execute(sa.select(PROBE)).all()
        session.execute(PROBE.insert().values(note="made on first use"))
        assert _status(session) == "INTRANS"
        session.execute(PROBE.insert().values(note="second row"))
        session.rollback()
    assert _count(engine) == 0  # neither row: the write was one transaction
    with app.test_request_context("/", method="GET"), Session(engine) as session:
        session.execute(PROBE.insert().values(note="made on first use"))
        session.commit()
    assert _count(engine) == 1


def test_a_locking_read_in_a_get_holds_its_lock(app, engine):
    with engine.begin() as connection:
        connection.execute(PROBE.insert().values(id=1, note="x"))
    with app.test_request_context("/", method="GET"), Session(engine) as session:
        session.execute(sa.select(PROBE).where(PROBE.c.id == 1).with_for_update()).all()
        assert _status(session) == "INTRANS"
        session.rollback()


def test_an_autocommit_engine_stays_autocommit(app):
    """CREATE DATABASE and the like need an engine in AUTOCOMMIT: checkout leaves it so."""
    engine = sa.create_engine(URL, isolation_level="AUTOCOMMIT")
    try:
        for method in (None, "POST", "GET", None):
            context = app.test_request_context("/", method=method) if method else None
            if context:
                context.push()
            try:
                with engine.connect() as connection:
                    dbapi = connection.connection.dbapi_connection
                    assert dbapi.autocommit is True
                    connection.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS t (x int)")
                    assert dbapi.pgconn.transaction_status == 0  # IDLE: no BEGIN slipped in
            finally:
                if context:
                    context.pop()
    finally:
        engine.dispose()


def test_writing_requests_and_work_outside_requests_use_transactions(app, engine):
    with app.test_request_context("/", method="GET"), Session(engine) as session:
        session.execute(sa.select(PROBE)).all()  # the pool's connection read in autocommit
    with app.test_request_context("/", method="POST"), Session(engine) as session:
        session.execute(sa.select(PROBE)).all()
        assert _status(session) == "INTRANS"
    with Session(engine) as session:  # the CLI, the bench's data, jobs
        session.execute(sa.select(PROBE)).all()
        assert _status(session) == "INTRANS"
