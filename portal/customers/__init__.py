"""Customers (客户档案, R-C1, R-C2, R-C8): the archive built from orders, cases, transfers,
waits, visits and return visits; value classes, the story page, call plans, the care list.

Each views module adds its routes to ``bp`` and has ``register(app)`` for its navigation
entries, Today cards and audit words.
"""

import importlib

from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/customers")

VIEW_MODULES: tuple[str, ...] = ("search_views", "record_views", "merge_views",
                                 "call_views", "class_views", "schedule")


def init_app(app) -> None:
    """Register the customers blueprint, its navigation and cards, and the attach listener."""
    from portal.customers import attach, links, models  # noqa: F401 - the tables belong to the app

    attach.init_app(app)
    links.register(app)
    modules = [importlib.import_module(f"portal.customers.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
