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
    exactly = ("seven slow snails " * 8)[:128]
    assert change(client, new=exactly, confirm=exactly).status_code == 303


def test_no_composition_rules(client, login):
    login("reception")
    plain = "lanternmothsdusk"  # lower case only: no digit, capital or symbol is required
    assert change(client, new=plain, confirm=plain).status_code == 303


def test_confirmation_must_match(client, login):
    login("reception")
    response = change(client, confirm="something else entirely")
    assert response.status_code == 422


def test_a_wrong_current_password_is_said_next_to_it_in_the_readers_language(client, login):
    user = login("reception")
    user.locale = "zh_CN"
    db.session.commit()
    page = change(client, current="not my password").get_data(as_text=True)
    assert 'id="current_password-error"' in page
    assert "The current password is not correct." not in page  # translated when shown


def test_change_own_password_only_flushes(create_user):
    from portal.auth.services import change_own_password

    user = create_user("reception")
    db.session.commit()
    token = user.session_token
    change_own_password(user, TEST_PASSWORD, NEW)
    db.session.rollback()
    assert verify_password(user.password_hash, TEST_PASSWORD) and user.session_token == token


def test_an_account_changed_meanwhile_is_a_conflict_showing_it_as_it_is(client, login,
                                                                        monkeypatch):
    """A supervisor renames the account while its owner changes the password: 409, the page
    with the current name, the password unchanged (passwords are never written back)."""
    import sqlalchemy as sa

    from portal import actions
    from portal.auth import views
    from portal.auth.models import User

    user = login("reception")
    real = views.change_own_password

    def racing(who, current, new):
        db.session.execute(sa.update(User.__table__).where(User.__table__.c.id == who.id)
                           .values(version=User.__table__.c.version + 1,
                                   display_name="主管改过的名字"))
        actions.commit()  # the other request's commit; this one still holds the old version
        real(who, current, new)

    monkeypatch.setattr(views, "change_own_password", racing)
    response = change(client)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<dd>主管改过的名字</dd>" in page
    assert "Someone else changed this first" in page and 'id="password-form"' in page
    db.session.refresh(user)
    assert verify_password(user.password_hash, TEST_PASSWORD)
