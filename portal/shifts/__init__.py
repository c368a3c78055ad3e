"""Duty roster (值班表), cleaning duty (值日表), swap requests and overtime (R-S1..R-S5).

Each views module adds its routes to ``bp`` and has ``register(app)`` for its navigation
entries and Today cards.
"""

import importlib

from flask import Blueprint

bp = Blueprint("shifts", __name__, url_prefix="/roster")

VIEW_MODULES = ("roster_views", "my_views", "swap_views", "type_views")


def init_app(app) -> None:
    """Register the roster blueprint, its navigation and cards."""
    from portal.shifts import models  # noqa: F401 - the tables belong to the app

    modules = [importlib.import_module(f"portal.shifts.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
