"""The after-sales desk (售后): cases with evidence photos, the freight rule, parcel
interception, the SLA clock that pauses, the refund/dispute queue, canned replies, return
visits and the weekly satisfaction report (R-A1..R-A7, R-C2, R-C3)."""

import importlib

from flask import Blueprint

bp = Blueprint("aftersales", __name__, url_prefix="/aftersales")

VIEW_MODULES = ("case_views", "parcel_views", "desk_views")


def init_app(app) -> None:
    """Register the after-sales blueprint, its settings, navigation and cards, and open a
    refund case when the order desk voids a paid order."""
    from portal.aftersales import models  # noqa: F401 - the tables belong to the app
    from portal.aftersales.cases import refund_voided_order
    from portal.aftersales.sla import DEFAULTS
    from portal.signals import order_voided_while_paid

    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    modules = [importlib.import_module(f"portal.aftersales.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
    # R-O2: a paid order voided becomes a "refund only" case. Receivers are global: a
    # module-level function, held strongly, is connected once however many apps are made.
    order_voided_while_paid.connect(refund_voided_order, weak=False)
