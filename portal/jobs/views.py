"""The reminder settings (/reminders): each kind of reminder, switched off and on by the
supervisor; each row answers its own switch in place."""

from flask import abort, flash, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.auth.decorators import require
from portal.jobs import bp, settings
from portal.jobs.forms import SwitchForm
from portal.jobs.models import ReminderSetting
from portal.ui import reminder_kinds
from portal.web import is_fragment_request, render

TEMPLATE = "jobs/settings.html"
ROW = "jobs/_row.html"


def _kind(kind: str):
    found = next((r for r in reminder_kinds() if r.kind == kind), None)
    if found is None:
        abort(404)
    return found


@bp.route("/")
@require("jobs.manage")
def index():
    """Every kind of reminder, whether it is sent and when one last went out."""
    return render(TEMPLATE, block="reminder_table", rows=settings.rows(),
                  last_sent=settings.last_sent())


class RowAnswer:
    """A switch answers its row; without JavaScript, the page."""

    def __init__(self, reminder, setting: ReminderSetting) -> None:
        self.reminder, self.setting = reminder, setting

    def _row(self, message: str, ok: bool):
        if not is_fragment_request():
            flash(message, "success" if ok else "error")
            return render(TEMPLATE, rows=settings.rows(), last_sent=settings.last_sent())
        return render(ROW, reminder=self.reminder,
                      setting=self.setting, last=settings.last_sent().get(self.reminder.kind),
                      row_message=message, row_ok=ok)

    def done(self, result, message: str):
        return self._row(message, True)

    def refused(self, form, message):
        return self._row(message or _l("Choose on or off."), False)

    def conflict(self, form, message: str):
        return self._row(message, False)  # the rollback expired it: read as it is now

    def location(self, result) -> str:
        return url_for("jobs.index")


@bp.route("/<kind>/switch", methods=["POST"])
@require("jobs.manage")
def switch(kind: str):
    """Switch a kind of reminder on or off."""
    reminder = _kind(kind)
    setting = settings.ensure_settings()[reminder.kind]
    form = SwitchForm()
    return actions.run(
        lambda: settings.switch(current_user, setting, form.version.data,
                                form.enabled.data == "on"),
        form=form, answer=RowAnswer(reminder, setting), subject=setting,
        done=lambda s: _l("Sent again from now on.") if s.enabled
        else _l("Switched off: not sent until switched on again."))
