"""The notification list, the bell and marking read."""

from flask import abort, current_app, redirect, url_for
from flask_login import current_user

from portal.auth.decorators import require
from portal.extensions import db
from portal.notifications import bp
from portal.notifications.models import Notification
from portal.notifications.services import for_user, mark_read, unread_count
from portal.web import is_fragment_request, render, trigger


@bp.route("/")
@require("notifications.view")
def index():
    """All my notifications, unread first."""
    page = db.paginate(for_user(current_user), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    return render("notifications/index.html", block="notification_list", page=page)


@bp.route("/bell")
@require("notifications.view")
def bell():
    """The bell with the unread count (polled by htmx)."""
    return render("notifications/_bell.html", unread=unread_count(current_user))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@require("notifications.view")
def read(notification_id: int):
    """Mark one notification read."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    mark_read(current_user, notification_id)
    db.session.refresh(note)
    if is_fragment_request():
        return trigger(render("notifications/index.html", block="notification_row", note=note),
                       "notifications-changed")
    return redirect(url_for("notifications.index"), 303)


@bp.route("/read-all", methods=["POST"])
@require("notifications.view")
def read_all():
    """Mark all my notifications read."""
    mark_read(current_user)
    if is_fragment_request():
        page = db.paginate(for_user(current_user), per_page=current_app.config["PAGE_SIZE"],
                           error_out=False)
        return trigger(render("notifications/index.html", block="notification_list", page=page),
                       "notifications-changed")
    return redirect(url_for("notifications.index"), 303)
