"""The audit trail every area writes to: who, when, what action, which record, what changed.

Areas call ``audit.record(...)`` in the same transaction as the change it describes.
Supervisors and managers browse it at /audit (``portal/auth/audit_views.py``).
"""

from portal.audit.services import changes, record

__all__ = ["changes", "init_app", "record"]


def init_app(app) -> None:
    """The trail's own words: a refused access, which any area's check may record (sign-in
    and account actions are named by the account area)."""
    from portal.i18n import N_
    from portal.ui import register_audit

    register_audit(app, actions={"auth.forbidden": N_("Access refused")})
