"""Operations: ``/healthz`` for the load balancer, a request id on every log line and on the
500 page, structured (JSON) logs in production, static files under versioned addresses (for
nginx's long cache), and backups (``portal.ops.backup``)."""

from flask import Blueprint

bp = Blueprint("ops", __name__)


def init_app(app) -> None:
    """Register /healthz and the request id (first of the before_request functions, so that
    whatever refuses a request later is logged with its id)."""
    from portal.ops import health  # noqa: F401 - routes attach
    from portal.ops.logs import assign_request_id, log_request, send_request_id
    from portal.ops.static import version_static_urls

    app.register_blueprint(bp)
    app.url_defaults(version_static_urls)
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)
    app.after_request(send_request_id)
    if app.config.get("LOG_REQUESTS"):
        app.after_request(log_request)
