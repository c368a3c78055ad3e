"""``flask portal backup`` / ``restore`` on SQLite: a backup restored into a fresh database
keeps every row; a restore over a database with tables needs --force; bad files refused.
(PostgreSQL's pg_dump/pg_restore round trip runs in .ci/run: .ci/backup-roundtrip.)"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db as portal_db
from portal.ops import backup as ops_backup


def _portal(path):
    """A portal app of its own on the SQLite file ``path`` (not the test's database)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x" * 40})


def _invoke(path, *args):
    """``flask portal ARGS`` of the portal on ``path`` (its app context pushed: the command
    line would otherwise use the test's app, whose context the test holds)."""
    app = _portal(path)
    with app.app_context():
        return app.test_cli_runner().invoke(args=["portal", *args])


def _counts(path) -> dict[str, int]:
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute(
            "select name from sqlite_master where type='table' order by name")]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0]  # noqa: S608
                for t in tables}


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A SQLite portal with the demo department in it, made by the commands an operator runs
    (in a process of their own: in this one every session is the test's)."""
    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "x" * 40,
           "FLASK_APP": "wsgi", "LOG_LEVEL": "WARNING"}
    env.pop("TEST_DATABASE_URL", None)
    for command in (["db", "upgrade"], ["portal", "seed-demo"]):
        subprocess.run([sys.executable, "-m", "flask", *command], cwd=ROOT, env=env,  # noqa: S603
                       check=True, capture_output=True, timeout=120)
    return path


def test_backup_then_restore_into_a_fresh_database_keeps_rows(filled, tmp_path):
    before = _counts(filled)
    assert before["users"] > 5 and sum(before.values()) > 50
    archive = tmp_path / "backups" / "portal-2026-12-06.sqlite3"
    archive.parent.mkdir()
    result = _invoke(filled, "backup", str(archive))
    assert result.exit_code == 0, result.output
    assert "written to" in result.output

    fresh = tmp_path / "fresh.sqlite3"
    result = _invoke(fresh, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert _counts(fresh) == before
    with sqlite3.connect(fresh) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("select version_num from alembic_version").fetchone() == \
            sqlite3.connect(filled).execute("select version_num from alembic_version").fetchone()


def test_backup_while_a_writer_holds_a_transaction(filled, tmp_path):
    """The online backup copies the committed state; a transaction in flight is not in it.
    (``filled`` is shared by this module's tests: they only read it.)"""
    writer = sqlite3.connect(filled, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("delete from audit_events")
    try:
        archive = tmp_path / "during.sqlite3"
        ops_backup.backup(f"sqlite:///{filled}", archive)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert _counts(archive) == _counts(filled)


def test_restore_over_a_database_with_tables_needs_force(filled, tmp_path):
    archive = tmp_path / "b.sqlite3"
    ops_backup.backup(f"sqlite:///{filled}", archive)
    other = tmp_path / "other.sqlite3"
    app = _portal(other)
    with app.app_context():
        portal_db.create_all(bind_key=None)
        portal_db.engine.dispose()
    refused = _invoke(other, "restore", str(archive))
    assert refused.exit_code != 0 and "--force" in refused.output
    assert _counts(other)["users"] == 0, "nothing was restored"
    forced = _invoke(other, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert _counts(other) == _counts(filled)


def test_backup_refuses_to_overwrite_a_file_without_force(filled, tmp_path):
    archive = tmp_path / "exists.sqlite3"
    archive.write_bytes(b"precious")
    refused = _invoke(filled, "backup", str(archive))
    assert refused.exit_code != 0 and "exists" in refused.output
    assert archive.read_bytes() == b"precious"
    assert _invoke(filled, "backup", "--force", str(archive)).exit_code == 0
    assert _counts(archive) == _counts(filled)


def test_restore_refuses_a_file_that_is_no_database(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    fresh = tmp_path / "fresh.sqlite3"
    result = _invoke(fresh, "restore", str(junk))
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert not fresh.exists() or _counts(fresh) == {}


def test_in_memory_and_unknown_databases_are_refused(tmp_path):
    with pytest.raises(ops_backup.BackupError, match="in-memory"):
        ops_backup.backup("sqlite://", tmp_path / "x")
    with pytest.raises(ops_backup.BackupError, match="mysql"):
        ops_backup.backup("mysql://u@h/db", tmp_path / "x")


def test_pg_tools_get_the_password_by_environment_not_argument():
    url = sa.engine.make_url("postgresql+psycopg://portal:s3cret@db.local:5432/portal")
    assert ops_backup._libpq(url) == "postgresql://portal@db.local:5432/portal"
