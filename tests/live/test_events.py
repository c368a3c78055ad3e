"""Live updates: events published after the commit only, filtered per user, streamed."""

import sqlalchemy as sa

from portal.extensions import db
from portal.live import allowed
from portal.live.counters import ChangeCounter
from portal.reception.models import Visit
from tests.live.conftest import HX

ARRIVAL = {"arrived_at": "2026-11-22T09:25", "party_size": "3", "purpose": "viewing",
           "source": "walk_in", "consultant_name": "外援小李", "visitor_name": "王先生",
           "phone": "138 1234 1234", "note": ""}


def counter(scope):
    return db.session.scalar(sa.select(ChangeCounter.value).where(ChangeCounter.scope == scope))


def test_an_arrival_publishes_after_the_commit(desk, broker):
    assert counter("visits") is None
    response = desk.post("/showroom/visits", data=ARRIVAL, headers=HX)
    assert response.status_code == 200
    assert broker.names() == ["visitors-changed"]
    [event] = broker.published[0]
    assert event["perm"] == "reception.view" and event["user"] is None
    assert event["data"] == ""  # what changed, never the data
    assert counter("visits") == 1
    desk.post("/showroom/visits", data=ARRIVAL, headers=HX)
    assert counter("visits") == 2


def test_a_refused_action_publishes_nothing(desk, broker):
    response = desk.post("/showroom/visits", data={**ARRIVAL, "party_size": "0"}, headers=HX)
    assert response.status_code == 422
    assert broker.published == [] and counter("visits") is None


def test_a_conflict_publishes_nothing(desk, broker):
    desk.post("/showroom/visits", data=ARRIVAL, headers=HX)
    visit = db.session.scalar(sa.select(Visit))
    broker.published.clear()
    stale = visit.version
    assert desk.post(f"/showroom/visits/{visit.id}/depart", data={"version": stale},
                     headers=HX).status_code == 200
    broker.published.clear()
    response = desk.post(f"/showroom/visits/{visit.id}/depart", data={"version": stale},
                         headers=HX)
    assert response.status_code == 409
    assert broker.published == []


def test_a_notification_is_for_its_user_only(create_user, create_notification, broker):
    user = create_user("presales")
    create_notification(user)
    assert broker.names() == ["notifications-changed"]
    [event] = broker.published[0]
    assert event["user"] == user.id and event["perm"] is None
    assert counter(f"notifications:{user.id}") == 1


def test_who_may_receive_an_event():
    reception = frozenset({"reception.view"})
    assert allowed({"event": "visitors-changed", "perm": "reception.view"}, 1, reception)
    assert not allowed({"event": "visitors-changed", "perm": "reception.view"}, 1, frozenset())
    assert allowed({"event": "notifications-changed", "user": 1}, 1, frozenset())
    assert not allowed({"event": "notifications-changed", "user": 2}, 1, reception)
    assert not allowed({"event": "anything"}, 1, reception)  # names nobody: sent to nobody


# --- the stream --------------------------------------------------------------------------------


def chunks(response, count):
    """The first ``count`` chunks the stream sends (heartbeats included)."""
    stream = iter(response.response)
    return [_text(next(stream)) for _ in range(count)]


def _text(chunk):
    return chunk.decode() if isinstance(chunk, bytes) else chunk


def test_a_stream_forwards_only_what_its_user_may_see(app, desk, broker, create_user,
                                                      sign_in, other_client):
    presales = app.test_client()
    sign_in(presales, create_user("presales"))
    watcher = app.test_client()
    sign_in(watcher, create_user("supervisor"))

    allowed_stream = watcher.get("/events", buffered=False)
    refused_stream = presales.get("/events", buffered=False)
    assert allowed_stream.status_code == 200 == refused_stream.status_code
    assert allowed_stream.mimetype == "text/event-stream"
    assert allowed_stream.headers["X-Accel-Buffering"] == "no"
    assert broker.open_streams == 2

    assert desk.post("/showroom/visits", data=ARRIVAL, headers=HX).status_code == 200

    seen = chunks(allowed_stream, 2)
    assert seen[0].startswith("retry: ")
    assert "event: visitors-changed\n" in seen[1] and "王先生" not in seen[1]
    withheld = chunks(refused_stream, 2)
    assert withheld[1] == ": heartbeat\n\n"  # the event never went to presales
    allowed_stream.close()
    refused_stream.close()
    assert broker.open_streams == 0  # a closed stream lets go of its queue


def test_a_heartbeat_keeps_the_stream_and_finds_a_signed_out_user(app, broker, create_user,
                                                                  sign_in):
    browser = app.test_client()
    user = sign_in(browser, create_user("reception"))
    response = browser.get("/events", buffered=False)
    stream = iter(response.response)
    assert _text(next(stream)).startswith("retry:")
    assert _text(next(stream)) == ": heartbeat\n\n"
    user.session_token = "rotated-everywhere"  # signed out everywhere
    db.session.commit()
    assert list(stream) == []  # the next heartbeat ends the stream
    assert broker.open_streams == 0


def test_the_stream_needs_a_signed_in_user(client, broker):
    response = client.get("/events")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert broker.open_streams == 0


def test_junk_last_event_ids_never_fail(app, broker, create_user, sign_in):
    browser = app.test_client()
    sign_in(browser, create_user("reception"))
    for junk in ("abc", "-1", "9" * 400, "１２", "1e9", " ", "12\x7f"):
        response = browser.get("/events", buffered=False, headers={"Last-Event-ID": junk})
        assert response.status_code == 200, junk
        assert _text(next(iter(response.response))).startswith("retry:")
        response.close()
    resumed = browser.get("/events", buffered=False, headers={"Last-Event-ID": "41"})
    # the page re-fetches what it missed
    assert chunks(resumed, 2)[1] == "event: resync\ndata: \n\n"
    resumed.close()
    assert broker.open_streams == 0


def test_without_a_healthy_broker_the_browser_polls(app, broker, create_user, sign_in,
                                                    monkeypatch):
    browser = app.test_client()
    sign_in(browser, create_user("reception"))
    monkeypatch.setattr(type(broker), "healthy", property(lambda self: False))
    response = browser.get("/events")
    assert response.status_code == 503 and response.headers["Retry-After"]
