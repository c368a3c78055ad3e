"""The daily work record (每日工作记录, R-C4, R-P4): each agent's questions and answers.

Each views module adds its routes to ``bp`` and has ``register(app)`` for its navigation
entries, Today cards and audit words.
"""

import importlib

from flask import Blueprint

bp = Blueprint("worklog", __name__, url_prefix="/worklog")

VIEW_MODULES: tuple[str, ...] = ("day_views", "team_views")


def init_app(app) -> None:
    """Register the blueprint, its navigation, cards and audit words."""
    from portal.worklog import models  # noqa: F401 - the tables belong to the app

    modules = [importlib.import_module(f"portal.worklog.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
