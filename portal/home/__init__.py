"""The Today page: the cards of every area that the user may see."""

from flask import Blueprint

bp = Blueprint("home", __name__)


def init_app(app) -> None:
    """Register the Today page."""
    from flask_babel import lazy_gettext as _l

    from portal.home import views  # noqa: F401
    from portal.ui import NavItem, register_nav

    app.register_blueprint(bp)
    register_nav(app, NavItem("home.index", _l("Today"), "home.view", order=0,
                              active_prefix="home."))
