"""Staff accounts managed by supervisors and managers."""

import re

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.extensions import db
from tests.conftest import count_rows, today
from tests.fixtures.factories import TEST_PASSWORD

HX = {"HX-Request": "true"}


def new_account(**overrides):
    data = {"username": "xiaoming", "display_name": "王小明", "role": "presales",
            "password": "twelve chars ok"}
    data.update(overrides)
    return data


def test_supervisor_creates_a_staff_account(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    response = client.post("/staff/new", data=new_account(username="XiaoMing"))
    assert response.status_code == 303
    user = db.session.scalar(sa.select(User).where(User.username == "xiaoming"))
    assert user.role == "presales" and user.active
    assert verify_password(user.password_hash, "twelve chars ok")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "staff.created"))
    assert event.changes["role"] == [None, "presales"]


def test_supervisor_cannot_create_a_manager(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    response = client.post("/staff/new", data=new_account(role="manager"))
    assert response.status_code == 422
    assert count_rows(User, User.username == "xiaoming") == 0


def test_manager_creates_a_supervisor(client, sign_in, create_user):
    sign_in(client, create_user("manager"))
    assert client.post("/staff/new", data=new_account(role="supervisor")).status_code == 303
    assert count_rows(User, User.role == "supervisor", User.username == "xiaoming") == 1


def test_bad_input_is_refused_with_messages_and_nothing_saved(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    create_user("presales", username="taken")
    for data in (new_account(username="taken"), new_account(username="has space"),
                 new_account(password="short"), new_account(display_name="")):
        response = client.post("/staff/new", data=data)
        assert response.status_code == 422
        assert 'class="field-error"' in response.get_data(as_text=True)
    assert count_rows(User, User.display_name == "王小明") == 0


def _edit(client, user, version: int, name: str, role: str = "presales"):
    """Save the account page's name-and-role form."""
    return client.post(f"/staff/{user.id}", data={"version": version, "display_name": name,
                                                  "role": role})


def test_edit_name_and_role_is_audited(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    user = create_user("presales", display_name="旧名字")
    assert _edit(client, user, user.version, "新名字", "aftersales").status_code == 303
    db.session.refresh(user)
    assert (user.display_name, user.role) == ("新名字", "aftersales")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "staff.updated"))
    assert event.changes == {"display_name": ["旧名字", "新名字"],
                             "role": ["presales", "aftersales"]}


def _renamed_meanwhile(client, sign_in, create_user, name: str):
    """A presales account a supervisor renamed to ``name`` after (another tab) loaded it:
    the account and the version that tab holds."""
    sign_in(client, create_user("supervisor"))
    user = create_user("presales", display_name="原名")
    stale_version = user.version
    _edit(client, user, stale_version, name)
    return user, stale_version


def _form_of(page: str, action: str) -> str:
    """The markup of the form posting to ``action``."""
    start = page.index(f'action="{action}"')
    return page[start:page.index("</form>", start)]


def test_second_editor_gets_a_conflict_the_current_state_and_keeps_the_typing(
        client, sign_in, create_user):
    user, stale_version = _renamed_meanwhile(client, sign_in, create_user, "第一次")
    response = _edit(client, user, stale_version, "第二次", "aftersales")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.display_name == "第一次" and user.role == "presales"
    assert user.version == stale_version + 1
    # the account as it is now, and the conflict said
    assert re.search(r"<h1>第一次 <span", page)
    assert "Someone else changed this account first" in page
    # what the second editor typed is still in the form, whose version is the current one
    assert re.search(r'<input id="display_name"[^>]* value="第二次">', page)
    assert '<option selected value="aftersales">' in page
    # every form of the page carries the current version
    for action in (f"/staff/{user.id}", f"/staff/{user.id}/password",
                   f"/staff/{user.id}/active"):
        assert f'value="{user.version}"' in _form_of(page, action)
    # sending it again is a deliberate second try: it goes through
    assert _edit(client, user, user.version, "第二次", "aftersales").status_code == 303
    db.session.refresh(user)
    assert (user.display_name, user.role) == ("第二次", "aftersales")


def test_a_conflicting_password_reset_answers_the_current_account(client, sign_in,
                                                                  create_user):
    user, stale_version = _renamed_meanwhile(client, sign_in, create_user, "改过了")
    response = client.post(f"/staff/{user.id}/password",
                           data={"version": stale_version, "password": "a brand new password"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert re.search(r"<h1>改过了 <span", page)
    db.session.refresh(user)
    assert verify_password(user.password_hash, TEST_PASSWORD)
    assert f'value="{user.version}"' in _form_of(page, f"/staff/{user.id}/password")


def test_a_username_taken_meanwhile_keeps_the_typing(client, sign_in, create_user,
                                                     monkeypatch):
    """Two supervisors create the same username at once: the unique key refuses the second;
    the form comes back as typed with the reason next to the username."""
    from portal.auth import services

    sign_in(client, create_user("supervisor"))
    create_user("presales", username="xiaoming")
    monkeypatch.setattr(services, "find_by_username", lambda username: None)  # checked before
    response = client.post("/staff/new", data=new_account(display_name="第二个小明"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'value="第二个小明"' in page and 'value="xiaoming"' in page
    assert 'id="username-error"' in page
    assert count_rows(User, User.display_name == "第二个小明") == 0


def test_supervisor_cannot_change_a_manager_account(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    manager = create_user("manager", display_name="老板")
    response = client.post(f"/staff/{manager.id}", data={"version": manager.version,
                                                         "display_name": "改名",
                                                         "role": "manager"})
    assert response.status_code == 422
    db.session.refresh(manager)
    assert manager.display_name == "老板"


def test_deactivate_from_the_list_updates_the_row_in_place(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    user = create_user("presales")
    response = client.post(f"/staff/{user.id}/active", data={"version": user.version},
                           headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and f'id="staff-{user.id}"' in body
    db.session.refresh(user)
    assert user.active is False
    assert count_rows(AuditEvent, AuditEvent.action == "staff.deactivated") == 1
    again = client.post(f"/staff/{user.id}/active", data={"version": user.version, "active": "y"},
                        headers=HX)
    assert again.status_code == 200
    db.session.refresh(user)
    assert user.active is True


def test_deactivating_twice_from_stale_pages_is_a_conflict(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    user = create_user("presales")
    version = user.version
    client.post(f"/staff/{user.id}/active", data={"version": version}, headers=HX)
    response = client.post(f"/staff/{user.id}/active", data={"version": version}, headers=HX)
    assert response.status_code == 409
    row = response.get_data(as_text=True)
    assert "<html" not in row and f'id="staff-{user.id}"' in row
    # the row as it is now: deactivated, offering to reactivate with the current version
    db.session.refresh(user)
    assert 'class="inactive"' in row and "Deactivated" in row
    assert "Someone else changed this account first" in row
    assert f'name="version" value="{user.version}"' in row and 'name="active" value="y"' in row
    assert count_rows(AuditEvent, AuditEvent.action == "staff.deactivated") == 1


def test_a_stale_deactivation_without_javascript_answers_the_account_page(client, sign_in,
                                                                          create_user):
    user, version = _renamed_meanwhile(client, sign_in, create_user, "新名字")
    response = client.post(f"/staff/{user.id}/active", data={"version": version})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<html" in page and re.search(r"<h1>新名字 <span", page)
    assert "Someone else changed this account first" in page
    db.session.refresh(user)
    assert user.active
    assert f'value="{user.version}"' in _form_of(page, f"/staff/{user.id}/active")


def test_staff_services_only_flush(create_user):
    """The runner commits: a service's change goes with the request's transaction."""
    from portal.auth.services import reset_password, set_active, update_staff

    actor, user = create_user("supervisor"), create_user("presales", display_name="原名")
    db.session.commit()
    update_staff(actor, user, version=user.version, display_name="改名", role="aftersales")
    reset_password(actor, user, version=user.version, password="another long password")
    set_active(actor, user, version=user.version, active=False)
    assert count_rows(AuditEvent, AuditEvent.target_id == str(user.id)) == 3  # flushed
    db.session.rollback()
    assert (user.display_name, user.role, user.active) == ("原名", "presales", True)
    assert verify_password(user.password_hash, TEST_PASSWORD)
    assert count_rows(AuditEvent, AuditEvent.target_id == str(user.id)) == 0


def test_a_refusal_is_shown_in_the_readers_language(app, client, sign_in, create_user):
    """The service refuses with the untranslated text; the answer translates it."""
    from flask_babel import force_locale

    from portal.auth.services import AccountError, create_staff

    supervisor = sign_in(client, create_user("supervisor", locale="zh_CN"))
    with app.test_request_context(), force_locale("zh_CN"), \
            pytest.raises(AccountError) as refused:
        create_staff(supervisor, username="x2", display_name="X", role="manager",
                     password="long enough password")
    assert refused.value.message == "Only a manager manages supervisor and manager accounts."
    assert refused.value.field == "role"
    response = client.post("/staff/new", data=new_account(role="manager"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Only a manager manages" not in page
    assert 'id="role-error"' in page


def test_cannot_deactivate_oneself(client, sign_in, create_user):
    me = sign_in(client, create_user("supervisor"))
    response = client.post(f"/staff/{me.id}/active", data={"version": me.version})
    assert response.status_code == 422
    db.session.refresh(me)
    assert me.active


def test_deactivated_person_keeps_authorship(client, sign_in, create_user):
    sign_in(client, create_user("manager"))
    user = create_user("presales")
    client.post(f"/staff/{user.id}/active", data={"version": user.version})
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action ==
                                                           "staff.deactivated"))
    assert db.session.get(User, user.id) is not None
    assert event.target_id == str(user.id)


def test_reset_password_signs_the_person_out(client, app, sign_in, login, create_user):
    sign_in(client, create_user("supervisor"))
    user = create_user("reception")
    their_browser = app.test_client()
    login(user=user, the_client=their_browser)
    response = client.post(f"/staff/{user.id}/password",
                           data={"version": user.version, "password": "brand new password"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert verify_password(user.password_hash, "brand new password")
    assert today(their_browser).status_code == 302


def test_staff_list_filters_and_fragment(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    create_user("reception", display_name="前台小王")
    create_user("presales", display_name="售前小李", active=False)
    page = client.get("/staff/?role=reception")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and "前台小王" in html and "售前小李" not in html
    fragment = client.get("/staff/?status=inactive", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="staff-table"' in fragment
    assert "售前小李" in fragment and "前台小王" not in fragment


def test_staff_card_on_today_for_supervisors_only(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    assert 'id="card-staff"' in today(client).get_data(as_text=True)
    other = client.application.test_client()
    sign_in(other, create_user("presales"))
    assert 'id="card-staff"' not in today(other).get_data(as_text=True)
