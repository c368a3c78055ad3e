"""SQLite: a transaction that read and then writes is not refused when another writer
committed in between (portal.database); on PostgreSQL the question does not arise."""

import sqlalchemy as sa
from flask import Flask

import portal.database  # noqa: F401 - its engine events are what is tested

TABLE = sa.table("notes", sa.column("id", sa.Integer), sa.column("text", sa.String))


def _engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'two.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        connection.execute(TABLE.insert().values(text="first"))
    return engine


def test_a_get_that_read_then_writes_waits_for_the_lock_instead_of_failing(tmp_path):
    engine = _engine(tmp_path)
    with Flask(__name__).test_request_context("/customers/", method="GET"):
        reader, other = engine.connect(), engine.connect()
        try:
            reader.begin()
            assert reader.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar() == 1
            with other.begin():  # someone else writes after our first read
                other.execute(TABLE.insert().values(text="theirs"))
            reader.execute(TABLE.insert().values(text="seen by the supervisor"))
            reader.commit()
        finally:
            reader.close()
            other.close()
    with engine.connect() as connection:
        texts = connection.execute(sa.select(TABLE.c.text).order_by(TABLE.c.id)).scalars().all()
    assert texts == ["first", "theirs", "seen by the supervisor"]
    engine.dispose()


def test_a_rolled_back_transaction_that_read_first_leaves_nothing_written(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect() as connection:
        connection.begin()
        connection.execute(sa.select(TABLE.c.id)).all()
        connection.execute(TABLE.insert().values(text="undone"))
        connection.rollback()
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar() == 1
    engine.dispose()


def test_a_write_inside_a_savepoint_keeps_the_outer_transaction(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect() as connection:
        outer = connection.begin()
        connection.execute(sa.select(TABLE.c.id)).all()
        with connection.begin_nested():
            connection.execute(TABLE.insert().values(text="inner"))
        outer.rollback()  # the tests' isolation: everything goes
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar() == 1
    engine.dispose()
