"""The whole role -> permission table. One glance shows who may do what.

Permission strings are ``area.action``. A view declares the one it needs with
``@require("...")`` (portal.auth.decorators); templates ask ``can("...")``.
Checks that depend on the record ("only your own ...") live in the area's services.
"""

from portal.i18n import N_

ROLES = ("manager", "supervisor", "presales", "aftersales", "order_clerk", "reception")

ROLE_LABELS = {
    "manager": N_("Manager"),
    "supervisor": N_("Supervisor"),
    "presales": N_("Pre-sales agent"),
    "aftersales": N_("After-sales agent"),
    "order_clerk": N_("Order clerk"),
    "reception": N_("Showroom reception"),
}

# Marker for views anyone may open, signed in or not (the sign-in page, the language switch).
PUBLIC = "public"

# Endpoints Flask itself adds; they carry no declaration of their own.
PUBLIC_ENDPOINTS = frozenset({"static"})

EVERYONE = frozenset({
    "home.view",            # the Today page
    "notifications.view",   # own notifications
    "account.manage_own",   # own password and language
})

PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": EVERYONE | {
        "staff.manage",              # staff accounts
        "staff.manage_supervisors",  # may create and change supervisors and managers
        "audit.view",
    },
    "supervisor": EVERYONE | {
        "staff.manage",
        "audit.view",
    },
    "presales": EVERYONE,
    "aftersales": EVERYONE,
    "order_clerk": EVERYONE,
    "reception": EVERYONE,
}

# Roles whose accounts only holders of "staff.manage_supervisors" may touch.
SENIOR_ROLES = frozenset({"manager", "supervisor"})


def role_can(role: str | None, permission: str) -> bool:
    """True when ``role`` holds ``permission``."""
    return permission in PERMISSIONS.get(role or "", frozenset())


def all_permissions() -> frozenset[str]:
    """Every permission some role holds."""
    return frozenset().union(*PERMISSIONS.values())
