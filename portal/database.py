"""The declarative base, naming conventions and column types every model shares."""

from datetime import UTC

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

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
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing_request() else "BEGIN")
