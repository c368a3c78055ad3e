"""``GET /healthz``: is this instance able to serve? For the load balancer and monitoring.

Public (a load balancer has no account) and therefore says nothing about anyone: each
dependency is "ok", "down" or "not configured", no host names, no error texts (those go to
the log with the request id). 503 only when the database does not answer: without Redis an
instance still serves pages and actions (live updates fall back to polling, reminders wait),
and one shared Redis going down must not take every instance out of the load balancer at
once; it shows as ``"status": "degraded"`` for monitoring.
"""

import logging

import sqlalchemy as sa
from flask import current_app, jsonify

from portal.actions import discard
from portal.auth.decorators import public
from portal.extensions import db
from portal.ops import bp

log = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 1.0


def redis_client(app=None):
    """The instance's Redis client for REDIS_URL (None when Redis is not configured)."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("portal_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                      socket_timeout=REDIS_TIMEOUT_SECONDS)
        app.extensions["portal_redis"] = client
    return client


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "down"; the log has the detail
        log.warning("health: the database does not answer", exc_info=True)
        discard()
        return "down"
    return "ok"


def _redis() -> str:
    client = redis_client()
    if client is None:
        return "not configured"
    try:
        client.ping()
    except Exception:  # noqa: BLE001 - as above
        log.warning("health: Redis does not answer", exc_info=True)
        return "down"
    return "ok"


@bp.route("/healthz")
@public
def healthz():
    """Whether the database and Redis (when configured) answer, as JSON: 503 when the
    database does not, 200 (degraded) when only Redis does not."""
    checks = {"database": _database(), "redis": _redis()}
    if checks["database"] == "down":
        status = "down"
    else:
        status = "degraded" if "down" in checks.values() else "ok"
    response = jsonify(status=status, checks=checks)
    response.status_code = 503 if status == "down" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
