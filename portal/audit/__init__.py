"""The audit trail every area writes to: who, when, what action, which record, what changed.

Areas call ``audit.record(...)`` in the same transaction as the change it describes.
Supervisors and managers browse it at /audit (``portal/auth/audit_views.py``).
"""

from portal.audit.services import changes, record

__all__ = ["changes", "init_app", "record"]


def init_app(app) -> None:
    """The trail's own words (sign-in and account actions are named by the account area)."""
