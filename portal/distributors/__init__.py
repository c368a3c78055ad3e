"""Distributors (经销商, R-O9, R-O10): accounts and their ledger, statements, the check
before a distributor order is issued (the review queue), the dispatch clock and delivery
investigations.

Each views module adds its routes to ``bp`` and has ``register(app)`` for its navigation
entries, Today cards and audit words.
"""

import importlib

from flask import Blueprint

bp = Blueprint("distributors", __name__, url_prefix="/distributors")

VIEW_MODULES: tuple[str, ...] = ("account_views", "review_views", "allocation_views")


def init_app(app) -> None:
    """Register the blueprint, its navigation, cards and audit words."""
    from portal.distributors import allocation_models, models  # noqa: F401 - the tables

    modules = [importlib.import_module(f"portal.distributors.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
