"""Backups of the portal's database: ``flask portal backup`` / ``flask portal restore``.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
while the portal keeps serving (WAL readers and writers go on). PostgreSQL: ``pg_dump -Fc``
(one compressed archive, consistent, the server keeps serving) and ``pg_restore``; both must
be on PATH, of the server's major version or newer (Debian: ``postgresql-client``).

Restoring replaces the database's contents: it is refused over a database that has tables
unless ``force`` is given (a restore into the wrong database would otherwise be silent).
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """The backup or restore cannot be done; the message says why (for the command line)."""


def backup(url: str | URL, target: Path, *, force: bool = False) -> str:
    """Write a backup of the database at ``url`` to ``target``; returns what was done."""
    url = make_url(url)
    target = Path(target)
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another file or use --force")
    if url.get_backend_name() == "sqlite":
        source = _sqlite_file(url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        with _sqlite(source) as src, _sqlite(partial) as dst:
            src.backup(dst)
        partial.replace(target)  # a backup file is whole or absent, never half written
        return f"SQLite backup of {source} written to {target}"
    if url.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              f"--file={target}", f"--dbname={_libpq(url)}"], url)
        return f"pg_dump archive of {url.database} written to {target}"
    raise BackupError(f"no backup for {url.get_backend_name()} databases")


def restore(url: str | URL, source: Path, *, force: bool = False) -> str:
    """Replace the database at ``url`` with the backup ``source``; returns what was done."""
    url = make_url(url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    tables = table_names(url)
    if tables and not force:
        raise BackupError(f"the database has {len(tables)} tables (for example "
                          f"{sorted(tables)[0]}); restoring replaces everything in it: "
                          "use --force if that is what you want")
    if url.get_backend_name() == "sqlite":
        target = _sqlite_file(url)
        with _sqlite(source) as src:
            check = src.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"{source} is not a sound SQLite database")
            with _sqlite(target) as dst:
                src.backup(dst)
        return f"{target} restored from {source}"
    if url.get_backend_name() == "postgresql":
        _run(["pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists",
              "--exit-on-error", "--single-transaction", f"--dbname={_libpq(url)}",
              str(source)], url)
        return f"{url.database} restored from {source}"
    raise BackupError(f"no restore for {url.get_backend_name()} databases")


def table_names(url: str | URL) -> list[str]:
    """The tables the database at ``url`` has (an absent SQLite file has none)."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite" and not _sqlite_file(url).exists():
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return sa.inspect(engine).get_table_names()
    except sa.exc.DBAPIError as error:
        raise BackupError(f"cannot read the database: {error.orig}") from error
    finally:
        engine.dispose()


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore")
    return Path(url.database)


class _sqlite:
    """A plain sqlite3 connection, closed (not only committed) at the end of the block."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()


def _libpq(url: URL) -> str:
    """The URL as pg_dump reads it: no driver name, no password (that goes by PGPASSWORD, so
    that it is not on the command line for ``ps`` to show)."""
    return URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                      database=url.database, query=url.query).render_as_string()


def _run(command: list[str], url: URL) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt install "
                          "postgresql-client)")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(command, env=env, capture_output=True, text=True,  # noqa: S603
                          check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")
