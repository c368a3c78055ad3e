"""The order desk (订单): orders and their remarks, the order clerks' queue with flags,
slips, packing and shipping, cancellation by stage, stock, imports, and the bank-transfer
and out-of-stock registers (R-O1..R-O11)."""

import importlib

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

VIEW_MODULES = ("order_views", "queue_views", "import_views", "register_views", "stock_views")


def init_app(app) -> None:
    """Register the order desk's blueprint, its settings, navigation and cards."""
    from portal.orders import models  # noqa: F401 - the tables belong to the app
    from portal.orders.orders import DEFAULTS

    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    modules = [importlib.import_module(f"portal.orders.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
