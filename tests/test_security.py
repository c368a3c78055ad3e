"""CSRF, security headers, cookies, strict CSP-compatible markup, production settings."""

import re

import pytest

from portal import create_app
from portal.config import ConfigError
from tests.conftest import today
from tests.fixtures.factories import TEST_PASSWORD


@pytest.mark.usefixtures("csrf_enabled")
def test_post_without_csrf_token_is_refused(client, login, create_user):
    user = create_user("presales")
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert today(client).status_code == 302


@pytest.mark.usefixtures("csrf_enabled")
def test_htmx_post_uses_the_header_token(client, create_user, sign_in, create_notification):
    user = sign_in(client, create_user("presales"))
    note = create_notification(user)
    page = client.get("/notifications/").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    refused = client.post(f"/notifications/{note.id}/read", headers={"HX-Request": "true"})
    assert refused.status_code == 400
    assert "portal-toast" in refused.headers["HX-Trigger"], "htmx errors must surface"
    accepted = client.post(f"/notifications/{note.id}/read",
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code == 200


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_flags(client, create_user):
    user = create_user("presales")
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


PAGES = ["/", "/staff/", "/staff/new", "/audit/", "/notifications/", "/account"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style(client, sign_in, create_user, path):
    sign_in(client, create_user("manager"))
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"hx-on", html), "hx-on needs eval"
    assert "https://" not in html.split("<body", 1)[0], "no CDN assets"


def test_htmx_configured_for_strict_csp(client):
    html = client.get("/login").get_data(as_text=True)
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'", html).group(1)
    assert '"allowEval": false' in config
    # what a swap brings is live (its forms bound, its autofocus field focused) at the swap,
    # not 20 ms later: a form submitted in between went the plain way, a full page load
    assert '"defaultSettleDelay": 0' in config
    assert '"includeIndicatorStyles": false' in config
    assert '"selfRequestsOnly": true' in config
    assert '{"code": "422", "swap": true, "error": false}' in config


def test_htmx_is_served_from_the_app(client):
    response = client.get("/static/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert b"htmx" in response.data[:2000]


@pytest.mark.parametrize("key", [None, "", "dev-only-insecure-key", "short"])
def test_production_refuses_a_missing_or_default_secret_key(monkeypatch, key):
    monkeypatch.setenv("PORTAL_ENV", "production")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError):
        create_app()


def test_production_starts_with_a_real_key(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    assert create_app().config["PORTAL_ENV"] == "production"


def test_behind_a_proxy_the_client_address_is_used(monkeypatch, create_user):
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "p" * 40,
                      "WTF_CSRF_ENABLED": False})
    user = create_user("presales")
    app.test_client().post("/login", data={"username": user.username, "password": "wrong" * 3},
                           headers={"X-Forwarded-For": "10.1.2.3"})
    from portal.audit.models import AuditEvent
    from portal.extensions import db

    event = db.session.query(AuditEvent).filter_by(action="auth.login_failed").one()
    assert event.ip == "10.1.2.3"


def test_the_page_names_its_icon_so_browsers_do_not_ask_for_a_missing_one(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg?v=' in html
    assert client.get("/static/favicon.svg").status_code == 200


def test_an_htmx_request_in_flight_cannot_sign_a_user_back_in(client, create_user):
    """A badge poll or a Today card that answers after the user signed out must not carry the
    old session's cookie back (htmx requests re-send the cookie only when they changed it)."""
    user = create_user("reception")
    client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    page = client.get("/notifications/")
    assert "session=" in page.headers.get("Set-Cookie", "")  # a page slides the lifetime
    poll = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "Set-Cookie" not in poll.headers
    css = client.get("/static/css/portal.css")
    assert "Set-Cookie" not in css.headers
