"""Accounts: sign-in and sign-out, own password and language, staff management."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
staff_bp = Blueprint("staff", __name__, url_prefix="/staff")


def init_app(app) -> None:
    """Register the account blueprints, the session loader, navigation and the staff card."""
    from flask_babel import lazy_gettext as _l

    from portal.auth import audit_views, staff_views, views  # noqa: F401 - routes attach
    from portal.auth.decorators import require_own_password
    from portal.auth.services import staff_counts
    from portal.ui import Card, NavItem, register_card, register_nav

    app.register_blueprint(bp)
    app.before_request(require_own_password)
    app.register_blueprint(staff_bp)
    app.register_blueprint(audit_views.bp)
    register_nav(app, NavItem("audit.index", _l("Audit trail"), "audit.view", order=900,
                              active_prefix="audit."))
    _register_audit_names(app)
    register_nav(app, NavItem("staff.index", _l("Staff accounts"), "staff.manage", order=800,
                              active_prefix="staff."))
    register_card(app, Card("staff", _l("Staff accounts"), "staff.manage",
                            "staff/_card.html", lambda user: staff_counts(), order=900))


def _register_audit_names(app) -> None:
    """The account area's words in the audit trail: sign-in and staff actions, staff
    accounts by name, roles by their label."""
    from portal.audit.services import namer
    from portal.auth.models import User
    from portal.auth.permissions import ROLE_LABELS
    from portal.i18n import N_
    from portal.ui import register_audit

    register_audit(
        app,
        actions={
            "auth.login": N_("Signed in"),
            "auth.login_failed": N_("Sign-in failed"),
            "auth.login_throttled": N_("Sign-in refused: too many failures"),
            "auth.logout": N_("Signed out"),
            "auth.logout_everywhere": N_("Signed out everywhere"),
            "auth.password_changed": N_("Changed own password"),
            "staff.created": N_("Account created"),
            "staff.updated": N_("Account changed"),
            "staff.grants_changed": N_("Permissions beyond the role changed"),
            "staff.password_reset": N_("Password reset"),
            "staff.deactivated": N_("Account deactivated"),
            "staff.reactivated": N_("Account reactivated"),
        },
        fields={"username": N_("Username"), "display_name": N_("Name"), "role": N_("Role"),
                "active": N_("Active")},
        values={"role": ROLE_LABELS},
        target=("users", N_("Staff account"), namer(User, User.display_name)),
    )
