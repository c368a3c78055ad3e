"""The request id (from nginx when sane, else ours) on every log line, in the response and on
the 500 page; JSON logs when LOG_FORMAT=json."""

import io
import json
import logging

import pytest

from portal import create_app
from portal.auth.decorators import public
from portal.config import ConfigError
from portal.ops import logs


@pytest.fixture
def make_app(app):
    """A second portal on the test's database with a route that logs and one that fails."""

    def make(**settings):
        other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "SECRET_KEY": "x" * 40, **settings})

        @public
        def speak():
            logging.getLogger("portal.test").warning("something worth a line")
            return "ok"

        @public
        def explode():
            raise RuntimeError("boom")

        other.add_url_rule("/speak", "speak", speak)
        other.add_url_rule("/explode", "explode", explode)
        return other

    yield make
    logs.configure(app.config["LOG_LEVEL"], "text")  # the suite's handler back


def _captured(fmt: str) -> io.StringIO:
    """What the portal's log handler writes, in a buffer."""
    stream = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers
                   if getattr(h, logs._HANDLER_MARK, False))
    handler.setStream(stream)
    return stream


def test_nginx_request_id_is_kept_and_returned(make_app):
    client = make_app().test_client()
    given = "5f2b3c9d0e1a4b7c8d9e0f1a2b3c4d5e"
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["", "short", "a" * 65, "abc def ghi jkl", "abcdefgh\tforged",
                                   "id;rm -rf", "../../etc/passwd", "中文请求编号请求编号"])
def test_an_insane_request_id_is_replaced(make_app, given):
    response = make_app().test_client().get("/healthz", headers={"X-Request-ID": given})
    made = response.headers["X-Request-ID"]
    assert made != given and len(made) == 32 and made.isalnum()


def test_each_request_gets_its_own_id(client):
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second


def test_every_log_line_carries_the_request_id_text(make_app):
    client = make_app(LOG_FORMAT="text").test_client()
    stream = _captured("text")
    response = client.get("/speak", headers={"X-Request-ID": "req-0001-abcdef"})
    assert response.status_code == 200
    line = next(line for line in stream.getvalue().splitlines() if "worth a line" in line)
    assert "[req-0001-abcdef]" in line and "WARNING" in line


def test_json_logs_one_object_a_line_with_request_id(make_app):
    client = make_app(LOG_FORMAT="json", LOG_REQUESTS=True).test_client()
    stream = _captured("json")
    client.get("/speak?phone=13800138000", headers={"X-Request-ID": "req-0002-abcdef"})
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    spoken = next(e for e in entries if e["message"] == "something worth a line")
    assert spoken["request_id"] == "req-0002-abcdef" and spoken["level"] == "WARNING"
    request_line = next(e for e in entries if e["logger"] == "portal.request")
    assert request_line["request_id"] == "req-0002-abcdef"
    assert request_line["status"] == 200 and request_line["path"] == "/speak"
    assert isinstance(request_line["duration_ms"], float)
    assert "13800138000" not in stream.getvalue(), "no query string (personal data) in logs"


def test_the_500_page_shows_the_request_id_that_the_log_has(make_app):
    client = make_app(LOG_FORMAT="json").test_client()
    stream = _captured("json")
    response = client.get("/explode", headers={"X-Request-ID": "req-0003-abcdef"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "<code>req-0003-abcdef</code>" in html and "boom" not in html
    assert response.headers["X-Request-ID"] == "req-0003-abcdef"
    error = next(json.loads(line) for line in stream.getvalue().splitlines()
                 if json.loads(line)["level"] == "ERROR")
    assert error["request_id"] == "req-0003-abcdef"
    assert "RuntimeError: boom" in error["exception"]


def test_a_404_and_a_refusal_carry_an_id_too(client, login):
    assert client.get("/no-such-page").headers["X-Request-ID"]
    login("reception")
    assert client.get("/staff/").headers["X-Request-ID"]


def test_outside_a_request_the_id_is_a_dash(app):
    record = logging.getLogger("portal.test").makeRecord("portal.test", logging.INFO, "f", 1,
                                                         "m", (), None)
    assert logs.current_request_id() == "-"
    assert record.__dict__.get("request_id", "-") == "-"


def test_an_unknown_log_format_is_refused(app):
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40,
                    "LOG_FORMAT": "xml"})


def test_production_refuses_the_development_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "PORTAL_ENV": "production",
                    "SECRET_KEY": "dev-only-insecure-key"})
