"""``/events``: one server-sent-events stream per signed-in browser tab.

The stream holds no database connection: who it serves (user, role's permissions, session
token) is read when it opens and checked again at every heartbeat, when a user signed out
everywhere, deactivated or given another role loses the stream. A heartbeat every
``LIVE_HEARTBEAT_SECONDS`` (15) keeps proxies from closing it and is what finds a client
gone: writing to a dropped connection ends the generator, so a dropped stream costs its
thread or greenlet for at most one heartbeat. Served by the threaded dev server in the
embedded default, by a gevent gunicorn of its own in production (docs/live.md).
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user

from portal.auth.decorators import require
from portal.auth.permissions import GRANTABLE, PERMISSIONS
from portal.extensions import db
from portal.live import allowed, bp
from portal.live.broker import CLOSE, current_broker

RETRY_MS = 2000  # the browser's own reconnect delay after a drop (the extension backs off more)


def last_event_id() -> int | None:
    """The ``Last-Event-ID`` a reconnecting browser sends: a small number, else ignored."""
    raw = request.headers.get("Last-Event-ID", "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


@bp.route("/events")
@require("live.events")
def events():
    """The signed-in user's stream of "what changed" events they may see."""
    broker = current_broker()
    if broker is None or not broker.healthy:
        # no live updates now (Redis unreachable): the browser polls and tries again later
        return Response("", 503, headers={"Retry-After": "10", "Cache-Control": "no-store"})
    app = current_app._get_current_object()
    user_id, role, token = current_user.id, current_user.role, current_user.session_token
    permissions = PERMISSIONS.get(role, frozenset()) | {
        p for p in (current_user.grants or "").split() if p in GRANTABLE}
    heartbeat = float(app.config["LIVE_HEARTBEAT_SECONDS"])
    resumed = last_event_id() is not None
    stamped = bool(app.config.get("LIVE_STAMP_EVENTS"))
    subscription = broker.subscribe()
    db.session.remove()  # nothing of the database is held while the stream is open

    def still_valid() -> bool:
        from portal.auth.models import User

        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                return bool(user and user.active and user.session_token == token
                            and user.role == role)
            finally:
                db.session.remove()

    def stream():
        try:
            # the first bytes go at once (proxies and the browser see the stream open); a
            # resumed stream says so: what it missed while away is re-fetched by the page
            yield f"retry: {RETRY_MS}\n: open {broker.open_streams}\n\n"
            if resumed:
                yield "event: resync\ndata: \n\n"
            while True:
                batch = subscription.get(heartbeat)
                if batch is CLOSE or not broker.healthy:
                    return
                if batch is None:
                    if not still_valid():
                        return
                    yield ": heartbeat\n\n"
                    continue
                for event in batch:
                    if allowed(event, user_id, permissions):
                        # a comment with when it was published: the bench's event-to-screen
                        stamp = f": at {event['at']:.3f}\n" if stamped else ""
                        yield (f"{stamp}id: {event['id']}\nevent: {event['event']}\n"
                               f"data: {event.get('data') or ''}\n\n")
        finally:
            broker.unsubscribe(subscription)

    return Response(stream(), mimetype="text/event-stream", headers={
        "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
