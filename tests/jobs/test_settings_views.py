"""The reminder settings page: who may use it, the page and its row fragment, switching a
kind off and on, a stale switch (409), bad input."""

import pytest

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.jobs.models import ReminderSetting
from tests.conftest import count_rows

HX = {"HX-Request": "true"}


@pytest.fixture
def boss(client, create_user, sign_in):
    return sign_in(client, create_user("supervisor"))


@pytest.mark.parametrize("role", ["manager", "presales", "aftersales", "order_clerk",
                                  "reception", "supervisor"])
def test_reminder_settings_by_role(client, create_user, sign_in, role):
    sign_in(client, create_user(role))
    allowed = role == "supervisor"
    assert client.get("/reminders/").status_code == (200 if allowed else 403)
    response = client.post("/reminders/sla_soon/switch", data={"version": 1, "enabled": "off"},
                           headers=HX)
    assert response.status_code == (200 if allowed else 403)


def test_anonymous_goes_to_sign_in(client):
    assert client.get("/reminders/").status_code == 302


def test_page_lists_every_kind_switched_on(client, boss):
    from portal.ui import reminder_kinds

    page = client.get("/reminders/").get_data(as_text=True)
    assert "<html" in page and 'id="reminder-table"' in page
    for kind in ("payday_eve", "orders_promised", "orders_missed", "sla_soon", "sla_breached",
                 "handover_unsigned", "visits_due", "roster_unpublished"):
        assert f'id="reminder-{kind}"' in page
    assert "Switch off" in page and "Not yet" in page
    # made on first sight, switched on (the portal's own and the areas', e.g. calls_due)
    assert count_rows(ReminderSetting) == len(reminder_kinds())


def test_table_fragment_for_htmx(client, boss):
    fragment = client.get("/reminders/", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<table id="reminder-table"')


def test_switch_off_and_on_in_place(client, boss):
    client.get("/reminders/")
    response = client.post("/reminders/visits_due/switch", data={"version": 1, "enabled": "off"},
                           headers=HX)
    row = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in row
    assert row.lstrip().startswith('<tr id="reminder-visits_due"') and "Switch on" in row
    assert "Switched off" in row
    setting = db.session.get(ReminderSetting, "visits_due")
    assert setting.enabled is False and setting.version == 2
    assert count_rows(AuditEvent, AuditEvent.action == "reminder.switch") == 1
    client.post("/reminders/visits_due/switch", data={"version": 2, "enabled": "on"}, headers=HX)
    db.session.expire_all()
    assert db.session.get(ReminderSetting, "visits_due").enabled is True


def test_switch_without_javascript_redirects_to_the_page(client, boss):
    response = client.post("/reminders/sla_soon/switch", data={"version": 1, "enabled": "off"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/reminders/")


def test_a_stale_switch_is_a_409_with_the_current_state(client, boss):
    client.get("/reminders/")
    client.post("/reminders/sla_soon/switch", data={"version": 1, "enabled": "off"}, headers=HX)
    response = client.post("/reminders/sla_soon/switch", data={"version": 1, "enabled": "off"},
                           headers=HX)
    assert response.status_code == 409
    row = response.get_data(as_text=True)
    assert "Someone else changed this first" in row and "Switch on" in row
    assert 'name="version" value="2"' in row
    assert db.session.get(ReminderSetting, "sla_soon").version == 2


@pytest.mark.parametrize(("path", "data", "status"), [
    ("/reminders/no_such_kind/switch", {"version": 1, "enabled": "off"}, 404),
    ("/reminders/sla%00soon/switch", {"version": 1, "enabled": "off"}, 404),
    ("/reminders/" + "x" * 5000 + "/switch", {"version": 1, "enabled": "off"}, 404),
    ("/reminders/sla_soon/switch", {"version": 1, "enabled": "maybe"}, 422),
    ("/reminders/sla_soon/switch", {"version": 1, "enabled": "of\x00f"}, 422),
    ("/reminders/sla_soon/switch", {"version": "99999999999999999999", "enabled": "off"}, 400),
    ("/reminders/sla_soon/switch", {"enabled": "off"}, 400),
])
def test_bad_input_is_refused_without_a_5xx(client, boss, path, data, status):
    response = client.post(path, data=data, headers=HX)
    assert response.status_code == status
    assert db.session.get(ReminderSetting, "sla_soon") is None or \
        db.session.get(ReminderSetting, "sla_soon").enabled is True


def test_nav_shows_reminders_to_the_supervisor_only(client, create_user, sign_in, boss):
    assert 'href="/reminders/"' in client.get("/").get_data(as_text=True)
    other = client.application.test_client()
    sign_in(other, create_user("manager"))
    assert 'href="/reminders/"' not in other.get("/").get_data(as_text=True)


def test_last_sent_shows_on_the_page(client, boss, app, freeze):
    from portal.jobs.models import ReminderSent

    freeze("2026-11-25 09:00")
    from portal import clock

    db.session.add(ReminderSent(kind="roster_unpublished", key="2026-12", sent_at=clock.now()))
    db.session.commit()
    page = client.get("/reminders/").get_data(as_text=True)
    row = page.split('id="reminder-roster_unpublished"', 1)[1].split("</tr>", 1)[0]
    assert "2026-11-25 09:00" in row
