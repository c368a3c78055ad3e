"""Rendering and response helpers shared by every area.

``render()`` serves a whole page, or only one named block of it for an htmx request
(jinja2-fragments), so one template and one route serve both. How an action runs and
commits is ``portal.actions``.
"""

import json
from collections.abc import Iterable

from flask import Response, current_app, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from jinja2_fragments.flask import render_block

from portal.extensions import htmx

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def is_fragment_request() -> bool:
    """True for an htmx request that wants a fragment (not boosted, not a history restore)."""
    return bool(
        htmx
        and not htmx.boosted
        and not request.headers.get("HX-History-Restore-Request")
    )


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """The whole page, or only ``block`` of it for an htmx request; Vary: HX-Request."""
    if block and is_fragment_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def trigger(response: Response, *events: str, **detailed) -> Response:
    """Add client events to ``HX-Trigger`` (keeping any already there)."""
    existing = response.headers.get("HX-Trigger")
    payload: dict = {}
    if existing:
        try:
            payload = json.loads(existing)
        except ValueError:
            payload = {name.strip(): None for name in existing.split(",")}
    for name in events:
        payload[name] = None
    payload.update(detailed)
    response.headers["HX-Trigger"] = json.dumps(payload)  # ASCII: headers cannot carry Chinese
    return response


def redirect_htmx_aware(location: str, status: int = 303) -> Response:
    """A redirect that htmx follows as a full navigation (HX-Redirect), else a 303."""
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    response = make_response("", status)
    response.headers["Location"] = location
    return response


class PortalSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions re-sent only by page loads and by requests that changed them.

    A badge poll, a Today card or a stylesheet in flight while the user signs out would
    otherwise answer after the sign-out with the old session's cookie and sign the user back
    in; and polls alone would keep an idle browser's session alive for ever. Page loads and
    real changes still slide the session's lifetime."""

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        # a static file or an htmx request (poll, card) that did not change the session:
        # nothing to send, and nothing stale to send after a sign-out
        if htmx or request.endpoint == "static":
            return False
        return super().should_set_cookie(app, session)


def security_headers(response: Response) -> Response:
    """Strict CSP and the usual hardening headers on every response."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def page_args(allowed: Iterable[str] = ()) -> dict:
    """Query-string values worth keeping in pagination links."""
    return {k: v for k, v in request.args.items() if k in set(allowed) and v}
