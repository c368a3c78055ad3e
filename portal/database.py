"""The declarative base, naming conventions and column types every model shares."""

import contextlib
from datetime import UTC

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.pool import Pool

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of all models."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class LocalName:
    """Model mixin: ``local_name``, the record's name in the reader's language (``names``
    holds the other languages as typed; a language left out shows ``name``)."""

    @property
    def local_name(self) -> str:
        from portal.i18n import localized

        return localized(self.names, self.name)


class NamedEntry(LocalName):
    """Model mixin: an entry of a short list the supervisor keeps (complaint categories,
    question categories, customer tags): a unique default name, its names in the other
    languages, retired rather than deleted, version-checked when edited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(30), unique=True)
    names: Mapped[dict | None] = mapped_column(sa.JSON)  # {"zh_TW": …, "en": …}
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805 - declared_attr's class argument
        return {"version_id_col": cls.version}


class UTCDateTime(sa.types.TypeDecorator):
    """A moment in time: stored as naive UTC, always returned time-zone aware (UTC).

    SQLite keeps no time zone; storing UTC everywhere makes both databases agree.
    Display in the department's zone happens in templates (see portal.clock).
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)



# SQLite: enforce foreign keys, and let SQLAlchemy (not the sqlite3 module) begin
# transactions, so that SAVEPOINTs and rollbacks behave as on PostgreSQL.
# Many staff at once (gunicorn workers, the shift change): WAL lets readers go on while one
# writer writes; a writer waits up to SQLITE_BUSY_TIMEOUT_MS for the lock instead of failing
# with "database is locked"; and a request that may write (POST, PUT, PATCH, DELETE) begins
# its transactions IMMEDIATE, taking the write lock first: a deferred transaction that read
# and then writes cannot wait for the lock (SQLite answers SQLITE_BUSY at once when another
# writer committed in between), an immediate one simply queues. GET requests stay deferred,
# so reading never waits for writers. synchronous=NORMAL is WAL's recommended setting.
SQLITE_BUSY_TIMEOUT_MS = 15_000
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _writing_request() -> bool:
    from flask import has_request_context, request

    return has_request_context() and request.method in WRITE_METHODS


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        immediate = _writing_request()
        connection.info[_SQLITE_DEFERRED] = not immediate
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# A deferred transaction that read and then writes (a GET that records who saw personal data,
# a sheet made on first use, a job) would be refused at once with "database is locked" when
# another writer committed since its first read: SQLite cannot move a reader's snapshot
# forward, so it does not wait. Before its first write (or DDL) such a transaction ends its
# reads and begins again IMMEDIATE, which queues for the lock (the busy timeout) and sees the
# latest data, as each statement of PostgreSQL's READ COMMITTED does. Nothing was written yet,
# so nothing is committed early. Inside a SAVEPOINT (the tests' outer transaction) it stays.
_SQLITE_DEFERRED = "portal_sqlite_deferred"
_SQLITE_WRITE = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_immediate_before_write(conn, cursor, statement, parameters, context, executemany):
    if not conn.info.get(_SQLITE_DEFERRED) or conn.dialect.name != "sqlite":
        return
    head = statement.lstrip()[:8].upper()
    if not (head.startswith(_SQLITE_WRITE) or (head.startswith("WITH") and _writes(statement))):
        return
    conn.info[_SQLITE_DEFERRED] = False
    if conn.in_nested_transaction() or not conn.in_transaction():
        return
    cursor.execute("COMMIT")
    cursor.execute("BEGIN IMMEDIATE")


# PostgreSQL: no round trip that a request does not need (docs/performance.md).
#
# Liveness without a ping. ``pool_pre_ping`` sent an empty query on every checkout: one round
# trip per request. A connection the server ended (a restart, pg_terminate_backend, an idle
# timeout) has its socket readable while it sits idle in the pool: the server's last message
# and the end of the stream wait there. Checking that costs a zero-timeout poll(), no round
# trip; such a connection is refused with DisconnectionError and the pool connects afresh
# (SQLAlchemy retries the checkout). A connection that dies during a request is handled
# optimistically by SQLAlchemy (the pool is invalidated, the next checkout reconnects);
# TCP keepalives and ``pool_recycle`` (config.engine_options) bound the silent network cases.
#
# Reads without a transaction. A GET that only reads runs its statements in autocommit:
# PostgreSQL gives each statement of a READ COMMITTED transaction its own snapshot anyway, so
# what the reads see is the same, and the request saves BEGIN and ROLLBACK (two round trips).
# The first statement that is not a plain SELECT (a GET that writes, e.g. a sheet made on first
# use, or a SELECT … FOR UPDATE) begins a real transaction first, so writes stay atomic and
# locks are held until the commit or rollback, as before.
def _is_psycopg(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("psycopg")


def connection_is_dead(dbapi_connection) -> bool:
    """True when the server has ended this idle psycopg connection (no round trip): an idle
    connection that is not listening has nothing to read unless the server is leaving (its
    last message, then the end of the stream). Anything else readable is as suspect and
    costs one new connection."""
    import select

    import psycopg

    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        poller = select.poll()  # not select(): no limit on the descriptor's number
        poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, psycopg.Error):
        return True


@event.listens_for(Pool, "checkout")
def _postgresql_checkout(dbapi_connection, connection_record, connection_proxy):
    if not _is_psycopg(dbapi_connection):
        return
    if connection_is_dead(dbapi_connection):
        raise sa.exc.DisconnectionError("the server closed the connection")
    reading = not _writing_request() and _request_method() is not None
    if reading and not dbapi_connection.autocommit:
        dbapi_connection.autocommit = True  # local: the connection is idle here
        connection_record.info[_READING] = True


_READING = "portal_reading"


@event.listens_for(Pool, "checkin")
def _postgresql_checkin(dbapi_connection, connection_record):
    """Back in the pool as it was configured (an engine with isolation_level="AUTOCOMMIT"
    stays so; the others take transactions again): only what the checkout changed."""
    if connection_record.info.pop(_READING, False) and dbapi_connection is not None:
        with contextlib.suppress(Exception):  # a broken connection is discarded anyway
            dbapi_connection.autocommit = False


def _request_method() -> str | None:
    from flask import has_request_context, request

    return request.method if has_request_context() else None


_PLAIN_READ = ("SELECT", "WITH", "SHOW")
_LOCKING = (" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE", " FOR KEY SHARE")


@event.listens_for(Engine, "before_cursor_execute")
def _postgresql_begin_before_write(conn, cursor, statement, parameters, context, executemany):
    if not conn.connection.info.get(_READING):  # only a GET's reads, never an engine's own
        return  # AUTOCOMMIT (CREATE DATABASE must not be wrapped in BEGIN)
    dbapi_connection = conn.connection.dbapi_connection
    from psycopg import pq

    if dbapi_connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return
    head = statement.lstrip()[:8].upper()
    if head.startswith(_PLAIN_READ) and not any(lock in statement.upper() for lock in _LOCKING) \
            and not (head.startswith("WITH") and _writes(statement)):
        return
    cursor.execute("BEGIN")  # the request writes: from here on one transaction, as before


def _writes(statement: str) -> bool:
    upper = statement.upper()
    return any(word in upper for word in ("INSERT ", "UPDATE ", "DELETE "))


# psycopg keeps 100 prepared statements per connection and deallocates the least used one
# (a DEALLOCATE round trip) when a new one is prepared; the portal sends a few hundred
# distinct statements, so keep them all.
PREPARED_MAX = 1000


@event.listens_for(Pool, "connect")
def _postgresql_connect(dbapi_connection, connection_record):
    if _is_psycopg(dbapi_connection):
        dbapi_connection.prepared_max = PREPARED_MAX
