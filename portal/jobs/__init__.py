"""The job queue and reminders: huey with one scheduler (``flask portal worker``), the
periodic reminder check, the portal's own kinds of reminder, and the supervisor's page that
switches kinds off and on.

This package sits above the areas: it reads their services to find what is due; no area
imports it (an area adds its own kinds through ``portal.ui.register_reminder``).
"""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/reminders")


def init_app(app) -> None:
    """Register the settings page, the built-in kinds, the audit words and the worker."""
    from flask_babel import lazy_gettext as _l

    from portal.cli import portal_cli
    from portal.i18n import N_
    from portal.jobs import kinds, models, reminders, scheduled, views  # noqa: F401
    from portal.jobs.worker import worker
    from portal.ui import NavItem, register_audit, register_nav

    for name, value in {**reminders.DEFAULTS, **kinds.DEFAULTS}.items():
        app.config.setdefault(name, value)
    app.register_blueprint(bp)
    kinds.register(app)
    register_nav(app, NavItem("jobs.index", _l("Reminders"), "jobs.manage", order=690,
                              active_prefix="jobs."))
    register_audit(app, actions={"reminder.switch": N_("Reminder switched on or off")},
                   fields={"enabled": N_("Sent")},
                   target=("reminder_settings", N_("Kind of reminder")))
    portal_cli.add_command(worker)
