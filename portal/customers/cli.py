"""``flask calls plan``: plan today's follow-up calls (the job queue runs it each morning)."""

import click
from flask.cli import AppGroup

calls_cli = AppGroup("calls", help="Follow-up calls of the customer archive.")


@calls_cli.command("plan")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Plan the calls of this day (default: today).")
def plan_command(day) -> None:
    """Plan the calls due today of every active call plan (safe to run again)."""
    from portal.customers.calls import plan_due_calls
    from portal.extensions import db

    made = plan_due_calls(day.date() if day else None)
    db.session.commit()
    for name, count in made.items():
        click.echo(f"{name}: {count}")
    click.echo(f"calls planned: {sum(made.values())}")
