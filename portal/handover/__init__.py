"""The handover book (交接本): the desk's and the showroom's (R-H1..R-H6)."""

from flask import Blueprint

bp = Blueprint("handover", __name__, url_prefix="/handover")


def init_app(app) -> None:
    """Register the handover blueprint, its navigation and cards."""
    from portal.handover import models, views  # noqa: F401 - models: the tables

    app.register_blueprint(bp)
    views.register(app)
