"""A request id on every log line, and the log format (text, or JSON in production).

The id comes from nginx's ``X-Request-ID`` (``proxy_set_header X-Request-ID $request_id``)
when it looks like one, else the portal makes one; it goes back in the response's
``X-Request-ID`` and is the error number of the 500 page, so a person's "error number"
finds the very lines of the log. Log lines carry no personal data: the path, never the
query string (a search for a phone number) or a form's values.
"""

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Response, g, has_request_context, request

HEADER = "X-Request-ID"
# nginx's $request_id is 32 hex digits; a UUID has dashes. Anything else (too long, spaces,
# line breaks that would forge log lines) is replaced by our own.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
_HANDLER_MARK = "_portal_handler"


def new_request_id() -> str:
    return uuid.uuid4().hex


def assign_request_id() -> None:
    """before_request: the request's id, from nginx when sane."""
    given = request.headers.get(HEADER, "")
    g.request_id = given if _SANE.fullmatch(given) else new_request_id()
    g.request_started = time.perf_counter()


def current_request_id() -> str:
    """The id of the request being served ("-" outside one, e.g. a CLI command)."""
    if has_request_context():
        request_id = g.get("request_id")
        if request_id is None:  # a request refused before before_request ran (a 404 route)
            assign_request_id()
            request_id = g.request_id
        return request_id
    return "-"


def send_request_id(response: Response) -> Response:
    """after_request: the id back to the client (and nginx's access log)."""
    response.headers[HEADER] = current_request_id()
    return response


def log_request(response: Response) -> Response:
    """after_request (LOG_REQUESTS): one structured line per request."""
    started = g.get("request_started")
    elapsed = round((time.perf_counter() - started) * 1000, 1) if started else None
    logging.getLogger("portal.request").info(
        "%s %s %s", request.method, request.path, response.status_code,
        extra={"method": request.method, "path": request.path, "endpoint": request.endpoint,
               "status": response.status_code, "duration_ms": elapsed})
    return response


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, process;
    the structured fields a line was given (``extra=``) and the traceback when there is one."""

    FIELDS = ("method", "path", "endpoint", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "pid": record.process,
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    record = _factory(*args, **kwargs)
    record.request_id = current_request_id()
    return record


def configure(level: str, fmt: str) -> None:
    """Log to stderr in ``fmt`` at ``level``; every record (the portal's, Flask's, SQLAlchemy's)
    carries the request id. Idempotent: a second app replaces the handler, never adds one."""
    if logging.getLogRecordFactory() is not _record_with_request_id:
        logging.setLogRecordFactory(_record_with_request_id)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(JSONFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
