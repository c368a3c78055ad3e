"""Changing one's own password."""

from portal.auth.passwords import verify_password
from portal.extensions import db
from tests.fixtures.factories import TEST_PASSWORD

NEW = "a new long passphrase"


def change(client, current=TEST_PASSWORD, new=NEW, confirm=None):
    return client.post("/account", data={"current_password": current, "new_password": new,
                                         "confirm": NEW if confirm is None else confirm})


def test_change_password(client, app, login):
    user = login("reception")
    other_browser = app.test_client()
    login(user=user, the_client=other_browser)
    response = change(client)
    assert response.status_code == 303
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW)
    assert client.get("/account").status_code == 200, "this session stays signed in"
    assert other_browser.get("/account").status_code == 302, "other sessions are signed out"


def test_wrong_current_password(client, login):
    user = login("reception")
    response = change(client, current="not my password")
    assert response.status_code == 422
    db.session.refresh(user)
    assert verify_password(user.password_hash, TEST_PASSWORD)


def test_length_limits(client, login):
    login("reception")
    assert change(client, new="short pass", confirm="short pass").status_code == 422
    too_long = "x" * 129
    assert change(client, new=too_long, confirm=too_long).status_code == 422
    exactly = "x" * 128
    assert change(client, new=exactly, confirm=exactly).status_code == 303


def test_no_composition_rules(client, login):
    login("reception")
    plain = "aaaaaaaaaaaa"
    assert change(client, new=plain, confirm=plain).status_code == 303


def test_confirmation_must_match(client, login):
    login("reception")
    response = change(client, confirm="something else entirely")
    assert response.status_code == 422
