"""PostgreSQL backup round trip, run by .ci/run after the PostgreSQL suite.

A fresh database gets the schema (``flask db upgrade``) and the demo department, ``flask
portal backup`` writes a pg_dump archive, ``flask portal restore`` loads it into a second
fresh database, and every table must hold the same number of rows in both; a second restore
over the now filled database must be refused without --force. Both databases are dropped
at the end. Usage:

    .venv/bin/python .ci/backup_roundtrip.py [postgresql+psycopg://postgres@127.0.0.1:5432]
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SERVER = sys.argv[1] if len(sys.argv) > 1 else "postgresql+psycopg://postgres@127.0.0.1:5432"
SOURCE, TARGET = "ci_backup_source", "ci_backup_target"


def url(database: str) -> str:
    return make_url(SERVER).set(database=database).render_as_string(hide_password=False)


def admin(*statements: str) -> None:
    engine = sa.create_engine(url("postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def flask(database: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url(database), "FLASK_APP": "wsgi",
           "SECRET_KEY": "ci-backup-roundtrip-" + "x" * 32, "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def counts(database: str) -> dict[str, int]:
    engine = sa.create_engine(url(database))
    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        result = {t: connection.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()  # noqa: S608
                  for t in sorted(tables)}
    engine.dispose()
    return result


def main() -> None:
    drop = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in (SOURCE, TARGET)]
    admin(*drop, f'CREATE DATABASE "{SOURCE}"', f'CREATE DATABASE "{TARGET}"')
    try:
        flask(SOURCE, "db", "upgrade")
        flask(SOURCE, "portal", "seed-demo")
        before = counts(SOURCE)
        with tempfile.TemporaryDirectory() as folder:
            archive = Path(folder) / "portal.dump"
            print(flask(SOURCE, "portal", "backup", str(archive)).stdout.strip())
            print(flask(TARGET, "portal", "restore", str(archive)).stdout.strip())
            after = counts(TARGET)
            again = flask(TARGET, "portal", "restore", str(archive), check=False)
        rows = sum(before.values())
        if rows == 0 or before["users"] == 0:
            sys.exit(f"the source database is empty: {before}")
        if after != before:
            differ = {t: (before.get(t), after.get(t)) for t in set(before) | set(after)
                      if before.get(t) != after.get(t)}
            sys.exit(f"the restored database differs (table: before, after): {differ}")
        if again.returncode == 0 or "--force" not in again.stderr:
            sys.exit("a restore over a filled database was not refused without --force")
        print(f"backup round trip: {len(before)} tables, {rows} rows, identical after restore")
    finally:
        admin(*drop)


if __name__ == "__main__":
    main()
