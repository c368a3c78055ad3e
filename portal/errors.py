"""Friendly, translated error pages; htmx requests get a toast instead of a page."""

import json

from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from portal.actions import Conflict, discard
from portal.ops.logs import current_request_id
from portal.web import is_fragment_request, render


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Reload the page and "
                                  "try again.")),
        403: (_("Not allowed"), _("Your role does not give access to this page or action.")),
        404: (_("Not found"), _("This page or record does not exist.")),
        405: (_("Not possible this way"), _("This action cannot be done this way.")),
        409: (_("Changed by someone else"), _("Someone else changed this record first. "
                                              "Reload to see its current state.")),
        413: (_("Too large"), _("The upload is larger than allowed.")),
        422: (_("Check your input"), _("Some of what was entered is not valid; nothing was "
                                       "saved.")),
        429: (_("Too many attempts"), _("Too many attempts. Wait a few minutes and try again.")),
        500: (_("Something went wrong"), _("The portal had an internal error. Nothing you did "
                                           "caused it. Tell the supervisor the error number.")),
    }


def error_response(status: int, message: str | None = None, error_id: str | None = None):
    """The error page, or for htmx a short text plus a toast event (never a silent failure)."""
    title, text = _messages().get(status, _messages()[500])
    text = message or text
    if error_id:
        text = _("%(message)s (error number: %(error_id)s)", message=text, error_id=error_id)
    if is_fragment_request():
        response = render("errors/_toast.html", message=text, status=status)
        response.headers["HX-Reswap"] = "none"
        response.headers["HX-Trigger"] = json.dumps({"portal-toast": {"level": "error",
                                                                      "message": text}})
        return response
    return render("errors/error.html", status=status, title=title, message=text,
                  error_id=error_id)


def register(app) -> None:
    """Install the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(400, _("The form expired or was sent from elsewhere. Reload the "
                                     "page and try again."))

    @app.errorhandler(Conflict)
    def conflict(error):
        discard()
        return error_response(409)

    @app.errorhandler(StaleDataError)
    def stale(error):
        discard()
        return error_response(409)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        if error.code == 429 and request.endpoint == "auth.login":
            from portal.auth.views import throttled

            return throttled()
        return error_response(error.code)

    @app.errorhandler(Exception)
    def internal_error(error):
        error_id = current_request_id()  # the error number is the request's id (in the log)
        app.logger.exception("error %s on %s %s", error_id, request.method, request.path)
        discard()
        return error_response(500, error_id=error_id)
