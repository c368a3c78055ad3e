"""In-portal notifications: any area calls ``notify()`` or ``notify_role()``.

Messages are stored untranslated (marked with ``N_``) with their parameters, and
translated when shown, so each reader sees them in their own language.
"""

from flask import Blueprint

from portal.notifications.services import notify, notify_role, term

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

__all__ = ["bp", "init_app", "notify", "notify_role", "term"]


def init_app(app) -> None:
    """Register the notification pages and the unread card."""
    from flask_babel import lazy_gettext as _l
    from flask_login import current_user

    from portal.notifications import views  # noqa: F401
    from portal.notifications.services import card_context, unread_count
    from portal.ui import Card, NavItem, register_card, register_nav

    app.register_blueprint(bp)
    # the bell in the top bar asks this only when a full page is drawn
    app.jinja_env.globals["unread_notifications"] = lambda: unread_count(current_user)
    register_nav(app, NavItem("notifications.index", _l("Notifications"), "notifications.view",
                              order=700, active_prefix="notifications."))
    register_card(app, Card("notifications", _l("My unread notifications"),
                            "notifications.view", "notifications/_card.html", card_context,
                            order=10, events=("notifications-changed",)))
