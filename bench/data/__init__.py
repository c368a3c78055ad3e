"""The bench data generator: a department with years of history, linear in the scale.

``flask portal bench-data --scale N`` calls ``build(N)``. At ``--scale 1``: 60 staff, three
years of rosters, 1,000,000 handover items, 300,000 visits, 36 months of score sheets with
60,000 entries, 1,000,000 orders with their lines, 100,000 after-sales cases with their events
and return visits, 20,000 complaints, 1,000,000 lines of the daily work record and 50,000
knowledge-base articles, and the audit trail and notifications such a department leaves. Every
history volume is N times that; the department itself (60 staff, the shift types, the menu,
the SKU list) and its *live* state (what is open right now: the items waiting for the next
shift, the parties in the showroom, the orders in today's queue, the open after-sales cases)
are the same at every scale, as in a real department whose history grows while its day does
not. That is what the scale curve measures: the same day's pages over more and more history.

Rows are written with the DB-API directly: ``executemany`` in one transaction per table on
SQLite, ``COPY`` on PostgreSQL; secondary indexes are dropped while a table loads and built
once afterwards. Ids are assigned here, so no row is read back (but the few columns of the
orders that after-sales cases copy, read by id).

Each area has a module here with ``build(ctx)``; ``AREAS`` lists them in dependency order.
A new area adds its module and a line.
"""

import importlib
import json
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

BENCH_PASSWORD = "bench-pass-2026"  # noqa: S105 - the bench database's only password

AREAS = (
    "bench.data.staff",
    "bench.data.shifts",
    "bench.data.handover",
    "bench.data.reception",
    "bench.data.scoring",
    "bench.data.orders",
    "bench.data.aftersales",
    "bench.data.customers",  # after the records it links (orders link themselves)
    "bench.data.distributors",  # gives the distributor orders to 500 accounts, their ledger
    "bench.data.voice",  # complaints, the daily work record, articles (issue 18)
    "bench.data.activity",  # last: audit events and notifications about everything above
)

# Full-scale (N = 1) history volumes; each is multiplied by N.
FULL = {
    "handover_items": 1_000_000,
    "visits": 300_000,
    "score_entries": 60_000,
    "orders": 1_000_000,
    "audit_events": 500_000,
    "notifications": 120_000,
    "repair_reports": 3_000,
    "overtime_records": 3_000,
    "swap_requests": 2_000,
    "stock_waits": 20_000,
    "bank_transfers": 40_000,
    "aftersales_cases": 100_000,
    "customers": 300_000,
    "complaints": 20_000,
    "work_lines": 1_000_000,
    "articles": 50_000,
}

# Filled after every area has loaded and its indexes are built, before the sequences are
# reset and PostgreSQL is analysed: derived tables built from the rows above (the one search
# box's index of articles, work lines, complaints and handover items — issue 18 item 6, from
# ``portal/search/``). Each entry is ``"module:function"``, called with the ``Context``
# (``ctx.w`` the writer, ``ctx.counts`` the rows made); a module not in the build is
# skipped, as in ``AREAS``. (3,117 documents in 0.7 s at scale 0.001: about 7 minutes at 1.)
# The duplicate customers' stored count is what the job queue's worker writes within a minute
# of its start in production (the bench runs no worker): without it the Today card counts.
AFTER_LOAD: tuple[str, ...] = ("bench.data.search_index:fill",
                               "bench.data.customers:count_duplicates")
HISTORY_DAYS = 3 * 365  # the history spans three years at every scale; N sets its density
FULL_MONTHS = 36  # roster and score-sheet months at N = 1


@dataclass
class Volumes:
    """How much of everything a scale asks for."""

    scale: float
    counts: dict = field(default_factory=dict)
    months: int = 1  # past months of rosters and score sheets, this month included

    @classmethod
    def of(cls, scale: float) -> "Volumes":
        if scale <= 0:
            raise ValueError("the scale must be positive")
        counts = {name: max(1, round(full * scale)) for name, full in FULL.items()}
        return cls(scale, counts, max(2, min(FULL_MONTHS, round(FULL_MONTHS * scale))))

    def __getitem__(self, name: str) -> int:
        return self.counts[name]


class Writer:
    """Bulk rows into a table through the DB-API: executemany (SQLite) or COPY (PostgreSQL).

    Values are plain Python: naive UTC datetimes and dates go through ``dt`` / ``day``
    (strings on SQLite, in SQLAlchemy's own storage format, so the app's comparisons agree),
    money as ``"12.50"`` strings, JSON through ``json``.
    """

    def __init__(self, engine: sa.Engine, echo=print) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise RuntimeError(f"bench data: unsupported database {self.dialect}")
        self.raw = engine.raw_connection()
        self.cursor = self.raw.cursor()
        self.echo = echo
        self.metadata: sa.MetaData | None = None
        self.sqlite = self.dialect == "sqlite"
        if self.sqlite:
            self.dt = _sqlite_datetime
            self.day = date.isoformat
        else:
            self.dt = _same
            self.day = _same

    # -- session settings -------------------------------------------------------------------

    def prepare(self) -> None:
        """Settings for a bulk load (this connection only)."""
        if self.sqlite:
            for pragma in ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-262144",
                           "temp_store=MEMORY"):
                self.cursor.execute(f"PRAGMA {pragma}")
        else:
            # foreign keys are checked by triggers: skip them while loading rows we made
            # consistent ourselves (needs a superuser; without one they are just checked)
            try:
                self.cursor.execute("SET session_replication_role = replica")
                self.raw.commit()
            except Exception:  # noqa: BLE001 - a plain user may not; then FKs are checked
                self.raw.rollback()
            self.cursor.execute("SET synchronous_commit = off")
            self.cursor.execute("SET maintenance_work_mem = '512MB'")
            self.raw.commit()

    def execute(self, sql: str, params=()) -> None:
        self._begin()
        self.cursor.execute(sql, params)
        self._commit()

    def scalar(self, sql: str):
        self.cursor.execute(sql)
        value = self.cursor.fetchone()[0]
        if not self.sqlite:
            self.raw.commit()
        return value

    def _begin(self) -> None:
        if self.sqlite:
            self.cursor.execute("BEGIN")

    def _commit(self) -> None:
        if self.sqlite:
            self.cursor.execute("COMMIT")
        else:
            self.raw.commit()

    # -- rows -------------------------------------------------------------------------------

    def rows(self, table: str, columns: Iterable[str], rows: Iterable[tuple],
             chunk: int = 20_000) -> int:
        """Write ``rows`` (tuples in ``columns`` order) into ``table``; returns how many."""
        columns = tuple(columns)
        quote = self.engine.dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        started = time.perf_counter()
        count = 0
        self._begin()
        if self.sqlite:
            marks = ", ".join("?" * len(columns))
            # names from the models, values as parameters
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            batch: list[tuple] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= chunk:
                    self.cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                self.cursor.executemany(sql, batch)
                count += len(batch)
        else:
            copy_sql = f"COPY {table} ({names}) FROM STDIN"
            with self.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        self._commit()
        seconds = time.perf_counter() - started
        if count >= 10_000:
            self.echo(f"  {table}: {count:,} rows in {seconds:.1f} s "
                      f"({count / max(seconds, 1e-9):,.0f}/s)")
        return count

    def json(self, value) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    # -- indexes ----------------------------------------------------------------------------

    def drop_indexes(self, tables: Iterable[str]) -> list:
        """Drop the secondary indexes of ``tables`` (rebuilt by ``create_indexes``)."""
        dropped = []
        for name in tables:
            table = self.metadata.tables[name]
            for index in sorted(table.indexes, key=lambda i: i.name):
                self.execute(str(sa.schema.DropIndex(index).compile(dialect=self.engine.dialect)))
                dropped.append(index)
        return dropped

    def create_indexes(self, indexes: list) -> None:
        started = time.perf_counter()
        for index in indexes:
            self.execute(str(sa.schema.CreateIndex(index).compile(dialect=self.engine.dialect)))
        if indexes:
            self.echo(f"  {len(indexes)} indexes built in {time.perf_counter() - started:.1f} s")

    def reset_sequences(self) -> None:
        """PostgreSQL: every id sequence continues after the ids written here."""
        if self.sqlite:
            return
        for table in self.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.primary_key:
                continue
            self.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                         f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")

    def analyze(self) -> None:
        """PostgreSQL: fresh planner statistics, as autovacuum keeps them in production.
        SQLite gets none: a real installation never runs ANALYZE either."""
        if not self.sqlite:
            self.raw.commit()
            driver = self.raw.driver_connection
            driver.autocommit = True  # VACUUM runs outside a transaction
            with driver.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
                # write the load's dirty pages out now, not during the timed run
                cursor.execute("CHECKPOINT")
            driver.autocommit = False

    def close(self) -> None:
        if self.sqlite:
            self.cursor.execute("PRAGMA foreign_keys=ON")
            self.cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.cursor.close()
        self.raw.close()


def _sqlite_datetime(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(" ", "microseconds")


def _same(value):
    return value


class Context:
    """What every area's ``build`` shares: the writer, the volumes, a seeded random source,
    the department's clock, the staff, and ids handed out so far."""

    def __init__(self, writer: Writer, volumes: Volumes, now: datetime, seed: int) -> None:
        self.w = writer
        self.v = volumes
        self.rng = random.Random(seed)
        self.now = now  # aware, department time zone
        self.tz = now.tzinfo
        self.today = now.date()
        self.first_day = self.today - timedelta(days=HISTORY_DAYS)
        self.counts: dict[str, int] = {}
        self.staff: list[tuple[int, str, str]] = []  # (id, username, role)
        self.by_role: dict[str, list[int]] = {}
        self.shift_types: list[tuple[int, int, int]] = []  # (id, start minute, end minute)
        self.ids: dict[str, list[int]] = {}  # what later areas link to
        self._offsets: dict[date, timedelta] = {}

    def utc(self, day: date, minute: float) -> datetime:
        """The naive UTC moment of ``minute`` past local midnight of ``day``."""
        offset = self._offsets.get(day)
        if offset is None:
            offset = self.tz.utcoffset(datetime(day.year, day.month, day.day, 12))
            self._offsets[day] = offset
        return datetime(day.year, day.month, day.day) + timedelta(minutes=minute) - offset

    def now_utc(self) -> datetime:
        return self.now.astimezone(UTC).replace(tzinfo=None)

    def history_day(self) -> date:
        """A random day of the history (before today)."""
        return self.first_day + timedelta(days=self.rng.randrange(HISTORY_DAYS))

    def add(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count


def months_back(today: date, count: int) -> list[tuple[int, int]]:
    """The ``count`` months up to and including this one, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def build(scale: float, *, seed: int = 2026, echo=print) -> dict:
    """Fill the app's (empty) database with a department at ``scale``; returns row counts.

    Runs in an app context. The schema is created from the models (the bench database is a
    throwaway one, never an installation's).
    """
    from portal import clock
    from portal.extensions import db

    started = time.perf_counter()
    volumes = Volumes.of(scale)
    db.create_all()
    db.session.remove()
    writer = Writer(db.engine, echo=echo)
    writer.metadata = db.metadata
    writer.prepare()
    ctx = Context(writer, volumes, clock.now(), seed)
    try:
        for name in AREAS:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as error:
                if error.name != name:
                    raise
                continue
            area_started = time.perf_counter()
            tables = getattr(module, "TABLES", ())
            dropped = writer.drop_indexes(t for t in tables if t in db.metadata.tables)
            module.build(ctx)
            writer.create_indexes(dropped)
            echo(f"{name.rsplit('.', 1)[-1]}: {time.perf_counter() - area_started:.1f} s")
        after_load(ctx, AFTER_LOAD, echo)
        writer.reset_sequences()
        writer.analyze()
    finally:
        writer.close()
    db.engine.dispose()
    ctx.counts["seconds"] = round(time.perf_counter() - started, 1)
    return ctx.counts


def after_load(ctx: Context, hooks: Iterable[str], echo=print) -> None:
    """Call each ``"module:function"`` of ``hooks`` with ``ctx`` (see ``AFTER_LOAD``)."""
    for hook in hooks:
        name, _, function = hook.partition(":")
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name is None or not name.startswith(error.name):
                raise
            continue
        started = time.perf_counter()
        getattr(module, function)(ctx)
        echo(f"{hook}: {time.perf_counter() - started:.1f} s")


def is_empty() -> bool:
    """True when the database holds no accounts (or no tables yet)."""
    from portal.auth.models import User
    from portal.extensions import db

    inspector = sa.inspect(db.engine)
    if not inspector.has_table(User.__tablename__):
        return True
    return not db.session.scalar(sa.select(sa.func.count()).select_from(User))


def reset() -> None:
    """Drop every table of the portal's schema (the bench database only)."""
    from portal.extensions import db

    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
