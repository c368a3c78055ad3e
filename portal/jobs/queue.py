"""The job queue: one huey per app, made from the Flask config.

Embedded default: ``SqliteHuey`` in the instance folder (``instance/jobs.sqlite3``);
production: ``RedisHuey`` when ``REDIS_URL`` is set. Tests (``JOBS_IMMEDIATE``) run tasks at
once in memory. The consumer (``flask portal worker``) is the one scheduler: it enqueues the
periodic tasks and runs them, one worker thread; every task runs inside an app context with
a request context for building links, and begins its transactions IMMEDIATE on SQLite like
a writing request.
"""

import os

from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

EXTENSION = "portal_huey"


def redis_url(app: Flask) -> str | None:
    return app.config.get("REDIS_URL") or os.environ.get("REDIS_URL") or None


def make_huey(app: Flask):
    """A huey for ``app``, with the portal's periodic tasks registered on it."""
    if app.config.get("JOBS_IMMEDIATE"):
        huey = MemoryHuey("portal", immediate=True)
    elif redis_url(app):
        huey = RedisHuey("portal", url=redis_url(app))
    else:
        os.makedirs(app.instance_path, exist_ok=True)
        huey = SqliteHuey("portal", filename=sqlite_file(app))

    @huey.periodic_task(crontab(minute="*"), name="portal.check_reminders")
    def check_reminders():
        """Every minute: the reminders that fell due since the last look, each sent once."""
        from portal.jobs import reminders

        with job_context(app):
            return reminders.check()

    @huey.periodic_task(crontab(minute="*"), name="portal.run_scheduled")
    def run_scheduled():
        """Every minute: the areas' daily jobs whose moment came, and tasks with work left."""
        from portal.jobs import scheduled

        with job_context(app):
            return scheduled.check()

    @huey.task(name="portal.run_task")
    def run_task(name: str):
        """A task an action handed over when it committed (``portal.ui.Task``)."""
        from portal.jobs import scheduled

        with job_context(app):
            scheduled.run_task(name)

    huey.portal_tasks = {"check_reminders": check_reminders, "run_scheduled": run_scheduled,
                         "run_task": run_task}
    return huey


def job_context(app: Flask):
    """What a task runs in: the app, and a request context so that ``url_for`` builds the
    links of notifications (relative, as the pages' own) and SQLite begins IMMEDIATE."""
    return app.test_request_context("/", method="POST")


def sqlite_file(app: Flask) -> str:
    """Where the embedded queue keeps its tasks (JOBS_SQLITE_FILE, else the instance folder)."""
    return (app.config.get("JOBS_SQLITE_FILE") or os.environ.get("JOBS_SQLITE_FILE")
            or os.path.join(app.instance_path, "jobs.sqlite3"))


def get_huey(app: Flask):
    """The app's huey, made on first use (the web app never needs it to serve a page)."""
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = make_huey(app)
    return app.extensions[EXTENSION]
