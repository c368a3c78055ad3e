"""Friendly error pages, and errors that htmx shows as a toast."""

import json
import logging

import pytest

HX = {"HX-Request": "true"}


def test_404_page_is_friendly_and_translated(client, sign_in, create_user):
    sign_in(client, create_user("presales", locale="en"))
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "This page or record does not exist." in html and "Traceback" not in html


def test_403_page(client, sign_in, create_user):
    sign_in(client, create_user("reception", locale="en"))
    response = client.get("/staff/")
    assert response.status_code == 403
    assert "Your role does not give access" in response.get_data(as_text=True)


@pytest.fixture
def broken_route(app):
    """A route that fails, registered on a fresh app sharing the test database."""
    from portal import create_app
    from portal.auth.decorators import require

    broken = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40,
                         "WTF_CSRF_ENABLED": False})

    @require("home.view")
    def explode():
        raise RuntimeError("boom")

    broken.add_url_rule("/explode", "explode", explode)
    return broken


def test_500_shows_an_error_number_that_is_logged(broken_route, sign_in, create_user, caplog):
    client = broken_route.test_client()
    sign_in(client, create_user("presales", locale="en"))
    with caplog.at_level(logging.ERROR):
        response = client.get("/explode")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "boom" not in html and "Traceback" not in html
    error_id = html.split("<code>")[1].split("</code>")[0]
    assert any(error_id in record.getMessage() for record in caplog.records)


def test_htmx_error_becomes_a_toast_event(broken_route, sign_in, create_user):
    client = broken_route.test_client()
    sign_in(client, create_user("presales", locale="en"))
    response = client.get("/explode", headers=HX)
    assert response.status_code == 500
    assert response.headers["HX-Reswap"] == "none"
    toast = json.loads(response.headers["HX-Trigger"])["portal-toast"]
    assert toast["level"] == "error" and "error number" in toast["message"]
    assert "<html" not in response.get_data(as_text=True)


def test_toast_header_is_ascii_even_in_chinese(client, sign_in, create_user):
    sign_in(client, create_user("presales", locale="zh_CN"))
    response = client.get("/staff/", headers=HX)
    assert response.status_code == 403
    response.headers["HX-Trigger"].encode("latin-1")  # headers cannot carry raw Chinese
