"""Complaints (投诉, R-C3): the register, escalation, the monthly analysis.

Each views module adds its routes to ``bp`` and has ``register(app)`` for its navigation
entries, Today cards and audit words.
"""

import importlib

from flask import Blueprint

bp = Blueprint("complaints", __name__, url_prefix="/complaints")

VIEW_MODULES: tuple[str, ...] = ("register_views", "setup_views", "analysis_views")


def init_app(app) -> None:
    """Register the blueprint, its navigation, cards and audit words."""
    from portal.complaints import models  # noqa: F401 - the tables belong to the app

    modules = [importlib.import_module(f"portal.complaints.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
