"""Notifications: sending, the bell, marking read, translation at display time."""

import re

from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify, notify_role
from portal.notifications.models import Notification
from portal.notifications.services import unread_count
from tests.conftest import count_rows, today

HX = {"HX-Request": "true"}


def test_notify_role_reaches_every_active_holder(create_user):
    a, b = create_user("order_clerk"), create_user("order_clerk")
    gone = create_user("order_clerk", active=False)
    create_user("presales")
    notify_role("order_clerk", N_("Welcome to the customer-service portal, %(name)s."), "/",
                name="x")
    db.session.commit()
    assert unread_count(a) == unread_count(b) == 1
    assert unread_count(gone) == 0
    assert count_rows(Notification) == 2


def test_bell_shows_the_unread_count(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("presales"))
    bell = client.get("/notifications/bell").get_data(as_text=True)
    assert 'id="bell"' in bell and "hidden" in bell
    create_notification(user)
    create_notification(user)
    bell = client.get("/notifications/bell").get_data(as_text=True)
    assert re.search(r'<span class="bell-count" aria-hidden="true"\s*>2</span>', bell)
    assert "every 30s" in bell and "notifications-changed from:body" in bell


def test_mark_one_read_in_place_and_tell_the_bell(client, sign_in, create_user,
                                                  create_notification):
    user = sign_in(client, create_user("presales"))
    note = create_notification(user)
    response = client.post(f"/notifications/{note.id}/read", headers=HX)
    assert response.status_code == 200
    assert "notifications-changed" in response.headers["HX-Trigger"]
    body = response.get_data(as_text=True)
    assert "<html" not in body and f'id="notification-{note.id}"' in body
    # the row as it is now: read, without its button
    assert 'class="notification"' in body and "Mark read" not in body
    assert unread_count(user) == 0


def test_mark_read_only_flushes(create_user, create_notification):
    from portal.notifications.services import mark_read

    user = create_user("presales")
    note = create_notification(user)
    db.session.commit()
    assert mark_read(user, note.id) == 1
    assert unread_count(user) == 0 and note.read_at is not None
    db.session.rollback()
    assert unread_count(user) == 1


def test_cannot_mark_someone_elses(client, sign_in, create_user, create_notification):
    sign_in(client, create_user("presales"))
    theirs = create_notification(create_user("aftersales"))
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_mark_all_read(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("presales"))
    for _ in range(3):
        create_notification(user)
    response = client.post("/notifications/read-all", headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="notification-list"' in body and "unread" not in body
    assert "notifications-changed" in response.headers["HX-Trigger"]
    assert unread_count(user) == 0
    without_javascript = client.post("/notifications/read-all")
    assert without_javascript.status_code == 303
    assert without_javascript.headers["Location"] == "/notifications/"


def test_list_page_and_fragment(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("presales"))
    create_notification(user)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "<html" in page and user.display_name in page
    fragment = client.get("/notifications/", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="notification-list"' in fragment


def test_message_is_translated_for_each_reader(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("presales", locale="en"))
    create_notification(user)
    english = client.get("/notifications/").get_data(as_text=True)
    assert f"Welcome to the customer-service portal, {user.display_name}." in english
    user.locale = "zh_CN"
    db.session.commit()
    chinese = client.get("/notifications/").get_data(as_text=True)
    assert "Welcome to the customer-service portal" not in chinese
    assert user.display_name in chinese


def test_unread_card_on_today(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("reception"))
    create_notification(user)
    html = today(client).get_data(as_text=True)
    assert 'id="card-notifications"' in html and user.display_name in html


def test_notify_one_user_directly(create_user):
    user = create_user("presales")
    (note,) = notify(user, N_("Welcome to the customer-service portal, %(name)s."), name="A")
    db.session.commit()
    assert note.user_id == user.id and note.params == {"name": "A"}


def test_long_lists_are_paginated(client, sign_in, create_user, create_notification, app,
                                  monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 5)
    user = sign_in(client, create_user("presales", locale="en"))
    for _ in range(12):
        create_notification(user)
    first = client.get("/notifications/").get_data(as_text=True)
    assert "Page 1 of 3" in first and 'href="/notifications/?page=2"' in first
    last = client.get("/notifications/?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last and last.count('class="notification unread"') == 2
