"""Rendering and response helpers shared by every area.

``render()`` serves a whole page, or only one named block of it for an htmx request
(jinja2-fragments), so one template and one route serve both. How an action runs and
commits is ``portal.actions``.
"""

import json
from collections.abc import Iterable

from flask import Request, Response, current_app, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from jinja2_fragments.flask import render_block
from werkzeug.datastructures import ImmutableMultiDict

from portal.extensions import htmx
from portal.forms import INT_MAX, INT_MIN, has_control_characters

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class BoundedArgs(ImmutableMultiDict):
    """Query and form values where ``get(name, type=int)`` gives the default for a number
    beyond the database's INTEGER (``?pick=99999999999999999999`` names no record; it must
    not overflow the query that looks for one)."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            return default
        return value


class PortalRequest(Request):
    """The portal's request: its query and form values are ``BoundedArgs``."""

    parameter_storage_class = BoundedArgs


def refuse_hostile_query():
    """before_request: a query string with control characters (a NUL fails on PostgreSQL;
    cursors and filters are read straight from it) is a 400 with a clear message, and a page
    number beyond INTEGER (``?page=99999999999999``) names no page: 404."""
    from werkzeug.exceptions import NotFound

    from portal.errors import error_response

    for key, value in request.args.items(multi=True):
        if has_control_characters(key) or has_control_characters(value):
            from flask_babel import gettext

            return error_response(400, gettext(
                "The address contains control characters; remove them and try again."))
    for name in ("page", "per_page"):
        value = request.args.get(name, "").strip()
        if value.lstrip("+-").isdigit() and not INT_MIN <= int(value) <= INT_MAX:
            raise NotFound()
    return None


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
        # the live stream (and its reconnects) neither: it must not keep a session alive
        if htmx or request.endpoint in ("static", "live.events"):
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
