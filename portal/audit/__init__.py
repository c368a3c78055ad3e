"""The audit trail every area writes to: who, when, what action, which record, what changed.

Areas call ``audit.record(...)`` in the same transaction as the change it describes.
Supervisors and managers browse it at /audit.
"""

from portal.audit.services import changes, record

__all__ = ["changes", "init_app", "record"]


def init_app(app) -> None:
    """Register the audit browser and its navigation entry."""
    from flask_babel import lazy_gettext as _l

    from portal.audit.views import bp
    from portal.ui import NavItem, register_nav

    app.register_blueprint(bp)
    register_nav(app, NavItem("audit.index", _l("Audit trail"), "audit.view", order=900,
                              active_prefix="audit."))
