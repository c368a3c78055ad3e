"""Showroom reception (售楼处接待): the visitor log, the opening checklist with the fridge
stock, and repair reports (R-R1..R-R7)."""

import importlib

from flask import Blueprint

bp = Blueprint("reception", __name__, url_prefix="/showroom")

VIEW_MODULES = ("visitor_views", "consultant_views", "checklist_views")


def init_app(app) -> None:
    """Register the showroom blueprint, its navigation and cards."""
    from portal.reception import models  # noqa: F401 - the tables belong to the app

    modules = [importlib.import_module(f"portal.reception.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
