"""Every view declares who may use it: ``@require("perm")`` or ``@public``.

The declaration is stored on the view (``view.permission``) so a test can walk
``app.url_map`` and fail for any endpoint that has none; ``guard_undeclared`` refuses
such an endpoint at run time too (deny by default).
"""

from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

from portal import audit
from portal.actions import commit_security_event
from portal.auth.permissions import PUBLIC, PUBLIC_ENDPOINTS
from portal.extensions import login_manager


def require(permission: str):
    """Allow the view only to signed-in users whose role holds ``permission``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                refuse(permission)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorator


def public(view):
    """Declare a view open to everyone, signed in or not."""
    view.permission = PUBLIC
    return view


def refuse(permission: str):
    """Record the refusal in the audit trail and answer 403."""
    audit.record(
        "auth.forbidden",
        details={"permission": permission, "endpoint": request.endpoint,
                 "method": request.method, "path": request.path},
    )
    commit_security_event()
    abort(403)


def declared_permission(app, endpoint: str) -> str | None:
    """The permission an endpoint declares, PUBLIC, or None when it declares nothing."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "permission", None)


def guard_undeclared():
    """before_request: an endpoint without a declaration is refused, never served."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 are handled by Flask
    if declared_permission(current_app, endpoint) is None:
        current_app.logger.error("endpoint %s declares no permission; refused", endpoint)
        abort(403)
    return None


# What a person whose password someone else set may still do before choosing their own.
OPEN_BEFORE_OWN_PASSWORD = frozenset({"auth.account", "auth.logout", "auth.sign_out_everywhere",
                                      "auth.login", "auth.set_language", "static"})


def require_own_password():
    """before_request: a password set by a supervisor or manager (a new account, a reset)
    must be replaced by the person's own before anything else: every page leads to My
    account. An htmx request (the bell's poll on that page) gets nothing to swap."""
    if (request.endpoint in OPEN_BEFORE_OWN_PASSWORD or not current_user.is_authenticated
            or not current_user.must_change_password):
        return None
    from flask import make_response, redirect, url_for

    from portal.extensions import htmx

    target = url_for("auth.account")
    if htmx:
        response = make_response("", 204)
        if not request.headers.get("HX-Current-URL", "").endswith(target):
            response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303 if request.method != "GET" else 302)
