"""The notification list, the bell and marking read."""

from flask import abort, current_app, url_for
from flask_login import current_user

from portal import actions
from portal.auth.decorators import require
from portal.errors import error_response
from portal.extensions import db
from portal.live.counters import cheap_poll
from portal.notifications import bp
from portal.notifications.models import Notification
from portal.notifications.services import for_user, mark_read, unread_count
from portal.web import render, trigger

TEMPLATE = "notifications/index.html"
EVENT = "notifications-changed"  # the bell follows it


def _page():
    return db.paginate(for_user(current_user), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


@bp.route("/")
@require("notifications.view")
def index():
    """All my notifications, unread first."""
    return render(TEMPLATE, block="notification_list", page=_page())


@bp.route("/bell")
@require("notifications.view")
@cheap_poll("notifications:{user}")
def bell():
    """The bell with the unread count (polled by htmx)."""
    return render("notifications/_bell.html", unread=unread_count(current_user))


class ReadAnswer:
    """Marking read answers the row (one) or the list (all) in place and tells the bell;
    without JavaScript, back to the list. Marking read refuses nothing and cannot race."""

    def __init__(self, note: Notification | None = None) -> None:
        self.note = note

    def done(self, result, message: str):
        if self.note is not None:
            response = render(TEMPLATE, block="notification_row", note=self.note)
        else:
            response = render(TEMPLATE, block="notification_list", page=_page())
        return trigger(response, EVENT)

    def refused(self, form, message):
        return error_response(422, message)

    def conflict(self, form, message: str):
        return error_response(409, message)

    def location(self, result) -> str:
        return url_for("notifications.index")


@bp.route("/<int:notification_id>/read", methods=["POST"])
@require("notifications.view")
def read(notification_id: int):
    """Mark one notification read."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)  # someone else's is not found, as if it did not exist
    return actions.run(lambda: mark_read(current_user, note.id), answer=ReadAnswer(note))


@bp.route("/read-all", methods=["POST"])
@require("notifications.view")
def read_all():
    """Mark all my notifications read."""
    return actions.run(lambda: mark_read(current_user), answer=ReadAnswer())
