"""Monthly penalty/reward score sheets (R-P1..R-P4): the catalogue, sheets and entries, the
month overview, submission before payday, approval and locking, staff's own view and appeals."""

import importlib

from flask import Blueprint

bp = Blueprint("scoring", __name__, url_prefix="/scores")

VIEW_MODULES = ("sheet_views", "workflow_views")


def init_app(app) -> None:
    """Register the scoring blueprint, its navigation and cards."""
    from portal.scoring import models  # noqa: F401 - the tables belong to the app

    app.config.setdefault("SCORING_BASE_SCORE", 100)
    app.config.setdefault("SCORING_MAX_POINTS", 50)
    app.config.setdefault("SCORING_PAYDAY", 10)  # day of the following month; due the day before
    modules = [importlib.import_module(f"portal.scoring.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
