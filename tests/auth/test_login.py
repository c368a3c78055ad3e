"""Signing in and out, sessions, the sign-in rate limit and what the audit trail records."""

import re

import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.auth.passwords import HASHER
from portal.extensions import db
from tests.conftest import today
from tests.fixtures.factories import TEST_PASSWORD


def events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_sign_in_lands_on_today(client, create_user):
    user = create_user("reception", username="frontdesk")
    response = client.post("/login", data={"username": "FrontDesk ", "password": TEST_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = today(client).get_data(as_text=True)
    assert user.display_name in page
    assert [e.actor_id for e in events("auth.login")] == [user.id]


def test_wrong_password_is_refused_and_audited(client, create_user):
    user = create_user("presales")
    response = client.post("/login", data={"username": user.username, "password": "nope" * 4})
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert today(client).status_code == 302
    (event,) = events("auth.login_failed")
    assert event.target_id == str(user.id) and event.actor_id is None


def test_unknown_user_is_refused_like_a_wrong_password(client):
    response = client.post("/login", data={"username": "ghost", "password": TEST_PASSWORD})
    assert response.status_code == 422
    assert events("auth.login_failed")[0].details["username"] == "ghost"


def test_deactivated_user_cannot_sign_in(client, create_user):
    user = create_user("aftersales", active=False)
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 422
    assert events("auth.login_failed")[0].details["reason"] == "inactive"


def test_empty_form_shows_field_messages(client):
    response = client.post("/login", data={})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('class="field-error"') == 2


def test_next_goes_back_but_never_off_site(client, create_user):
    user = create_user("supervisor")
    response = client.get("/staff/")
    assert response.headers["Location"].startswith("/login?next=/staff/")
    ok = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD,
                                     "next": "/staff/"})
    assert ok.headers["Location"] == "/staff/"
    client.post("/logout")
    evil = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD,
                                       "next": "//evil.example/"})
    assert evil.headers["Location"] == "/"


def test_sign_in_starts_a_new_session(client, create_user):
    user = create_user("presales")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_sign_out_clears_the_session(client, login):
    user = login("order_clerk")
    response = client.post("/logout")
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert today(client).status_code == 302
    assert [e.actor_id for e in events("auth.logout")] == [user.id]


def test_sign_out_needs_post(client, login):
    login("presales")
    assert client.get("/logout").status_code == 405
    assert today(client).status_code == 200


def test_deactivation_ends_open_sessions(client, login):
    user = login("presales")
    user.active = False
    db.session.commit()
    assert today(client).status_code == 302


def test_htmx_request_when_signed_out_redirects_the_page(client):
    response = client.get("/notifications/bell",
                          headers={"HX-Request": "true",
                                   "HX-Current-URL": "http://localhost/notifications/?page=2"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/notifications/?page%3D2"
    assert "<form" not in response.get_data(as_text=True)


def test_ten_failures_lock_the_username_for_fifteen_minutes(client, create_user, freeze):
    freeze("2026-11-22 09:00")
    user = create_user("presales")
    other = create_user("presales")
    for _ in range(10):
        response = client.post("/login", data={"username": user.username, "password": "x" * 12})
        assert response.status_code == 422
    refused = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert refused.status_code == 429
    assert "15" in refused.get_data(as_text=True)
    assert today(client).status_code == 302, "the right password must not get through"
    assert len(events("auth.login_throttled")) == 1
    # another account from the same address is not locked
    ok = client.post("/login", data={"username": other.username, "password": TEST_PASSWORD})
    assert ok.status_code == 303


def test_successful_sign_ins_do_not_count_toward_the_limit(client, create_user):
    user = create_user("presales")
    for _ in range(12):
        assert client.post("/login", data={"username": user.username,
                                           "password": TEST_PASSWORD}).status_code == 303
        client.post("/logout")


def test_password_hash_is_argon2id_with_strong_parameters(create_user):
    user = create_user("manager")
    assert user.password_hash.startswith("$argon2id$")
    params = dict(re.findall(r"([mtp])=(\d+)", user.password_hash))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2  # OWASP / ASVS 2.4 minimum
    assert HASHER.memory_cost == 65536


def test_signed_in_user_visiting_login_goes_to_today(client, login):
    login("presales")
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_authenticate_only_flushes(create_user):
    """The sign-in's audit record and a remembered language go with the request's commit."""
    from portal.auth.services import authenticate

    user = create_user("presales", locale=None)
    db.session.commit()
    assert authenticate(user.username, TEST_PASSWORD, "zh_TW") is user
    assert user.locale == "zh_TW" and len(events("auth.login")) == 1
    db.session.rollback()
    assert user.locale is None and events("auth.login") == []


def test_the_language_chosen_before_signing_in_is_remembered(client, create_user):
    user = create_user("presales", locale=None)
    client.post("/language", data={"locale": "zh_TW", "next": "/login"})
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.locale == "zh_TW"
    with client.session_transaction() as session:
        assert session["_user_id"].startswith(f"{user.id}:")


def test_a_signed_in_language_switch_is_stored_on_the_account(client, login):
    user = login("presales")
    response = client.post("/language", data={"locale": "zh_CN", "next": "/account"})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    db.session.refresh(user)
    assert user.locale == "zh_CN"
    refused = client.post("/language", data={"locale": "fr", "next": "/account"})
    assert refused.status_code == 303
    db.session.refresh(user)
    assert user.locale == "zh_CN"


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_is_refused_after_sign_out(client, app, login):
    """ASVS 3.3.1: signing out ends the session on the server, not only in this browser."""
    login("presales")
    copied = _session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert today(thief).status_code == 200, "the copy works while the session is open"
    assert client.post("/logout").status_code == 303
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert today(replay).status_code == 302
    assert replay.get("/account").headers["Location"].startswith("/login")


def test_sign_out_everywhere_ends_every_session_of_the_account(client, app, login):
    user = login("aftersales")
    other_browser = app.test_client()
    login(user=user, the_client=other_browser)
    copied = _session_cookie(client)
    page = client.get("/account").get_data(as_text=True)
    assert 'action="/account/sign-out-everywhere"' in page
    response = client.post("/account/sign-out-everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert today(other_browser).status_code == 302
    assert today(client).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert today(replay).status_code == 302
    (event,) = events("auth.logout_everywhere")
    assert event.actor_id == user.id


def test_sign_out_is_never_a_conflict_with_a_change_of_the_account(client, login):
    """A supervisor renaming the account meanwhile does not stop its owner signing out."""
    import sqlalchemy as sa

    from portal.auth.models import User

    user = login("presales")
    db.session.execute(sa.update(User.__table__).where(User.__table__.c.id == user.id)
                       .values(version=User.__table__.c.version + 1))
    db.session.commit()
    assert client.post("/logout").status_code == 303
    assert today(client).status_code == 302


def test_the_username_lock_ends_after_its_window_and_old_failures_are_forgotten(
        client, create_user, freeze):
    from portal.auth.models import SignInFailure
    from tests.conftest import count_rows

    freeze("2026-11-22 09:00")
    user = create_user("presales")
    for _ in range(10):
        client.post("/login", data={"username": user.username, "password": "x" * 12})
    assert count_rows(SignInFailure, SignInFailure.username == user.username) == 10
    freeze("2026-11-22 09:14")
    assert client.post("/login", data={"username": user.username,
                                       "password": TEST_PASSWORD}).status_code == 429
    freeze("2026-11-22 09:16")
    client.post("/login", data={"username": "someone-else", "password": "x" * 12})
    assert count_rows(SignInFailure, SignInFailure.username == user.username) == 0  # pruned
    assert client.post("/login", data={"username": user.username,
                                       "password": TEST_PASSWORD}).status_code == 303


def test_failures_from_one_address_lock_that_address(client, app, create_user, monkeypatch):
    """The per-address limit counts failures against any username (a password sprayer)."""
    monkeypatch.setitem(app.config, "LOGIN_ATTEMPTS_PER_IP", "3 per 15 minutes")
    user = create_user("presales")
    for name in ("a1", "a2", "a3"):
        assert client.post("/login", data={"username": name,
                                           "password": "x" * 12}).status_code == 422
    assert client.post("/login", data={"username": user.username,
                                       "password": TEST_PASSWORD}).status_code == 429
    other_address = client.post("/login", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                                data={"username": user.username, "password": TEST_PASSWORD})
    assert other_address.status_code == 303
