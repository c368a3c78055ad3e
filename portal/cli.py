"""`flask portal ...` commands."""

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.auth.permissions import ROLES
from portal.extensions import db

portal_cli = AppGroup("portal", help="Portal administration.")


@portal_cli.command("create-user")
@click.option("--username", prompt=True, help="Sign-in name (lower case).")
@click.option("--name", "display_name", prompt=True, help="Display name, e.g. 王经理.")
@click.option("--role", type=click.Choice(ROLES), default="manager", show_default=True,
              help="The account's role.")
@click.password_option(help="At least 12 characters.")
def create_user(username: str, display_name: str, role: str, password: str) -> None:
    """Create an account (for the first manager on a new installation)."""
    from flask import current_app

    username = username.strip().lower()
    low, high = current_app.config["PASSWORD_MIN_LENGTH"], current_app.config["PASSWORD_MAX_LENGTH"]
    if not low <= len(password) <= high:
        raise click.BadParameter(f"a password has {low} to {high} characters",
                                 param_hint="password")
    if db.session.scalar(sa.select(User).where(User.username == username)):
        raise click.BadParameter(f"{username!r} exists already", param_hint="username")
    db.session.add(User(username=username, display_name=display_name.strip(), role=role,
                        password_hash=hash_password(password)))
    db.session.commit()
    click.echo(f"created {role} {username}")


@portal_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any account exists.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo department (accounts for every role, password demo-pass-2026)."""
    from portal.demo import seed

    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("database has accounts; demo data not loaded")
        return
    counts = seed()
    click.echo("demo data loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@portal_cli.command("bench-data")
@click.option("--scale", type=float, default=0.01, show_default=True,
              help="1 = full scale (1,000,000 handover items, 1,000,000 orders, ...).")
@click.option("--reset", is_flag=True, help="Drop every table of this database first.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
def bench_data(scale: float, reset: bool, seed: int) -> None:
    """Fill an empty database with benchmark data: years of history, linear in the scale.

    For a benchmark database only (every account's password is bench-pass-2026); see
    bench/data/__init__.py and docs/performance.md. Needs the source tree's ``bench/``: an
    installed portal has only the ``portal`` package, so the import waits until here.
    """
    try:
        from bench import data
    except ModuleNotFoundError as error:
        if error.name not in {"bench", "bench.data"}:
            raise
        raise click.ClickException("bench-data needs the bench/ folder of a source checkout; "
                                   "run it from there (make bench)") from error

    if reset:
        data.reset()
    elif not data.is_empty():
        raise click.ClickException("the database has accounts; use a bench database "
                                   "(or --reset to drop its tables)")
    counts = data.build(scale, seed=seed, echo=click.echo)
    click.echo("bench data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


@portal_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
@click.option("--force", is_flag=True, help="Overwrite TARGET if it exists.")
def backup(target: str, force: bool) -> None:
    """Back the database up to TARGET while the portal keeps serving.

    SQLite: a consistent copy through SQLite's online backup API. PostgreSQL: a ``pg_dump
    -Fc`` archive (pg_dump must be installed). Restore with ``flask portal restore``.
    """
    from portal.ops.backup import BackupError
    from portal.ops.backup import backup as make_backup

    try:
        click.echo(make_backup(db.engine.url, target,
                               force=force))
    except BackupError as error:
        raise click.ClickException(str(error)) from error


@portal_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace a database that has tables (everything in it is lost).")
def restore(source: str, force: bool) -> None:
    """Replace the database with the backup SOURCE (made by ``flask portal backup``).

    Refused over a database that has tables unless --force. Stop the portal's web, SSE and
    worker processes first. PostgreSQL: ``pg_restore`` (must be installed).
    """
    from portal.ops.backup import BackupError
    from portal.ops.backup import restore as restore_backup

    url = db.engine.url
    db.engine.dispose()  # no pooled connection of ours holds the database open
    try:
        click.echo(restore_backup(url, source,
                                  force=force))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
@portal_cli.command("customer-classes")
def customer_classes() -> None:
    """Recompute every customer's value class (RFM; run nightly, issue 17 item 3)."""
    from portal import clock
    from portal.customers.classes import recompute_all

    started = clock.now()
    classed = recompute_all()
    db.session.commit()
    seconds = (clock.now() - started).total_seconds()
    click.echo(f"{classed} customers classed in {seconds:.1f} s")


@portal_cli.command("link-customers")
@click.option("--batch", type=click.IntRange(100, 100_000), default=5_000, show_default=True,
              help="Records linked (and committed) at a time.")
def link_customers(batch: int) -> None:
    """Link every order, case, transfer, wait, visit and return visit that has no customer
    yet (issue 17), by the rules new records follow: buyer ID, then phone, else a new
    customer. Commits each batch; run it again to resume after a stop."""
    from portal.customers import backfill

    for progress in backfill.run(batch):
        db.session.commit()
        click.echo(str(progress))
    click.echo("every record that names a buyer or a phone has its customer")


@portal_cli.command("plan-calls")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Plan the calls of this day (default: today).")
def plan_calls(day) -> None:
    """Plan the follow-up calls due of every active call plan (safe to run again; the job
    queue runs it each morning, issue 17 item 5)."""
    from portal.customers.calls import plan_due_calls

    made = plan_due_calls(day.date() if day else None)
    db.session.commit()
    for name, count in made.items():
        click.echo(f"{name}: {count}")
    click.echo(f"calls planned: {sum(made.values())}")
