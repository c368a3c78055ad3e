"""``flask portal worker``: the job queue's consumer, the one scheduler."""

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the due jobs once, now, and exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Run the job queue: the periodic reminder check and the areas' daily jobs every
    minute, and the tasks actions hand over (one worker thread;
    start exactly one per installation, beside the web app)."""
    from portal.jobs.queue import get_huey

    app = current_app._get_current_object()
    huey = get_huey(app)
    if once:
        sent = huey.portal_tasks["check_reminders"].call_local()
        click.echo(f"reminders sent: {sum(sent.values())}")
        ran = huey.portal_tasks["run_scheduled"].call_local()
        click.echo(f"jobs run: {', '.join(ran) or 'none'}")
        return
    consumer = huey.create_consumer(workers=1, periodic=True, worker_type="thread")
    consumer.run()
