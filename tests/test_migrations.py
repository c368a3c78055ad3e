"""Migrations: an empty database upgraded to head has exactly the models' schema, and
downgrade/upgrade round-trips. Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db, include_name


@pytest.fixture
def empty_database_url(tmp_path):
    """A new, empty database of the kind the suite runs on."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"portal_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _drift(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "render_as_batch": True,
                                                         "include_name": include_name})
        return compare_metadata(context, db.metadata)


def test_upgrade_matches_models_and_round_trips(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "m" * 40})
    with app.app_context():
        engine = db.engines[None]
        upgrade()
        assert _drift(engine) == []
        tables = set(sa.inspect(engine).get_table_names())
        assert {"users", "audit_events", "notifications"} <= tables

        downgrade(revision="base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade()
        assert _drift(engine) == []
        engine.dispose()
